/** Small compare results of the real schema, for the choose tests. */
import type { Platform } from "../../components/catalog";
import { fullPhases } from "../../compare/presets";
import { LOCAL_LABEL, type PlatformResult, type Results } from "../../compare/results";
import type { LatencySummary } from "../../compare/histogram";

export interface Measured {
  p99: number;
  coldStart: number;
  /** Mean service time, ms. */
  mean: number;
}

const summary = (mean: number, p99: number): LatencySummary => ({ count: 500, min: mean / 2, mean, p50: mean, p90: (mean + p99) / 2, p99, p999: p99, max: p99 });

function platformResult(platform: Platform, m: Measured): PlatformResult {
  const load = {
    ratePerSecond: fullPhases.warmRate,
    durationMs: fullPhases.warmDurationMs,
    scheduled: 500,
    answered: 500,
    achievedRate: fullPhases.warmRate,
    ok: 500,
    throttled: 0,
    unavailable: 0,
    otherErrors: 0,
    networkErrors: 0,
    timeouts: 0,
    statuses: { "200": 500 },
    latency: summary(m.mean, m.p99),
    serviceTime: summary(m.mean, m.p99),
    dispatchLag: summary(0.1, 0.5),
  };
  return {
    platform,
    url: `https://${platform}.example`,
    description: `${platform} test`,
    smoke: { passed: 10, failed: 0, failures: [], durationMs: 100 },
    measured: true,
    coldStart: { samples: [{ ms: m.coldStart, status: 404 }], method: "test", median: m.coldStart, max: m.coldStart, platformInitMs: null, platformInitNote: "" },
    warm: { ...load, cdf: [] },
    errors: [],
  };
}

/** A results object: `local` gives the local-emulation label; platforms left out are unavailable. */
export function resultsWith(measured: Partial<Record<Platform, Measured>>, options: { local?: boolean } = {}): Results {
  const all: Platform[] = ["aws", "gcp", "azure", "cloudflare"];
  return {
    schema: "parity-compare/1",
    label: options.local ? LOCAL_LABEL : null,
    target: options.local ? { kind: "local" } : { kind: "stack", stack: "prod" },
    environment: { date: "2026-11-30T00:00:00Z", machine: { cpus: 2, cpuModel: "test", memoryGiB: 4, os: "linux" }, versions: { node: process.version }, commit: null, stackConfig: null },
    phases: fullPhases,
    platforms: Object.entries(measured).map(([p, m]) => platformResult(p as Platform, m!)),
    unavailable: all.filter((p) => !(p in measured)).map((platform) => ({ platform, reason: "not deployed in this stack" })),
    pricing: {},
  };
}
