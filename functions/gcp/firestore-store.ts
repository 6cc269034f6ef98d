/**
 * The users store on Firestore (native mode). Two collections: `users` (doc id = user id)
 * and `emails` (doc id = the normalised email, encoded). A create writes both documents in
 * one transaction with `create()`, which fails with ALREADY_EXISTS when the email document
 * exists, so uniqueness is decided by Firestore itself, never by a read-then-write.
 */
import { Firestore, type Transaction } from "@google-cloud/firestore";
import { EmailTakenError, type User, type UserStore, type WelcomeResult } from "../core";

export const USERS_COLLECTION = "users";
export const EMAILS_COLLECTION = "emails";

/** gRPC status ALREADY_EXISTS, what `create()` of an existing document fails with. */
const ALREADY_EXISTS = 6;

/**
 * A document id may not contain `/`, be `.` or `..`, or match `__.*__`
 * (https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields);
 * percent-encoding every character outside [A-Za-z0-9._@+-] keeps ids valid and distinct.
 */
export function emailDocumentId(normalizedEmail: string): string {
  return "e:" + normalizedEmail.replace(/[^A-Za-z0-9._@+-]/g, (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0"));
}

export interface FirestoreStoreOptions {
  projectId?: string;
  /** The database id (`FIRESTORE_DATABASE`); `(default)` when unset. */
  databaseId?: string;
}

export function createFirestoreUserStore(options: FirestoreStoreOptions = {}): UserStore {
  const db = new Firestore({
    projectId: options.projectId,
    databaseId: options.databaseId || "(default)",
    // Optional fields (none today) must never be written as `undefined`.
    ignoreUndefinedProperties: true,
  });
  const users = db.collection(USERS_COLLECTION);
  const emails = db.collection(EMAILS_COLLECTION);

  return {
    async get(id) {
      const snapshot = await users.doc(id).get();
      return snapshot.exists ? toUser(snapshot.data()!) : undefined;
    },

    async create(user) {
      try {
        // Retries only contention (ABORTED); ALREADY_EXISTS ends the transaction at once.
        await db.runTransaction(async (tx: Transaction) => {
          tx.create(emails.doc(emailDocumentId(user.email)), { userId: user.id });
          tx.create(users.doc(user.id), { ...user });
        });
      } catch (error) {
        if ((error as { code?: number }).code === ALREADY_EXISTS) throw new EmailTakenError(user.email);
        throw error;
      }
    },

    async markWelcomed(id, at): Promise<WelcomeResult> {
      return db.runTransaction(async (tx: Transaction) => {
        const ref = users.doc(id);
        const snapshot = await tx.get(ref);
        if (!snapshot.exists) return "not-found";
        if (snapshot.get("welcomedAt")) return "already-welcomed";
        tx.update(ref, { welcomedAt: at });
        return "welcomed";
      });
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
