/**
 * queue-worker on Azure Functions: a Storage Queue trigger hands each message to the core
 * worker. The host invokes once per message (host.json `batchSize` of them in parallel);
 * a failed message throws, so the host makes it visible again and, after
 * `maxDequeueCount` deliveries, moves it to `<queue>-poison`
 * (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#poison-messages).
 */
import { app, type InvocationContext } from "@azure/functions";
import { createLogger, createQueueWorker, isFailure, once, type QueueMessage } from "../core";
import { AZURE_QUEUE_TRIGGER } from "./contract";
import { createTableUserStore, usersTableClient } from "./store";

const logger = createLogger({ platform: "azure", function: "queue-worker" });

const worker = once(async () => {
  const table = usersTableClient();
  return createQueueWorker({ store: createTableUserStore(async () => table), logger });
});

/** The queue trigger's handler; exported so tests call it with a real InvocationContext. */
export async function handler(queueEntry: unknown, context: InvocationContext): Promise<void> {
  const message: QueueMessage = {
    id: String(context.triggerMetadata?.id ?? context.invocationId),
    body: messageText(queueEntry),
    attempt: numberOrUndefined(context.triggerMetadata?.dequeueCount),
  };
  const [outcome] = await (await worker()).processBatch([message], { requestId: context.invocationId });
  if (isFailure(outcome)) {
    throw new Error(`message ${outcome.id} failed: ${(outcome as { reason: string }).reason}`);
  }
}

/**
 * The host hands a JSON message over already parsed, anything else as text; the core wants
 * the raw text back.
 */
export function messageText(entry: unknown): string {
  if (typeof entry === "string") return entry;
  if (entry instanceof Uint8Array) return Buffer.from(entry).toString("utf8");
  return JSON.stringify(entry);
}

function numberOrUndefined(value: unknown): number | undefined {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

app.storageQueue("queue-worker", {
  // The queue named by EVENTS_QUEUE, over the identity-based host storage connection (no key).
  ...AZURE_QUEUE_TRIGGER,
  handler,
});
