/**
 * users-api on Cloud Functions (2nd gen): parity's own fetch handler with the GCP ports
 * (Firestore, Pub/Sub, a Secret Manager secret variable). The generic driver (./driver.ts
 * `http`) registers it with the Functions Framework, as it does any team's fetch handler.
 */
import { createLogger, createUsersApi } from "../core";
import type { FetchHandler } from "../handler";
import { apiKeyFromSecretEnv } from "./api-key";
import { firestoreDatabase, gcpEnv, projectId, publishTimeoutMs, requiredEnv } from "./contract";
import { createFirestoreUserStore } from "./firestore-store";
import { createPubSubPublisher } from "./pubsub-publisher";

const api = createUsersApi({
  store: createFirestoreUserStore({ projectId: projectId(), databaseId: firestoreDatabase() }),
  publisher: createPubSubPublisher({ projectId: projectId(), topic: requiredEnv(gcpEnv.eventsTopic), timeoutMs: publishTimeoutMs() }),
  apiKey: apiKeyFromSecretEnv(),
  logger: createLogger({ platform: "gcp", function: "users-api" }),
});

export default {
  fetch: (request, ctx) => api.fetch(request, { requestId: ctx.requestId }),
} satisfies FetchHandler;
