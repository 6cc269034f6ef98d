-- The reconciler's pending index and claim columns (issue 12).
-- Pending = not yet welcomed. A partial index holds exactly those rows: the worker's conditional
-- welcome (UPDATE … SET welcomed_at) takes a row out of it in the same write, and a create adds
-- no extra write. `listPending` reads it in (created_at, id) order, never scanning the table.
-- Source: https://www.sqlite.org/partialindex.html
-- ADD COLUMN cannot be repeated, so this file runs once per database: the deploy step and the
-- local cloud apply only migrations missing from d1_migrations (components/cloudflare/migrations.ts).
ALTER TABLE users ADD COLUMN last_republish_at TEXT;
ALTER TABLE users ADD COLUMN republish_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS users_pending ON users (created_at, id) WHERE welcomed_at IS NULL;
