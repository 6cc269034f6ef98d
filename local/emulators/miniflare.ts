/**
 * Cloudflare on this machine: the real Worker bundles on workerd through Miniflare, with D1
 * and Queues in memory. Used by `local/cloudflare.ts` (npm start) and by the Cloudflare tests.
 *
 * Each catalog function becomes one Miniflare worker with exactly the bindings the component
 * deploys (`workerBindings`). A small recorder worker consumes the dead-letter queue (and, in
 * "record" mode, the events queue) so callers can see what was published or dead-lettered:
 * Queues allows one consumer per queue and Miniflare has no API to peek into a queue.
 */
import * as fs from "node:fs";
import { freePort } from "./loopback";
import { Miniflare } from "miniflare";
import type { FunctionDeployment } from "../../components/deployment";
import { WORKERS_COMPATIBILITY_DATE, workerBindings } from "../../components/cloudflare";
import { migrationStatements, readD1Migrations } from "../../components/cloudflare-d1";

export const EVENTS_QUEUE = "events";
export const DEAD_LETTER_QUEUE = "events-dlq";
const D1_ID = "users-db";
const RECORDER = "parity-queue-recorder";

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

export interface MiniflareCloudOptions {
  functions: FunctionDeployment[];
  apiKey: string;
  /**
   * `deliver`: the queue function consumes the events queue as Queues would (batchSize,
   * maxAttempts → max_retries, dead-letter queue). `record`: the recorder consumes it instead
   * and callers drive the queue function with {@link MiniflareCloud.dispatchBatch}.
   */
  delivery: "deliver" | "record";
  /** Seconds Queues waits to fill a batch (Cloudflare's default is 5). @default 1 */
  batchTimeoutSeconds?: number;
  /** Receives the Workers' log lines; dropped when absent. */
  onLog?: (line: string) => void;
}

export interface MiniflareCloud {
  miniflare: Miniflare;
  /** users-api over real HTTP on 127.0.0.1. */
  url: string;
  /** Returns and forgets what the recorder received on `queue` (or only reads it with `peek`). */
  recorded(queue: string, options?: { peek?: boolean }): Promise<RecordedMessage[]>;
  /** Runs one function's `queue()` handler with a batch and reports each message's settlement. */
  dispatchBatch(functionName: string, messages: { id: string; body: string; attempts?: number }[]): Promise<QueueDispatchResult>;
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

/** Applies the same statements a deploy applies (components/cloudflare-d1.ts), to Miniflare's D1. */
export async function applyMigrations(db: D1DatabaseLike): Promise<void> {
  await db.batch(migrationStatements(readD1Migrations()).map((sql) => db.prepare(sql)));
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
  async fetch(request) {
    const url = new URL(request.url);
    const queue = url.searchParams.get("queue");
    const messages = recorded[queue] ?? [];
    if (!url.searchParams.has("peek")) recorded[queue] = [];
    return Response.json(messages);
  },
};`;

export async function startMiniflareCloud(options: MiniflareCloudOptions): Promise<MiniflareCloud> {
  const http = options.functions.filter((fn) => fn.definition.trigger.kind === "http");
  const queued = options.functions.filter((fn) => fn.definition.trigger.kind === "queue");
  // The entry worker (first in the list) is what the HTTP socket serves.
  const ordered = [...http, ...queued];
  const batchTimeout = options.batchTimeoutSeconds ?? 1;

  const workers = ordered.map((fn) => {
    const worker: Record<string, unknown> = {
      name: fn.definition.name,
      modules: true,
      scriptPath: fn.bundle.file,
      compatibilityDate: WORKERS_COMPATIBILITY_DATE,
    };
    const bindings: Record<string, string> = {};
    for (const binding of workerBindings(fn.definition.capabilities)) {
      if (binding.kind === "d1") worker.d1Databases = { [binding.name]: D1_ID };
      if (binding.kind === "queue") worker.queueProducers = { [binding.name]: EVENTS_QUEUE };
      if (binding.kind === "secret_text") bindings[binding.name] = options.apiKey;
      if (binding.kind === "plain_text") bindings[binding.name] = binding.text;
    }
    worker.bindings = bindings;
    if (fn.definition.trigger.kind === "queue" && options.delivery === "deliver") {
      worker.queueConsumers = {
        [EVENTS_QUEUE]: {
          maxBatchSize: fn.settings.batchSize,
          maxBatchTimeout: batchTimeout,
          maxRetries: fn.settings.maxAttempts! - 1,
          deadLetterQueue: DEAD_LETTER_QUEUE,
          retryDelay: 0,
        },
      };
    }
    return worker;
  });
  const recorded = options.delivery === "record" ? [EVENTS_QUEUE, DEAD_LETTER_QUEUE] : [DEAD_LETTER_QUEUE];
  workers.push({
    name: RECORDER,
    modules: true,
    script: recorderScript,
    compatibilityDate: WORKERS_COMPATIBILITY_DATE,
    queueConsumers: Object.fromEntries(recorded.map((queue) => [queue, { maxBatchTimeout: 0, maxBatchSize: 100 }])),
  });

  const port = await freePort();
  const onLog = options.onLog;
  const miniflare = new Miniflare({
    host: "127.0.0.1",
    port,
    workers,
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      for (const stream of [stdout, stderr]) {
        if (!onLog) stream.resume();
        else stream.on("data", (chunk: Buffer) => chunk.toString().split("\n").filter(Boolean).forEach(onLog));
      }
    },
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = (await miniflare.ready).toString().replace(/\/$/, "");

  const anyDbWorker = ordered.find((fn) => workerBindings(fn.definition.capabilities).some((b) => b.kind === "d1"));
  const usersDb = async () => {
    if (!anyDbWorker) throw new Error("no function has a D1 binding");
    return (await miniflare.getD1Database("USERS_DB", anyDbWorker.definition.name)) as unknown as D1DatabaseLike;
  };
  if (anyDbWorker) await applyMigrations(await usersDb());

  return {
    miniflare,
    url,
    async recorded(queue, { peek = false } = {}) {
      // Miniflare types its Fetcher with @cloudflare/workers-types, which this project does not install.
      const recorder = (await miniflare.getWorker(RECORDER)) as unknown as { fetch(url: string): Promise<Response> };
      const response = await recorder.fetch(`http://recorder/?queue=${encodeURIComponent(queue)}${peek ? "&peek" : ""}`);
      return (await response.json()) as RecordedMessage[];
    },
    async dispatchBatch(functionName, messages) {
      const worker = (await miniflare.getWorker(functionName)) as unknown as {
        queue(queue: string, messages: { id: string; timestamp: Date; body: unknown; attempts: number }[]): Promise<QueueDispatchResult>;
      };
      return worker.queue(
        EVENTS_QUEUE,
        messages.map((m) => ({ id: m.id, timestamp: new Date(), body: m.body, attempts: m.attempts ?? 1 })),
      );
    },
    usersDb,
    async stop() {
      await miniflare.dispose();
    },
  };
}
