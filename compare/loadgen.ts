/**
 * The load generator: open loop at a constant arrival rate. Request i is due at
 * start + i / rate whatever happened to earlier requests, and its latency is measured from
 * that intended time, not from when a connection happened to be free. A slow server
 * therefore shows up as latency instead of silently lowering the offered load (the
 * "coordinated omission" of closed-loop tools; see Gil Tene, "How NOT to Measure Latency",
 * and wrk2's constant-throughput mode).
 *
 * Every run is bounded in count (`rate × duration`, at most `maxRequests`) and in time
 * (`duration + drainTimeoutMs`), and talks to one origin only.
 */
import { performance } from "node:perf_hooks";
import { Pool, type Dispatcher } from "undici";
import { LatencyHistogram, type LatencySummary } from "./histogram";

export interface LoadRequest {
  method?: string;
  /** Path (and query) below the base URL, e.g. `/users/123`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OpenLoopOptions {
  /** Base URL of the endpoint; every request goes to this origin and nowhere else. */
  baseUrl: string;
  /** Requests started per second. */
  ratePerSecond: number;
  /** How long requests are started for, ms. */
  durationMs: number;
  /** The request to send as the `index`-th one. */
  request: (index: number) => LoadRequest;
  /** Keep-alive connections to the endpoint; requests beyond them wait (and that wait counts). @default 64 */
  connections?: number;
  /** A request unanswered this long is abandoned and counted as a timeout. @default 10000 */
  requestTimeoutMs?: number;
  /** Hard cap on the number of requests of one run. @default 200000 */
  maxRequests?: number;
  /** Receives each answered request's status and body (the body is read only when this is given). */
  onResponse?: (index: number, status: number, body: string) => void;
  /** Progress: requests finished (answered, failed or abandoned) out of the total scheduled. */
  onProgress?: (finished: number, total: number) => void;
}

export interface OpenLoopResult {
  ratePerSecond: number;
  durationMs: number;
  /** Requests the schedule called for. */
  scheduled: number;
  /** Requests actually started. */
  sent: number;
  /** Requests answered with any HTTP status. */
  answered: number;
  /** Count per HTTP status code. */
  statuses: Record<string, number>;
  ok: number;
  /** 429 Too Many Requests: the platform throttled (e.g. reserved concurrency reached). */
  throttled: number;
  /** 503 Service Unavailable: no instance could take the request. */
  unavailable: number;
  /** Any other non-2xx status. */
  otherErrors: number;
  /** Connection refused/reset and similar. */
  networkErrors: number;
  /** Abandoned after `requestTimeoutMs`. */
  timeouts: number;
  /** Latency of answered requests from the intended send time (open loop, no coordinated omission). */
  latency: LatencyHistogram;
  /** Latency from the moment a connection was free for the request (excludes waiting for one). */
  serviceTime: LatencyHistogram;
  /** How late the scheduler started requests versus the schedule: its own accuracy. */
  dispatchLag: LatencySummary;
  /** Requests started per second over the send window. */
  achievedSendRate: number;
  /** Requests answered per second, over the scheduled duration (or until the last answer, if later). */
  achievedRate: number;
  /** Wall time of the run, ms. */
  elapsedMs: number;
}

/** When request `index` is due, ms after the start, at `ratePerSecond`. */
export function intendedOffsetMs(index: number, ratePerSecond: number): number {
  return (index * 1000) / ratePerSecond;
}

/** How many requests a run of `durationMs` at `ratePerSecond` starts. */
export function scheduledCount(ratePerSecond: number, durationMs: number, maxRequests = Number.POSITIVE_INFINITY): number {
  if (!(ratePerSecond > 0) || !(durationMs > 0)) return 0;
  return Math.min(maxRequests, Math.floor((ratePerSecond * durationMs) / 1000 + 1e-9));
}

/**
 * How often in-flight requests are checked against their timeout: every 250 ms, or every
 * `requestTimeoutMs` if shorter, so a request is abandoned at most that long after its timeout.
 */
export function sweepIntervalMs(requestTimeoutMs: number): number {
  return Math.min(250, requestTimeoutMs);
}

/** Whether a request sent at `dispatchedAt` has outlived its timeout at `now` (past it, not at it). */
export function pastTimeout(now: number, dispatchedAt: number, requestTimeoutMs: number): boolean {
  return now - dispatchedAt > requestTimeoutMs;
}

/** How a request that failed without an answer counts: undici's header and body timeouts as timeouts, anything else as a network error. */
export function classifyError(error: Error): "timeouts" | "networkErrors" {
  const { code } = error as { code?: string };
  return code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" ? "timeouts" : "networkErrors";
}

