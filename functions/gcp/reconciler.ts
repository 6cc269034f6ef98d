/**
 * reconciler on Cloud Functions (2nd gen): a private HTTP function that a Cloud Scheduler job
 * POSTs to on its schedule, with an OIDC token of the scheduler's own service account (the
 * platform checks it before the function runs: only that identity may invoke it). Cloud
 * Scheduler marks its requests with `X-CloudScheduler: true`, the job name and the scheduled
 * time (https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#HttpTarget, headers).
 */
import { http } from "@google-cloud/functions-framework";
import { createLogger, createReconciler, reconcilerSettingsFrom } from "../core";
import { entryPointName, firestoreDatabase, gcpEnv, projectId, publishTimeoutMs, RECONCILER_BATCH_LIMIT, requiredEnv } from "./contract";
import { createFirestoreUserStore } from "./firestore-store";
import { requestIdOf } from "./http";
import { createPubSubPublisher } from "./pubsub-publisher";

const logger = createLogger({ platform: "gcp", function: "reconciler" });
const settings = reconcilerSettingsFrom((name) => process.env[name]);

const reconciler = createReconciler({
  store: createFirestoreUserStore({ projectId: projectId(), databaseId: firestoreDatabase() }),
  publisher: createPubSubPublisher({ projectId: projectId(), topic: requiredEnv(gcpEnv.eventsTopic), timeoutMs: publishTimeoutMs() }),
  logger,
  graceSeconds: settings.graceSeconds,
  batchLimit: RECONCILER_BATCH_LIMIT,
});

http(entryPointName("reconciler"), async (req, res) => {
  if (req.method !== "POST") {
    res.status(405).set("allow", "POST").json({ error: "the scheduler invokes the reconciler with POST" });
    return;
  }
  if (req.header("x-cloudscheduler") !== "true") {
    // Only the scheduler's identity may invoke the function at all (IAM); this only labels the log.
    logger.warn("reconciler invoked without the Cloud Scheduler headers", { userAgent: req.header("user-agent") });
  }
  try {
    const report = await reconciler.run({
      requestId: requestIdOf(req) ?? req.header("x-cloudscheduler-scheduletime"),
      timeBudgetMs: settings.timeBudgetMs,
    });
    // Cloud Scheduler only needs a 2xx; failures per user are counted in the report and retried next tick.
    res.status(200).json(report);
  } catch (error) {
    logger.error("reconciler run failed; the next tick retries", { error, job: req.header("x-cloudscheduler-jobname") });
    res.status(500).json({ error: "reconcile_failed" });
  }
});
