/**
 * queue-worker on Workers: parity's own queue handler over D1, served by the generic driver
 * (./driver.ts `queue`), which acks or retries each message by its outcome.
 * Bindings (`ctx.env`): USERS_DB (D1), PARITY_PLATFORM.
 */
import { createLogger, createQueueWorker, type Logger, type QueueWorker } from "../core";
import type { QueueHandler } from "../handler";
import type { QueueWorkerEnv } from "./bindings";
import { cloudflareEnv } from "./contract";
import { createD1UserStore } from "./store";

let logger: Logger | undefined;
const workers = new WeakMap<QueueWorkerEnv, QueueWorker>();

function workerFor(env: QueueWorkerEnv): QueueWorker {
  let worker = workers.get(env);
  if (!worker) {
    logger ??= createLogger({ platform: env[cloudflareEnv.platform] ?? "cloudflare", function: "queue-worker" });
    worker = createQueueWorker({ store: createD1UserStore(env[cloudflareEnv.usersDb]), logger });
    workers.set(env, worker);
  }
  return worker;
}

export default {
  queue: (messages, ctx) => workerFor(ctx.env as unknown as QueueWorkerEnv).processBatch(messages, { requestId: ctx.requestId }),
} satisfies QueueHandler;
