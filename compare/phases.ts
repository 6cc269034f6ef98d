/**
 * The measuring phases of the experiment, each against one platform's live endpoint.
 * Every loop is bounded in count and time and talks only to that endpoint.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { LatencyHistogram, type CdfPoint, type LatencySummary } from "./histogram";
import { runOpenLoop, type OpenLoopResult } from "./loadgen";
import { COLD_HEADER, INSTANCE_HEADER, INSTANCE_PROBE_HEADER } from "../functions/core/users-api";
import type { Platform } from "../components/catalog";

export interface ColdSample {
  /** First-request latency on a fresh instance, ms (includes the new connection). */
  ms: number;
  status: number;
  /** The answering instance's id (`x-parity-instance`); absent when the answer had none. */
  instance?: string;
  /** The instance's own word that this was its first request (`x-parity-cold`). */
  cold?: boolean;
  /**
   * False when the sample did not hit a new instance: the instance said it was not cold, or
   * an earlier sample of the run was answered by the same instance, or no instance answered.
   */
  newInstance?: boolean;
}

/** n, min, median and max: the figures a handful of cold samples supports (no p99 from five values). */
export interface SmallSummary {
  n: number;
  min: number;
  median: number;
  max: number;
}

/** Whether the answering instance said it was new: from `x-parity-cold`/`x-parity-instance`, else unconfirmed. */
export type ColdConfirmation = "confirmed" | "not cold" | "unconfirmed";

export interface ForcedColdSummary {
  requested: number;
  /** Client latency of each sample: whole request on a new connection. */
  client: SmallSummary;
  /** DNS + TCP + TLS. */
  connect: SmallSummary;
  /** Request written → first byte. */
  firstByte: SmallSummary;
  /** The platform's own figure, kept apart from the client's. */
  platform: SmallSummary & { name: string; note: string };
  confirmations: ColdConfirmation[];
  /** The permissions the force and the figure needed. */
  permissions: string;
}

export interface ColdStartResult {
  samples: ColdSample[];
  /** `--force-cold`: the forced samples summarised as n / min / median / max, with the platform's own figure. */
  forced?: ForcedColdSummary;
  /** How the fresh instances were obtained. */
  method: string;
  median: number;
  max: number;
  /** The platform's own init duration, where it reports one; null when it does not. */
  platformInitMs: number | null;
  platformInitNote: string;
  /** How many samples did not hit a new instance (flagged per sample with `newInstance: false`). */
  notNewInstance?: number;
}

export interface LoadSummary {
  ratePerSecond: number;
  durationMs: number;
  scheduled: number;
  answered: number;
  achievedRate: number;
  ok: number;
  throttled: number;
  unavailable: number;
  otherErrors: number;
  networkErrors: number;
  timeouts: number;
  statuses: Record<string, number>;
  latency: LatencySummary;
  serviceTime: LatencySummary;
  /** How late the generator started requests (its own accuracy), ms. */
  dispatchLag: LatencySummary;
  /** Requests that failed without a status, by the engine's error name (Artillery: ECONNREFUSED, ETIMEDOUT, ...). */
  errors?: Record<string, number>;
  /** Set when the engine's request count does not match rate × duration: the offered load was not the one asked for. */
  countMismatch?: string;
}

export interface WarmResult extends LoadSummary {
  cdf: CdfPoint[];
  /** Service time of every answered request, in whole ms rounded up, with counts: what the cost bills per request. */
  serviceTimeMs?: { ms: number; count: number }[];
}

export interface RampStep extends LoadSummary {
  /** Share of scheduled requests that were not answered 2xx. */
  errorRate: number;
}

export interface RampResult {
  steps: RampStep[];
  /** Highest offered rate that stayed under the error threshold and kept up. */
  sustainedRate: number;
  stoppedBecause: string;
}