/**
 * How long the scheduler sleeps when the next send is due at `dueMs` and `elapsedMs` have passed.
 * Timers are coarse (whole milliseconds, often a little late): it sleeps until ~1 ms before the
 * send is due, then (undefined) yields to I/O turn by turn until it is. The spinning costs CPU
 * only in that last millisecond of each interval.
 */
export function sleepBeforeSendMs(dueMs: number, elapsedMs: number): number | undefined {
  const waitMs = dueMs - elapsedMs;
  return waitMs > 1.5 ? waitMs - 1 : undefined;
}

export function classifyStatus(status: number): "ok" | "throttled" | "unavailable" | "otherErrors" {
  if (status >= 200 && status < 300) return "ok";
  if (status === 429) return "throttled";
  if (status === 503) return "unavailable";
  return "otherErrors";
}

interface InFlight {
  /** Set once the request has a connection: aborts it there. */
  abort?: (error?: Error) => void;
  dispatchedAt: number;
  /** When a connection was free for it (service time starts here). */
  connectedAt?: number;
}

/** Marks a request the sweep gave up on, so its late error is not counted twice. */
class AbandonedError extends Error {}

/** One connection pool per run: undici's, at about a third of node:http's CPU per request (see bench/). */
function poolFor(base: URL, connections: number, requestTimeoutMs: number): Pool {
  return new Pool(base.origin, { connections, pipelining: 1, headersTimeout: requestTimeoutMs, bodyTimeout: requestTimeoutMs, keepAliveTimeout: 10_000 });
}

/** Runs one open-loop load phase and resolves when every request is answered or abandoned. */
export function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const base = new URL(options.baseUrl);
  const connections = options.connections ?? 64;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const total = scheduledCount(options.ratePerSecond, options.durationMs, options.maxRequests ?? 200_000);
  const pool = poolFor(base, connections, requestTimeoutMs);
  const basePath = base.pathname.replace(/\/+$/, "");

  const latency = new LatencyHistogram();
  const serviceTime = new LatencyHistogram();
  const lag = new LatencyHistogram();
  const statuses: Record<string, number> = {};
  const counts = { ok: 0, throttled: 0, unavailable: 0, otherErrors: 0, networkErrors: 0, timeouts: 0 };
  const inFlight = new Map<number, InFlight>();
  let sent = 0;
  let answered = 0;
  let finished = 0;
  let lastDispatch = 0;
  let lastAnswer = 0;

  return new Promise((resolve) => {
    const start = performance.now();
    let next = 0;
    let timer: NodeJS.Timeout | undefined;

    const sweep = setInterval(() => {
      const now = performance.now();
      for (const [index, flight] of inFlight) {
        if (pastTimeout(now, flight.dispatchedAt, requestTimeoutMs)) {
          inFlight.delete(index);
          counts.timeouts++;
          // Stryker disable next-line StringLiteral: the message is never read: onError returns on any AbandonedError before looking at it
          flight.abort?.(new AbandonedError("abandoned after the request timeout"));
          done();
        }
      }
    }, sweepIntervalMs(requestTimeoutMs));

    const done = () => {
      finished++;
      if (finished % 50 === 0 || finished === total) options.onProgress?.(finished, total);
      // Stryker disable next-line ConditionalExpression: `next === total` forced true is equivalent: finished <= sent = next, so finished === total implies it (the other mutants of this line are killed)
      if (finished === total && next === total) finish();
    };

    let resolved = false;
    const finish = () => {
      // Stryker disable next-line ConditionalExpression: forced false is equivalent: a second finish() is a no-op (resolve ignored, timers already cleared, pool.destroy's rejection caught); forced true never resolves and is killed
      if (resolved) return;
      // Stryker disable next-line BooleanLiteral: as the guard above: a second finish() changes nothing observable
      resolved = true;
      clearInterval(sweep);
      // Stryker disable next-line ConditionalExpression: no timer is pending when finish() runs: it runs only once every request was dispatched, and the tick that dispatched the last one set none
      if (timer) clearTimeout(timer);
      // Requests still queued in the pool (abandoned by the sweep) are dropped here.
      void pool.destroy().catch(() => undefined);
      const elapsedMs = performance.now() - start;
      // Stryker disable next-line MethodExpression: the intended-offset term is never the largest (the last request leaves at or after its intended offset), so Math.max(0, total - 1) -> Math.min is equivalent; the outer Math.max -> Math.min is killed by the bounds test
      const sendWindowMs = Math.max(lastDispatch - start, intendedOffsetMs(Math.max(0, total - 1), options.ratePerSecond), 1);
      resolve({
        ratePerSecond: options.ratePerSecond,
        durationMs: options.durationMs,
        scheduled: total,
        sent,
        answered,
        statuses,
        ...counts,
        latency,
        serviceTime,
        dispatchLag: lag.summary(),
        // n requests spread over (n - 1) intervals: the rate is (n - 1) / window.
        achievedSendRate: sent > 1 ? ((sent - 1) * 1000) / sendWindowMs : sent,
        // Over the scheduled window, or longer if answers trailed past it.
        achievedRate: (answered * 1000) / Math.max(options.durationMs, lastAnswer - start, 1),
        elapsedMs,
      });
    };

    const dispatch = (index: number, intendedAt: number) => {
      const spec = options.request(index);
      const dispatchedAt = performance.now();
      lastDispatch = dispatchedAt;
      lag.record(dispatchedAt - intendedAt);
      sent++;
      const flight: InFlight = { dispatchedAt };
      inFlight.set(index, flight);
      let status = 0;
      const chunks: Buffer[] = [];
      pool.dispatch(
        { path: basePath + spec.path, method: (spec.method ?? "GET") as Dispatcher.HttpMethod, headers: spec.headers, body: spec.body },
        {
          onConnect(abort) {
            flight.abort = abort;
            flight.connectedAt = performance.now();
          },
          onHeaders(statusCode) {
            status = statusCode;
            return true;
          },
          onData(chunk) {
            // Stryker disable next-line ConditionalExpression: forced true only keeps chunks that are never read without onResponse; forced false is killed by the body tests
            if (options.onResponse) chunks.push(chunk);
            return true;
          },
          onComplete() {
            if (inFlight.get(index) !== flight) return; // abandoned, counted as a timeout
            inFlight.delete(index);
            const now = performance.now();
            lastAnswer = now;
            latency.record(now - intendedAt);
            serviceTime.record(now - (flight.connectedAt ?? dispatchedAt));
            statuses[status] = (statuses[status] ?? 0) + 1;
            counts[classifyStatus(status)]++;
            answered++;
            options.onResponse?.(index, status, Buffer.concat(chunks).toString("utf8"));
            done();
          },
          onError(error) {
            if (inFlight.get(index) !== flight || error instanceof AbandonedError) return;
            inFlight.delete(index);
            counts[classifyError(error)]++;
            done();
          },
        },
      );
    };

    const tick = () => {
      timer = undefined;
      const elapsed = performance.now() - start;
      // Stryker disable next-line EqualityOperator: `<=` -> `<` differs only when the elapsed time equals the offset to the nanosecond: the request then leaves on the next turn of the same millisecond; the other operators of this line are killed
      while (next < total && intendedOffsetMs(next, options.ratePerSecond) <= elapsed) {
        const index = next++;
        dispatch(index, start + intendedOffsetMs(index, options.ratePerSecond));
      }
      if (next < total) {
        const sleepMs = sleepBeforeSendMs(intendedOffsetMs(next, options.ratePerSecond), performance.now() - start);
        if (sleepMs !== undefined) timer = setTimeout(tick, sleepMs);
        else setImmediate(tick);
      } else if (finished === total) {
        // Nothing was scheduled (total 0); otherwise done() has already finished the run.
        finish();
      }
    };

    tick();
  });
}

