/**
 * What the stack costs a month on each platform, by the vendor's billing rules: users-api's
 * per-request fees and compute (each sample rounded to the vendor's increment; Azure Flex by
 * instance activity, below), warm capacity (provisioned concurrency, min instances,
 * always-ready) as its own line, the AWS HTTP front with its tiers, the Workers plan; then the
 * rest of the stack as deployed: the queue-worker and reconciler, the users store, the queue,
 * the secret store, the scheduler and log ingestion, each priced from what the traffic implies
 * (`stackUse`). Free tiers are optional, since they belong to the account and are shared; one
 * allowance per account is drawn down by every line that uses it. Prices are data
 * (`pricing/*.json`, one table per platform and region, every number with its source and the
 * date it was read); the rules are code, below, each with its source.
 *
 * What is still left out is `notModelled`, stated in every report.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { catalog, platforms, type Platform } from "../components/catalog";
import { defaultSettings, settingsFor, type FunctionSettings, type ParityConfig } from "../components/config";
import { nearestInstanceMemory } from "../components/azure/rules";
import { gcpMemoryTier } from "../components/gcp/rules";
import { trafficDescriptions, trafficSegments, type TrafficSegment, type TrafficShape } from "./traffic";

export { parseTrafficShape, trafficDescriptions, trafficSegments, trafficShapes, type TrafficSegment, type TrafficShape } from "./traffic";

/** A number from a price list, with where it came from. */
export interface PricedValue<T = number> {
  value: T;
  /** URL (and section) the value was read from. */
  source: string;
  /** ISO date the source was read. */
  read: string;
  /** Set when the figure could not be read on the vendor's own page: what was checked instead. */
  unverified?: string;
}

/** One step of a tiered price: `pricePerMillion` up to `upToMillions` a month (null: no limit). */
export interface PriceTier {
  upToMillions: number | null;
  pricePerMillion: number;
}

export interface PricingTable {
  platform: Platform;
  currency: string;
  /** The price list's region, as the platform spells it (or a tier name). */
  region: string;
  /** The stack regions these prices are for; `*` for a global price list. */
  regions: string[];
  regionName?: string;
  notes?: string;
  /** Subscription fee per month, whatever the traffic (Workers Paid). */
  monthlyFee?: PricedValue;
  /** Function invocations, per 1M (on demand). */
  requestPricePerMillion: PricedValue;
  /** An HTTP front billed separately (API Gateway HTTP API), per 1M, in monthly tiers. */
  frontPriceTiers?: PricedValue<PriceTier[]>;
  /** Memory × billed time, per GB-second (GiB-second on Google Cloud), on demand. */
  gbSecondPrice?: PricedValue;
  /** vCPU × billed time, per vCPU-second; the vCPU follows the deployed memory tier. */
  vcpuSecondPrice?: PricedValue;
  /** CPU time, per 1M CPU-milliseconds (Workers). */
  cpuMsPricePerMillion?: PricedValue;
  /** Each billed period is rounded up to a multiple of this. */
  billingIncrementMs: PricedValue;
  /** Each billed period is at least this (Azure Flex: 1,000 ms). */
  minimumBilledMs?: PricedValue;
  freeRequestsPerMonth?: PricedValue;
  freeGbSecondsPerMonth?: PricedValue;
  freeVcpuSecondsPerMonth?: PricedValue;
  freeCpuMsPerMonth?: PricedValue;
  /** Warm capacity, per GB-second kept warm (provisioned concurrency; idle min instance memory; always-ready baseline). */
  warmCapacityGbSecondPrice?: PricedValue;
  /** Warm capacity, per vCPU-second kept warm (idle min instance CPU). */
  warmCapacityVcpuSecondPrice?: PricedValue;
  /** Execution time on warm capacity, per GB-second (provisioned concurrency duration; always-ready execution time). */
  warmExecutionGbSecondPrice?: PricedValue;
  /** Executions on warm capacity, per 1M (always-ready total executions). */
  warmRequestPricePerMillion?: PricedValue;
  /**
   * The rest of the stack's services, by name (`serviceKeys` lists what each platform needs):
   * store operations, queue operations, secret storage and calls, scheduler jobs, log
   * ingestion and the account's free amounts of each. Every one with its source and date.
   */
  services?: Record<string, PricedValue>;
}

/** The pricing tables, every region of every platform. */
export type PricingTables = Map<Platform, PricingTable[]>;

/** Per-request durations: every sample, or a distribution of whole milliseconds and their counts. */
export type Durations = { ms: number; count: number }[];

export interface CostInput {
  /** One stated duration per request, ms (plan), or the measured distribution (compare). */
  durationMs?: number;
  durations?: Durations;
  /** Configured memory, MiB. */
  memoryMb: number;
  /** Requests per month for the monthly figure. */
  monthlyRequests: number;
  /** Instances kept warm (the stack's `warmInstances`). @default 0 */
  warmInstances?: number;
  /** Count the account's free tiers (shared by every line of this estimate). @default true */
  freeTier?: boolean;
  /** When in the month the requests come (`trafficShapes`). @default "steady" */
  traffic?: TrafficShape;
  /** The rest of the stack and what the traffic implies for it; without it, users-api and its front only. */
  stack?: StackUse;
}

/** What a line of the bill pays for: the functions, the HTTP front, or one of the stack's services. */
export const lineKinds = ["compute", "front", "store", "queue", "secrets", "scheduler", "logs"] as const;
export type LineKind = (typeof lineKinds)[number];

/** One line of a monthly bill. */
export interface CostLine {
  item: string;
  usd: number;
  /** How it was computed, with the quantities. */
  detail: string;
  kind: LineKind;
}

export interface CostEstimate {
  platform: Platform;
  currency: string;
  /** Whose prices were used (the table's `regionName`), the stack's region, and a note when they differ. */
  region: { prices: string; stack?: string; note?: string };
  /** Mean billed duration per request after each request's rounding and minimum, ms. */
  billedMs: number;
  /** Memory billed per instance (the deployed tier or size), MiB; 0 when memory is not billed. */
  billedMemoryMb: number;
  /** vCPU billed per instance (Google Cloud), else 0. */
  billedVcpu: number;
  warmInstances: number;
  freeTier: boolean;
  traffic: TrafficShape;
  /** Marginal cost of 1M more requests at on-demand list prices (no free tier, fee or warm capacity). */
  perMillion: number;
  /** Cost of `monthlyRequests` in one month: the sum of `breakdown`. */
  perMonth: number;
  monthlyRequests: number;
  breakdown: CostLine[];
  /** Assumptions behind the figure, in words. */
  assumptions: string[];
}

/** A month of 730 hours (8,760 h a year ÷ 12), as warm capacity is billed by the second. */
export const SECONDS_PER_MONTH = 730 * 3600;

// ---------------------------------------------------------------------------------------------
// Azure Flex Consumption: execution time by instance activity
// ---------------------------------------------------------------------------------------------

