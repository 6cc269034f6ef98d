/**
 * queue-worker on Workers (module syntax): `queue(batch)` hands the messages to the core
 * worker and settles each one explicitly: ack() when processed, retry() when it failed, so
 * one bad message never redelivers the others and Queues dead-letters it after max_retries.
 * Bindings: USERS_DB (D1), PARITY_PLATFORM.
 */
import { createLogger, createQueueWorker, isFailure, type Logger, type QueueMessage, type QueueWorker } from "../core";
import type { MessageBatch, QueueWorkerEnv } from "./bindings";
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

/** Bodies arrive as published: text from our publisher; anything else is serialised for the parser. */
export function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new TextDecoder().decode(body as ArrayBuffer);
  return JSON.stringify(body);
}

export default {
  async queue(batch: MessageBatch, env: QueueWorkerEnv): Promise<void> {
    const messages: QueueMessage[] = batch.messages.map((m) => ({ id: m.id, body: bodyText(m.body), attempt: m.attempts }));
    const outcomes = await workerFor(env).processBatch(messages);
    // processBatch answers in message order.
    outcomes.forEach((outcome, index) => {
      const message = batch.messages[index];
      if (isFailure(outcome)) message.retry();
      else message.ack();
    });
  },
};
