/**
 * The reconciler on Cloud Functions (2nd gen): parity's own schedule handler over Firestore
 * and Pub/Sub. The generic driver (./driver.ts `schedule`) serves it as the private HTTP
 * function a Cloud Scheduler job POSTs to; its report's counts are the 200 answer, and a failed run
 * answers 500 (the next tick is the retry; failures per user are counted in the report).
 */
import { createLogger, createReconciler, reconcileAnswer, reconcilerSettingsFrom } from "../core";
import type { ScheduleHandler } from "../handler";
import { firestoreDatabase, gcpEnv, projectId, publishTimeoutMs, RECONCILER_BATCH_LIMIT, requiredEnv } from "./contract";
import { createFirestoreUserStore } from "./firestore-store";
import { createPubSubPublisher } from "./pubsub-publisher";

const settings = reconcilerSettingsFrom((name) => process.env[name]);

const reconciler = createReconciler({
  store: createFirestoreUserStore({ projectId: projectId(), databaseId: firestoreDatabase() }),
  publisher: createPubSubPublisher({ projectId: projectId(), topic: requiredEnv(gcpEnv.eventsTopic), timeoutMs: publishTimeoutMs() }),
  logger: createLogger({ platform: "gcp", function: "reconciler" }),
  graceSeconds: settings.graceSeconds,
  batchLimit: RECONCILER_BATCH_LIMIT,
});

// The answer goes back over HTTP to whoever invoked the function: counts only, no user ids.
const reconcile: ScheduleHandler = async (ctx) => reconcileAnswer(await reconciler.run({ requestId: ctx.requestId, timeBudgetMs: settings.timeBudgetMs }));
export default reconcile;
