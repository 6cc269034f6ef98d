/**
 * Cloudflare on this machine: the real Worker bundles on workerd through Miniflare, with D1
 * and Queues in memory. Used by `local/cloudflare.ts` (npm start) and by the Cloudflare tests.
 *
 * Each planned function becomes one Miniflare worker with exactly the bindings the component
 * deploys (the contract's `workerBindings`), the pinned compatibility date and, for the queue
 * function, the consumer settings of the plan. A small recorder worker consumes the
 * dead-letter queue (and, in "record" mode, the events queue) so callers can see what was
 * published or dead-lettered: Queues allows one consumer per queue and Miniflare has no API
 * to peek into a queue.
 *
 * Loads no Pulumi package: only the pure rules, migrations and contract.
 */
import * as fs from "node:fs";
import { Miniflare } from "miniflare";
import type { CloudflarePlannedFunction } from "../../components/cloudflare/rules";
import { WORKERS_COMPATIBILITY_DATE } from "../../components/cloudflare/rules";
import { APPLIED_MIGRATIONS_SQL, migrationStatements, MIGRATIONS_TABLE_SQL, readD1Migrations } from "../../components/cloudflare/migrations";
import type { FunctionDeployment } from "../../components/platform";
import { cloudflareEnv, workerBindings } from "../../functions/cloudflare/contract";

export const EVENTS_QUEUE = "events";
export const DEAD_LETTER_QUEUE = "events-dlq";
const D1_ID = "users-db";
const RECORDER = "parity-queue-recorder";
/** Stand-in for an unreachable queue: what `EVENTS` points at in the queue-down copy of the HTTP function. */
const QUEUE_DOWN = "parity-queue-down";
const STORE_DOWN = "parity-store-down";
/** The name of the queue-down copy of the HTTP function. */
export const queueDownWorkerName = (fn: string) => `${fn}-queue-down`;
export const storeDownWorkerName = (fn: string) => `${fn}-store-down`;
export const emptyKeyWorkerName = (fn: string) => `${fn}-empty-key`;
/** The recorder's producer binding on the events queue, for its backlog (`Queue.metrics()`). */
const EVENTS_METRICS = "EVENTS_METRICS";

/** A message as the recorder saw it. */
export interface RecordedMessage {
  id: string;
  body: string;
  attempts: number;
}

/** What Miniflare reports after a worker's `queue()` handler ran (`Fetcher.queue`). */
export interface QueueDispatchResult {
  outcome: string;
  ackAll: boolean;
  retryBatch: { retry: boolean; delaySeconds?: number };
  explicitAcks: string[];
  retryMessages: { msgId: string; delaySeconds?: number }[];
}

/** One planned function with its bundle: what Miniflare runs. */
export type MiniflareFunction = Pick<CloudflarePlannedFunction, "definition" | "native"> & Pick<FunctionDeployment, "bundle">;

export interface MiniflareCloudOptions {
  /** Planned by `planCloudflare`, at most one HTTP and one queue function (its checks). */
  functions: MiniflareFunction[];
  apiKey: string;
  /**
   * `deliver`: the queue function consumes the events queue as Queues would (the plan's
   * batchSize and maxRetries, the dead-letter queue). `record`: the recorder consumes it
   * instead and callers drive the queue function with {@link MiniflareCloud.dispatchBatch}.
   */
  delivery: "deliver" | "record";
  /** Seconds Queues waits to fill a batch (Cloudflare's default is 5). @default 1 */
  batchTimeoutSeconds?: number;
  /** Receives the Workers' log lines; dropped when absent. */
  onLog?: (line: string) => void;
  /**
   * Also runs a copy of the HTTP function on the same D1 whose `EVENTS.send()` always fails,
   * for the reconciler's "queue down" cases ({@link MiniflareCloud.queueDown}). Miniflare's
   * queue binding cannot be made to fail, so this copy's EVENTS is a service binding (JS RPC)
   * to a stand-in worker whose `send()` throws: a wrapper, not a real Queues failure.
   */
  queueDownCopy?: boolean;
  /**
   * Also runs a copy of the HTTP function whose D1 is unreachable, for the fault cases
   * ({@link MiniflareCloud.storeDown}). Miniflare's D1 is in-process SQLite and cannot be made
   * unreachable, so this copy's USERS_DB is a service binding to a stand-in worker whose
   * `prepare()` and `batch()` throw: a wrapper, not a real D1 outage.
   */
  storeDownCopy?: boolean;
  /**
   * Also runs a copy of the HTTP function on the same D1 and queue whose API_KEY secret binding
   * is empty ({@link MiniflareCloud.emptyKey}), for the conformance case of a missing key.
   */
  emptyKeyCopy?: boolean;
  /**
   * Tests: the grace period bound to every schedule function instead of the plan's, e.g. 0 so
   * users created by the test are pending at once.
   */
  graceSecondsOverride?: number;
}

