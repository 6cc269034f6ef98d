/** The D1 migrations as statements, on their own: no Pulumi, no database. */
import assert from "node:assert/strict";
import { migrationStatements, readD1Migrations, sqlStatements } from "./migrations";

describe("Cloudflare D1 migrations", () => {
  it("split into statements without comments", () => {
    assert.deepEqual(sqlStatements("-- c\nCREATE TABLE IF NOT EXISTS a (x TEXT);\n\nCREATE INDEX IF NOT EXISTS i ON a (x); -- tail\n"), [
      "CREATE TABLE IF NOT EXISTS a (x TEXT)",
      "CREATE INDEX IF NOT EXISTS i ON a (x)",
    ]);
  });

  it("the project's files become each missing migration's statements and its ledger row; applied ones are skipped", () => {
    const migrations = readD1Migrations();
    assert.deepEqual(migrations.map((m) => m.name), ["0001_users.sql", "0002_pending_users.sql"]);
    const statements = migrationStatements(migrations);
    assert.match(statements[0], /^CREATE TABLE IF NOT EXISTS users /);
    assert.equal(statements.at(-1), "INSERT OR IGNORE INTO d1_migrations (name) VALUES ('0002_pending_users.sql')");
    assert.deepEqual(migrationStatements(migrations, ["0001_users.sql"]), [
      "ALTER TABLE users ADD COLUMN last_republish_at TEXT",
      "ALTER TABLE users ADD COLUMN republish_count INTEGER NOT NULL DEFAULT 0",
      "CREATE INDEX IF NOT EXISTS users_pending ON users (created_at, id) WHERE welcomed_at IS NULL",
      "INSERT OR IGNORE INTO d1_migrations (name) VALUES ('0002_pending_users.sql')",
    ]);
    assert.deepEqual(migrationStatements(migrations, ["0001_users.sql", "0002_pending_users.sql"]), []);
    assert.deepEqual(migrationStatements([{ name: "0003_it's.sql", sql: "" }]).at(-1), "INSERT OR IGNORE INTO d1_migrations (name) VALUES ('0003_it''s.sql')");
  });
});