export interface ClosedLoopResult {
  completed: number;
  errors: number;
  elapsedMs: number;
  rate: number;
  latency: LatencyHistogram;
}

/**
 * The baseline for the benchmark: `connections` loops that each send the next request as
 * soon as the previous one is answered (what autocannon or wrk do). It measures the most
 * the client and server can push, not latency under a given load.
 */
export function runClosedLoop(options: {
  baseUrl: string;
  connections: number;
  durationMs: number;
  request: (index: number) => LoadRequest;
}): Promise<ClosedLoopResult> {
  const base = new URL(options.baseUrl);
  const pool = poolFor(base, options.connections, 10_000);
  const latency = new LatencyHistogram();
  let completed = 0;
  let errors = 0;
  let index = 0;
  const start = performance.now();
  const deadline = start + options.durationMs;

  const loop = (): Promise<void> =>
    new Promise((resolve) => {
      const sendNext = () => {
        // Stryker disable next-line EqualityOperator: `>=` -> `>` differs only when now equals the deadline to the nanosecond (one more request may start); `<` is killed
        if (performance.now() >= deadline) return resolve();
        const spec = options.request(index++);
        const sentAt = performance.now();
        pool.dispatch(
          { path: spec.path, method: (spec.method ?? "GET") as Dispatcher.HttpMethod, headers: spec.headers, body: spec.body },
          {
            onConnect: () => undefined,
            onHeaders: () => true,
            onData: () => true,
            onComplete() {
              latency.record(performance.now() - sentAt);
              completed++;
              sendNext();
            },
            onError() {
              errors++;
              sendNext();
            },
          },
        );
      };
      sendNext();
    });

  return Promise.all(Array.from({ length: options.connections }, loop)).then(async () => {
    await pool.close();
    const elapsedMs = performance.now() - start;
    return { completed, errors, elapsedMs, rate: (completed * 1000) / elapsedMs, latency };
  });
}
