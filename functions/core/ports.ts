/**
 * The ports every platform driver implements. The core depends on these
 * interfaces only, never on a cloud SDK.
 */

/** A stored user, as the API returns it. */
export interface User {
  id: string;
  /** Trimmed and lower-cased; unique across all users. */
  email: string;
  name: string;
  /** ISO-8601 timestamp. */
  createdAt: string;
  /** ISO-8601 timestamp set once by the queue worker; null until then. */
  welcomedAt: string | null;
}

/** The event the users API publishes after a user is stored. */
export interface UserCreatedEvent {
  type: "user.created";
  /** Unique per event; consumers may use it for deduplication. */
  eventId: string;
  userId: string;
  email: string;
  occurredAt: string;
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
