/**
 * The slice of the Workers runtime API the driver uses, typed structurally so that the
 * bundle needs no `@cloudflare/workers-types` and nothing Node-only.
 * Reference: https://developers.cloudflare.com/d1/worker-api/ and
 * https://developers.cloudflare.com/queues/configuration/javascript-apis/
 */

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

/** The bindings of users-api (names fixed by the component: see components/cloudflare.ts). */
export interface UsersApiEnv {
  USERS_DB: D1Database;
  EVENTS: QueueProducer;
  /** secret_text binding. */
  API_KEY: string;
  PARITY_PLATFORM?: string;
}

/** The bindings of queue-worker: the database only. */
export interface QueueWorkerEnv {
  USERS_DB: D1Database;
  PARITY_PLATFORM?: string;
}
