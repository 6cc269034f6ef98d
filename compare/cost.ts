/**
 * Cost per 1M requests and per month, from a pricing table kept as data (`pricing/*.json`,
 * every number with its source and the date it was read) and the measured duration and
 * configured memory. Only the function and its HTTP front are priced; stores and queues
 * are not (their price depends on data volume, not on the function).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { platforms, type Platform } from "../components/catalog";

/** A number from a price list, with where it came from. */
export interface PricedValue<T = number> {
  value: T;
  /** URL (and section) the value was read from. */
  source: string;
  /** ISO date the source was read. */
  read: string;
}

export interface PricingTable {
  platform: Platform;
  currency: string;
  region?: string;
  notes?: string;
  /** Subscription fee per month, whatever the traffic (Workers Paid). */
  monthlyFee?: PricedValue;
  /** Function invocations, per 1M. */
  requestPricePerMillion: PricedValue;
  /** An HTTP front billed separately (API Gateway), per 1M. */
  frontPricePerMillion?: PricedValue;
  /** Memory × billed time, per GB-second. */
  gbSecondPrice?: PricedValue;
  /** vCPU × billed time, per vCPU-second; the vCPU follows the memory (`vcpuByMemoryMb`). */
  vcpuSecondPrice?: PricedValue;
  /** CPU time, per 1M CPU-milliseconds (Workers). */
  cpuMsPricePerMillion?: PricedValue;
  /** Billed duration is rounded up to a multiple of this. */
  billingIncrementMs: PricedValue;
  freeRequestsPerMonth?: PricedValue;
  freeGbSecondsPerMonth?: PricedValue;
  freeVcpuSecondsPerMonth?: PricedValue;
  freeCpuMsPerMonth?: PricedValue;
  /** Memory (MiB) → vCPU. */
  vcpuByMemoryMb?: PricedValue<Record<string, number>>;
  /** Memory sizes the platform bills; configured memory is rounded up to the next one. */
  memorySizesMb?: PricedValue<number[]>;
}

export interface CostInput {
  /** Mean duration of one request, ms (measured). */
  durationMs: number;
  /** Configured memory, MiB. */
  memoryMb: number;
  /** Requests per month for the monthly figure. */
  monthlyRequests: number;
}

export interface CostEstimate {
  platform: Platform;
  currency: string;
  /** Duration billed per request after rounding, ms. */
  billedMs: number;
  /** Memory billed after rounding to the platform's sizes, MiB (0 when memory is not billed). */
  billedMemoryMb: number;
  /** Cost of 1M requests at list price, before any free tier or fee. */
  perMillion: number;
  /** Cost of `monthlyRequests` in one month, with free tiers and fees. */
  perMonth: number;
  monthlyRequests: number;
  /** The line items of `perMonth`. */
  breakdown: Record<string, number>;
}

/** Rounds a duration up to the billing increment (at least one increment). */
export function billedDurationMs(durationMs: number, incrementMs: number): number {
  if (!(durationMs > 0)) return incrementMs;
  // Tolerate floating noise (100.0000001 ms must not bill as 200 ms).
  return Math.max(1, Math.ceil(durationMs / incrementMs - 1e-9)) * incrementMs;
}

/** The memory size a platform bills for a configured value (the next allowed size up). */
export function billedMemoryMb(table: PricingTable, memoryMb: number): number {
  const sizes = table.memorySizesMb?.value;
  if (!sizes || sizes.length === 0) return memoryMb;
  const sorted = [...sizes].sort((a, b) => a - b);
  return sorted.find((size) => size >= memoryMb) ?? sorted[sorted.length - 1];
}

/** vCPU an instance of `memoryMb` gets: the smallest tier with at least that memory. */
export function vcpuFor(table: PricingTable, memoryMb: number): number {
  const tiers = table.vcpuByMemoryMb?.value;
  if (!tiers) return 0;
  const sorted = Object.entries(tiers)
    .map(([mb, vcpu]) => [Number(mb), vcpu] as const)
    .sort((a, b) => a[0] - b[0]);
  return (sorted.find(([mb]) => mb >= memoryMb) ?? sorted[sorted.length - 1])[1];
}

