/**
 * What a compare run measured, as `npm run choose` uses it: warm p99, cold-start median and
 * the mean service time per platform, labelled cloud or local. Local-emulation figures are
 * shown but never judged against a requirement, and never rank a platform.
 */
import * as fs from "node:fs";
import type { Platform } from "../components/catalog";
import { LOCAL_LABEL, type Results } from "../compare/results";

/** A compare run's results and the file they came from. */
export interface MeasuredRun {
  file: string;
  results: Results;
}

/** One platform's figures from a run, or why there are none. */
export interface PlatformMeasurement {
  /** `cloud` figures can decide; `local` figures describe emulators on one machine. */
  kind: "cloud" | "local";
  /** Warm latency p99, ms. */
  p99LatencyMs?: number;
  /** Cold start median, ms. */
  coldStartMs?: number;
  /** Mean service time of the warm phase, ms (what compare bills with). */
  durationMs?: number;
  /** The warm phase's rate, req/s, for the citation. */
  warmRate: number;
  /** Why a figure is missing (unavailable, smoke failed, phase error). */
  missing: { p99LatencyMs?: string; coldStartMs?: string };
}

export function readResults(file: string): MeasuredRun {
  if (!fs.existsSync(file)) throw new Error(`--results: no such file ${file}; pass reports/<timestamp>/results.json from npm run compare`);
  const results = JSON.parse(fs.readFileSync(file, "utf8")) as Results;
  if (results?.schema !== "parity-compare/1") throw new Error(`--results: ${file} is not a parity-compare/1 results file (schema ${JSON.stringify(results?.schema)})`);
  return { file, results };
}

export const isLocal = (results: Results) => results.label === LOCAL_LABEL || results.target.kind === "local";

export function measurementOf(run: MeasuredRun, platform: Platform): PlatformMeasurement {
  const { results } = run;
  const base: PlatformMeasurement = { kind: isLocal(results) ? "local" : "cloud", warmRate: results.phases.warmRate, missing: {} };
  const result = results.platforms.find((p) => p.platform === platform);
  if (!result) {
    const why = results.unavailable.find((u) => u.platform === platform)?.reason ?? "not part of this run";
    return { ...base, missing: { p99LatencyMs: why, coldStartMs: why } };
  }
  if (!result.measured) {
    const why = `failed the correctness smoke (${result.smoke.failed} failed), so it was not measured`;
    return { ...base, missing: { p99LatencyMs: why, coldStartMs: why } };
  }
  const phaseError = (phase: string) => result.errors.find((e) => e.phase === phase)?.message ?? `no ${phase} phase in this run`;
  const measurement: PlatformMeasurement = { ...base };
  if (result.warm && result.warm.answered > 0 && Number.isFinite(result.warm.latency.p99)) {
    measurement.p99LatencyMs = result.warm.latency.p99;
    measurement.durationMs = result.warm.serviceTime.mean;
  } else measurement.missing.p99LatencyMs = phaseError("warm latency");
  if (result.coldStart && Number.isFinite(result.coldStart.median)) measurement.coldStartMs = result.coldStart.median;
  else measurement.missing.coldStartMs = phaseError("cold start");
  return measurement;
}
