/** UserStore on D1: one row per user, email uniqueness enforced by the UNIQUE constraint. */
import { EmailTakenError, type User, type UserStore, type WelcomeResult } from "../core";
import type { D1Database } from "./bindings";

interface UserRow {
  id: string;
  email: string;
  name: string;
  created_at: string;
  welcomed_at: string | null;
}

const columns = "id, email, name, created_at, welcomed_at";

export function createD1UserStore(db: D1Database): UserStore {
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
  };
}

export function isUniqueViolationOn(error: unknown, column: string): boolean {
  const message = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}` : String(error);
  return /UNIQUE constraint failed/i.test(message) && message.includes(column);
}

function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at, welcomedAt: row.welcomed_at };
}
