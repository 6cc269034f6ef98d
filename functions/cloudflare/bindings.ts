/**
 * The slice of the Workers runtime API the driver uses, typed structurally so that the
 * bundle needs no `@cloudflare/workers-types` and nothing Node-only.
 * Reference: https://developers.cloudflare.com/d1/worker-api/ and
 * https://developers.cloudflare.com/queues/configuration/javascript-apis/
 */
import { cloudflareEnv } from "./contract";

export interface D1Result<Row = Record<string, unknown>> {
  results: Row[];
  success: boolean;
  meta: { changes?: number };
}

export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  first<Row = Record<string, unknown>>(): Promise<Row | null>;
  run<Row = Record<string, unknown>>(): Promise<D1Result<Row>>;
}

export interface D1Database {
  prepare(sql: string): D1PreparedStatement;
  batch<Row = Record<string, unknown>>(statements: D1PreparedStatement[]): Promise<D1Result<Row>[]>;
}

export interface QueueProducer {
  send(body: unknown, options?: { contentType?: "text" | "json" | "bytes" | "v8" }): Promise<void>;
}

export interface QueueMessageOnWorkers {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface MessageBatch {
  readonly queue: string;
  readonly messages: readonly QueueMessageOnWorkers[];
}

/** The bindings of users-api: those its capabilities bring (./contract.ts). */
export interface UsersApiEnv {
  [cloudflareEnv.usersDb]: D1Database;
  [cloudflareEnv.events]: QueueProducer;
  /** secret_text binding. */
  [cloudflareEnv.apiKey]: string;
  [cloudflareEnv.platform]?: string;
}

/** The bindings of queue-worker: the database only (events.consume is the consumer registration, not a binding). */
export interface QueueWorkerEnv {
  [cloudflareEnv.usersDb]: D1Database;
  [cloudflareEnv.platform]?: string;
}

/** The bindings of reconciler: the database, the queue producer and its two run settings (plain text). */
export interface ReconcilerEnv {
  [cloudflareEnv.usersDb]: D1Database;
  [cloudflareEnv.events]: QueueProducer;
  [cloudflareEnv.reconcileGraceSeconds]: string;
  [cloudflareEnv.reconcileTimeBudgetSeconds]: string;
  [cloudflareEnv.platform]?: string;
}

/** What the Workers runtime passes `scheduled()` (ScheduledController). */
export interface ScheduledController {
  /** The cron expression that fired. */
  readonly cron: string;
  /** Milliseconds since the epoch the run was scheduled for. */
  readonly scheduledTime: number;
  noRetry(): void;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}
