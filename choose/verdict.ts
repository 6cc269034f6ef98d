/**
 * The verdict per platform: each requirement checked against the platform's facts (limits
 * from the rules modules, prices from `pricing/*.json`, measurements from a compare run, the
 * stack's own plan warnings), every reason citing where its fact came from. A platform
 * `fits`, fits with `caveats`, or does `no`t fit; its verdict is its worst reason.
 *
 * What decides "no": a hard limit the requirement exceeds and no setting can lift (timeouts,
 * memory, instance counts), a cost above budget that holds at any duration or was measured,
 * and a cloud measurement worse than required. Knobs the platform clamps (batch size,
 * attempts) are caveats, exactly as the components' plans warn and apply the nearest value.
 */
import { platforms, type Platform } from "../components/catalog";
import { defaultSettings } from "../components/config";
import { gcpConcurrencyFor } from "../components/gcp/rules";
import { awsCron, ncrontab, unixCron } from "../components/schedule";
import { stackRegionKeys } from "../components/stack-file";
import { estimateCost, formatBreakdown, pricingFor, trafficDescriptions, type CostEstimate, type PricingTable, type PricingTables } from "../compare/cost";
import { LOCAL_LABEL } from "../compare/results";
import { awsFacts, azureFacts, cloudflareFacts, gcpFacts, parityFacts } from "./facts";
import { measurementOf, type MeasuredRun, type PlatformMeasurement } from "./measurements";
import type { Requirements } from "./requirements";

export type Verdict = "fits" | "caveats" | "no";

/** One finding: the requirement it is about, what was found, and where that comes from. */
export interface Reason {
  verdict: Verdict;
  /** The requirement key (`maxRequestSeconds`, `queue.batchSize`), or `stack <name>`. */
  requirement: string;
  text: string;
  /** A URL, a file, or a rules module and function. */
  source: string;
}

/** The figures a platform is ranked by, with what they rest on. */
export interface Figures {
  /** Estimated USD per month of the HTTP function and its front, at `monthlyRequests`. */
  costUsdPerMonth?: number;
  /** The duration the cost was estimated at, and whether it was measured. */
  costDuration?: { ms: number; basis: "measured" | "assumed" };
  /** Warm p99 and cold-start median, ms, as measured (cloud or local). */
  p99LatencyMs?: number;
  coldStartMs?: number;
  measuredOn?: "cloud" | "local";
}

export interface PlatformVerdict {
  platform: Platform;
  verdict: Verdict;
  reasons: Reason[];
  figures: Figures;
}

export interface VerdictInput {
  requirements: Requirements;
  /** Every platform's price tables, per region (`loadPricing`). */
  pricing: PricingTables;
  /** A compare run's results (`--results`). */
  run?: MeasuredRun;
  /** Reasons from the stack's own plan (`--stack`), per platform. */
  stackReasons?: Partial<Record<Platform, Reason[]>>;
  /** The stack's name and the region it deploys each platform to (`--stack`). */
  stackRegions?: { name: string; regions: Partial<Record<Platform, string>> };
}

/**
 * The request duration the cost is estimated at when nothing was measured: `npm run plan`'s
 * default assumption (scripts/plan.ts CostAssumptions), stated wherever it is used.
 */
export const ASSUMED_DURATION_MS = 50;

export const serviceNames: Record<Platform, string> = {
  aws: "Lambda",
  gcp: "Cloud Functions",
  azure: "Flex Consumption",
  cloudflare: "Workers",
};

const rank: Record<Verdict, number> = { fits: 0, caveats: 1, no: 2 };
export const worst = (verdicts: Verdict[]): Verdict => verdicts.reduce<Verdict>((a, b) => (rank[b] > rank[a] ? b : a), "fits");

export function judgeAll(input: VerdictInput): PlatformVerdict[] {
  return platforms.map((platform) => judge(platform, input));
}

