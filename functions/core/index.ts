/** The portable core: business rules and ports, no cloud SDK. */
export * from "./ports";
export * from "./log";
export * from "./errors";
export * from "./validation";
export { createUsersApi, MAX_BODY_BYTES, INSTANCE_HEADER, COLD_HEADER, type UsersApi, type UsersApiDeps, type Invocation } from "./users-api";
export { createQueueWorker, isFailure, type QueueWorker, type QueueWorkerDeps, type QueueMessage, type MessageOutcome } from "./queue-worker";
export { constantTimeEqual, presentedApiKey } from "./auth";
export { createReconciler, reconcileAnswer, reconcilerEnv, reconcilerRunSettings, reconcilerSettingsFrom, type Reconciler, type ReconcilerDeps, type ReconcileOptions, type ReconcileAnswer, type ReconcileReport } from "./reconciler";

/** Caches a promise-returning loader for the life of the instance; a failed load is retried next call. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    cached ??= load().catch((error) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}