export interface QueueDelayResult {
  posted: number;
  welcomed: number;
  /** Not welcomed within the timeout and not found in the dead-letter queue. */
  lost: number;
  /** Growth of the dead-letter queue during the phase; null where it cannot be read. */
  deadLettered: number | null;
  /**
   * Posted users whose `user.created` the reconciler re-published during the phase: the queue
   * lost or held back their first event. Counted apart (they are in `welcomed` once welcomed),
   * so the reconciler can never hide a lost message; null where the runs cannot be read.
   */
  republished: number | null;
  /** POST sent → `welcomedAt` visible through GET, ms (resolution: the poll interval). */
  delay: LatencySummary;
  /** Server clock: `welcomedAt - createdAt`, ms. */
  serverDelay: LatencySummary;
  /** Every observed delay, ms, for the histogram. */
  samples: number[];
  pollIntervalMs: number;
  timeoutMs: number;
}

export interface Endpoint {
  url: string;
  apiKey: string;
}

/** A platform of a deployed stack, as its outputs name it (`parseStackOutputs` in targets.ts). */
export interface DeployedEndpoint {
  platform: Platform;
  /** Base URL of users-api. */
  url: string;
  queue?: string;
  deadLetter?: string;
  /** Function name → native name. */
  functions?: Record<string, string>;
}

export const keyHeaders = (apiKey: string) => ({ "x-api-key": apiKey });

export function summarizeLoad(result: OpenLoopResult): LoadSummary {
  return {
    ratePerSecond: result.ratePerSecond,
    durationMs: result.durationMs,
    scheduled: result.scheduled,
    answered: result.answered,
    achievedRate: result.achievedRate,
    ok: result.ok,
    throttled: result.throttled,
    unavailable: result.unavailable,
    otherErrors: result.otherErrors,
    networkErrors: result.networkErrors,
    timeouts: result.timeouts,
    statuses: result.statuses,
    latency: result.latency.summary(),
    serviceTime: result.serviceTime.summary(),
    dispatchLag: result.dispatchLag,
  };
}

/**
 * One cold-start sample: the first request a fresh instance serves. It reads an unknown
 * user, so the instance loads its API key and reaches its store (expected answer: 404).
 */