/**
 * The share of an instance's wall time Flex Consumption bills, for executions of `durationMs`
 * arriving independently at `ratePerSecond` on that instance.
 *
 * The rule, from three sources:
 * - https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#billing: "the
 *   minimum billable execution period for both execution modes is 1,000 ms. Past that, the
 *   billable activity period is rounded up to the nearest 100 ms"; the modes are "determined on
 *   a per-instance basis".
 * - https://learn.microsoft.com/azure/azure-functions/functions-consumption-costs (Flex tab):
 *   charges are based on the memory of each active instance; its worked example bills 10
 *   concurrent requests on one instance as one instance's memory × time.
 * - Azure/azure-functions-host src/WebJobs.Script.WebHost/Metrics/FlexConsumptionMetricsPublisher.cs
 *   (MeterCurrentActiveInterval): an instance's activity interval opens when its first execution
 *   starts and is metered when its last one ends, from the later of its start and the high
 *   watermark already metered, as max(elapsed, 1,000 ms) rounded up to 100 ms, after which the
 *   watermark moves to the metered end ("we never want to meter the same interval twice"). Its
 *   tests: ten back-to-back 100 ms runs bill 1,000 ms; two overlapping ones, 1.5 s in all, 1,500 ms.
 *
 * So an instance bills windows of L = max(duration, 1,000 ms) rounded up to 100 ms. A window
 * opens at an execution that starts after the watermark; at its end another window follows at
 * once when an execution is still running, which happens when one started in the last
 * `durationMs` of the window: probability p = 1 − e^(−λd) for independent arrivals, whatever
 * came before (memorylessness). A run of windows therefore holds 1 / (1 − p) = e^(λd) windows,
 * then the instance idles for 1/λ on average before the next arrival. The billed share of wall
 * time is
 *
 *     f = λ·L·e^(λd) / (1 + λ·L·e^(λd))
 *
 * for executions well inside the minimum window (parity's take tens of ms): the tests'
 * simulation, which meters seeded arrivals as the publisher does, agrees within 2 % up to 0.4 of
 * the window. Longer executions overlap into busy periods the host meters once, from start to
 * end, where the formula counts whole windows: an upper bound there (10 % over at 1,000 ms).
 * f ≤ 1: billed time never exceeds the instance's wall time, and executions that overlap count once.
 */
export function flexBilledFraction(ratePerSecond: number, durationMs: number, minimumMs: number, incrementMs: number): number {
  if (!(ratePerSecond > 0)) return 0;
  const windowSeconds = billedDurationMs(durationMs, incrementMs, minimumMs) / 1000;
  const busy = ratePerSecond * windowSeconds * Math.exp((ratePerSecond * Math.max(0, durationMs)) / 1000);
  return busy / (1 + busy);
}

/** One part of the month on Flex Consumption: how many instances, and what they bill. */
export interface FlexActivity {
  /** Instances serving the part: the always-ready ones, or as many as the executions need at `concurrency` each. */
  instances: number;
  alwaysReady: number;
  /** Executions per second on each instance (spread evenly over them). */
  perInstanceRate: number;
  /** Billed share of each instance's wall time (`flexBilledFraction`). */
  billedFraction: number;
  /** Billed instance-seconds, on always-ready and on on-demand instances. */
  alwaysReadySeconds: number;
  onDemandSeconds: number;
  alwaysReadyExecutions: number;
  onDemandExecutions: number;
}

/**
 * Flex Consumption for `executions` of `durationMs` over `seconds`: instances = the
 * always-ready ones or, when more are needed, ⌈rate × duration ÷ concurrency⌉ (per-instance
 * concurrency: 1 for parity's HTTP app, the host.json batch for the queue app); executions
 * spread evenly over them, each instance billed by `flexBilledFraction`. Always-ready instances
 * bill their execution time at their own rate on top of the baseline; the others, on demand.
 */
export function flexActivity(executions: number, seconds: number, durationMs: number, concurrency: number, alwaysReady: number, minimumMs: number, incrementMs: number): FlexActivity {
  const rate = seconds > 0 ? executions / seconds : 0;
  const needed = rate > 0 ? Math.ceil((rate * Math.max(0, durationMs)) / 1000 / concurrency - 1e-9) : 0;
  const instances = Math.max(alwaysReady, needed, rate > 0 ? 1 : 0);
  const perInstanceRate = instances > 0 ? rate / instances : 0;
  const billedFraction = flexBilledFraction(perInstanceRate, durationMs, minimumMs, incrementMs);
  const onDemand = Math.max(0, instances - alwaysReady);
  const warm = instances - onDemand;
  return {
    instances,
    alwaysReady,
    perInstanceRate,
    billedFraction,
    alwaysReadySeconds: warm * billedFraction * seconds,
    onDemandSeconds: onDemand * billedFraction * seconds,
    alwaysReadyExecutions: instances > 0 ? (executions * warm) / instances : 0,
    onDemandExecutions: instances > 0 ? (executions * onDemand) / instances : 0,
  };
}

/** `flexActivity` summed over the parts of a traffic shape. */
export function flexActivityOver(segments: TrafficSegment[], executions: number, durationMs: number, concurrency: number, alwaysReady: number, minimumMs: number, incrementMs: number): FlexActivity[] {
  return segments.map((segment) => flexActivity(executions * segment.requestShare, SECONDS_PER_MONTH * segment.timeShare, durationMs, concurrency, alwaysReady, minimumMs, incrementMs));
}

const sum = <T>(items: T[], of: (item: T) => number) => items.reduce((total, item) => total + of(item), 0);

/** What no estimate includes; every report states it. */
export const notModelled = [
  "init and start-up time (Lambda bills init duration; Cloud Run bills container start-up; a Flex instance's start is not an execution)",
  "stored data: the users accumulate (under 1 KB each with the email guard and index entries) in DynamoDB, Firestore, Table Storage and D1, each with its free storage; log retention storage",
  "secret reads per instance start (Secrets Manager, Secret Manager) and the scale controller's queue reads on Azure",
  "egress (data transfer out)",
  "build and registry (Cloud Build, Artifact Registry, deployment storage), and the Azure storage accounts' capacity",
  // Each Azure app has its own host storage account (components/azure/rules.ts hostAccountFor): a
  // storage account has no fixed fee, so the extra accounts add only these transactions.
  "the Azure Functions host's own blob transactions on each app's host storage account (keys, leases, timer locks)",
  "queue batches under a backlog (each message is priced as its own delivery, the most invocations), retries and dead-lettered messages",
  "the reconciler's re-publishing (priced as runs that find nothing pending, as in normal operation)",
];

/** Free tiers, as the issue and the vendors put it: per account, shared by everything in it. */
export const freeTierNote =
  "Free tiers belong to the AWS account, the Google Cloud billing account, the Azure subscription or the Cloudflare account, and are shared by every function and stack in it; here each is drawn down once, by this stack's lines in order (users-api first), as if nothing else used it. `--no-free-tier` leaves them out.";

/** Rounds one period up to the billing increment, after the minimum (at least one increment). */
export function billedDurationMs(durationMs: number, incrementMs: number, minimumMs = 0): number {
  // Stryker disable next-line EqualityOperator: at exactly 0 both branches give 0 (NaN and negatives are tested).
  const ms = Math.max(durationMs > 0 ? durationMs : 0, minimumMs);
  // Tolerate floating noise (100.0000001 ms must not bill as 200 ms).
  return Math.max(1, Math.ceil(ms / incrementMs - 1e-9)) * incrementMs;
}

/** Mean billed ms per request: each request rounded on its own, as the vendors bill. */
export function meanBilledMs(durations: Durations, incrementMs: number, minimumMs = 0): number {
  let total = 0;
  let count = 0;
  for (const { ms, count: n } of durations) {
    total += billedDurationMs(ms, incrementMs, minimumMs) * n;
    count += n;
  }
  if (count === 0) throw new Error("no durations to bill");
  return total / count;
}

/** Mean of the durations as measured (no rounding), ms. */
export function meanMs(durations: Durations): number {
  const total = durations.reduce((sum, d) => sum + Math.max(0, d.ms) * d.count, 0);
  const count = durations.reduce((sum, d) => sum + d.count, 0);
  return count === 0 ? 0 : total / count;
}

/** Applies monthly tiers to `requests`. */
export function tieredCost(requests: number, tiers: PriceTier[]): number {
  let left = requests;
  let floor = 0;
  let usd = 0;
  for (const tier of tiers) {
    const ceiling = tier.upToMillions === null ? Infinity : tier.upToMillions * 1e6;
    const inTier = Math.max(0, Math.min(left, ceiling - floor));
    usd += (inTier / 1e6) * tier.pricePerMillion;
    left -= inTier;
    floor = ceiling;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: an early exit only; with nothing left every later tier adds min(0, …) = 0.
    if (left <= 0) break;
  }
  return usd;
}