export function judge(platform: Platform, input: VerdictInput): PlatformVerdict {
  const { requirements: r } = input;
  const measurement = input.run ? measurementOf(input.run, platform) : undefined;
  const figures: Figures = {};
  if (measurement) {
    figures.measuredOn = measurement.kind;
    figures.p99LatencyMs = measurement.p99LatencyMs;
    figures.coldStartMs = measurement.coldStartMs;
  }
  const reasons: Reason[] = [
    ...maxRequestSeconds(platform, r.maxRequestSeconds),
    ...memory(platform, r.memoryMb),
    ...concurrency(platform, r, measurement),
    ...measured(platform, "p99LatencyMs", r.p99LatencyMs, measurement, input.run),
    ...measured(platform, "coldStartMs", r.coldStartMs, measurement, input.run),
    ...cost(platform, r, pricingFor(input.pricing, platform, input.stackRegions?.regions[platform] ?? r.regions?.[platform]?.[0]), measurement, figures),
    ...queue(platform, r.queue?.batchSize, r.queue?.maxAttempts),
    ...schedule(platform, r.scheduleEveryMinutes),
    ...regions(platform, r.regions?.[platform], input.stackRegions && { name: input.stackRegions.name, region: input.stackRegions.regions[platform] }),
    ...(input.stackReasons?.[platform] ?? []),
  ];
  return { platform, verdict: worst(reasons.map((reason) => reason.verdict)), reasons, figures };
}

const reason = (verdict: Verdict, requirement: string, text: string, source: string): Reason => ({ verdict, requirement, text, source });

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** The longest request, against the function's timeout and the HTTP front's. */
export function maxRequestSeconds(platform: Platform, asked: number | undefined): Reason[] {
  if (asked === undefined) return [];
  const key = "maxRequestSeconds";
  const head = `maxRequestSeconds ${asked}`;
  switch (platform) {
    case "aws": {
      const timeout = awsFacts.timeoutSeconds;
      const front = awsFacts.httpIntegrationTimeoutSeconds;
      if (asked > timeout.value.max) return [reason("no", key, `${head}: Lambda's maximum timeout is ${timeout.value.max} s`, timeout.source)];
      if (asked > front.value) {
        return [reason("no", key, `${head}: users-api is behind API Gateway HTTP API, whose integration timeout is ${front.value} s and cannot be raised; callers get 503 after ${front.value} s (queue and schedule functions may run ${timeout.value.max} s)`, front.source)];
      }
      return [reason("fits", key, `${head}: within API Gateway HTTP API's ${front.value} s integration timeout and Lambda's ${timeout.value.max} s`, front.source)];
    }
    case "gcp": {
      const timeout = gcpFacts.httpTimeoutSeconds;
      if (asked > timeout.value) return [reason("no", key, `${head}: HTTP functions (2nd gen) run at most ${timeout.value} s`, timeout.source)];
      const ack = gcpFacts.ackDeadlineSeconds;
      if (asked > ack.value.max) {
        return [reason("caveats", key, `${head}: HTTP requests may run ${timeout.value} s, but queue-worker's push delivery waits at most ${ack.value.max} s (the subscription's ack deadline)`, ack.source)];
      }
      return [reason("fits", key, `${head}: within Cloud Functions' ${timeout.value} s HTTP timeout`, timeout.source)];
    }
    case "azure": {
      const front = azureFacts.httpResponseSeconds;
      if (asked > front.value) return [reason("no", key, `${head}: HTTP-triggered functions must answer within ${front.value} s, whatever functionTimeout says`, front.source)];
      return [reason("fits", key, `${head}: within the ${front.value} s an HTTP-triggered function has to answer`, front.source)];
    }
    case "cloudflare": {
      const cpu = cloudflareFacts.cpuMs;
      const beyond = asked * 1000 > cpu.value.max;
      return [
        reason(
          "caveats",
          key,
          `${head}: Workers limit CPU time per invocation (at most ${cpu.value.max.toLocaleString("en-US")} ms), not wall-clock time; a request waiting on I/O may run as long as the client stays` +
            (beyond ? `, but one computing for more than ${cpu.value.max / 1000} s of CPU cannot run` : `, and ${asked} s of CPU fits`),
          cpu.source,
        ),
      ];
    }
  }
}

