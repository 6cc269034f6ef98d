/**
 * What users-api costs a month on each platform, by the vendor's billing rules: per-request
 * fees, compute billed per request (each sample rounded to the vendor's increment and
 * minimum), warm capacity (provisioned concurrency, min instances, always-ready) as its own
 * line, the AWS HTTP front with its tiers, the Workers plan, and free tiers (optional, since
 * they belong to the account and are shared). Prices are data (`pricing/*.json`, one table
 * per platform and region, every number with its source and the date it was read); the
 * rules are code, below, each with its source.
 *
 * Not modelled: init / start-up time (Lambda bills init, Cloud Run bills container start-up),
 * stores, queues, secrets, logs, egress, build and registry. `notModelled` says so in every
 * report.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { platforms, type Platform } from "../components/catalog";
import { nearestInstanceMemory } from "../components/azure/rules";
import { gcpMemoryTier } from "../components/gcp/rules";

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
  /** Count the account's free tiers against this function alone. @default true */
  freeTier?: boolean;
}

/** One line of a monthly bill. */
export interface CostLine {
  item: string;
  usd: number;
  /** How it was computed, with the quantities. */
  detail: string;
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

/** What no estimate includes; every report states it. */
export const notModelled = [
  "init and start-up time (Lambda bills init duration; Cloud Run bills container start-up)",
  "stores (DynamoDB, Firestore, Table Storage, D1)",
  "queues (SQS, Pub/Sub, Storage Queues, Queues)",
  "secrets (Secrets Manager, Secret Manager, Key Vault)",
  "logs and monitoring",
  "egress (data transfer out)",
  "build and registry (Cloud Build, Artifact Registry, deployment storage)",
  "the queue-worker and reconciler functions",
];

/** Free tiers, as the issue and the vendors put it: per account, shared by everything in it. */
export const freeTierNote =
  "Free tiers belong to the AWS account, the Google Cloud billing account, the Azure subscription or the Cloudflare account, and are shared by every function and stack in it; here they are all given to users-api. `--no-free-tier` leaves them out.";

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
          : `prices of ${table.regionName ?? table.region} used: the stack deploys to ${stackRegion}, whose prices differ and are not in pricing/`,
    },
  };
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const count = (n: number) => Math.round(n).toLocaleString("en-US");
const beyond = (used: number, free: PricedValue | undefined, freeTier: boolean) => Math.max(0, used - (freeTier ? (free?.value ?? 0) : 0));

/** The per-request durations as a distribution (a stated duration is one bucket). */
function distributionOf(input: CostInput): Durations {
  if (input.durations && input.durations.length > 0) return input.durations;
  if (input.durationMs !== undefined) return [{ ms: input.durationMs, count: 1 }];
  throw new Error("a cost needs durationMs or durations");
}

/**
 * The monthly cost of users-api on `table.platform`. `region` says whose prices they are
 * (from `pricingFor`).
 */