/** The table for a platform in a stack's region, or the platform's first table with a note that the region differs. */
export function pricingFor(tables: PricingTables, platform: Platform, stackRegion?: string): { table: PricingTable; region: CostEstimate["region"] } | undefined {
  const candidates = tables.get(platform) ?? [];
  if (candidates.length === 0) return undefined;
  const exact = candidates.find((t) => t.regions.includes("*") || (stackRegion !== undefined && t.regions.includes(stackRegion)));
  if (exact) return { table: exact, region: { prices: exact.regionName ?? exact.region, stack: stackRegion ?? (exact.regions.includes("*") ? "global" : undefined) } };
  const table = candidates[0];
  return {
    table,
    region: {
      prices: table.regionName ?? table.region,
      stack: stackRegion,
      note:
        stackRegion === undefined
          ? `no stack region known; prices of ${table.regionName ?? table.region} used`
          : `prices of ${table.regionName ?? table.region} used: the stack deploys to ${stackRegion}, which has no table in pricing/ (its prices may differ)`,
    },
  };
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** The per-request durations as a distribution (a stated duration is one bucket). */
function distributionOf(input: CostInput): Durations {
  if (input.durations && input.durations.length > 0) return input.durations;
  if (input.durationMs !== undefined) return [{ ms: input.durationMs, count: 1 }];
  throw new Error("a cost needs durationMs or durations");
}

/**
 * Free amounts drawn down line by line: a free tier belongs to the account, so the functions
 * and services of one estimate share it (the first line to use it gets it first). Disabled,
 * everything is billed.
 */
export function freeAllowance(enabled: boolean): (key: string, free: PricedValue | undefined, used: number) => number {
  const taken = new Map<string, number>();
  return (key, free, used) => {
    if (!enabled || free === undefined) return used;
    const left = Math.max(0, free.value - (taken.get(key) ?? 0));
    const covered = Math.min(left, Math.max(0, used));
    taken.set(key, (taken.get(key) ?? 0) + covered);
    return used - covered;
  };
}

/**
 * The share of requests warm capacity serves, per part of the month: warm instances are
 * occupied for the requests' real durations (billing rounds them up later); concurrency above
 * `warm` spills over to on-demand rates. Summed over the traffic's parts, so a shape that
 * crowds the requests into fewer hours leaves more of them on demand.
 */
export function warmShareOf(segments: TrafficSegment[], requests: number, meanDurationMs: number, warm: number): number {
  if (warm === 0 || requests === 0) return 0;
  const served = sum(segments, (segment) => {
    const occupiedSeconds = (requests * segment.requestShare * Math.max(0, meanDurationMs)) / 1000;
    const warmSeconds = warm * SECONDS_PER_MONTH * segment.timeShare;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: at 0 occupied seconds warmSeconds / 0 is Infinity and min(1, Infinity) is the same 1.
    return requests * segment.requestShare * (occupiedSeconds > 0 ? Math.min(1, warmSeconds / occupiedSeconds) : 1);
  });
  return served / requests;
}

/**
 * The monthly cost of users-api on `table.platform` and, with `input.stack`, of the rest of
 * the stack. `region` says whose prices they are (from `pricingFor`).
 */
export function estimateCost(table: PricingTable, input: CostInput, region: CostEstimate["region"] = { prices: table.regionName ?? table.region }): CostEstimate {
  const durations = distributionOf(input);
  const n = input.monthlyRequests;
  const warm = input.warmInstances ?? 0;
  const freeTier = input.freeTier ?? true;
  const traffic = input.traffic ?? "steady";
  const segments = trafficSegments[traffic];
  const free = freeAllowance(freeTier);
  const lines: CostLine[] = [];
  const assumptions: string[] = [];
  const line = (kind: LineKind, item: string, amount: number, detail: string) => lines.push({ kind, item, usd: amount, detail });
  const increment = table.billingIncrementMs.value;
  const minimum = table.minimumBilledMs?.value ?? 0;
  const meanDuration = meanMs(durations);
  let billedMs = meanBilledMs(durations, increment, minimum);
  const busySeconds = (n * billedMs) / 1000;
  const warmSeconds = warm * SECONDS_PER_MONTH;
  const warmShare = warmShareOf(segments, n, meanDuration, warm);
  // The rest, billed at on-demand rates; with no warm capacity, all of it.
  const onDemandShare = 1 - warmShare;
  let billedMemoryMb = 0;
  let billedVcpu = 0;
  let perRequestCompute = 0;
  const freeNote = (value: PricedValue | undefined) => (freeTier && value ? `, ${count(value.value)} free` : "");

  if (table.monthlyFee) line("compute", "plan fee", table.monthlyFee.value, "Workers Paid, per account and month");

  switch (table.platform) {
    case "aws": {
      // https://aws.amazon.com/lambda/pricing/: duration rounded up to 1 ms per request; memory
      // in GB = MB / 1024; "The Lambda free tier does not apply to functions that have
      // Provisioned Concurrency enabled"; provisioned concurrency is billed from enabling to
      // disabling, per GB configured, and its executions at their own duration rate.
      billedMemoryMb = input.memoryMb;
      const gb = billedMemoryMb / 1024;
      const useFree = freeTier && warm === 0;
      const requestPrice = table.requestPricePerMillion.value;
      const billableRequests = useFree ? free("lambda requests", table.freeRequestsPerMonth, n) : n;
      line("compute", "requests", (billableRequests / 1e6) * requestPrice, `${count(n)} requests × $${requestPrice}/M${useFree ? `, ${count(table.freeRequestsPerMonth?.value ?? 0)} free` : warm > 0 ? ", no free tier (provisioned concurrency)" : ""}`);
      if (warm > 0) {
        const capacityPrice = need(table, "warmCapacityGbSecondPrice");
        const executionPrice = need(table, "warmExecutionGbSecondPrice");
        line("compute", "warm capacity: provisioned concurrency", warmSeconds * gb * capacityPrice, `${warm} × ${billedMemoryMb} MB × ${count(SECONDS_PER_MONTH)} s × $${capacityPrice}/GB-s`);
        line("compute", "duration on provisioned concurrency", busySeconds * warmShare * gb * executionPrice, `${count(busySeconds * warmShare * gb)} GB-s × $${executionPrice}`);
      }
      const onDemandGbSeconds = busySeconds * onDemandShare * gb;
      const gbPrice = need(table, "gbSecondPrice");
      if (onDemandShare > 0) {
        const billable = useFree ? free("lambda GB-s", table.freeGbSecondsPerMonth, onDemandGbSeconds) : onDemandGbSeconds;
        line("compute", "duration", billable * gbPrice, `${count(onDemandGbSeconds)} GB-s (each request rounded up to ${increment} ms) × $${gbPrice}${useFree ? `, ${count(table.freeGbSecondsPerMonth?.value ?? 0)} free` : ""}`);
      }
      perRequestCompute = (billedMs / 1000) * gb * gbPrice;
      if (table.frontPriceTiers) {
        const tiers = table.frontPriceTiers.value;
        line("front", "HTTP API (API Gateway)", tieredCost(n, tiers), `${count(n)} requests: ${tiers.map((t) => `$${t.pricePerMillion}/M ${t.upToMillions === null ? "beyond" : `to ${t.upToMillions} M`}`).join(", ")}; its 12-month free tier left out`);
      }
      assumptions.push("duration billed per request, rounded up to 1 ms (Lambda's rule, exact per sample)");
      break;
    }
    case "gcp": {
      // Cloud Functions 2nd gen memory comes in tiers, each with its vCPU (components/gcp/rules.ts).
      const tier = gcpMemoryTier(input.memoryMb);
      billedMemoryMb = tier.mb;
      billedVcpu = tier.vcpu;
      const gib = tier.mb / 1024;
      const requestPrice = table.requestPricePerMillion.value;
      const vcpuPrice = need(table, "vcpuSecondPrice");
      const gbPrice = need(table, "gbSecondPrice");
      line("compute", "requests", (free("run requests", table.freeRequestsPerMonth, n) / 1e6) * requestPrice, `${count(n)} requests × $${requestPrice}/M${freeNote(table.freeRequestsPerMonth)}`);
      line("compute", "CPU (active)", free("run vCPU-s", table.freeVcpuSecondsPerMonth, busySeconds * tier.vcpu) * vcpuPrice, `${count(busySeconds * tier.vcpu)} vCPU-s (${tier.vcpu} vCPU, each request rounded up to ${increment} ms) × $${vcpuPrice}${freeNote(table.freeVcpuSecondsPerMonth)}`);
      line("compute", "memory (active)", free("run GiB-s", table.freeGbSecondsPerMonth, busySeconds * gib) * gbPrice, `${count(busySeconds * gib)} GiB-s (${tier.mb} MiB tier) × $${gbPrice}${freeNote(table.freeGbSecondsPerMonth)}`);
      if (warm > 0) {
        // https://cloud.google.com/run/docs/configuring/min-instances: min instances stay running
        // while idle; idle instance time is billed at the idle rates, busy time at the active
        // ones. Busy time counts against the min instances in the part of the month it falls in.
        const idleSeconds = sum(segments, (segment) => Math.max(0, warmSeconds * segment.timeShare - busySeconds * segment.requestShare));
        const idleVcpu = need(table, "warmCapacityVcpuSecondPrice");
        const idleGb = need(table, "warmCapacityGbSecondPrice");
        line("compute", "warm capacity: idle min instances", idleSeconds * (tier.vcpu * idleVcpu + gib * idleGb), `${warm} × ${count(SECONDS_PER_MONTH)} s − ${count(warmSeconds - idleSeconds)} s busy = ${count(idleSeconds)} idle s × (${tier.vcpu} vCPU × $${idleVcpu} + ${gib} GiB × $${idleGb})`);
      }
      perRequestCompute = (billedMs / 1000) * (tier.vcpu * vcpuPrice + gib * gbPrice);
      assumptions.push(
        `each request billed as its own instance period rounded up to ${increment} ms (https://cloud.google.com/run/pricing): exact when periods are separate, an upper bound when requests follow back to back on one instance (periods merge) or share one (per-instance concurrency > 1)`,
      );
      assumptions.push("free tier applied to active time only; idle min instances are billed at idle rates");
      break;
    }
    case "azure": {
      // Flex Consumption bills the instance memory size (512, 2048 or 4096 MB), the size
      // parity deploys (components/azure/rules.ts), by instance activity (flexBilledFraction).
      billedMemoryMb = nearestInstanceMemory(input.memoryMb);
      const gb = billedMemoryMb / 1024;
      const requestPrice = table.requestPricePerMillion.value;
      const gbPrice = need(table, "gbSecondPrice");
      // parity's HTTP app runs one request per instance at a time (per-instance concurrency 1).
      const activity = flexActivityOver(segments, n, meanDuration, 1, warm, minimum, increment);
      const alwaysReadySeconds = sum(activity, (a) => a.alwaysReadySeconds);
      const onDemandSeconds = sum(activity, (a) => a.onDemandSeconds);
      const alwaysReadyExecutions = sum(activity, (a) => a.alwaysReadyExecutions);
      const onDemandExecutions = sum(activity, (a) => a.onDemandExecutions);
      const howBilled = `instance activity, windows ≥ ${minimum} ms in ${increment} ms steps: ${activity.map((a) => `${a.instances} instance${a.instances === 1 ? "" : "s"} at ${a.perInstanceRate.toFixed(2)} executions/s each, billed ${(a.billedFraction * 100).toFixed(1)} % of the time`).join("; ")}`;
      if (warm > 0) {
        // https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#billing: always
        // ready bills the baseline (memory of every always-ready instance, whether busy or not),
        // its execution time and its executions, with no free grants.
        const baseline = need(table, "warmCapacityGbSecondPrice");
        const executionPrice = need(table, "warmExecutionGbSecondPrice");
        const warmRequestPrice = need(table, "warmRequestPricePerMillion");
        line("compute", "warm capacity: always-ready baseline", warmSeconds * gb * baseline, `${warm} × ${billedMemoryMb} MB × ${count(SECONDS_PER_MONTH)} s × $${baseline}/GB-s`);
        line("compute", "executions (always ready)", (alwaysReadyExecutions / 1e6) * warmRequestPrice, `${count(alwaysReadyExecutions)} executions × $${warmRequestPrice}/M, no free grant`);
        line("compute", "execution time (always ready)", alwaysReadySeconds * gb * executionPrice, `${count(alwaysReadySeconds * gb)} GB-s (${howBilled}) × $${executionPrice}`);
      }
      if (onDemandExecutions > 0) {
        line("compute", "executions (on demand)", (free("flex executions", table.freeRequestsPerMonth, onDemandExecutions) / 1e6) * requestPrice, `${count(onDemandExecutions)} executions × $${requestPrice}/M${freeNote(table.freeRequestsPerMonth)}`);
        line("compute", "execution time (on demand)", free("flex GB-s", table.freeGbSecondsPerMonth, onDemandSeconds * gb) * gbPrice, `${count(onDemandSeconds * gb)} GB-s (${howBilled}) × $${gbPrice}${freeNote(table.freeGbSecondsPerMonth)}`);
      }
      // The billed time per execution, as the activity rule gives it at this volume.
      billedMs = n > 0 ? ((alwaysReadySeconds + onDemandSeconds) * 1000) / n : billedMs;
      // 1M more executions on demand at the on-demand billed time per execution of this volume.
      const onDemandAlone = flexActivityOver(segments, n, meanDuration, 1, 0, minimum, increment);
      perRequestCompute = n > 0 ? ((sum(onDemandAlone, (a) => a.onDemandSeconds) / n) * gb * gbPrice) : 0;
      assumptions.push(
        `execution time billed by instance activity (https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#billing; FlexConsumptionMetricsPublisher in Azure/azure-functions-host): each instance bills windows of at least ${minimum} ms, then ${increment} ms steps, overlapping executions once; requests arrive independently, spread evenly over ${warm > 0 ? "the always-ready instances (and on-demand ones when those are full)" : "as few instances as one request at a time each allows"}`,
      );
      break;
    }
    case "cloudflare": {
      // https://developers.cloudflare.com/workers/platform/pricing/: requests and CPU time
      // beyond what the plan includes; parity measures wall time, an upper bound of CPU time.
      const cpuMs = n * billedMs;
      const requestPrice = table.requestPricePerMillion.value;
      const cpuPrice = need(table, "cpuMsPricePerMillion");
      line("compute", "requests", (free("workers requests", table.freeRequestsPerMonth, n) / 1e6) * requestPrice, `${count(n)} requests × $${requestPrice}/M${freeTier ? `, ${count(table.freeRequestsPerMonth?.value ?? 0)} included` : ""}`);
      line("compute", "CPU time", (free("workers CPU-ms", table.freeCpuMsPerMonth, cpuMs) / 1e6) * cpuPrice, `${count(cpuMs)} CPU-ms (wall time, an upper bound) × $${cpuPrice}/M${freeTier ? `, ${count(table.freeCpuMsPerMonth?.value ?? 0)} included` : ""}`);
      perRequestCompute = billedMs * (cpuPrice / 1e6);
      if (warm > 0) assumptions.push("warmInstances has no Workers equivalent (isolates start in milliseconds): not priced");
      break;
    }
  }
  if (warm > 0 && (table.platform === "aws" || table.platform === "gcp")) {
    assumptions.push(`requests spread evenly within each part of the month (${trafficDescriptions[traffic]}), so warm capacity serves ${(warmShare * 100).toFixed(0)} % of them; bursts above ${warm} concurrent requests cost on-demand rates`);
  }
  if (durations.length === 1 && durations[0].count === 1) assumptions.push(`every request takes ${durations[0].ms} ms (stated, not measured)`);
  if (input.stack) stackLines(table, input.stack, { requests: n, durationMs: meanDuration, segments, free, line, assumptions, freeTier });

  const front = table.frontPriceTiers ? table.frontPriceTiers.value[0].pricePerMillion / 1e6 : 0;
  const perRequest = table.requestPricePerMillion.value / 1e6 + front + perRequestCompute;
  return {
    platform: table.platform,
    currency: table.currency,
    region,
    billedMs,
    billedMemoryMb,
    billedVcpu,
    warmInstances: warm,
    freeTier,
    traffic,
    perMillion: perRequest * 1e6,
    perMonth: lines.reduce((total, l) => total + l.usd, 0),
    monthlyRequests: n,
    breakdown: lines,
    assumptions,
  };
}

// ---------------------------------------------------------------------------------------------
// The rest of the stack: the other functions and the services, from what the traffic implies
// ---------------------------------------------------------------------------------------------

/** The stack as deployed, beyond users-api: its other functions and what the traffic asks of them. */
export interface StackUse {
  /** Share of users-api's requests that create a user (POST /users); the rest read one (GET /users/{id}). */
  postShare: number;
  /** The queue worker: one welcome per created user, each message its own delivery. */
  queueWorker: { memoryMb: number; batchSize: number };
  /** The reconciler: one run every `everyMinutes`, one pending-index query per run when nothing is pending. */
  reconciler: { memoryMb: number; everyMinutes: number };
  /** Bytes of log each invocation writes, as the core logger renders it (`logBytes`). */
  logBytes: LogBytes;
}

/**
 * The JSON lines parity's core logger (functions/core/log.ts) writes per invocation, in bytes
 * with the newline, for a platform name of 5 characters ("azure"; aws and gcp are 2 shorter,
 * cloudflare 5 longer: a few bytes a line, below a cent at any volume here). Measured by running
 * the real users-api, queue worker and reconciler with a capturing sink
 * (test/compare/log-volume.ts; test/compare/cost.test.ts checks these against the running code):
 * - GET /users/{id}: the "request" line;
 * - POST /users: "user created" and "request";
 * - a queue delivery of one message: "message processed" and "batch processed";
 * - a reconciler run with nothing pending: "reconciled".
 */
export interface LogBytes {
  get: number;
  post: number;
  message: number;
  reconcile: number;
}

/** The stack's queue-worker and reconciler settings on one platform, as the stack file gives them. */
export function stackUseFor(config: ParityConfig, platform: Platform, postShare = DEFAULT_POST_SHARE): StackUse {
  return stackUseOf(Object.fromEntries(catalog.map((fn) => [fn.name, settingsFor(config, platform, fn.name)])), postShare);
}

/** The same from each catalog function's settings by name (a compare run's `settings`). */
export function stackUseOf(settings: Record<string, FunctionSettings>, postShare = DEFAULT_POST_SHARE): StackUse {
  const named = (kind: "queue" | "schedule") => settings[catalog.find((fn) => fn.trigger.kind === kind)!.name] ?? defaultSettings[kind];
  const queue = named("queue");
  const schedule = named("schedule");
  return {
    postShare,
    queueWorker: { memoryMb: queue.memoryMb, batchSize: queue.batchSize ?? 1 },
    reconciler: { memoryMb: schedule.memoryMb, everyMinutes: schedule.everyMinutes ?? 60 },
    logBytes: measuredLogBytes,
  };
}

/** The measured sizes (see `LogBytes`). */
export const measuredLogBytes: LogBytes = { get: 284, post: 486, message: 499, reconcile: 290 };

/** What users-api's monthly requests imply for the stack's services, per month. */
export interface StackTraffic {
  creates: number;
  reads: number;
  /** Queue messages: one user.created event per create, one welcome each. */
  messages: number;
  reconcilerRuns: number;
}

export function stackTraffic(requests: number, use: Pick<StackUse, "postShare" | "reconciler">): StackTraffic {
  const creates = requests * use.postShare;
  return { creates, reads: requests - creates, messages: creates, reconcilerRuns: SECONDS_PER_MONTH / 60 / use.reconciler.everyMinutes };
}

/** The service prices each platform's stack lines need (pricing/<platform>.json `services`). */
export const serviceKeys: Record<Platform, string[]> = {
  aws: ["dynamodbWriteRequestPerMillion", "dynamodbReadRequestPerMillion", "sqsRequestPerMillion", "sqsFreeRequestsPerMonth", "sqsEmptyReceivesPerMonth", "secretPerMonth", "secretApiCallsPer10k", "schedulerInvocationPerMillion", "schedulerFreeInvocationsPerMonth", "logIngestionPerGb", "logFreeGbPerMonth", "platformLogBytesPerInvocation"],
  gcp: ["firestoreReadsPer100k", "firestoreWritesPer100k", "firestoreFreeReadsPerDay", "firestoreFreeWritesPerDay", "pubsubPerTib", "pubsubFreeGibPerMonth", "pubsubMinimumBytes", "secretVersionPerMonth", "secretFreeVersions", "schedulerJobPerMonth", "schedulerFreeJobs", "logIngestionPerGib", "logFreeGibPerMonth", "platformLogBytesPerInvocation"],
  azure: ["tableTransactionsPer10k", "queueOperationsPer10k", "queueIdlePollsPerMonth", "keyVaultOperationsPer10k", "logIngestionPerGb", "logFreeGbPerMonth", "platformLogBytesPerInvocation"],
  cloudflare: ["d1RowsReadPerMillion", "d1FreeRowsReadPerMonth", "d1RowsWrittenPerMillion", "d1FreeRowsWrittenPerMonth", "queueOperationsPerMillion", "queueFreeOperationsPerMonth", "logEventsPerMillion", "logFreeEventsPerMonth"],
};

/** A month of 730 h in days, for free amounts given per day (Firestore). */
const DAYS_PER_MONTH = 730 / 24;
const GB = 1e9;
const GIB = 2 ** 30;

interface StackContext {
  requests: number;
  durationMs: number;
  segments: TrafficSegment[];
  free: ReturnType<typeof freeAllowance>;
  line: (kind: LineKind, item: string, usd: number, detail: string) => void;
  assumptions: string[];
  freeTier: boolean;
}

function service(table: PricingTable, key: string): PricedValue {
  const entry = table.services?.[key];
  if (!entry) throw new Error(`pricing/${table.platform}.json (${table.region}) has no services.${key}, which the stack's bill needs`);
  return entry;
}

/**
 * The queue-worker and reconciler compute, then the store, queue, secrets, scheduler and logs,
 * each from what the traffic implies and each store operation as the code performs it
 * (functions/<platform>/). Their durations are users-api's (stated or measured), said so.
 */
function stackLines(table: PricingTable, use: StackUse, context: StackContext): void {
  const { line, free, durationMs, segments } = context;
  const t = stackTraffic(context.requests, use);
  const price = (key: string) => service(table, key).value;
  const n = (value: number) => count(value);
  const freeNote = (value: PricedValue, unit = "") => (context.freeTier ? `, ${count(value.value)}${unit} free` : "");
  const increment = table.billingIncrementMs.value;
  const minimum = table.minimumBilledMs?.value ?? 0;
  const billed = billedDurationMs(durationMs, increment, minimum);
  const logBytes = t.reads * use.logBytes.get + t.creates * use.logBytes.post + t.messages * use.logBytes.message + t.reconcilerRuns * use.logBytes.reconcile;
  const invocations = context.requests + t.messages + t.reconcilerRuns;
  context.assumptions.push(
    `${(use.postShare * 100).toFixed(0)} % of requests create a user (${n(t.creates)} creates, ${n(t.reads)} reads), each create one queue message and one welcome; ${n(t.reconcilerRuns)} reconciler runs finding nothing pending; queue-worker and reconciler invocations take ${Number(durationMs.toFixed(1))} ms like users-api's, one message per queue invocation (batches fill only under a backlog)`,
  );

  // Other functions' compute, on the same account's free amounts.
  const others = [
    { name: "queue-worker", count: t.messages, memoryMb: use.queueWorker.memoryMb, concurrency: use.queueWorker.batchSize },
    { name: "reconciler", count: t.reconcilerRuns, memoryMb: use.reconciler.memoryMb, concurrency: 1 },
  ];
  for (const fn of others) {
    switch (table.platform) {
      case "aws": {
        const gbSeconds = (fn.count * billed * fn.memoryMb) / 1024 / 1000;
        const usd = (free("lambda requests", table.freeRequestsPerMonth, fn.count) / 1e6) * table.requestPricePerMillion.value + free("lambda GB-s", table.freeGbSecondsPerMonth, gbSeconds) * need(table, "gbSecondPrice");
        line("compute", fn.name, usd, `${n(fn.count)} invocations × $${table.requestPricePerMillion.value}/M + ${n(gbSeconds)} GB-s (${fn.memoryMb} MB × ${billed} ms) × $${need(table, "gbSecondPrice")}, from what the free tier leaves`);
        break;
      }
      case "gcp": {
        const tier = gcpMemoryTier(fn.memoryMb);
        const seconds = (fn.count * billed) / 1000;
        const usd =
          (free("run requests", table.freeRequestsPerMonth, fn.count) / 1e6) * table.requestPricePerMillion.value +
          free("run vCPU-s", table.freeVcpuSecondsPerMonth, seconds * tier.vcpu) * need(table, "vcpuSecondPrice") +
          free("run GiB-s", table.freeGbSecondsPerMonth, (seconds * tier.mb) / 1024) * need(table, "gbSecondPrice");
        line("compute", fn.name, usd, `${n(fn.count)} requests, ${n(seconds * tier.vcpu)} vCPU-s and ${n((seconds * tier.mb) / 1024)} GiB-s (${tier.mb} MiB tier, ${billed} ms each), from what the free tier leaves`);
        break;
      }
      case "azure": {
        // Each Flex function group scales on its own instances: the queue app by the host.json
        // batch, the timer's runs each an activity window of their own.
        const gb = nearestInstanceMemory(fn.memoryMb) / 1024;
        const activity = flexActivityOver(fn.name === "reconciler" ? [{ name: "all month", timeShare: 1, requestShare: 1 }] : segments, fn.count, durationMs, fn.concurrency, 0, minimum, increment);
        const gbSeconds = sum(activity, (a) => a.onDemandSeconds) * gb;
        const usd = (free("flex executions", table.freeRequestsPerMonth, fn.count) / 1e6) * table.requestPricePerMillion.value + free("flex GB-s", table.freeGbSecondsPerMonth, gbSeconds) * need(table, "gbSecondPrice");
        line("compute", fn.name, usd, `${n(fn.count)} executions × $${table.requestPricePerMillion.value}/M + ${n(gbSeconds)} GB-s (${gb * 1024} MB instance, billed ${(activity[0].billedFraction * 100).toFixed(1)} % of the time at ${fn.concurrency} at once) × $${need(table, "gbSecondPrice")}, from what the free grant leaves`);
        break;
      }
      case "cloudflare": {
        const cpuMs = fn.count * billed;
        const usd = (free("workers requests", table.freeRequestsPerMonth, fn.count) / 1e6) * table.requestPricePerMillion.value + (free("workers CPU-ms", table.freeCpuMsPerMonth, cpuMs) / 1e6) * need(table, "cpuMsPricePerMillion");
        line("compute", fn.name, usd, `${n(fn.count)} invocations, ${n(cpuMs)} CPU-ms (wall time, an upper bound), from what the plan's included usage leaves`);
        break;
      }
    }
  }

  switch (table.platform) {
    case "aws": {
      // DynamoDB on demand (functions/aws/dynamodb-store.ts): a create is one TransactWriteItems
      // of two items (user, email guard), 2 WRU each as transactional writes, plus the sparse
      // pending index's write; a read is a strongly consistent GetItem (1 RRU); a welcome a
      // conditional UpdateItem (1 WRU) and the index entry it removes (1 WRU); a reconciler run
      // one eventually consistent Query on the index (0.5 RRU). Items under 1 KB.
      // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
      const writeUnits = t.creates * 5 + t.messages * 2;
      const readUnits = t.reads * 1 + t.reconcilerRuns * 0.5;
      line("store", "DynamoDB writes", (writeUnits / 1e6) * price("dynamodbWriteRequestPerMillion"), `${n(writeUnits)} WRU (5 per create: 2 transactional items × 2 + the pending index; 2 per welcome) × $${price("dynamodbWriteRequestPerMillion")}/M`);
      line("store", "DynamoDB reads", (readUnits / 1e6) * price("dynamodbReadRequestPerMillion"), `${n(readUnits)} RRU (1 per GET, 0.5 per reconciler query) × $${price("dynamodbReadRequestPerMillion")}/M`);
      // SQS standard: SendMessage, the Lambda poller's ReceiveMessage and DeleteMessage per
      // message at low rates, plus the poller's empty long polls.
      const requests = t.messages * 3 + price("sqsEmptyReceivesPerMonth");
      line("queue", "SQS requests", (free("sqs", service(table, "sqsFreeRequestsPerMonth"), requests) / 1e6) * price("sqsRequestPerMillion"), `${n(t.messages)} messages × 3 (send, receive, delete) + ${n(price("sqsEmptyReceivesPerMonth"))} empty long polls = ${n(requests)} requests × $${price("sqsRequestPerMillion")}/M${freeNote(service(table, "sqsFreeRequestsPerMonth"))}`);
      // functions/aws/secrets.ts caches the key for the life of an instance: one call per instance start.
      line("secrets", "Secrets Manager", price("secretPerMonth"), `1 secret × $${price("secretPerMonth")}/month; GetSecretValue once per instance start (cached in module scope): $${price("secretApiCallsPer10k")} per 10,000 starts, not counted`);
      line("scheduler", "EventBridge Scheduler", (free("scheduler", service(table, "schedulerFreeInvocationsPerMonth"), t.reconcilerRuns) / 1e6) * price("schedulerInvocationPerMillion"), `${n(t.reconcilerRuns)} invocations × $${price("schedulerInvocationPerMillion")}/M${freeNote(service(table, "schedulerFreeInvocationsPerMonth"))}`);
      break;
    }
    case "gcp": {
      // Firestore (functions/gcp/firestore-store.ts): a create is a transaction of two create()s
      // (2 writes); a read one document get; a welcome a transaction's get and update (1 read,
      // 1 write); a reconciler query at least one read even when empty.
      // https://cloud.google.com/firestore/pricing
      const reads = t.reads + t.messages + t.reconcilerRuns;
      const writes = t.creates * 2 + t.messages;
      const freeReads = service(table, "firestoreFreeReadsPerDay");
      const freeWrites = service(table, "firestoreFreeWritesPerDay");
      line("store", "Firestore reads", (free("firestore reads", { ...freeReads, value: freeReads.value * DAYS_PER_MONTH }, reads) / 1e5) * price("firestoreReadsPer100k"), `${n(reads)} document reads (GET, welcome, reconciler query) × $${price("firestoreReadsPer100k")}/100k${context.freeTier ? `, ${n(freeReads.value)} a day free` : ""}`);
      line("store", "Firestore writes", (free("firestore writes", { ...freeWrites, value: freeWrites.value * DAYS_PER_MONTH }, writes) / 1e5) * price("firestoreWritesPer100k"), `${n(writes)} document writes (2 per create, 1 per welcome) × $${price("firestoreWritesPer100k")}/100k${context.freeTier ? `, ${n(freeWrites.value)} a day free` : ""}`);
      // Pub/Sub bills throughput with a 1,000-byte minimum per publish request and per
      // delivery; parity publishes one event per request and push delivers one per request.
      const bytes = t.messages * 2 * price("pubsubMinimumBytes");
      line("queue", "Pub/Sub throughput", (free("pubsub", { ...service(table, "pubsubFreeGibPerMonth"), value: service(table, "pubsubFreeGibPerMonth").value * GIB }, bytes) / 2 ** 40) * price("pubsubPerTib"), `${n(t.messages)} messages × 2 (publish, push delivery) × ${n(price("pubsubMinimumBytes"))} bytes minimum = ${(bytes / GIB).toFixed(2)} GiB × $${price("pubsubPerTib")}/TiB${freeNote(service(table, "pubsubFreeGibPerMonth"), " GiB")}`);
      // The key is resolved into an environment variable at instance start (functions/gcp/api-key.ts).
      line("secrets", "Secret Manager", free("secret versions", service(table, "secretFreeVersions"), 1) * price("secretVersionPerMonth"), `1 active secret version × $${price("secretVersionPerMonth")}/month${freeNote(service(table, "secretFreeVersions"), " versions")}; resolved once per instance start into an environment variable, its access operations not counted`);
      line("scheduler", "Cloud Scheduler", free("scheduler jobs", service(table, "schedulerFreeJobs"), 1) * price("schedulerJobPerMonth"), `1 job × $${price("schedulerJobPerMonth")}/month${freeNote(service(table, "schedulerFreeJobs"), " jobs")}`);
      break;
    }
    case "azure": {
      // Table Storage (functions/azure/store.ts): a create is one entity group transaction; a
      // read one point query; a welcome a point read and one transaction; a reconciler run one
      // range query. An entity group transaction is counted as one transaction here.
      const transactions = t.creates + t.reads + t.messages * 2 + t.reconcilerRuns;
      line("store", "Table Storage transactions", (transactions / 1e4) * price("tableTransactionsPer10k"), `${n(transactions)} transactions (1 per create, 1 per GET, 2 per welcome, 1 per reconciler run) × $${price("tableTransactionsPer10k")}/10k`);
      // Queue Storage: put, get and delete per message at low rates, and the host's idle polls.
      const operations = t.messages * 3 + price("queueIdlePollsPerMonth");
      line("queue", "Queue Storage operations", (operations / 1e4) * price("queueOperationsPer10k"), `${n(t.messages)} messages × 3 (put, get, delete) + ${n(price("queueIdlePollsPerMonth"))} idle polls = ${n(operations)} operations × $${price("queueOperationsPer10k")}/10k`);
      // The key is an app setting holding a Key Vault reference, resolved by the platform at
      // start and refreshed daily (functions/azure/users-api.ts): about one read a day per app.
      const reads = 3 * DAYS_PER_MONTH;
      line("secrets", "Key Vault", (reads / 1e4) * price("keyVaultOperationsPer10k"), `about ${n(reads)} secret reads (3 apps, one a day: Key Vault references are resolved by the platform and cached) × $${price("keyVaultOperationsPer10k")}/10k`);
      line("scheduler", "Timer trigger", 0, "no scheduler charge: the runs are the reconciler's executions, priced above");
      break;
    }
    case "cloudflare": {
      // D1 (functions/cloudflare/store.ts): rows written count index entries; a create inserts
      // the row (its unique email index and the pending index as well), a welcome updates one
      // row and leaves the pending index; a GET reads one row, a welcome one, a reconciler run
      // at least one.
      const written = t.creates * 3 + t.messages * 2;
      const read = t.reads + t.messages + t.reconcilerRuns;
      line("store", "D1 rows written", (free("d1 written", service(table, "d1FreeRowsWrittenPerMonth"), written) / 1e6) * price("d1RowsWrittenPerMillion"), `${n(written)} rows (3 per create with its indexes, 2 per welcome) × $${price("d1RowsWrittenPerMillion")}/M${freeNote(service(table, "d1FreeRowsWrittenPerMonth"))}`);
      line("store", "D1 rows read", (free("d1 read", service(table, "d1FreeRowsReadPerMonth"), read) / 1e6) * price("d1RowsReadPerMillion"), `${n(read)} rows × $${price("d1RowsReadPerMillion")}/M${freeNote(service(table, "d1FreeRowsReadPerMonth"))}`);
      // Queues: a write, a read and a delete per message (each up to 64 KB).
      const operations = t.messages * 3;
      line("queue", "Queues operations", (free("queues", service(table, "queueFreeOperationsPerMonth"), operations) / 1e6) * price("queueOperationsPerMillion"), `${n(t.messages)} messages × 3 (write, read, delete) × $${price("queueOperationsPerMillion")}/M${freeNote(service(table, "queueFreeOperationsPerMonth"))}`);
      line("secrets", "secret binding", 0, "a secret_text binding in the Worker's env: no charge, no fetch");
      line("scheduler", "Cron Trigger", 0, `no separate charge: ${n(t.reconcilerRuns)} runs are reconciler invocations, priced above`);
      // Workers Logs bills log events: each console line and each invocation's own log.
      const lineCount = t.reads + t.creates * 2 + t.messages * 2 + t.reconcilerRuns;
      const events = lineCount + invocations;
      line("logs", "Workers Logs", (free("log events", service(table, "logFreeEventsPerMonth"), events) / 1e6) * price("logEventsPerMillion"), `${n(lineCount)} log lines + ${n(invocations)} invocation logs = ${n(events)} events × $${price("logEventsPerMillion")}/M${freeNote(service(table, "logFreeEventsPerMonth"))}`);
      return;
    }
  }
  // Log ingestion by volume: the core logger's JSON lines and the platform's own per-invocation records.
  const platformBytes = invocations * price("platformLogBytesPerInvocation");
  const unit = table.platform === "gcp" ? GIB : GB;
  const perUnit = table.platform === "gcp" ? price("logIngestionPerGib") : price("logIngestionPerGb");
  const freeUnits = service(table, table.platform === "gcp" ? "logFreeGibPerMonth" : "logFreeGbPerMonth");
  const volume = (logBytes + platformBytes) / unit;
  const unitName = table.platform === "gcp" ? "GiB" : "GB";
  line("logs", { aws: "CloudWatch Logs", gcp: "Cloud Logging", azure: "Log Analytics (Application Insights)", cloudflare: "" }[table.platform], free("log ingestion", freeUnits, volume) * perUnit, `${(logBytes / unit).toFixed(2)} ${unitName} of JSON lines (${use.logBytes.get} B per GET, ${use.logBytes.post} per POST, ${use.logBytes.message} per message) + ${(platformBytes / unit).toFixed(2)} ${unitName} of the platform's own records (${price("platformLogBytesPerInvocation")} B per invocation) × $${perUnit}/${unitName}${freeNote(freeUnits, ` ${unitName}`)}`);
}

type NumericKey = { [K in keyof PricingTable]-?: PricingTable[K] extends PricedValue | undefined ? K : never }[keyof PricingTable];

function need(table: PricingTable, key: NumericKey): number {
  const entry = table[key] as PricedValue | undefined;
  if (!entry) throw new Error(`pricing/${table.platform}.json (${table.region}) has no ${key}, which this estimate needs`);
  return entry.value;
}

/** `CostLine[]` as "item $x, item $y" for one-line summaries. */
export function formatBreakdown(lines: CostLine[]): string {
  const parts = lines.filter((l) => l.usd >= 0.005).map((l) => `${l.item} ${usd(l.usd)}`);
  return parts.length ? parts.join(", ") : "within the free tier";
}

/** Assumptions of the offline cost estimate (`npm run plan`); `npm run compare` measures the durations. */
export interface CostAssumptions {
  /** users-api request duration, ms, every request alike. @default 50 */
  durationMs: number;
  /** @default 10,000,000 */
  monthlyRequests: number;
  /** Count the accounts' free tiers (`--no-free-tier`: false). @default true */
  freeTier?: boolean;
  /** `--traffic`. @default "steady" */
  traffic?: TrafficShape;
  /** Share of requests that create a user. @default 0.1 */
  postShare?: number;
}

/** Share of users-api's requests that create a user when nothing says otherwise: one create for nine reads. */
export const DEFAULT_POST_SHARE = 0.1;

/** The cost part of `npm run plan`'s report. */
export interface CostSection {
  assumptions: CostAssumptions;
  estimates: CostEstimate[];
  notModelled: string[];
  freeTier: string;
  /** Per platform, the prices that could not be read on the vendor's page, and why. */
  unverified: Partial<Record<Platform, string[]>>;
}

/** `npm run plan`'s cost section: one block per platform, each line item with how it was computed. */
export function formatCostSection(cost: CostSection): string[] {
  const { assumptions } = cost;
  const free = assumptions.freeTier ?? true;
  const out = [
    `\nCost estimate of the stack per month (list prices from pricing/*.json; assumed ${assumptions.durationMs} ms per request, ` +
      `${assumptions.monthlyRequests.toLocaleString("en")} users-api requests a month (stated, not measured), traffic ${trafficDescriptions[assumptions.traffic ?? "steady"]}; the stack's memory, warmInstances, batch sizes, schedules and regions; free tiers ${free ? "applied, once per account" : "left out (--no-free-tier)"})`,
  ];
  for (const e of cost.estimates) {
    const memory = e.billedMemoryMb > 0 ? `${e.billedMemoryMb} MB billed${e.billedVcpu ? ` (${e.billedVcpu} vCPU)` : ""}` : "memory not billed";
    out.push(
      `  ${e.platform}: ${e.currency} ${e.perMonth.toFixed(2)} a month; ${e.currency} ${e.perMillion.toFixed(2)} per 1M more requests on demand; ` +
        `prices of ${e.region.prices}; users-api ${memory}; billed ${Number(e.billedMs.toFixed(1))} ms per request; warm ${e.warmInstances}`,
    );
    if (e.region.note) out.push(`    NOTE: ${e.region.note}`);
    out.push(columns(e.breakdown.map((l) => [`    ${l.kind}`, l.item, l.usd.toFixed(2).padStart(8), l.detail])));
    const byKind = lineKinds.map((kind) => `${kind} ${sum(e.breakdown.filter((l) => l.kind === kind), (l) => l.usd).toFixed(2)}`);
    out.push(`    by kind: ${byKind.join(", ")}`);
    for (const assumption of e.assumptions) out.push(`    assumes ${assumption}`);
  }
  out.push(`  Free tiers: ${cost.freeTier}`);
  out.push(`  Not included: ${cost.notModelled.join("; ")}.`);
  const unverified = Object.entries(cost.unverified);
  if (unverified.length > 0) {
    out.push("  Prices not read on the vendor's own page (check before you publish a figure):");
    for (const [platform, items] of unverified) for (const item of items ?? []) out.push(`    ${platform} ${item}`);
  }
  return out;
}

/** Rows as left-aligned plain-text columns, two spaces apart (the plan's tables). */
export function columns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/** The pricing tables shipped in `pricing/`, one file per platform, one table per region. */
export const defaultPricingDir = path.resolve(__dirname, "..", "pricing");

/**
 * Loads pricing tables: every `*.json` of `dir`, then `overrides` (a user's file or
 * directory, from `--pricing`) replacing the tables of the platform and region it names.
 */
export function loadPricing(dir = defaultPricingDir, overrides?: string): PricingTables {
  const tables: PricingTables = new Map();
  const add = (file: string) => {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    for (const raw of Array.isArray(parsed) ? parsed : [parsed]) {
      const table = checkPricingTable(raw, file);
      const list = (tables.get(table.platform) ?? []).filter((t) => t.region !== table.region);
      // A user's table goes first: it is the one used when no region matches.
      tables.set(table.platform, [table, ...list]);
    }
  };
  const filesOf = (where: string) =>
    fs.statSync(where).isDirectory()
      ? // Stryker disable next-line MethodExpression: without .sort() the order is the same, as Node's readdir (libuv scandir) already returns names sorted; the .json filter on this line is tested ("loads only the .json files").
        fs.readdirSync(where).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(where, f))
      : [where];
  for (const file of filesOf(dir)) add(file);
  // Shipped files list their tables in order of preference; `add` put each at the front.
  for (const [platform, list] of tables) tables.set(platform, list.reverse());
  if (overrides) for (const file of filesOf(overrides)) add(file);
  return tables;
}