export function estimateCost(table: PricingTable, input: CostInput): CostEstimate {
  const billedMs = billedDurationMs(input.durationMs, table.billingIncrementMs.value);
  const seconds = billedMs / 1000;
  const memoryMb = table.gbSecondPrice ? billedMemoryMb(table, input.memoryMb) : 0;
  const gbSeconds = seconds * (memoryMb / 1024);
  const vcpuSeconds = table.vcpuSecondPrice ? seconds * vcpuFor(table, input.memoryMb) : 0;
  const cpuMs = table.cpuMsPricePerMillion ? billedMs : 0;

  const price = {
    request: table.requestPricePerMillion.value / 1e6,
    front: (table.frontPricePerMillion?.value ?? 0) / 1e6,
    gbSecond: table.gbSecondPrice?.value ?? 0,
    vcpuSecond: table.vcpuSecondPrice?.value ?? 0,
    cpuMs: (table.cpuMsPricePerMillion?.value ?? 0) / 1e6,
  };
  const perRequest = price.request + price.front + gbSeconds * price.gbSecond + vcpuSeconds * price.vcpuSecond + cpuMs * price.cpuMs;

  const n = input.monthlyRequests;
  const beyond = (used: number, free: PricedValue | undefined) => Math.max(0, used - (free?.value ?? 0));
  const breakdown: Record<string, number> = {
    fee: table.monthlyFee?.value ?? 0,
    requests: beyond(n, table.freeRequestsPerMonth) * price.request,
    front: n * price.front,
    memory: beyond(n * gbSeconds, table.freeGbSecondsPerMonth) * price.gbSecond,
    cpu: beyond(n * vcpuSeconds, table.freeVcpuSecondsPerMonth) * price.vcpuSecond,
    cpuTime: beyond(n * cpuMs, table.freeCpuMsPerMonth) * price.cpuMs,
  };
  return {
    platform: table.platform,
    currency: table.currency,
    billedMs,
    billedMemoryMb: memoryMb,
    perMillion: perRequest * 1e6,
    perMonth: Object.values(breakdown).reduce((a, b) => a + b, 0),
    monthlyRequests: n,
    breakdown,
  };
}

/** The pricing tables shipped in `pricing/`, one file per platform. */
export const defaultPricingDir = path.resolve(__dirname, "..", "pricing");

/**
 * Loads pricing tables: every `*.json` of `dir`, then `overrides` (a user's file or
 * directory, from `--pricing`) replacing the tables of the platforms it names.
 */
export function loadPricing(dir = defaultPricingDir, overrides?: string): Map<Platform, PricingTable> {
  const tables = new Map<Platform, PricingTable>();
  const add = (file: string) => {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    for (const table of Array.isArray(parsed) ? parsed : [parsed]) {
      const checked = checkPricingTable(table, file);
      tables.set(checked.platform, checked);
    }
  };
  const filesOf = (where: string) =>
    fs.statSync(where).isDirectory()
      ? fs.readdirSync(where).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(where, f))
      : [where];
  for (const file of filesOf(dir)) add(file);
  if (overrides) for (const file of filesOf(overrides)) add(file);
  return tables;
}

const numericKeys = [
  "monthlyFee",
  "requestPricePerMillion",
  "frontPricePerMillion",
  "gbSecondPrice",
  "vcpuSecondPrice",
  "cpuMsPricePerMillion",
  "billingIncrementMs",
  "freeRequestsPerMonth",
  "freeGbSecondsPerMonth",
  "freeVcpuSecondsPerMonth",
  "freeCpuMsPerMonth",
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
  for (const key of ["requestPricePerMillion", "billingIncrementMs"]) {
    if (table[key] === undefined) fail(`${key} is required`);
  }
  for (const key of [...numericKeys, "vcpuByMemoryMb", "memorySizesMb"]) {
    const entry = table[key] as Partial<PricedValue<unknown>> | undefined;
    if (entry === undefined) continue;
    if (typeof entry !== "object" || entry === null) fail(`${key} must be { value, source, read }`);
    if ((numericKeys as readonly string[]).includes(key) && !(typeof entry.value === "number" && entry.value >= 0)) {
      fail(`${key}.value must be a number ≥ 0`);
    }
    if (typeof entry.source !== "string" || entry.source === "") fail(`${key}.source must say where the value was read`);
    if (typeof entry.read !== "string" || Number.isNaN(Date.parse(entry.read))) fail(`${key}.read must be the date it was read (YYYY-MM-DD)`);
  }
  if (!table.gbSecondPrice && !table.cpuMsPricePerMillion && !table.vcpuSecondPrice) {
    fail("needs at least one of gbSecondPrice, vcpuSecondPrice or cpuMsPricePerMillion");
  }
  return table as unknown as PricingTable;
}
