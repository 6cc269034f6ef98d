/**
 * UserStore and PendingUserStore on D1: one row per user, email uniqueness enforced by the
 * UNIQUE constraint, pending users found through the partial index `users_pending`
 * (migrations/0002_pending_users.sql), which the conditional welcome leaves by setting
 * welcomed_at.
 */
import { EmailTakenError, type PendingUser, type PendingUserStore, type User, type UserStore, type WelcomeResult } from "../core";
import type { D1Database } from "./bindings";

interface UserRow {
  id: string;
  email: string;
  name: string;
  created_at: string;
  welcomed_at: string | null;
}

interface PendingRow {
  id: string;
  email: string;
  created_at: string;
  republish_count: number;
}

const columns = "id, email, name, created_at, welcomed_at";

/**
 * The pending users after a keyset position, oldest first. `welcomed_at IS NULL` is the
 * partial index's own condition, so SQLite may use `users_pending`, whose (created_at, id)
 * order is the ORDER BY: a range search, no table scan, no sort (asserted with EXPLAIN QUERY
 * PLAN in test/cloudflare/driver.test.ts).
 */
export const LIST_PENDING_SQL = {
  first: "SELECT id, email, created_at, republish_count FROM users WHERE welcomed_at IS NULL AND created_at < ?1 ORDER BY created_at, id LIMIT ?2",
  after:
    "SELECT id, email, created_at, republish_count FROM users WHERE welcomed_at IS NULL AND created_at < ?1 AND (created_at, id) > (?3, ?4) ORDER BY created_at, id LIMIT ?2",
} as const;

/** One conditional UPDATE: the claim holds iff it changed the row. */
export const CLAIM_REPUBLISH_SQL =
  "UPDATE users SET last_republish_at = ?2, republish_count = republish_count + 1 WHERE id = ?1 AND welcomed_at IS NULL AND (last_republish_at IS NULL OR last_republish_at < ?3)";

export function createD1UserStore(db: D1Database): UserStore & PendingUserStore {
  return {
    async get(id) {
      const row = await db.prepare(`SELECT ${columns} FROM users WHERE id = ?1`).bind(id).first<UserRow>();
      return row ? toUser(row) : undefined;
    },

    async create(user) {
      try {
        await db
          .prepare(`INSERT INTO users (${columns}) VALUES (?1, ?2, ?3, ?4, ?5)`)
          .bind(user.id, user.email, user.name, user.createdAt, user.welcomedAt)
          .run();
      } catch (error) {
        // D1 reports "D1_ERROR: UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT_UNIQUE";
        // only the email constraint means "taken" (an id collision is a real fault).
        if (isUniqueViolationOn(error, "users.email")) throw new EmailTakenError(user.email);
        throw error;
      }
    },

    async markWelcomed(id, at): Promise<WelcomeResult> {
      // The conditional UPDATE is the idempotency guard: a redelivery changes no row.
      const update = await db.prepare("UPDATE users SET welcomed_at = ?2 WHERE id = ?1 AND welcomed_at IS NULL").bind(id, at).run();
      if ((update.meta.changes ?? 0) > 0) return "welcomed";
      const exists = await db.prepare("SELECT 1 AS found FROM users WHERE id = ?1").bind(id).first();
      return exists ? "already-welcomed" : "not-found";
    },

    async listPending({ createdBefore, limit, cursor }) {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const statement = after
        ? db.prepare(LIST_PENDING_SQL.after).bind(createdBefore, limit, after.createdAt, after.id)
        : db.prepare(LIST_PENDING_SQL.first).bind(createdBefore, limit);
      const rows = (await statement.run<PendingRow>()).results;
      const users: PendingUser[] = rows.map((row) => ({ id: row.id, email: row.email, createdAt: row.created_at, republishCount: row.republish_count }));
      const last = rows.at(-1);
      // A full page may have more behind it; a short one is the end.
      return { users, cursor: last && rows.length === limit ? encodeCursor(last.created_at, last.id) : undefined };
    },

    async claimRepublish(id, at, claimableBefore) {
      const update = await db.prepare(CLAIM_REPUBLISH_SQL).bind(id, at, claimableBefore).run();
      return update.meta.changes === 1;
    },
  };
}

/** The keyset position after a row: its (created_at, id), opaque to callers. */
function encodeCursor(createdAt: string, id: string): string {
  return JSON.stringify([createdAt, id]);
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const value = JSON.parse(cursor) as unknown;
  if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === "string")) throw new Error(`not a pending-users cursor: ${cursor}`);
  return { createdAt: value[0], id: value[1] };
}

export function isUniqueViolationOn(error: unknown, column: string): boolean {
  const message = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}` : String(error);
  return /UNIQUE constraint failed/i.test(message) && message.includes(column);
}

function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at, welcomedAt: row.welcomed_at };
}
