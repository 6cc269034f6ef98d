/**
 * The Cloudflare conformance target: the real Worker bundles on workerd (Miniflare), D1 and
 * Queues in memory. users-api is reached over real HTTP; what it publishes is taken off the
 * events queue by the recorder worker; batches reach queue-worker's real `queue()` handler and
 * its per-message ack()/retry() decide `failedIds`.
 */
import { plannedCatalog, type Overrides } from "../planned";
import type { ConformanceTarget } from "../../conformance/target";
import { TEST_API_KEY } from "../infra/harness";
import { planCloudflare } from "../../components/cloudflare/rules";
import { cloudflareEnv } from "../../functions/cloudflare/contract";
import { EVENTS_QUEUE, startMiniflareCloud, workerdStatus, type MiniflareCloud, type QueueDispatchResult } from "../../local/emulators/miniflare";

/**
 * The catalog's functions on Cloudflare with the dev stack's settings and `overrides`,
 * planned by the same rules as a deploy, each with its bundle.
 */
export const cloudflareTestFunctions = (overrides: Overrides = {}) => plannedCatalog("cloudflare", planCloudflare, overrides).functions;

/**
 * workerd missing: a loud skip locally, a failure under CI=true. Returns whether to run.
 */
export function workerdOrSkip(suite: string): boolean {
  const status = workerdStatus();
  if (status.ok) return true;
  const message = `${suite}: workerd is not available (${status.reason}); reinstall with \`npm install\` on a platform workerd supports`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!!!! SKIPPED ${message}\n`);
  return false;
}

/** Polls `probe` every 100 ms until it returns a value; fails naming `what` (and `context`, e.g. a log) after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, context?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${context ? `:\n${context()}` : ""}`);
}

export async function startCloudflareTarget(): Promise<ConformanceTarget & { cloud: MiniflareCloud }> {
  /** Every Worker's log lines; workerd does not say which Worker wrote one. */
  const logLines: string[] = [];
  const cloud = await startMiniflareCloud({
    functions: Object.values(cloudflareTestFunctions()),
    apiKey: TEST_API_KEY,
    delivery: "record",
    // users-api's copy whose queue is down, and the reconciler with grace 0 (see ConformanceTarget).
    queueDownCopy: true,
    // users-api's copy whose D1 is down (a stand-in binding that throws; see storeDownCopy).
    storeDownCopy: true,
    // users-api's copy whose API_KEY secret binding is empty (see emptyKeyCopy).
    emptyKeyCopy: true,
    onLog: (line) => logLines.push(line),
    graceSecondsOverride: 0,
  });
  const reconciler = cloudflareTestFunctions().reconciler;
  return {
    platform: "cloudflare",
    slowStoreUnsupported:
      "Workers have no wall-clock limit while awaiting I/O, only a CPU-time limit (https://developers.cloudflare.com/changelog/2025-03-25-higher-cpu-limits/), so a slow D1 holds the request instead of timing it out; and Miniflare's D1 is in-process SQLite, which no proxy can slow",
    apiKey: TEST_API_KEY,
    cloud,
    async request(request) {
      const url = new URL(request.url);
      const hasBody = request.method !== "GET" && request.method !== "HEAD";
      return fetch(cloud.url! + url.pathname + url.search, {
        method: request.method,
        headers: request.headers,
        body: hasBody ? await request.arrayBuffer() : undefined,
      });
    },
    async receivePublished({ atLeast, timeoutMs = 0 }) {
      const deadline = Date.now() + timeoutMs;
      const received = await cloud.recorded(EVENTS_QUEUE);
      while (received.length < atLeast && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        received.push(...(await cloud.recorded(EVENTS_QUEUE)));
      }
      return received.map(({ id, body }) => ({ id, body }));
    },
    async deliver(messages) {
      return { failedIds: failedIds(await cloud.dispatchBatch("queue-worker", messages), messages.map((m) => m.id)) };
    },
    /**
     * users-api's real bundle on the same D1, its EVENTS binding pointing at a stand-in whose
     * send() throws (a wrapper: Miniflare's Queues binding cannot be made to fail; see
     * `queueDownCopy` in local/emulators/miniflare.ts).
     */
    async usersApiWithQueueDown() {
      const from = logLines.length;
      return { request: requestThrough(cloud.queueDown!), logs: () => logLines.slice(from), close: async () => undefined };
    },
    /**
     * users-api's real bundle whose USERS_DB binding is a stand-in that throws (a wrapper:
     * Miniflare's D1 is in-process and cannot be made unreachable; see `storeDownCopy` in
     * local/emulators/miniflare.ts). `logs()` holds the lines written since it was opened.
     */
    async usersApiWithStoreDown() {
      const from = logLines.length;
      return {
        request: requestThrough(cloud.storeDown!),
        logs: () => logLines.slice(from),
        close: async () => undefined,
      };
    },
    /** users-api's real bundle on the same D1 and queue, its API_KEY secret binding empty. */
    async usersApiWithEmptyApiKey() {
      const from = logLines.length;
      return { request: requestThrough(cloud.emptyKey!), logs: () => logLines.slice(from), secretName: cloudflareEnv.apiKey, close: async () => undefined };
    },
    /** One run through the reconciler Worker's `scheduled()`, as its Cron Trigger fires it. */
    async runReconciler() {
      const result = await cloud.fireScheduled("reconciler", { cron: reconciler.native.schedule!.cron, scheduledTime: new Date() });
      if (result.outcome !== "ok") throw new Error(`reconciler: scheduled() ended with outcome "${result.outcome}"`);
    },
    close: () => cloud.stop(),
  };
}

/** Sends web requests to a copy of a Worker reached through its fetch handler (queueDown, storeDown). */
function requestThrough(worker: { fetch(url: string, init?: RequestInit): Promise<Response> }) {
  return async (request: Request) => {
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    return worker.fetch(request.url, { method: request.method, headers: Object.fromEntries(request.headers), body: hasBody ? await request.text() : undefined });
  };
}

/** The ids Queues would redeliver: explicit retry() calls, or all of them on a batch failure. */
export function failedIds(result: QueueDispatchResult, ids: string[]): string[] {
  if (result.outcome !== "ok" || result.retryBatch.retry) return ids;
  return result.retryMessages.map((m) => m.msgId);
}
