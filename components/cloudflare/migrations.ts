/**
 * D1 schema migrations for the Cloudflare component, the local cloud and the tests: one
 * list of SQL files (`functions/cloudflare/migrations/NNNN_*.sql`), one way of turning them
 * into statements, applied to Miniflare's D1 locally and to the real database on deploy
 * (through the D1 query API: ./dynamic.ts).
 *
 * Every migration is idempotent (`CREATE … IF NOT EXISTS`) and recorded in `d1_migrations`,
 * the table `wrangler d1 migrations apply` keeps, so a re-run, a `pulumi up` after a
 * wrangler run, or the reverse, is safe.
 * Source: https://developers.cloudflare.com/d1/platform/migrations/ (d1_migrations table)
 *
 * Pure: no Pulumi package, so the local cloud loads it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const migrationsDir = path.resolve(__dirname, "../../functions/cloudflare/migrations");

export interface D1Migration {
  /** File name, e.g. `0001_users.sql`; recorded in `d1_migrations`. */
  name: string;
  sql: string;
}

/** The migration files in apply order (by their numeric prefix). */
export function readD1Migrations(dir = migrationsDir): D1Migration[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((name) => ({ name, sql: fs.readFileSync(path.join(dir, name), "utf8") }));
}

/** wrangler's ledger of applied migrations (same name and columns, so both tools agree). */
export const MIGRATIONS_TABLE_SQL =
  "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)";

/** Splits a migration into single statements: `--` comments dropped, split on `;`. */
export function sqlStatements(sql: string): string[] {
  return sql
    .replace(/--[^\n]*/g, "")
    .split(";")
    .map((statement) => statement.replace(/\s+/g, " ").trim())
    .filter((statement) => statement.length > 0);
}

/**
 * Every statement a deploy runs, in order: the ledger, then per migration its statements
 * and its ledger row. Re-running it changes nothing once applied.
 */
export function migrationStatements(migrations: D1Migration[]): string[] {
  return [
    MIGRATIONS_TABLE_SQL,
    ...migrations.flatMap((m) => [...sqlStatements(m.sql), `INSERT OR IGNORE INTO d1_migrations (name) VALUES ('${m.name.replace(/'/g, "''")}')`]),
  ];
}
