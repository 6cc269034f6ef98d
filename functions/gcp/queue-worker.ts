/**
 * queue-worker on Cloud Functions (2nd gen): an HTTP function that a Pub/Sub push
 * subscription calls with one message per request (authenticated with an OIDC token the
 * platform checks before the function runs: only the push identity may invoke it).
 */
import { http } from "@google-cloud/functions-framework";
import { createLogger, createQueueWorker } from "../core";
import { entryPointName, firestoreDatabase, projectId } from "./contract";
import { createFirestoreUserStore } from "./firestore-store";
import { requestIdOf } from "./http";
import { answerFor, parsePushEnvelope } from "./push";

const logger = createLogger({ platform: "gcp", function: "queue-worker" });

const worker = createQueueWorker({
  store: createFirestoreUserStore({ projectId: projectId(), databaseId: firestoreDatabase() }),
  logger,
});

http(entryPointName("queue-worker"), async (req, res) => {
  if (req.method !== "POST") {
    res.status(405).set("allow", "POST").json({ error: "Pub/Sub push deliveries are POST requests" });
    return;
  }
  let body: unknown = req.body;
  if (req.rawBody && !req.is("application/json")) {
    try {
      body = JSON.parse(req.rawBody.toString("utf8"));
    } catch {
      body = undefined;
    }
  }
  const parsed = parsePushEnvelope(body);
  if (!parsed.ok) {
    // Not something Pub/Sub sends; if it were, the dead-letter policy bounds the retries.
    logger.error("rejected a request that is not a Pub/Sub push envelope", { reason: parsed.reason });
    res.status(400).json({ error: parsed.reason });
    return;
  }
  const [outcome] = await worker.processBatch([parsed.message], { requestId: requestIdOf(req) });
  const answer = answerFor(outcome, parsed.deadLettering);
  if (outcome.status === "poison" && answer.ack) {
    logger.error("acked a poison message: the subscription has no dead-letter policy to move it to", {
      messageId: outcome.id,
      reason: outcome.reason,
    });
  }
  res.status(answer.status).json({ messageId: outcome.id, status: outcome.status, ...("reason" in outcome ? { reason: outcome.reason } : {}) });
});