export function memory(platform: Platform, asked: number | undefined): Reason[] {
  if (asked === undefined) return [];
  const key = "memoryMb";
  const head = `memoryMb ${asked}`;
  switch (platform) {
    case "aws": {
      const { value, source } = awsFacts.memoryMb;
      if (asked > value.max) return [reason("no", key, `${head}: Lambda memory is at most ${value.max} MB`, source)];
      if (asked < value.min) return [reason("caveats", key, `${head}: Lambda memory is at least ${value.min} MB; ${value.min} MB would be applied and billed`, source)];
      return [reason("fits", key, `${head}: within Lambda's ${value.min}–${value.max} MB`, source)];
    }
    case "gcp": {
      const { value: tiers, source } = gcpFacts.memoryTiers;
      const tier = tiers.find((t) => t.mb >= asked);
      if (!tier) return [reason("no", key, `${head}: the largest Cloud Functions memory tier is ${tiers[tiers.length - 1].mb} MB`, source)];
      if (tier.mb !== asked) return [reason("caveats", key, `${head}: memory comes in tiers; the next tier up, ${tier.mb} MB (${tier.vcpu} vCPU), would be applied and billed`, source)];
      return [reason("fits", key, `${head}: a Cloud Functions memory tier (${tier.vcpu} vCPU)`, source)];
    }
    case "azure": {
      const { value: sizes, source } = azureFacts.instanceMemoryMb;
      const size = sizes.find((s) => s >= asked);
      if (size === undefined) return [reason("no", key, `${head}: Flex Consumption instance memory is at most ${sizes[sizes.length - 1]} MB (one of ${sizes.join(", ")})`, source)];
      if (size !== asked) return [reason("caveats", key, `${head}: Flex Consumption instance memory is one of ${sizes.join(", ")} MB; ${size} MB would be applied and billed`, source)];
      return [reason("fits", key, `${head}: a Flex Consumption instance size`, source)];
    }
    case "cloudflare": {
      const { value, source } = cloudflareFacts.memoryMb;
      if (asked > value) return [reason("no", key, `${head}: Workers memory is fixed at ${value} MB per isolate`, source)];
      return [reason("fits", key, `${head}: within the ${value} MB every Worker isolate gets`, source)];
    }
  }
}

/**
 * Concurrent executions the HTTP function needs at the peak rate (Little's law: rate × the
 * duration measured on this platform, else the p99 the team allows, an upper bound).
 */
