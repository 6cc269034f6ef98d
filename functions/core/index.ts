/** The portable core: business rules and ports, no cloud SDK. */
export * from "./ports";
export * from "./log";
export * from "./errors";
export * from "./validation";
export { createUsersApi, MAX_BODY_BYTES, INSTANCE_HEADER, INSTANCE_PROBE_HEADER, COLD_HEADER, type UsersApi, type UsersApiDeps, type Invocation } from "./users-api";
export { createQueueWorker, isFailure, type QueueWorker, type QueueWorkerDeps, type QueueMessage, type MessageOutcome } from "./queue-worker";
export { constantTimeEqual, presentedApiKey } from "./auth";
export { createReconciler, reconcileAnswer, reconcilerEnv, reconcilerRunSettings, reconcilerSettingsFrom, type Reconciler, type ReconcilerDeps, type ReconcileOptions, type ReconcileAnswer, type ReconcileReport } from "./reconciler";

/**
 * Caches a promise-returning loader for `ttlMs` from when its load began; a failed load is
 * retried next call, and concurrent calls share one load. What a secret is cached with: a
 * rotated secret reaches a warm instance within `ttlMs`, which an instance-long cache never does
 * (a provisioned Lambda instance lives for hours).
 */
export function cachedFor<T>(load: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let cached: Promise<T> | undefined;
  let loadedAt = 0;
  return () => {
    if (cached && now() - loadedAt >= ttlMs) cached = undefined;
    if (!cached) {
      loadedAt = now();
      cached = load().catch((error) => {
        cached = undefined;
        throw error;
      });
    }
    return cached;
  };
}

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