export async function coldProbe(endpoint: Endpoint, timeoutMs = 30_000): Promise<ColdSample> {
  const started = performance.now();
  try {
    const response = await fetch(`${endpoint.url}/users/${randomUUID()}`, {
      // The instance headers are answered only to a probe that asks, with the key.
      headers: { ...keyHeaders(endpoint.apiKey), [INSTANCE_PROBE_HEADER]: "instance" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    const instance = response.headers.get(INSTANCE_HEADER) ?? undefined;
    const cold = response.headers.get(COLD_HEADER);
    return { ms: performance.now() - started, status: response.status, instance, ...(cold === null ? {} : { cold: cold === "true" }) };
  } catch {
    return { ms: performance.now() - started, status: 0 };
  }
}

export function coldStartResult(probed: ColdSample[], method: string, platformInit: { ms: number | null; note: string }): ColdStartResult {
  const seen = new Set<string>();
  const samples = probed.map((sample) => {
    const newInstance = sample.instance !== undefined && sample.cold === true && !seen.has(sample.instance);
    // Stryker disable next-line ConditionalExpression: forced true adds undefined to the set, which is looked up only for samples with an instance; forced false is killed
    if (sample.instance !== undefined) seen.add(sample.instance);
    return { ...sample, newInstance };
  });
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  // Stryker disable next-line ConditionalExpression: the empty case forced false still gives NaN ((undefined + undefined) / 2); forced true is killed
  const median = sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return {
    samples,
    method,
    median,
    max: sorted[sorted.length - 1] ?? NaN,
    platformInitMs: platformInit.ms,
    platformInitNote: platformInit.note,
    notNewInstance: samples.filter((s) => !s.newInstance).length,
  };
}

/** Creates one user to read during the load phases; returns its id. */
export async function createUser(endpoint: Endpoint, label: string): Promise<string> {
  const response = await fetch(`${endpoint.url}/users`, {
    method: "POST",
    headers: { ...keyHeaders(endpoint.apiKey), "content-type": "application/json" },
    body: JSON.stringify({ email: `${label}-${randomUUID()}@example.com`, name: "Parity Probe" }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 201 || !body.id) throw new Error(`POST /users answered ${response.status}`);
  return body.id;
}

/** Phase 3: open-loop reads of one user at a constant rate. */
export async function warmLatency(
  endpoint: Endpoint,
  userId: string,
  options: { ratePerSecond: number; durationMs: number; warmupMs: number; onProgress?: (done: number, total: number) => void },
): Promise<WarmResult> {
  const read = () => ({ path: `/users/${userId}`, headers: keyHeaders(endpoint.apiKey) });
  // Unmeasured, at the same rate: brings instances (and the emulators' JITs) to steady state
  // after the cold-start samples, and compiles the generator's own HTTP parser.
  await runOpenLoop({ baseUrl: endpoint.url, ratePerSecond: options.ratePerSecond, durationMs: options.warmupMs, request: read });
  const result = await runOpenLoop({
    baseUrl: endpoint.url,
    ratePerSecond: options.ratePerSecond,
    durationMs: options.durationMs,
    request: read,
    onProgress: options.onProgress,
  });
  return { ...summarizeLoad(result), cdf: result.latency.cdf(), serviceTimeMs: result.serviceTime.wholeMs() };
}

/** Share of scheduled requests that did not get a 2xx. */
export function errorRate(step: Pick<LoadSummary, "scheduled" | "ok">): number {
  return step.scheduled === 0 ? 0 : (step.scheduled - step.ok) / step.scheduled;
}

/**
 * Decides whether the ramp goes on after a step: it stops at the first step with more
 * errors than `maxErrorRate` (429/503 included: that is the platform's concurrency limit
 * showing) or answering less than `minKeepUp` of the offered rate.
 */
export function rampVerdict(step: RampStep, maxErrorRate: number, minKeepUp = 0.9): string | undefined {
  if (step.errorRate > maxErrorRate) {
    const parts = [
      step.throttled && `${step.throttled} × 429`,
      step.unavailable && `${step.unavailable} × 503`,
      step.otherErrors && `${step.otherErrors} other errors`,
      step.networkErrors && `${step.networkErrors} network errors`,
      step.timeouts && `${step.timeouts} timeouts`,
    ].filter(Boolean);
    return `errors at ${step.ratePerSecond} req/s: ${(step.errorRate * 100).toFixed(1)} % (${parts.join(", ")})`;
  }
  // Answered per second against offered: below it, requests queue up and latency grows
  // without bound, even if each one is answered in the end.
  if (step.achievedRate < step.ratePerSecond * minKeepUp) {
    return `could not keep up at ${step.ratePerSecond} req/s: answered ${step.achievedRate.toFixed(0)} req/s (p99 ${step.latency.p99.toFixed(0)} ms)`;
  }
  return undefined;
}

/** Phase 4: raise the offered rate step by step until errors, throttles or saturation. */
export async function throughputRamp(
  endpoint: Endpoint,
  userId: string,
  options: { rates: number[]; stepMs: number; maxErrorRate: number; onStep?: (index: number) => void },
): Promise<RampResult> {
  return rampSteps(options, async (rate) =>
    summarizeLoad(
      await runOpenLoop({
        baseUrl: endpoint.url,
        ratePerSecond: rate,
        durationMs: options.stepMs,
        requestTimeoutMs: Math.max(5_000, options.stepMs),
        request: () => ({ path: `/users/${userId}`, headers: keyHeaders(endpoint.apiKey) }),
      }),
    ),
  );
}

/** The ramp's rule whatever generates the load: one step per rate, stopping at the first `rampVerdict`. */
export async function rampSteps(
  options: { rates: number[]; maxErrorRate: number; onStep?: (index: number) => void },
  measureStep: (rate: number, index: number) => Promise<LoadSummary>,
): Promise<RampResult> {
  const steps: RampStep[] = [];
  let sustainedRate = 0;
  let stoppedBecause = `reached the highest step (${options.rates[options.rates.length - 1]} req/s) without errors`;
  for (const [index, rate] of options.rates.entries()) {
    options.onStep?.(index);
    const summary = await measureStep(rate, index);
    const step: RampStep = { ...summary, errorRate: errorRate(summary) };
    steps.push(step);
    const verdict = rampVerdict(step, options.maxErrorRate);
    if (verdict) {
      stoppedBecause = verdict;
      break;
    }
    sustainedRate = rate;
  }
  return { steps, sustainedRate, stoppedBecause };
}

/**
 * Phase 5: POST users at a steady rate and poll each, from its POST on, until its
 * `welcomedAt` is visible.
 * The delay is measured on the client (POST sent → welcomed visible), so it includes the
 * queue, the worker and the store, and is exact to one poll interval.
 */
export async function queueDelay(
  endpoint: Endpoint,
  options: {
    count: number;
    ratePerSecond: number;
    pollIntervalMs: number;
    timeoutMs: number;
    deadLetterDepth?: () => Promise<number>;
    /** Every user id the reconciler has re-published so far (from its "reconciled" log lines). */
    republishedIds?: () => Promise<string[]>;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<QueueDelayResult> {
  const deadLetterBefore = options.deadLetterDepth ? await options.deadLetterDepth().catch(() => undefined) : undefined;
  const delays = new LatencyHistogram();
  const serverDelays = new LatencyHistogram();
  const samples: number[] = [];
  let posted = 0;
  // Stryker disable next-line ArrayDeclaration: a bogus initial entry is never among the reconciler's re-published ids (the API's ids are UUIDs), so the count is the same
  const postedIds: string[] = [];
  let notWelcomed = 0;
  let done = 0;

  /** Polls one user from right after its POST until welcomed or its own deadline. */
  const follow = async (id: string, sentAt: number): Promise<void> => {
    const deadline = sentAt + options.timeoutMs;
    // Stryker disable next-line EqualityOperator: `<` -> `<=` differs only when now equals the deadline to the nanosecond (one more poll); `>=` is killed
    while (performance.now() < deadline) {
      try {
        const response = await fetch(`${endpoint.url}/users/${id}`, { headers: keyHeaders(endpoint.apiKey), signal: AbortSignal.timeout(10_000) });
        const user = (await response.json()) as { welcomedAt?: string | null; createdAt?: string };
        if (response.status === 200 && user.welcomedAt) {
          const delay = performance.now() - sentAt;
          delays.record(delay);
          samples.push(Math.round(delay * 10) / 10);
          if (user.createdAt) serverDelays.record(Math.max(0, Date.parse(user.welcomedAt) - Date.parse(user.createdAt)));
          options.onProgress?.(++done, options.count);
          return;
        }
      } catch {
        // Polled again after the interval, until the deadline.
      }
      await sleep(options.pollIntervalMs);
    }
    notWelcomed++;
  };

  const start = performance.now();
  // Stryker disable next-line ArrayDeclaration: Promise.all treats a non-promise entry as already resolved and its result is not used
  const users: Promise<void>[] = [];
  for (let i = 0; i < options.count; i++) {
    const wait = start + (i * 1000) / options.ratePerSecond - performance.now();
    // Stryker disable next-line EqualityOperator: `>` -> `>=` differs only when the wait is exactly 0 ms (sleep(0) still waits a timer turn, ~1 ms); `<=` is killed by the pacing test
    if (wait > 0) await sleep(wait);
    const sentAt = performance.now();
    users.push(
      createUser(endpoint, "queue-delay").then(
        (id) => {
          posted++;
          postedIds.push(id);
          return follow(id, sentAt);
        },
        () => undefined, // a failed POST publishes nothing: not a lost message
      ),
    );
  }
  await Promise.all(users);
  if (posted === 0) throw new Error(`none of the ${options.count} POST /users succeeded`);

  const deadLetterAfter = options.deadLetterDepth ? await options.deadLetterDepth().catch(() => undefined) : undefined;
  const deadLettered = deadLetterBefore !== undefined && deadLetterAfter !== undefined ? Math.max(0, deadLetterAfter - deadLetterBefore) : null;
  const republishedList = options.republishedIds ? await options.republishedIds().catch(() => undefined) : undefined;
  const republishedIds = republishedList && new Set(republishedList);
  return {
    posted,
    welcomed: samples.length,
    lost: Math.max(0, notWelcomed - (deadLettered ?? 0)),
    deadLettered,
    republished: republishedIds ? postedIds.filter((id) => republishedIds.has(id)).length : null,
    delay: delays.summary(),
    serverDelay: serverDelays.summary(),
    samples,
    pollIntervalMs: options.pollIntervalMs,
    timeoutMs: options.timeoutMs,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