const numericKeys = [
  "monthlyFee",
  "requestPricePerMillion",
  "gbSecondPrice",
  "vcpuSecondPrice",
  "cpuMsPricePerMillion",
  "billingIncrementMs",
  "minimumBilledMs",
  "freeRequestsPerMonth",
  "freeGbSecondsPerMonth",
  "freeVcpuSecondsPerMonth",
  "freeCpuMsPerMonth",
  "warmCapacityGbSecondPrice",
  "warmCapacityVcpuSecondPrice",
  "warmExecutionGbSecondPrice",
  "warmRequestPricePerMillion",
] as const;

/** Rejects a table with a missing price or a number without source and date. */
export function checkPricingTable(raw: unknown, file: string): PricingTable {
  const fail = (message: string): never => {
    throw new Error(`${file}: ${message}`);
  };
  if (typeof raw !== "object" || raw === null) fail("a pricing table must be a JSON object");
  const table = raw as Record<string, unknown>;
  if (!(platforms as readonly unknown[]).includes(table.platform)) fail(`platform must be one of ${platforms.join(", ")}`);
  if (typeof table.currency !== "string") fail("currency is required (e.g. USD)");
  if (typeof table.region !== "string" || table.region === "") fail("region is required: the price list's region (e.g. eu-west-1)");
  if (!Array.isArray(table.regions) || table.regions.length === 0 || !table.regions.every((r) => typeof r === "string")) {
    fail('regions must list the stack regions these prices are for (["*"] for a global price list)');
  }
  for (const key of ["requestPricePerMillion", "billingIncrementMs"]) {
    if (table[key] === undefined) fail(`${key} is required`);
  }
  for (const key of [...numericKeys, "frontPriceTiers"]) {
    const entry = table[key] as Partial<PricedValue<unknown>> | undefined;
    if (entry === undefined) continue;
    if (typeof entry !== "object" || entry === null) fail(`${key} must be { value, source, read }`);
    if ((numericKeys as readonly string[]).includes(key) && !(typeof entry.value === "number" && entry.value >= 0)) {
      fail(`${key}.value must be a number ≥ 0`);
    }
    if (key === "frontPriceTiers") {
      const tiers = entry.value as PriceTier[];
      const ok =
        Array.isArray(tiers) &&
        tiers.length > 0 &&
        tiers.every((t, i) => typeof t.pricePerMillion === "number" && t.pricePerMillion >= 0 && (t.upToMillions === null ? i === tiers.length - 1 : typeof t.upToMillions === "number" && t.upToMillions > 0)) &&
        tiers[tiers.length - 1].upToMillions === null;
      if (!ok) fail("frontPriceTiers.value must be [{ upToMillions, pricePerMillion }, …], the last with upToMillions null");
    }
    if (typeof entry.source !== "string" || entry.source === "") fail(`${key}.source must say where the value was read`);
    if (typeof entry.read !== "string" || Number.isNaN(Date.parse(entry.read))) fail(`${key}.read must be the date it was read (YYYY-MM-DD)`);
  }
  if (table.services !== undefined) {
    if (typeof table.services !== "object" || table.services === null || Array.isArray(table.services)) fail("services must map a name to { value, source, read }");
    for (const [key, entry] of Object.entries(table.services as Record<string, Partial<PricedValue<unknown>> | null>)) {
      if (typeof entry !== "object" || entry === null || !(typeof entry.value === "number" && entry.value >= 0)) fail(`services.${key}.value must be a number ≥ 0`);
      if (typeof entry!.source !== "string" || entry!.source === "") fail(`services.${key}.source must say where the value was read`);
      if (typeof entry!.read !== "string" || Number.isNaN(Date.parse(entry!.read))) fail(`services.${key}.read must be the date it was read (YYYY-MM-DD)`);
    }
  }
  if (!table.gbSecondPrice && !table.cpuMsPricePerMillion && !table.vcpuSecondPrice) {
    fail("needs at least one of gbSecondPrice, vcpuSecondPrice or cpuMsPricePerMillion");
  }
  return table as unknown as PricingTable;
}

/** Every price of a table that could not be read on the vendor's page, as "key: why". */
export function unverifiedPrices(table: PricingTable): string[] {
  const entries = [...Object.entries(table), ...Object.entries(table.services ?? {}).map(([k, v]) => [`services.${k}`, v] as [string, unknown])];
  return entries.filter(([, v]) => typeof (v as PricedValue | null)?.unverified === "string").map(([k, v]) => `${k}: ${(v as PricedValue).unverified}`);
}
