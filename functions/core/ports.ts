/**
 * The ports every platform driver implements. The core depends on these
 * interfaces only, never on a cloud SDK.
 */

/** A stored user, as the API returns it. */
export interface User {
  id: string;
  /** Normalised (functions/core/validation.ts normalizeEmail); unique across all users. */
  email: string;
  name: string;
  /** ISO-8601 timestamp. */
  createdAt: string;
  /** ISO-8601 timestamp set once by the queue worker; null until then. */
  welcomedAt: string | null;
}

/**
 * The event the users API publishes after a user is stored. It names the user, never its email:
 * the worker reads the user by id (./queue-worker.ts), and an event sits in queues and dead-letter
 * queues for days (SQS up to 14, Pub/Sub 7), where personal data has no business. Events published
 * before this carried `email` too; the worker ignores it.
 */
export interface UserCreatedEvent {
  type: "user.created";
  /**
   * One per user, derived from its id: the API and the reconciler build the same event, so a
   * re-publish is recognisably the same event to any consumer that deduplicates by id.
   */
  eventId: string;
  userId: string;
  occurredAt: string;
}

/** The `user.created` event of a stored user, as the API publishes it and the reconciler re-publishes it. */
export function userCreatedEvent(user: Pick<User, "id" | "createdAt">): UserCreatedEvent {
  return { type: "user.created", eventId: `user.created:${user.id}`, userId: user.id, occurredAt: user.createdAt };
}

/** Thrown by {@link UserStore.create} when the email is already taken. */
export class EmailTakenError extends Error {
  constructor(readonly email: string) {
    super(`email already registered: ${email}`);
    this.name = "EmailTakenError";
  }
}

/** Result of {@link UserStore.markWelcomed}. */
export type WelcomeResult = "welcomed" | "already-welcomed" | "not-found";

export interface UserStore {
  get(id: string): Promise<User | undefined>;
  /**
   * Stores a new user. Must reject a used email atomically in the store itself
   * (transaction, unique key or precondition), never by read-then-write, and throw
   * {@link EmailTakenError}.
   */
  create(user: User): Promise<void>;
  /** Sets `welcomedAt` only if unset; a second call changes nothing. */
  markWelcomed(id: string, at: string): Promise<WelcomeResult>;
}

export interface EventPublisher {
  publish(event: UserCreatedEvent): Promise<void>;
}

/** Yields the API key; implementations fetch it once per instance and cache it. */
export type ApiKeySource = () => Promise<string>;

/** A user the reconciler may re-publish: created, not yet welcomed. */
export interface PendingUser {
  id: string;
  email: string;
  createdAt: string;
  /** How many times the reconciler has claimed it so far. */
  republishCount: number;
}

/**
 * What the reconciler needs from a store, on top of {@link UserStore}. Every store keeps an
 * index of unwelcomed users that the worker's conditional welcome clears in the same write
 * (no extra write on create), so `listPending` never scans the whole store.
 */
export interface PendingUserStore {
  /** Unwelcomed users created before `createdBefore` (ISO-8601), oldest first, a page at a time. */
  listPending(options: { createdBefore: string; limit: number; cursor?: string }): Promise<{ users: PendingUser[]; cursor?: string }>;
  /**
   * Claims a user for re-publishing: records `lastRepublishAt = at` and counts the claim, only
   * if the user is still unwelcomed and was never claimed or last claimed before
   * `claimableBefore`. Atomic in the store. Returns false when another run holds the claim.
   */
  claimRepublish(id: string, at: string, claimableBefore: string): Promise<boolean>;
}