/** What Miniflare reports after a worker's `scheduled()` handler ran (`Fetcher.scheduled`). */
export interface ScheduledResult {
  outcome: string;
  noRetry: boolean;
}

export interface MiniflareCloud {
  miniflare: Miniflare;
  /** The HTTP function over real HTTP on 127.0.0.1; undefined without one. */
  url: string | undefined;
  /** Returns and forgets what the recorder received on `queue` (or only reads it with `peek`). */
  recorded(queue: string, options?: { peek?: boolean }): Promise<RecordedMessage[]>;
  /** Runs one function's `scheduled()` handler as a Cron Trigger does, and reports its outcome. */
  fireScheduled(functionName: string, controller: { cron: string; scheduledTime: Date }): Promise<ScheduledResult>;
  /** The queue-down copy of the HTTP function (`queueDownCopy`), reached through its own fetch handler. */
  queueDown?: { fetch(url: string, init?: RequestInit): Promise<Response> };
  /** The store-down copy of the HTTP function (`storeDownCopy`), reached through its own fetch handler. */
  storeDown?: { fetch(url: string, init?: RequestInit): Promise<Response> };
  /** The empty-key copy of the HTTP function (`emptyKeyCopy`), reached through its own fetch handler. */
  emptyKey?: { fetch(url: string, init?: RequestInit): Promise<Response> };
  /** Runs one function's `queue()` handler with a batch and reports each message's settlement. */
  dispatchBatch(functionName: string, messages: { id: string; body: string; attempts?: number }[]): Promise<QueueDispatchResult>;
  /**
   * Messages waiting on the events queue (Queues' own backlog count, retries included; a
   * batch being handled is not waiting) and messages in the dead-letter queue.
   */
  queueDepth(): Promise<{ pending: number; deadLettered: number }>;
  /** The D1 database as the Workers see it. */
  usersDb(): Promise<D1DatabaseLike>;
  stop(): Promise<void>;
}

export interface D1DatabaseLike {
  prepare(sql: string): { bind(...values: unknown[]): any; first<T = unknown>(): Promise<T | null>; run(): Promise<any> };
  batch(statements: unknown[]): Promise<unknown[]>;
}

/**
 * Whether workerd runs here: its binary ships in a platform-specific optional dependency of
 * `workerd`, which npm may skip (unsupported platform, --no-optional).
 */
export function workerdStatus(): { ok: true; version: string; compatibilityDate: string } | { ok: false; reason: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const workerd = require("workerd") as { default: string; version: string; compatibilityDate: string };
    if (!fs.existsSync(workerd.default)) return { ok: false, reason: `binary missing at ${workerd.default}` };
    return { ok: true, version: workerd.version, compatibilityDate: workerd.compatibilityDate };
  } catch (error) {
    return { ok: false, reason: (error as Error).message.split("\n")[0] };
  }
}

/**
 * Applies the migrations the database's ledger lacks, as a deploy does
 * (components/cloudflare/migrations.ts), to Miniflare's D1.
 */
export async function applyMigrations(db: D1DatabaseLike): Promise<void> {
  await db.prepare(MIGRATIONS_TABLE_SQL).run();
  const applied = ((await db.prepare(APPLIED_MIGRATIONS_SQL).run()) as { results: { name: string }[] }).results.map((row) => row.name);
  const statements = migrationStatements(readD1Migrations(), applied);
  if (statements.length > 0) await db.batch(statements.map((sql) => db.prepare(sql)));
}

const recorderScript = `
const recorded = {};
export default {
  async queue(batch) {
    const list = (recorded[batch.queue] ??= []);
    for (const m of batch.messages) {
      list.push({ id: m.id, body: typeof m.body === "string" ? m.body : JSON.stringify(m.body), attempts: m.attempts });
      m.ack();
    }
  },
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/backlog") return Response.json((await env.${EVENTS_METRICS}.metrics()).backlogCount);
    const queue = url.searchParams.get("queue");
    const messages = recorded[queue] ?? [];
    if (!url.searchParams.has("peek")) recorded[queue] = [];
    return Response.json(messages);
  },
};`;

