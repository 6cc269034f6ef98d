/**
 * queue-worker on Azure Functions: parity's own queue handler over Table Storage. The generic
 * driver (./driver.ts `queue`) registers it as a Storage Queue trigger; a failed message
 * throws there, so the host retries it and then moves it to `<queue>-poison`.
 */
import { createLogger, createQueueWorker, once } from "../core";
import type { QueueHandler } from "../handler";
import { createTableUserStore, usersTableClient } from "./store";

const logger = createLogger({ platform: "azure", function: "queue-worker" });

const worker = once(async () => {
  const table = usersTableClient();
  return createQueueWorker({ store: createTableUserStore(async () => table), logger });
});

export default {
  queue: async (messages, ctx) => (await worker()).processBatch(messages, { requestId: ctx.requestId }),
} satisfies QueueHandler;
