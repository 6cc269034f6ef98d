/**
 * The Azure conformance target: the real esbuild bundles (what ships), their registered
 * handlers called with real `HttpRequest` / `InvocationContext` objects from
 * @azure/functions, backed by Azurite Tables and Queues.
 */
import { randomUUID } from "node:crypto";
import { HttpRequest, HttpResponse, InvocationContext } from "@azure/functions";
import { QueueClient } from "@azure/storage-queue";
import type { ConformanceTarget, DeliveredMessage } from "../../conformance/target";
import { loadAzureHandlers, provisionAzureStorage, type AzureHandlers } from "../../local/azure";
import { startAzurite } from "../../local/emulators/azurite";
import { decodeQueueMessage } from "../../functions/azure/publisher";

export const TEST_API_KEY = "azure-conformance-key-0123456789";

export interface AzureTarget extends ConformanceTarget {
  handlers: AzureHandlers;
  env: Record<string, string>;
  eventsQueue: QueueClient;
}

export async function startAzureTarget(): Promise<AzureTarget> {
  const azurite = await startAzurite();
  try {
    const storage = await provisionAzureStorage(azurite.connectionString, { table: "users", queue: "user-events" });
    const handlers = loadAzureHandlers(storage.env(TEST_API_KEY));
    const eventsQueue = storage.eventsQueue;

    return {
      platform: "azure",
      apiKey: TEST_API_KEY,
      handlers,
      env: storage.env(TEST_API_KEY),
      eventsQueue,

      async request(request) {
        const httpRequest = new HttpRequest({
          method: request.method,
          url: request.url,
          headers: Object.fromEntries(request.headers),
          body: request.body ? { bytes: new Uint8Array(await request.arrayBuffer()) } : undefined,
          params: { path: new URL(request.url).pathname.slice(1) },
        });
        const context = new InvocationContext({
          invocationId: randomUUID(),
          functionName: "users-api",
          options: { trigger: { type: "httpTrigger", name: "request", authLevel: "anonymous", methods: [], route: "{*path}" } },
        });
        const init = await handlers.usersApi(httpRequest, context);
        const response = new HttpResponse(init);
        const bytes = await response.arrayBuffer();
        return new Response(bytes.byteLength > 0 ? bytes : null, { status: response.status, headers: response.headers });
      },

      async receivePublished({ atLeast, timeoutMs = 0 }) {
        const deadline = Date.now() + timeoutMs;
        const received: DeliveredMessage[] = [];
        do {
          const { receivedMessageItems } = await eventsQueue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
          for (const item of receivedMessageItems) {
            received.push({ id: item.messageId, body: decodeQueueMessage(item.messageText) });
            await eventsQueue.deleteMessage(item.messageId, item.popReceipt);
          }
          if (receivedMessageItems.length === 0 && received.length < atLeast) await new Promise((r) => setTimeout(r, 100));
        } while (received.length < atLeast && Date.now() < deadline);
        return received;
      },

      async deliver(messages) {
        const failedIds: string[] = [];
        // The host invokes the function once per message, in parallel up to batchSize.
        await Promise.all(
          messages.map(async (message) => {
            try {
              await handlers.queueWorker(queueEntryOf(message.body), queueContext(message.id, 1));
            } catch {
              failedIds.push(message.id);
            }
          }),
        );
        return { failedIds };
      },

      async close() {
        handlers.unload();
        await azurite.stop();
      },
    };
  } catch (error) {
    await azurite.stop();
    throw error;
  }
}

/** As the host hands it over: a JSON message parsed, anything else as text. */
export function queueEntryOf(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

export function queueContext(messageId: string, dequeueCount: number): InvocationContext {
  const now = new Date();
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: "queue-worker",
    triggerMetadata: {
      id: messageId,
      dequeueCount,
      insertionTime: now.toISOString(),
      expirationTime: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
      nextVisibleTime: now.toISOString(),
      popReceipt: randomUUID(),
    },
    options: { trigger: { type: "queueTrigger", name: "queueEntry", queueName: "user-events", connection: "AzureWebJobsStorage" } },
  });
}