const queueDownScript = `
import { WorkerEntrypoint } from "cloudflare:workers";
export default class extends WorkerEntrypoint {
  async send() { throw new Error("queue unreachable (local stand-in for a Queues outage)"); }
  async fetch() { return new Response("queue unreachable", { status: 503 }); }
}`;

const storeDownScript = `
import { WorkerEntrypoint } from "cloudflare:workers";
export default class extends WorkerEntrypoint {
  prepare() { throw new Error("D1 unreachable (local stand-in for a D1 outage)"); }
  batch() { throw new Error("D1 unreachable (local stand-in for a D1 outage)"); }
  async fetch() { return new Response("D1 unreachable", { status: 503 }); }
}`;

/** Starts the functions by trigger kind: the HTTP function is the entry worker (served at `url`), the queue function consumes the events queue. */
export async function startMiniflareCloud(options: MiniflareCloudOptions): Promise<MiniflareCloud> {
  // The entry worker (first in the list) is what the HTTP socket serves.
  const http = options.functions.filter((fn) => fn.definition.trigger.kind === "http");
  const ordered = [...http, ...options.functions.filter((fn) => fn.definition.trigger.kind !== "http")];
  const batchTimeout = options.batchTimeoutSeconds ?? 1;
  const values = { usersDatabaseId: D1_ID, eventsQueueName: EVENTS_QUEUE, apiKey: options.apiKey };
  const scheduleOf = (fn: MiniflareFunction) =>
    fn.native.schedule && { ...fn.native.schedule, graceSeconds: options.graceSecondsOverride ?? fn.native.schedule.graceSeconds };
  const bindingsOf = (fn: MiniflareFunction) => workerBindings<string>(fn.definition.capabilities, values, scheduleOf(fn));

  const workerOf = (fn: MiniflareFunction, name = fn.definition.name): Record<string, unknown> => {
    const worker: Record<string, unknown> = {
      name,
      modules: true,
      scriptPath: fn.bundle.file,
      compatibilityDate: WORKERS_COMPATIBILITY_DATE,
    };
    const bindings: Record<string, string> = {};
    for (const binding of bindingsOf(fn)) {
      if (binding.kind === "d1") worker.d1Databases = { [binding.name]: binding.databaseId };
      if (binding.kind === "queue") worker.queueProducers = { [binding.name]: binding.queueName };
      if (binding.kind === "secret_text" || binding.kind === "plain_text") bindings[binding.name] = binding.text;
    }
    worker.bindings = bindings;
    return worker;
  };
  const workers: Record<string, unknown>[] = ordered.map((fn) => {
    const worker = workerOf(fn);
    const consumer = fn.native.consumer;
    if (consumer && options.delivery === "deliver") {
      // Miniflare hands a queue one batch at a time, whatever maxConcurrency says.
      worker.queueConsumers = {
        [EVENTS_QUEUE]: { maxBatchSize: consumer.batchSize, maxBatchTimeout: batchTimeout, maxRetries: consumer.maxRetries, deadLetterQueue: DEAD_LETTER_QUEUE, retryDelay: 0 },
      };
    }
    return worker;
  });
  /** A copy of the HTTP Worker whose binding `bindingName` is a Worker that fails (`script`), for the fault cases. */
  const failingCopy = (workerName: string, bindingName: string, drop: "queueProducers" | "d1Databases", standIn: string, script: string) => {
    const copy = workerOf(http[0], workerName);
    delete copy[drop];
    copy.serviceBindings = { [bindingName]: standIn };
    workers.push(copy, { name: standIn, modules: true, script, compatibilityDate: WORKERS_COMPATIBILITY_DATE });
  };
  if (options.queueDownCopy && http[0]) failingCopy(queueDownWorkerName(http[0].definition.name), cloudflareEnv.events, "queueProducers", QUEUE_DOWN, queueDownScript);
  if (options.storeDownCopy && http[0]) failingCopy(storeDownWorkerName(http[0].definition.name), cloudflareEnv.usersDb, "d1Databases", STORE_DOWN, storeDownScript);
  if (options.emptyKeyCopy && http[0]) {
    const copy = workerOf(http[0], emptyKeyWorkerName(http[0].definition.name));
    copy.bindings = { ...(copy.bindings as Record<string, string>), [cloudflareEnv.apiKey]: "" };
    workers.push(copy);
  }
  /**
   * Sends requests to one Worker of this Miniflare: through the entry worker, routed by name with
   * Miniflare's route-override header (every Worker has a route binding under its name). Not
   * through getWorker()'s proxy: its synchronous property reads race under CPU load and fail an
   * internal assertion (`message?.id === id`; cloudflare/workers-sdk#15552, fixed after the
   * Miniflare pinned here), which broke a conformance case once in a full parallel run.
   */
  const fetcherOf = (workerName: string) => ({
    async fetch(url: string, init?: RequestInit): Promise<Response> {
      const headers = new Headers(init?.headers);
      headers.set("MF-Route-Override", workerName);
      return (await miniflare.dispatchFetch(url, { ...(init as object), headers } as Parameters<Miniflare["dispatchFetch"]>[1])) as unknown as Response;
    },
  });
  const recorded = options.delivery === "record" ? [EVENTS_QUEUE, DEAD_LETTER_QUEUE] : [DEAD_LETTER_QUEUE];
  workers.push({
    name: RECORDER,
    modules: true,
    script: recorderScript,
    compatibilityDate: WORKERS_COMPATIBILITY_DATE,
    queueProducers: { [EVENTS_METRICS]: EVENTS_QUEUE },
    queueConsumers: Object.fromEntries(recorded.map((queue) => [queue, { maxBatchTimeout: 0, maxBatchSize: 100 }])),
  });

  const onLog = options.onLog;
  const miniflare = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    workers,
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      for (const stream of [stdout, stderr]) {
        if (!onLog) stream.resume();
        else {
          // A chunk may end mid-line: keep the tail until its newline arrives.
          let partial = "";
          stream.on("data", (chunk: Buffer) => {
            const lines = (partial + chunk.toString()).split("\n");
            partial = lines.pop() ?? "";
            lines.filter(Boolean).forEach(onLog);
          });
        }
      }
    },
  } as ConstructorParameters<typeof Miniflare>[0]);
  try {
    const ready = (await miniflare.ready).toString().replace(/\/$/, "");

    const dbWorker = ordered.find((fn) => bindingsOf(fn).some((binding) => binding.kind === "d1"));
    const usersDb = async () => {
      if (!dbWorker) throw new Error("no function has a D1 binding");
      return (await miniflare.getD1Database(cloudflareEnv.usersDb, dbWorker.definition.name)) as unknown as D1DatabaseLike;
    };
    if (dbWorker) await applyMigrations(await usersDb());
    const recorder = fetcherOf(RECORDER);
    const recordedOn = async (queue: string, peek: boolean) =>
      (await (await recorder.fetch(`http://recorder/?queue=${encodeURIComponent(queue)}${peek ? "&peek" : ""}`)).json()) as RecordedMessage[];

    return {
      miniflare,
      url: http.length > 0 ? ready : undefined,
      recorded: (queue, { peek = false } = {}) => recordedOn(queue, peek),
      async fireScheduled(functionName, { cron, scheduledTime }) {
        const worker = (await miniflare.getWorker(functionName)) as unknown as { scheduled(options: { cron: string; scheduledTime: Date }): Promise<ScheduledResult> };
        return worker.scheduled({ cron, scheduledTime });
      },
      queueDown: options.queueDownCopy && http[0] ? fetcherOf(queueDownWorkerName(http[0].definition.name)) : undefined,
      storeDown: options.storeDownCopy && http[0] ? fetcherOf(storeDownWorkerName(http[0].definition.name)) : undefined,
      emptyKey: options.emptyKeyCopy && http[0] ? fetcherOf(emptyKeyWorkerName(http[0].definition.name)) : undefined,
      async dispatchBatch(functionName, messages) {
        const worker = (await miniflare.getWorker(functionName)) as unknown as {
          queue(queue: string, messages: { id: string; timestamp: Date; body: unknown; attempts: number }[]): Promise<QueueDispatchResult>;
        };
        return worker.queue(
          EVENTS_QUEUE,
          messages.map((m) => ({ id: m.id, timestamp: new Date(), body: m.body, attempts: m.attempts ?? 1 })),
        );
      },
      async queueDepth() {
        const pending = (await (await recorder.fetch("http://recorder/backlog")).json()) as number;
        return { pending, deadLettered: (await recordedOn(DEAD_LETTER_QUEUE, true)).length };
      },
      usersDb,
      stop: () => miniflare.dispose(),
    };
  } catch (error) {
    await miniflare.dispose().catch(() => undefined);
    throw error;
  }
}
