/**
 * The users store on Firestore (native mode). Two collections: `users` (doc id = user id)
 * and `emails` (doc id = the normalised email, encoded). A create writes both documents in
 * one transaction with `create()`, which fails with ALREADY_EXISTS when the email document
 * exists, so uniqueness is decided by Firestore itself, never by a read-then-write.
 *
 * Pending users (the reconciler's index): the create writes `pendingSince` (= createdAt) in the
 * same document write, and the worker's conditional welcome deletes it in the same update. A
 * document without the field is not in the field's index (https://cloud.google.com/firestore/docs/concepts/index-overview,
 * "a document is included in the index only if it has an indexed value set for every field
 * used in the index"), so `listPending` reads unwelcomed users only, never scanning the
 * collection. Firestore maintains single-field indexes automatically ("Automatic indexing":
 * ascending and descending for every non-array, non-map field), so the query needs no index
 * resource: one range filter and the order on the same field, then the document name, which
 * every single-field index already ends with.
 *
 * The client is loaded on first use, not at module load: it is most of the bundle and most of
 * its load time (`npm run bench`: the Firestore client alone loads in about 3× the AWS users-api
 * bundle), and a request that needs no store (GET /health, a malformed push) should not pay it.
 * The first request that does pays it instead (docs/how-it-works.md, "Google Cloud: clients loaded on first use").
 */
import type { CollectionReference, Firestore, Transaction } from "@google-cloud/firestore";
import { storeTimeoutMs } from "./contract";
import { EmailTakenError, once, StoreDeadlineError, type PendingUser, type PendingUserStore, type User, type UserStore, type WelcomeResult } from "../core";

export const USERS_COLLECTION = "users";
export const EMAILS_COLLECTION = "emails";
/** Set at create, deleted by the welcome: the pending index. */
export const PENDING_FIELD = "pendingSince";

/** gRPC status ALREADY_EXISTS, what `create()` of an existing document fails with. */
const ALREADY_EXISTS = 6;
/** gRPC status FAILED_PRECONDITION, what an update fails with when its precondition no longer holds. */
const FAILED_PRECONDITION = 9;

/**
 * A document id may not contain `/`, be `.` or `..`, or match `__.*__`, and is at most 1,500 bytes
 * (https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields). Every UTF-8
 * byte outside [A-Za-z0-9._@+-] becomes `%` and exactly two hex digits: a fixed width, so the
 * encoding is injective (`%` itself is encoded) and decodable. The escape it replaces wrote a
 * UTF-16 unit's hex without a fixed width, so `ä1` (`%e4` `1`) and `แ` (`%e41`) shared an id.
 * An address the validator accepts (254 UTF-8 octets) gives at most 2 + 3 × 254 = 764 bytes.
 * ASCII addresses keep the ids they had (one byte, the same two digits); see docs on migrating
 * the others.
 */
export function emailDocumentId(normalizedEmail: string): string {
  let id = "e:";
  for (const byte of new TextEncoder().encode(normalizedEmail)) {
    const c = String.fromCharCode(byte);
    id += /[A-Za-z0-9._@+-]/.test(c) ? c : `%${byte.toString(16).padStart(2, "0")}`;
  }
  return id;
}

export interface FirestoreStoreOptions {
  projectId?: string;
  /** The database id (`FIRESTORE_DATABASE`); `(default)` when unset. */
  databaseId?: string;
  /**
   * How long one store operation may take, retries included; `STORE_TIMEOUT_MS` (set by the
   * component from the function's timeout) when unset, and unbounded when that is unset too.
   */
  timeoutMs?: number;
}

export { StoreDeadlineError };

/**
 * Rejects when `work` has not settled within `timeoutMs`. The Firestore client takes no per-call
 * deadline through its document API, and its retries are layered (gax per RPC, then up to
 * MAX_REQUEST_RETRIES = 5 stream attempts with backoff from 1 s, then up to 5 transaction
 * attempts on UNAVAILABLE: build/src/{index,transaction}.js), so the bound is kept here. An
 * abandoned call may still finish later; each write is one transaction, so it lands whole or not
 * at all (the user and its email claim together).
 */
export function withinDeadline<T>(operation: string, timeoutMs: number | undefined, work: () => Promise<T>): Promise<T> {
  if (!timeoutMs) return work();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreDeadlineError("Firestore", operation, timeoutMs)), timeoutMs);
  });
  return Promise.race([work(), expired]).finally(() => clearTimeout(timer));
}

/**
 * The client's own retries of the write RPCs, bounded by the same deadline, so that a write the
 * deadline abandoned stops retrying soon after instead of for up to 600 s (the defaults: 60 s per
 * attempt, 600 s in all, build/src/v1/firestore_client_config.json). A gax client-config override
 * keeps each method's retry codes and replaces its timeouts. Measured against a refused port: a
 * transaction's Commit gave up after 1.4 s with a 1 s bound, and still retried after 60 s without.
 * Streamed reads are retried by the Firestore client itself, outside gax's settings; the deadline
 * above still bounds the caller.
 */
