/**
 * What a platform driver test provides to the conformance suite: the real bundle on its
 * local runtime, backed by the platform's local store and queue emulators.
 */

/** A message as it sits on the platform's queue. */
export interface DeliveredMessage {
  /** The platform's message id (what a partial failure names). */
  id: string;
  /** The raw body the publisher wrote (JSON text of `user.created`). */
  body: string;
}

export interface ConformanceTarget {
  /** Platform name, for test titles. */
  platform: string;
  /** The API key the deployed function would read from the platform's secret store. */
  apiKey: string;
  /**
   * Sends a web request through the platform's real entry point: the driver converts it
   * to the platform's event or request shape and the response back.
   */
  request(request: Request): Promise<Response>;
  /**
   * Receives what the users API published since the last call, from the platform's real
   * local queue. Waits up to `timeoutMs` for at least `atLeast` messages.
   */
  receivePublished(options: { atLeast: number; timeoutMs?: number }): Promise<DeliveredMessage[]>;
  /**
   * Delivers one batch to the queue worker's real entry point in the platform's native
   * event shape (for push platforms: one request per message). Returns the ids of the
   * messages the platform would redeliver.
   */
  deliver(messages: DeliveredMessage[]): Promise<{ failedIds: string[] }>;
  /**
   * A second users API on the same store whose publisher points at an unreachable queue (the
   * queue down), for the reconciler cases and the swallowed publish failure. `logs()` returns the
   * log lines it wrote.
   */
  usersApiWithQueueDown(): Promise<SecondUsersApi>;
  /**
   * A second users API whose store is unreachable (its endpoint a closed loopback port, or on
   * Cloudflare a stand-in binding that throws), for the fault cases. Its client's retries are
   * bounded in the target so that a request fails within seconds. `logs()` returns the JSON
   * log lines it wrote.
   */
  usersApiWithStoreDown(): Promise<SecondUsersApi>;
  /**
   * A second users API on the same store and queue whose secret store holds no API key, set
   * the way that store would hold it: an empty secret environment variable (GCP), an empty app
   * setting (Azure), an empty secret binding (Cloudflare); on AWS, whose Secrets Manager cannot
   * hold an empty string, a secret with no value set. `secretName` is the name the logged
   * cause must carry, so that an operator can tell which secret to set.
   */
  usersApiWithEmptyApiKey(): Promise<SecondUsersApi & { secretName: string }>;
  /**
   * A second users API whose store is slow: a proxy (local/fault-proxy.ts) holds every byte it
   * sends to the store longer than the function may run, under a short function timeout that
   * the local runtime enforces as the platform does. Absent where that cannot be played
   * honestly; `slowStoreUnsupported` then says why.
   */
  usersApiWithSlowStore?(): Promise<SlowStoreUsersApi>;
  /** Why a platform has no slow-store case (the suite names it in the skipped test's title). */
  slowStoreUnsupported?: string;
  /**
   * Runs the reconciler once, invoked the way the platform's scheduler invokes it (its native
   * event or request), with a grace period of 0 so that users created by the test are pending.
   * Resolves when the run has finished.
   */
  runReconciler(): Promise<void>;
  /** Stops the runtime and every emulator it started. */
  close(): Promise<void>;
}

/** A second users API beside the target's, with one fault of its own. */
export interface SecondUsersApi {
  request(request: Request): Promise<Response>;
  /** The log lines it wrote (JSON, possibly prefixed by the runtime). */
  logs(): string[];
  close(): Promise<void>;
}

/** A users API in front of a slow store (see `ConformanceTarget.usersApiWithSlowStore`). */
export interface SlowStoreUsersApi {
  request(request: Request): Promise<Response>;
  /** The function's timeout, as configured on this copy. */
  timeoutMs: number;
  /**
   * What the caller gets when the store outlasts the function: the platform's own timeout answer
   * (`body`), or parity's error code where the driver's store deadline answers first (`code`).
   * `source` cites where the answer is documented.
   */
  timeoutAnswer: { status: number; code?: string; body?: unknown; source: string };
  /** Resolves once the store has received everything the function sent (the held bytes delivered). */
  storeCaughtUp(): Promise<void>;
  /** What the store holds for a normalised email, read directly: users with that email, and email claims. */
  recordsFor(email: string): Promise<{ users: number; claims: number }>;
  close(): Promise<void>;
}