export function estimateCost(table: PricingTable, input: CostInput, region: CostEstimate["region"] = { prices: table.regionName ?? table.region }): CostEstimate {
  const durations = distributionOf(input);
  const n = input.monthlyRequests;
  const warm = input.warmInstances ?? 0;
  const freeTier = input.freeTier ?? true;
  const lines: CostLine[] = [];
  const assumptions: string[] = [];
  const line = (item: string, amount: number, detail: string) => lines.push({ item, usd: amount, detail });
  const increment = table.billingIncrementMs.value;
  const minimum = table.minimumBilledMs?.value ?? 0;
  const billedMs = meanBilledMs(durations, increment, minimum);
  const busySeconds = (n * billedMs) / 1000;
  const warmSeconds = warm * SECONDS_PER_MONTH;
  // Share of the requests warm capacity serves, traffic spread evenly over the month: warm
  // instances are occupied for the requests' real durations (billing rounds them up later);
  // bursts above `warm` concurrent requests spill over to on-demand rates.
  const occupiedSeconds = (n * meanMs(durations)) / 1000;
  const warmShare =
    warm === 0
      ? 0
      : // Stryker disable next-line ConditionalExpression,EqualityOperator: true and >= are equivalent: at 0 occupied seconds, warmSeconds / 0 is Infinity and min(1, Infinity) is the same 1.
        occupiedSeconds > 0
        ? Math.min(1, warmSeconds / occupiedSeconds)
        : 1;
  // The rest, billed at on-demand rates; with no warm capacity, all of it.
  const onDemandShare = 1 - warmShare;
  let billedMemoryMb = 0;
  let billedVcpu = 0;
  let perRequestCompute = 0;

  if (table.monthlyFee) line("plan fee", table.monthlyFee.value, "Workers Paid, per account and month");

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
      line("requests", (beyond(n, table.freeRequestsPerMonth, useFree) / 1e6) * requestPrice, `${count(n)} requests × $${requestPrice}/M${useFree ? `, ${count(table.freeRequestsPerMonth?.value ?? 0)} free` : warm > 0 ? ", no free tier (provisioned concurrency)" : ""}`);
      if (warm > 0) {
        const capacityPrice = need(table, "warmCapacityGbSecondPrice");
        const executionPrice = need(table, "warmExecutionGbSecondPrice");
        line("warm capacity: provisioned concurrency", warmSeconds * gb * capacityPrice, `${warm} × ${billedMemoryMb} MB × ${count(SECONDS_PER_MONTH)} s × $${capacityPrice}/GB-s`);
        line("duration on provisioned concurrency", busySeconds * warmShare * gb * executionPrice, `${count(busySeconds * warmShare * gb)} GB-s × $${executionPrice}`);
      }
      const onDemandGbSeconds = busySeconds * onDemandShare * gb;
      const gbPrice = need(table, "gbSecondPrice");
      if (onDemandShare > 0) {
        line("duration", beyond(onDemandGbSeconds, table.freeGbSecondsPerMonth, useFree) * gbPrice, `${count(onDemandGbSeconds)} GB-s (each request rounded up to ${increment} ms) × $${gbPrice}${useFree ? `, ${count(table.freeGbSecondsPerMonth?.value ?? 0)} free` : ""}`);
      }
      perRequestCompute = (billedMs / 1000) * gb * gbPrice;
      if (table.frontPriceTiers) {
        const tiers = table.frontPriceTiers.value;
        line("HTTP API (API Gateway)", tieredCost(n, tiers), `${count(n)} requests: ${tiers.map((t) => `$${t.pricePerMillion}/M ${t.upToMillions === null ? "beyond" : `to ${t.upToMillions} M`}`).join(", ")}; its 12-month free tier left out`);
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
      const gbPrice = need(table, "gbSecondPrice");
      const vcpuPrice = need(table, "vcpuSecondPrice");
      line("requests", (beyond(n, table.freeRequestsPerMonth, freeTier) / 1e6) * requestPrice, `${count(n)} requests × $${requestPrice}/M${freeTier ? `, ${count(table.freeRequestsPerMonth?.value ?? 0)} free` : ""}`);
      line("CPU (active)", beyond(busySeconds * tier.vcpu, table.freeVcpuSecondsPerMonth, freeTier) * vcpuPrice, `${count(busySeconds * tier.vcpu)} vCPU-s (${tier.vcpu} vCPU, each request rounded up to ${increment} ms) × $${vcpuPrice}${freeTier ? `, ${count(table.freeVcpuSecondsPerMonth?.value ?? 0)} free` : ""}`);
      line("memory (active)", beyond(busySeconds * gib, table.freeGbSecondsPerMonth, freeTier) * gbPrice, `${count(busySeconds * gib)} GiB-s (${tier.mb} MiB tier) × $${gbPrice}${freeTier ? `, ${count(table.freeGbSecondsPerMonth?.value ?? 0)} free` : ""}`);
      if (warm > 0) {
        // https://cloud.google.com/run/docs/configuring/min-instances: min instances stay running
        // while idle; idle instance time is billed at the idle rates, busy time at the active ones.
        const idleSeconds = Math.max(0, warmSeconds - busySeconds);
        const idleVcpu = need(table, "warmCapacityVcpuSecondPrice");
        const idleGb = need(table, "warmCapacityGbSecondPrice");
        line("warm capacity: idle min instances", idleSeconds * (tier.vcpu * idleVcpu + gib * idleGb), `${warm} × ${count(SECONDS_PER_MONTH)} s − ${count(Math.min(warmSeconds, busySeconds))} s busy = ${count(idleSeconds)} idle s × (${tier.vcpu} vCPU × $${idleVcpu} + ${gib} GiB × $${idleGb})`);
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
      // parity deploys (components/azure/rules.ts).
      billedMemoryMb = nearestInstanceMemory(input.memoryMb);
      const gb = billedMemoryMb / 1024;
      const requestPrice = table.requestPricePerMillion.value;
      const gbPrice = need(table, "gbSecondPrice");
      if (warm > 0) {
        // https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#billing: always
        // ready bills the baseline (memory of every always-ready instance, whether busy or not),
        // its execution time and its executions, with no free grants.
        const baseline = need(table, "warmCapacityGbSecondPrice");
        const executionPrice = need(table, "warmExecutionGbSecondPrice");
        const warmRequestPrice = need(table, "warmRequestPricePerMillion");
        line("warm capacity: always-ready baseline", warmSeconds * gb * baseline, `${warm} × ${billedMemoryMb} MB × ${count(SECONDS_PER_MONTH)} s × $${baseline}/GB-s`);
        line("executions (always ready)", ((n * warmShare) / 1e6) * warmRequestPrice, `${count(n * warmShare)} executions × $${warmRequestPrice}/M, no free grant`);
        line("execution time (always ready)", busySeconds * warmShare * gb * executionPrice, `${count(busySeconds * warmShare * gb)} GB-s (each execution ≥ ${minimum} ms, then ${increment} ms steps) × $${executionPrice}`);
      }
      if (onDemandShare > 0) {
        line("executions (on demand)", (beyond(n * onDemandShare, table.freeRequestsPerMonth, freeTier) / 1e6) * requestPrice, `${count(n * onDemandShare)} executions × $${requestPrice}/M${freeTier ? `, ${count(table.freeRequestsPerMonth?.value ?? 0)} free` : ""}`);
        line("execution time (on demand)", beyond(busySeconds * onDemandShare * gb, table.freeGbSecondsPerMonth, freeTier) * gbPrice, `${count(busySeconds * onDemandShare * gb)} GB-s (each execution ≥ ${minimum} ms, then ${increment} ms steps) × $${gbPrice}${freeTier ? `, ${count(table.freeGbSecondsPerMonth?.value ?? 0)} free` : ""}`);
      }
      perRequestCompute = (billedMs / 1000) * gb * gbPrice;
      assumptions.push(
        `each execution billed as its own activity period, at least ${minimum} ms then rounded up to ${increment} ms (https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#billing): parity's HTTP app serves one request per instance, so this is exact when requests do not follow back to back on one instance, an upper bound when periods merge`,
      );
      break;
    }
    case "cloudflare": {
      // https://developers.cloudflare.com/workers/platform/pricing/: requests and CPU time
      // beyond what the plan includes; parity measures wall time, an upper bound of CPU time.
      const cpuMs = n * billedMs;
      const requestPrice = table.requestPricePerMillion.value;
      const cpuPrice = need(table, "cpuMsPricePerMillion");
      line("requests", (beyond(n, table.freeRequestsPerMonth, freeTier) / 1e6) * requestPrice, `${count(n)} requests × $${requestPrice}/M${freeTier ? `, ${count(table.freeRequestsPerMonth?.value ?? 0)} included` : ""}`);
      line("CPU time", (beyond(cpuMs, table.freeCpuMsPerMonth, freeTier) / 1e6) * cpuPrice, `${count(cpuMs)} CPU-ms (wall time, an upper bound) × $${cpuPrice}/M${freeTier ? `, ${count(table.freeCpuMsPerMonth?.value ?? 0)} included` : ""}`);
      perRequestCompute = billedMs * (cpuPrice / 1e6);
      if (warm > 0) assumptions.push("warmInstances has no Workers equivalent (isolates start in milliseconds): not priced");
      break;
    }
  }
  if (warm > 0 && (table.platform === "aws" || table.platform === "azure")) {
    assumptions.push(`requests spread evenly over the month, so warm capacity serves ${(warmShare * 100).toFixed(0)} % of them; bursts above ${warm} concurrent requests cost on-demand rates`);
  }
  if (durations.length === 1 && durations[0].count === 1) assumptions.push(`every request takes ${durations[0].ms} ms (stated, not measured)`);

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
    perMillion: perRequest * 1e6,
    perMonth: lines.reduce((sum, l) => sum + l.usd, 0),
    monthlyRequests: n,
    breakdown: lines,
    assumptions,
  };
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
  /** Count the accounts' free tiers against users-api (`--no-free-tier`: false). @default true */
  freeTier?: boolean;
}

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
    `\nCost estimate of users-api per month (list prices from pricing/*.json; assumed ${assumptions.durationMs} ms per request, ` +
      `${assumptions.monthlyRequests.toLocaleString("en")} requests a month (stated, not measured); the stack's memory, warmInstances and regions; free tiers ${free ? "applied" : "left out (--no-free-tier)"})`,
  ];
  for (const e of cost.estimates) {
    const memory = e.billedMemoryMb > 0 ? `${e.billedMemoryMb} MB billed${e.billedVcpu ? ` (${e.billedVcpu} vCPU)` : ""}` : "memory not billed";
    out.push(
      `  ${e.platform}: ${e.currency} ${e.perMonth.toFixed(2)} a month; ${e.currency} ${e.perMillion.toFixed(2)} per 1M more requests on demand; ` +
        `prices of ${e.region.prices}; ${memory}; billed ${Number(e.billedMs.toFixed(1))} ms per request; warm ${e.warmInstances}`,
    );
    if (e.region.note) out.push(`    NOTE: ${e.region.note}`);
    out.push(columns(e.breakdown.map((l) => [`    ${l.item}`, l.usd.toFixed(2).padStart(8), l.detail])));
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
  if (!table.gbSecondPrice && !table.cpuMsPricePerMillion && !table.vcpuSecondPrice) {
    fail("needs at least one of gbSecondPrice, vcpuSecondPrice or cpuMsPricePerMillion");
  }
  return table as unknown as PricingTable;
}

/** Every price of a table that could not be read on the vendor's page, as "key: why". */
export function unverifiedPrices(table: PricingTable): string[] {
  return Object.entries(table)
    .filter(([, v]) => typeof (v as PricedValue | null)?.unverified === "string")
    .map(([k, v]) => `${k}: ${(v as PricedValue).unverified}`);
}
