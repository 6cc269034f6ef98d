/**
 * users-api on Cloud Functions (2nd gen): an HTTP function registered with the Functions
 * Framework; the core users API does the work.
 */
import { http } from "@google-cloud/functions-framework";
import { createLogger, createUsersApi } from "../core";
import { apiKeyFromSecretEnv } from "./api-key";
import { entryPointName, firestoreDatabase, gcpEnv, projectId, publishTimeoutMs, requiredEnv } from "./contract";
import { createFirestoreUserStore } from "./firestore-store";
import { requestIdOf, sendWebResponse, toWebRequest } from "./http";
import { createPubSubPublisher } from "./pubsub-publisher";

const logger = createLogger({ platform: "gcp", function: "users-api" });

const api = createUsersApi({
  store: createFirestoreUserStore({ projectId: projectId(), databaseId: firestoreDatabase() }),
  publisher: createPubSubPublisher({ projectId: projectId(), topic: requiredEnv(gcpEnv.eventsTopic), timeoutMs: publishTimeoutMs() }),
  apiKey: apiKeyFromSecretEnv(),
  logger,
});

http(entryPointName("users-api"), async (req, res) => {
  const response = await api.fetch(toWebRequest(req), { requestId: requestIdOf(req) });
  await sendWebResponse(response, res);
});