export function concurrency(platform: Platform, r: Requirements, measurement: PlatformMeasurement | undefined): Reason[] {
  const peak = r.peakRequestsPerSecond;
  if (peak === undefined) return [];
  const key = "peakRequestsPerSecond";
  const measuredMs = measurement?.kind === "cloud" ? measurement.durationMs : undefined;
  const durationMs = measuredMs ?? r.p99LatencyMs;
  if (durationMs === undefined) {
    return [reason("caveats", key, `peakRequestsPerSecond ${peak}: concurrency needed is unknown; give p99LatencyMs or --results from a cloud run to estimate it`, "Little's law: concurrency = rate × duration")];
  }
  const needed = Math.max(1, Math.ceil((peak * durationMs) / 1000));
  const basis = measuredMs !== undefined ? `the measured mean duration ${round(measuredMs)} ms` : `p99LatencyMs ${durationMs} ms as an upper bound`;
  const head = `peakRequestsPerSecond ${peak} × ${basis} ≈ ${needed} concurrent executions`;
  const cap = parityFacts.reservedConcurrency;
  const overCap = needed > cap.value.max ? [reason("caveats", key, `${head}: parity's reservedConcurrency is at most ${cap.value.max}; the HTTP function would be capped there`, cap.source)] : [];
  switch (platform) {
    case "aws": {
      const floor = awsFacts.unreservedConcurrencyFloor;
      const reserved = Math.min(needed, cap.value.max);
      return [...overCap, reason("caveats", key, `${head}: reserved concurrency ${reserved} needs the account's Lambda concurrent-executions quota (L-B99A9384) at ≥ ${reserved + floor.value}, since Lambda keeps ${floor.value} unreserved; check it in Service Quotas`, floor.source)];
    }
    case "gcp": {
      const memoryMb = r.memoryMb ?? defaultSettings.http.memoryMb;
      const tier = gcpFacts.memoryTiers.value.find((t) => t.mb >= memoryMb) ?? gcpFacts.memoryTiers.value[gcpFacts.memoryTiers.value.length - 1];
      const { maxInstanceCount, maxInstanceRequestConcurrency } = gcpConcurrencyFor(Math.min(needed, cap.value.max), tier.vcpu);
      return [...overCap, reason(overCap.length ? "caveats" : "fits", key, `${head}: ${maxInstanceCount} instance(s) × ${maxInstanceRequestConcurrency} request(s) each at ${tier.mb} MB (${tier.vcpu} vCPU; above 1 request per instance needs ≥ 1 vCPU, at most ${gcpFacts.maxRequestConcurrency.value})`, gcpFacts.maxRequestConcurrency.source)];
    }
    case "azure": {
      const count = azureFacts.maximumInstanceCount;
      if (needed > count.value.max) {
        return [reason("no", key, `${head}: Flex Consumption scales to at most ${count.value.max} instances, and parity's HTTP app serves one request per instance (FlexSettings.httpPerInstanceConcurrency)`, count.source)];
      }
      return [...overCap, reason(overCap.length ? "caveats" : "fits", key, `${head}: ${needed} instance(s) at one request each, within Flex Consumption's ${count.value.max}`, count.source)];
    }
    case "cloudflare":
      return [reason("fits", key, `${head}: Workers has no per-script concurrency cap for HTTP requests; isolates scale with traffic`, cloudflareFacts.httpConcurrency.source)];
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements and prices
// ---------------------------------------------------------------------------------------------

const measuredNames = { p99LatencyMs: "warm p99 latency", coldStartMs: "cold-start median" } as const;

/** A latency requirement against a compare run: unmeasured and local figures never pass. */
export function measured(platform: Platform, key: "p99LatencyMs" | "coldStartMs", asked: number | undefined, measurement: PlatformMeasurement | undefined, run: MeasuredRun | undefined): Reason[] {
  if (asked === undefined) return [];
  const what = measuredNames[key];
  const head = `${key} ${asked}`;
  if (!measurement || !run) {
    return [reason("caveats", key, `${head}: unmeasured`, "no --results given (npm run compare against a deployed stack measures it)")];
  }
  const value = measurement[key];
  if (value === undefined) return [reason("caveats", key, `${head}: unmeasured for ${platform} in this run (${measurement.missing[key]})`, run.file)];
  const phase = key === "p99LatencyMs" ? ` (warm phase, ${measurement.warmRate} req/s)` : "";
  if (measurement.kind === "local") {
    return [reason("caveats", key, `${head}: measured ${round(value)} ms${phase} on local emulation — ${LOCAL_LABEL}; not judged`, run.file)];
  }
  if (value > asked) return [reason("no", key, `${head}: measured ${what} ${round(value)} ms${phase} is above ${asked} ms`, run.file)];
  return [reason("fits", key, `${head}: measured ${what} ${round(value)} ms${phase}`, run.file)];
}

/**
 * The HTTP function's monthly cost at the team's volume and memory; the duration is the one
 * measured in the cloud, else ASSUMED_DURATION_MS (said so).
 */
export function cost(platform: Platform, r: Requirements, priced: { table: PricingTable; region: CostEstimate["region"] } | undefined, measurement: PlatformMeasurement | undefined, figures: Figures): Reason[] {
  if (r.monthlyRequests === undefined) return [];
  const key = r.budgetUsdPerMonth === undefined ? "monthlyRequests" : "budgetUsdPerMonth";
  if (!priced) return [reason("caveats", key, `no pricing table for ${platform}; cost unknown`, "pricing/")];
  const { table, region } = priced;
  const memoryMb = r.memoryMb ?? defaultSettings.http.memoryMb;
  const measuredMs = measurement?.kind === "cloud" ? measurement.durationMs : undefined;
  const durationMs = measuredMs ?? ASSUMED_DURATION_MS;
  const traffic = r.traffic ?? "steady";
  const estimate = estimateCost(table, { durationMs, memoryMb, monthlyRequests: r.monthlyRequests, traffic }, region);
  figures.costUsdPerMonth = estimate.perMonth;
  figures.costDuration = { ms: durationMs, basis: measuredMs === undefined ? "assumed" : "measured" };
  const basis =
    measuredMs === undefined
      ? `an assumed ${ASSUMED_DURATION_MS} ms per request (unmeasured${measurement?.kind === "local" ? "; local-emulation durations are not used" : ""})`
      : `the measured mean duration ${round(measuredMs)} ms`;
  const text = `${usd(estimate.perMonth)}/month for ${r.monthlyRequests.toLocaleString("en-US")} requests${traffic === "steady" ? "" : ` (${trafficDescriptions[traffic]})`}, ${estimate.billedMemoryMb ? `${estimate.billedMemoryMb} MB billed` : "memory not billed"}, ${basis}${Math.abs(estimate.billedMs - durationMs) >= 1 ? `, billed ${round(estimate.billedMs)} ms per request` : ""}${breakdown(estimate)}`;
  const source = priceSources(table);
  const budget = r.budgetUsdPerMonth;
  if (budget === undefined || estimate.perMonth <= budget) {
    return [reason("fits", key, budget === undefined ? text : `budgetUsdPerMonth ${budget}: ${text}`, source)];
  }
  // Over budget: certain when measured, or when even a 1 ms request is over (fees, request prices).
  const floor = estimateCost(table, { durationMs: 1, memoryMb, monthlyRequests: r.monthlyRequests, traffic }, region).perMonth;
  const certain = measuredMs !== undefined || floor > budget;
  return [reason(certain ? "no" : "caveats", key, `budgetUsdPerMonth ${budget}: ${text}${certain && measuredMs === undefined ? `; even at 1 ms per request it is ${usd(floor)}` : certain ? "" : "; measure the duration to know"}`, source)];
}

function breakdown(estimate: CostEstimate): string {
  return ` (${formatBreakdown(estimate.breakdown)}${estimate.region.note ? `; ${estimate.region.note}` : ""})`;
}

/** The price list URLs behind an estimate, each once. */
function priceSources(table: PricingTable): string {
  const sources = Object.values(table)
    .filter((v): v is { source: string } => typeof v === "object" && v !== null && typeof (v as { source?: unknown }).source === "string")
    .map((v) => v.source.split(" ")[0]);
  return [...new Set(sources)].join(" ");
}

// ---------------------------------------------------------------------------------------------
// Queue, schedule, regions
// ---------------------------------------------------------------------------------------------

export function queue(platform: Platform, batchSize: number | undefined, maxAttempts: number | undefined): Reason[] {
  const reasons: Reason[] = [];
  if (batchSize !== undefined) {
    const key = "queue.batchSize";
    const head = `queue.batchSize ${batchSize}`;
    switch (platform) {
      case "aws": {
        const { value, source } = awsFacts.sqsBatchSize;
        if (batchSize > value.max) reasons.push(reason("caveats", key, `${head}: Lambda's SQS batch is at most ${value.max}; ${value.max} would be applied`, source));
        else if (batchSize > value.withoutWindow) reasons.push(reason("caveats", key, `${head}: SQS batches above ${value.withoutWindow} need a batching window of at least 1 s; a message may wait up to 1 s longer`, source));
        else reasons.push(reason("fits", key, `${head}: an SQS event source batch`, source));
        break;
      }
      case "gcp": {
        const { value, source } = gcpFacts.pushMessagesPerRequest;
        if (batchSize > value) reasons.push(reason("caveats", key, `${head}: Pub/Sub push delivers one message per request; there are no batches`, source));
        else reasons.push(reason("fits", key, `${head}: Pub/Sub push delivers one message per request`, source));
        break;
      }
      case "azure": {
        const { value, source } = azureFacts.queueBatchSize;
        if (batchSize > value.max) reasons.push(reason("caveats", key, `${head}: host.json queues.batchSize is at most ${value.max}; ${value.max} would be applied`, source));
        else reasons.push(reason("fits", key, `${head}: host.json queues.batchSize`, source));
        break;
      }
      case "cloudflare": {
        const { value, source } = cloudflareFacts.queue;
        if (batchSize > value.batchSize.max) reasons.push(reason("caveats", key, `${head}: Queues consumer batches hold at most ${value.batchSize.max} messages; ${value.batchSize.max} would be applied`, source));
        else reasons.push(reason("fits", key, `${head}: a Queues consumer batch`, source));
        break;
      }
    }
  }
  if (maxAttempts !== undefined) {
    const key = "queue.maxAttempts";
    const head = `queue.maxAttempts ${maxAttempts}`;
    switch (platform) {
      case "aws": {
        const { value, source } = awsFacts.maxReceiveCount;
        if (maxAttempts > value.max) reasons.push(reason("caveats", key, `${head}: SQS maxReceiveCount is at most ${value.max}; messages are dead-lettered after ${value.max} deliveries`, source));
        else reasons.push(reason("fits", key, `${head}: SQS redrive maxReceiveCount ${maxAttempts}`, source));
        break;
      }
      case "gcp": {
        const { value, source } = gcpFacts.maxDeliveryAttempts;
        if (maxAttempts < value.min) reasons.push(reason("caveats", key, `${head}: Pub/Sub maxDeliveryAttempts is at least ${value.min}; a message may be delivered ${value.min} times before it is dead-lettered`, source));
        else if (maxAttempts > value.max) reasons.push(reason("caveats", key, `${head}: Pub/Sub maxDeliveryAttempts is at most ${value.max}; messages are dead-lettered after ${value.max} deliveries`, source));
        else reasons.push(reason("fits", key, `${head}: Pub/Sub dead-letter maxDeliveryAttempts ${maxAttempts}`, source));
        break;
      }
      case "azure":
        reasons.push(reason("fits", key, `${head}: host.json maxDequeueCount ${maxAttempts}, then <queue>-poison`, azureFacts.queueBatchSize.source));
        break;
      case "cloudflare": {
        const { value, source } = cloudflareFacts.queue;
        if (maxAttempts - 1 > value.maxRetries) reasons.push(reason("caveats", key, `${head}: Queues retries a message at most ${value.maxRetries} times (${value.maxRetries + 1} deliveries)`, source));
        else reasons.push(reason("fits", key, `${head}: Queues max_retries ${maxAttempts - 1}`, source));
        break;
      }
    }
  }
  return reasons;
}

const cronOf: Record<Platform, (everyMinutes: number) => string> = { aws: awsCron, gcp: unixCron, azure: ncrontab, cloudflare: unixCron };
const scheduleFacts = { aws: awsFacts.schedule, gcp: gcpFacts.schedule, azure: azureFacts.schedule, cloudflare: cloudflareFacts.schedule } as const;

/** parity's schedules are clock-aligned on every platform, so the allowed intervals are the same. */
export function schedule(platform: Platform, everyMinutes: number | undefined): Reason[] {
  if (everyMinutes === undefined) return [];
  const key = "scheduleEveryMinutes";
  const allowed = parityFacts.everyMinutes;
  if (!allowed.value.includes(everyMinutes)) {
    return [reason("no", key, `scheduleEveryMinutes ${everyMinutes}: parity's schedules fire clock-aligned in UTC, every N minutes dividing an hour or whole hours dividing a day (${allowed.value.join(", ")}); other intervals fire unevenly on cron-based schedulers`, allowed.source)];
  }
  const dialect = scheduleFacts[platform];
  return [reason("fits", key, `scheduleEveryMinutes ${everyMinutes}: ${dialect.value} ${cronOf[platform](everyMinutes)}`, dialect.source)];
}

/**
 * Where each provider lists the regions its service runs in. parity holds no verified copy of
 * those lists (see notes/choose.md), so a region requirement is reported as unverified, never
 * as a pass; the source says where to check.
 */
export const regionListSources: Record<Platform, string> = {
  aws: "not listed; check https://docs.aws.amazon.com/general/latest/gr/lambda-service.html (Lambda endpoints by region)",
  gcp: "not listed; check https://docs.cloud.google.com/functions/docs/locations or gcloud functions regions list",
  azure: "not listed; check Get-AzFunctionAppAvailableLocation -PlanType FlexConsumption (https://learn.microsoft.com/powershell/module/az.functions/get-azfunctionappavailablelocation)",
  cloudflare: "not listed; parity's stacks set no region for Workers (no cloudflare region key in Pulumi.<stack>.yaml)",
};

export function regions(platform: Platform, asked: string[] | undefined, stack?: { name: string; region?: string }): Reason[] {
  if (asked === undefined) return [];
  const head = `regions ${asked.join(", ")}`;
  const reasons = [reason("caveats", "regions", `${head}: not verified — parity lists no regions for ${serviceNames[platform]}; check the provider's list before choosing`, regionListSources[platform])];
  if (stack?.region !== undefined) {
    const key = stackRegionKeys[platform];
    const inList = asked.includes(stack.region);
    reasons.push(reason(inList ? "fits" : "caveats", "regions", `${head}: stack ${stack.name} deploys ${platform} to ${stack.region} (${key})${inList ? "" : ", which is not one of them"}`, `Pulumi.${stack.name}.yaml`));
  }
  return reasons;
}

const round = (ms: number) => (ms >= 100 ? Math.round(ms) : Math.round(ms * 10) / 10);
export const usd = (value: number) => `$${value.toFixed(2)}`;
