/**
 * queue-worker on Cloud Functions (2nd gen): parity's own queue handler over Firestore. The
 * generic driver (./driver.ts `queue`) serves it to a Pub/Sub push subscription, one message
 * per request, and turns its outcome into the push answer (./push.ts).
 */
import { createLogger, createQueueWorker } from "../core";
import type { QueueHandler } from "../handler";
import { firestoreDatabase, projectId } from "./contract";
import { createFirestoreUserStore } from "./firestore-store";

const worker = createQueueWorker({
  store: createFirestoreUserStore({ projectId: projectId(), databaseId: firestoreDatabase() }),
  logger: createLogger({ platform: "gcp", function: "queue-worker" }),
});

export default {
  queue: (messages, ctx) => worker.processBatch(messages, { requestId: ctx.requestId }),
} satisfies QueueHandler;
