/**
 * D1 schema migrations for the Cloudflare component, the local cloud and the tests: one
 * list of SQL files (`functions/cloudflare/migrations/NNNN_*.sql`), one way of turning them
 * into statements, applied to Miniflare's D1 locally and to the real database on deploy
 * (through the D1 query API: ./dynamic.ts).
 *
 * Each migration is recorded in `d1_migrations`, the table `wrangler d1 migrations apply`
 * keeps, and only migrations missing from it are applied (wrangler's rule too), so a re-run, a
 * `pulumi up` after a wrangler run, or the reverse, is safe even for statements that cannot be
 * repeated (`ALTER TABLE … ADD COLUMN`).
 * Source: https://developers.cloudflare.com/d1/reference/migrations/ (d1_migrations table)
 *
 * Pure: no Pulumi package, so the local cloud loads it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { packageFile } from "../package-root";

/** Shipped in the package beside the Worker sources (package.json `files`), read from a checkout or an install alike. */
export const migrationsDir = packageFile("functions", "cloudflare", "migrations");

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

/** Reads the names already recorded in the ledger (run after {@link MIGRATIONS_TABLE_SQL}). */
export const APPLIED_MIGRATIONS_SQL = "SELECT name FROM d1_migrations";

/** A migration as the deploy step receives it: its ledger name and its statements. */
export interface D1MigrationStatements {
  name: string;
  statements: string[];
}

export function migrationsAsStatements(migrations: D1Migration[]): D1MigrationStatements[] {
  return migrations.map((m) => ({ name: m.name, statements: sqlStatements(m.sql) }));
}

/** The ledger row recording one applied migration. */
export const ledgerRowSql = (name: string) => `INSERT OR IGNORE INTO d1_migrations (name) VALUES ('${name.replace(/'/g, "''")}')`;

/**
 * The statements that bring a database with these `applied` migrations up to date, in order:
 * per missing migration its statements and its ledger row (one batch, so a failed statement
 * records nothing). Empty once everything is applied.
 */
export function migrationStatements(migrations: D1Migration[], applied: readonly string[] = []): string[] {
  return migrationsAsStatements(migrations)
    .filter((m) => !applied.includes(m.name))
    .flatMap((m) => [...m.statements, ledgerRowSql(m.name)]);
}
