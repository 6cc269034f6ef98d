/**
 * The schema of `results.json` (`parity-compare/1`): what a comparison measured per platform,
 * where and how. The report renders it; nothing here measures.
 */
import type { Platform } from "../components/catalog";
import type { FunctionSettings } from "../components/config";
import type { CostEstimate, PricingTable } from "./cost";
import type { EngineInfo } from "./engines/engine";
import type { ColdStartResult, QueueDelayResult, RampResult, WarmResult } from "./phases";
import type { PhaseOptions } from "./presets";
import type { SmokeResult } from "./smoke";

/** The folder name of a report under `reports/`: `2026-11-23T14-05-09Z`, sortable and valid everywhere. */
export function timestampFolder(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
}

/** Set for local runs: the figures describe emulators on this machine, not the clouds. */
export const LOCAL_LABEL = "Local emulation, not cloud performance";

export interface PlatformResult {
  platform: Platform;
  url: string;
  description: string;
  /** Settings per function, where known (from the stack file). */
  settings?: Record<string, FunctionSettings>;
  smoke: SmokeResult;
  /** False when the smoke failed: the platform is reported, not measured. */
  measured: boolean;
  coldStart?: ColdStartResult;
  warm?: WarmResult;
  ramp?: RampResult;
  queue?: QueueDelayResult;
  cost?: CostEstimate & { durationSource: string };
  /** A phase that failed, with why; the other phases still ran. */
  errors: { phase: string; message: string }[];
}

export interface Results {
  schema: "parity-compare/1";
  /** Set for local runs: the figures describe emulators on this machine, not the clouds. */
  label: string | null;
  target: { kind: "local" | "stack" | "endpoints"; stack?: string; file?: string };
  environment: Environment;
  phases: PhaseOptions;
  /** What generated the warm-latency and ramp load and what its latency measures (absent in results before engines). */
  engine?: EngineInfo;
  platforms: PlatformResult[];
  unavailable: { platform: Platform; reason: string }[];
  pricing: Partial<Record<Platform, PricingTable>>;
}

export interface Environment {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string };
  versions: Record<string, string>;
  commit: string | null;
  stackConfig: unknown;
}

