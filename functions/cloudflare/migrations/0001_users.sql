-- The users table. Email uniqueness is a UNIQUE constraint, so D1 itself rejects a
-- second user with the same email atomically (SQLITE_CONSTRAINT_UNIQUE), never a
-- read-then-write. Idempotent: safe to apply again on every deploy.
CREATE TABLE IF NOT EXISTS users (
  id          TEXT PRIMARY KEY NOT NULL,
  email       TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  welcomed_at TEXT
);
