/**
 * `--force-cold N` on deployed stacks: N cold samples per platform, each on an instance the
 * platform was made to replace, by the method the benchmark suites use, with the platform's
 * own start-up figure read where it reports one. Each platform is reached through a small
 * client over its REST API (`Api`), so tests replay recorded responses (test/compare/fixtures/cold-*.json).
 */
import type { TimedColdSample } from "./probe";
import type { SmallSummary } from "../phases";

export interface ApiCall {
  method: "GET" | "POST" | "PUT" | "PATCH";
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

/** Sends one call and returns its JSON body; a non-2xx answer throws with the API's message. */
export type Api = (call: ApiCall) => Promise<unknown>;

/** A platform's own start-up figure for the cold samples, kept apart from client latency. */
export interface PlatformFigure {
  /** What the figure is, in the platform's words (e.g. "Init Duration"). */
  name: string;
  /** One value per matched sample (ms); empty when not reported. */
  values: number[];
  note: string;
}

export interface ColdForcer {
  /** How a fresh instance is obtained (for the report). */
  method: string;
  forceable: boolean;
  /** Why the platform cannot be forced cold, when it cannot. */
  reason?: string;
  /** The permissions `force` and `figures` need. */
  permissions: string;
  /** Makes the platform replace its instances and returns once the new ones can serve. */
  force(): Promise<void>;
  /** The platform's own figure for the samples taken. */
  figures(samples: TimedColdSample[]): Promise<PlatformFigure>;
}

export interface Waiting {
  intervalMs: number;
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const defaultWaiting: Waiting = { intervalMs: 2_000, timeoutMs: 300_000, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** Polls `check` until it returns a value (not undefined), bounded by `waiting.timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, waiting: Waiting): Promise<T> {
  for (let waited = 0; ; waited += waiting.intervalMs) {
    const value = await check();
    if (value !== undefined) return value;
    if (waited >= waiting.timeoutMs) throw new Error(`${what}: still not done after ${Math.round(waiting.timeoutMs / 1000)} s`);
    await waiting.sleep(waiting.intervalMs);
  }
}

/** The environment variable each force changes: its value is the time of the change, so every change is a new one. */
export const FORCE_VARIABLE = "PARITY_FORCE_COLD";

export function smallSummary(values: number[]): SmallSummary {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { n, min: NaN, median: NaN, max: NaN };
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { n, min: sorted[0], median, max: sorted[n - 1] };
}