function boundedWriteRetries(timeoutMs: number) {
  const bounded = "parity_store_deadline";
  const methods = Object.fromEntries(["Commit", "BeginTransaction", "Rollback"].map((method) => [method, { timeout_millis: timeoutMs, retry_params_name: bounded }]));
  return {
    interfaces: {
      "google.firestore.v1.Firestore": {
        retry_params: {
          [bounded]: {
            initial_retry_delay_millis: 100,
            retry_delay_multiplier: 1.3,
            max_retry_delay_millis: timeoutMs,
            initial_rpc_timeout_millis: timeoutMs,
            rpc_timeout_multiplier: 1,
            max_rpc_timeout_millis: timeoutMs,
            total_timeout_millis: timeoutMs,
          },
        },
        methods,
      },
    },
  };
}

export function createFirestoreUserStore(options: FirestoreStoreOptions = {}): UserStore & PendingUserStore {
  const timeoutMs = options.timeoutMs ?? storeTimeoutMs();
  const client = once(async () => {
    // Bundled all the same: esbuild evaluates the module here, on the first call.
    const sdk = await import("@google-cloud/firestore");
    const db: Firestore = new sdk.Firestore({
      projectId: options.projectId,
      databaseId: options.databaseId || "(default)",
      // Optional fields (none today) must never be written as `undefined`.
      ignoreUndefinedProperties: true,
      ...(timeoutMs ? { clientConfig: boundedWriteRetries(timeoutMs) } : {}),
    });
    const users: CollectionReference = db.collection(USERS_COLLECTION);
    const emails: CollectionReference = db.collection(EMAILS_COLLECTION);
    return { db, users, emails, FieldPath: sdk.FieldPath, FieldValue: sdk.FieldValue };
  });

  return {
    async get(id) {
      const { users } = await client();
      const snapshot = await withinDeadline("get", timeoutMs, () => users.doc(id).get());
      return snapshot.exists ? toUser(snapshot.data()!) : undefined;
    },

    async create(user) {
      const { db, users, emails } = await client();
      try {
        // Retries only contention (ABORTED); ALREADY_EXISTS ends the transaction at once.
        await withinDeadline("create", timeoutMs, () =>
          db.runTransaction(async (tx: Transaction) => {
            tx.create(emails.doc(emailDocumentId(user.email)), { userId: user.id });
            tx.create(users.doc(user.id), { ...user, [PENDING_FIELD]: user.createdAt });
          }),
        );
      } catch (error) {
        if ((error as { code?: number }).code === ALREADY_EXISTS) throw new EmailTakenError(user.email);
        throw error;
      }
    },

    async markWelcomed(id, at): Promise<WelcomeResult> {
      const { db, users, FieldValue } = await client();
      return withinDeadline("markWelcomed", timeoutMs, () =>
        db.runTransaction(async (tx: Transaction): Promise<WelcomeResult> => {
          const ref = users.doc(id);
          const snapshot = await tx.get(ref);
          if (!snapshot.exists) return "not-found";
          if (snapshot.get("welcomedAt")) return "already-welcomed";
          // Leaves the pending index in the same write.
          tx.update(ref, { welcomedAt: at, [PENDING_FIELD]: FieldValue.delete() });
          return "welcomed";
        }),
      );
    },

    async listPending({ createdBefore, limit, cursor }) {
      const { users, FieldPath } = await client();
      let query = users.where(PENDING_FIELD, "<", createdBefore).orderBy(PENDING_FIELD).orderBy(FieldPath.documentId()).limit(limit);
      if (cursor) {
        const [since, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [string, string];
        query = query.startAfter(since, id);
      }
      const snapshot = await withinDeadline("listPending", timeoutMs, () => query.get());
      const found: PendingUser[] = snapshot.docs.map((doc) => ({
        id: doc.id,
        email: doc.get("email"),
        createdAt: doc.get("createdAt"),
        republishCount: doc.get("republishCount") ?? 0,
      }));
      const last = snapshot.docs[snapshot.docs.length - 1];
      // A full page may have more behind it; a short one ends the scan.
      const next = snapshot.docs.length === limit && last ? Buffer.from(JSON.stringify([last.get(PENDING_FIELD), last.id])).toString("base64url") : undefined;
      return { users: found, cursor: next };
    },

    async claimRepublish(id, at, claimableBefore) {
      // Compare-and-set: the update applies only if the document is unchanged since it was read
      // (its update time as precondition; https://cloud.google.com/firestore/docs/reference/rest/v1/Precondition).
      // Of two overlapping runs, one writes and the other fails the precondition at once, with no lock to wait for.
      const { users, FieldValue } = await client();
      const ref = users.doc(id);
      const snapshot = await withinDeadline("claimRepublish read", timeoutMs, () => ref.get());
      if (!snapshot.exists || snapshot.get("welcomedAt") || snapshot.get(PENDING_FIELD) === undefined) return false;
      const last = snapshot.get("lastRepublishAt") as string | undefined;
      if (last !== undefined && last >= claimableBefore) return false;
      try {
        await withinDeadline("claimRepublish write", timeoutMs, () =>
          ref.update({ lastRepublishAt: at, republishCount: FieldValue.increment(1) }, { lastUpdateTime: snapshot.updateTime! }),
        );
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === FAILED_PRECONDITION) return false;
        throw error;
      }
    },
  };
}

function toUser(data: FirebaseFirestore.DocumentData): User {
  return {
    id: data.id,
    email: data.email,
    name: data.name,
    createdAt: data.createdAt,
    welcomedAt: data.welcomedAt ?? null,
  };
}
