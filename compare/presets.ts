/** The phase settings of a comparison: a full run (minutes) and `--quick` (seconds). */

export interface PhaseOptions {
  /** Leave out the 20-way concurrent-POST case of the smoke (quick runs). */
  quickSmoke: boolean;
  coldSamples: number;
  warmRate: number;
  /** Unmeasured load at the warm rate before the warm-latency phase. */
  warmupMs: number;
  warmDurationMs: number;
  rampRates: number[];
  rampStepMs: number;
  maxErrorRate: number;
  queueCount: number;
  queueRate: number;
  queueTimeoutMs: number;
  pollIntervalMs: number;
  monthlyRequests: number;
  /** Forced cold samples per platform on a deployed stack (`--force-cold N`); 0: only the run's first request. */
  forceCold?: number;
}

/** Warm-latency rate of a full run against the local cloud (its emulators share this machine). */
export const LOCAL_WARM_RATE = 25;

/** Full runs measure for a few minutes; `--quick` runs every phase in seconds (tests, a first look). */
export const fullPhases: PhaseOptions = {
  quickSmoke: false,
  coldSamples: 3,
  warmRate: 50,
  warmupMs: 3_000,
  warmDurationMs: 10_000,
  rampRates: [25, 50, 100, 200, 400],
  rampStepMs: 3_000,
  maxErrorRate: 0.01,
  queueCount: 20,
  queueRate: 5,
  queueTimeoutMs: 30_000,
  pollIntervalMs: 100,
  monthlyRequests: 10_000_000,
};

export const quickPhases: PhaseOptions = {
  quickSmoke: true,
  coldSamples: 1,
  warmRate: 20,
  warmupMs: 300,
  warmDurationMs: 1_000,
  rampRates: [20, 40],
  rampStepMs: 500,
  maxErrorRate: 0.01,
  queueCount: 3,
  queueRate: 10,
  queueTimeoutMs: 15_000,
  pollIntervalMs: 50,
  monthlyRequests: 10_000_000,
};

