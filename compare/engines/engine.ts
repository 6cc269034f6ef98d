/**
 * The load engines behind the warm-latency and throughput-ramp phases: the built-in undici
 * open-loop generator (default) or Artillery (for load from many machines). Both fill the
 * same `results.json` shapes; `EngineInfo` records which one measured and what its latency means.
 */
import type { Endpoint, RampResult, WarmResult } from "../phases";

export const ENGINE_NAMES = ["undici", "artillery"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Where the load was generated: this machine, or Artillery's own distributed modes in the user's account. */
export const ENGINE_MODES = ["local", "lambda", "fargate", "aci"] as const;
export type EngineMode = (typeof ENGINE_MODES)[number];

export interface EngineInfo {
  name: EngineName;
  version: string;
  mode: EngineMode;
  /** Load generators; 1 on this machine. */
  workers: number;
  /** Region of the distributed workers; null on this machine. */
  region: string | null;
  /** What a latency figure is, from which start to which end. */
  latencyMeasures: string;
  /** How the warm-latency CDF was built: from every sample (histogram) or from a few reported quantiles. */
  cdfFrom: "histogram" | "quantiles";
  /** What the queue-delay phase ran on (it follows each posted user, which is not a load pattern). */
  queueDelay: string;
}

export interface WarmOptions {
  ratePerSecond: number;
  durationMs: number;
  warmupMs: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RampOptions {
  rates: number[];
  stepMs: number;
  maxErrorRate: number;
  onStep?: (index: number) => void;
}

export interface LoadEngine {
  info: EngineInfo;
  /** Phase 3: open-loop reads of one user at a constant rate (after an unmeasured warm-up). */
  warm(endpoint: Endpoint, userId: string, options: WarmOptions): Promise<WarmResult>;
  /** Phase 4: raise the offered rate step by step until errors, throttles or saturation. */
  ramp(endpoint: Endpoint, userId: string, options: RampOptions): Promise<RampResult>;
}

/** What `--engine`, `--workers` and `--region` ask for, checked before anything runs. */
export interface EngineChoice {
  name: EngineName;
  mode: EngineMode;
  workers: number;
  region?: string;
}

/**
 * Reads the engine flags. Distributed modes are Artillery's only, need a region and at least
 * one worker; the undici engine runs on this machine alone.
 */
export function engineChoiceFrom(flags: { engine?: string; mode?: string; workers?: string; region?: string }): EngineChoice {
  const name = (flags.engine ?? "undici") as EngineName;
  if (!ENGINE_NAMES.includes(name)) throw new Error(`--engine must be one of ${ENGINE_NAMES.join(", ")}; got ${JSON.stringify(flags.engine)} (npm run compare -- --help lists the options)`);
  const distributed = flags.workers !== undefined || flags.region !== undefined || (flags.mode !== undefined && flags.mode !== "local");
  if (name === "undici" && distributed) throw new Error("--mode, --workers and --region need --engine artillery (the undici engine runs on this machine only)");
  const mode = (flags.mode ?? (distributed ? "lambda" : "local")) as EngineMode;
  if (!ENGINE_MODES.includes(mode)) throw new Error(`--mode must be one of ${ENGINE_MODES.join(", ")}; got ${JSON.stringify(flags.mode)}`);
  if (mode === "local") {
    if (flags.workers !== undefined || flags.region !== undefined) throw new Error("--workers and --region are for the distributed modes (--mode lambda, fargate or aci)");
    return { name, mode, workers: 1 };
  }
  const workers = Number(flags.workers ?? 1);
  // Artillery's own cap is the account's quota; 1000 keeps a typo from launching a fleet.
  if (!Number.isInteger(workers) || workers < 1 || workers > 1000) throw new Error(`--workers must be a whole number from 1 to 1000; got ${JSON.stringify(flags.workers)}`);
  if (!flags.region) throw new Error(`--mode ${mode} needs --region (the region the Artillery workers run in, e.g. eu-west-1)`);
  return { name, mode, workers, region: flags.region };
}
