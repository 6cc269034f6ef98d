/** The D1 migrations as statements, on their own: no Pulumi, no database. */
import assert from "node:assert/strict";
import { migrationStatements, MIGRATIONS_TABLE_SQL, readD1Migrations, sqlStatements } from "./migrations";

describe("Cloudflare D1 migrations", () => {
  it("split into statements without comments", () => {
    assert.deepEqual(sqlStatements("-- c\nCREATE TABLE IF NOT EXISTS a (x TEXT);\n\nCREATE INDEX IF NOT EXISTS i ON a (x); -- tail\n"), [
      "CREATE TABLE IF NOT EXISTS a (x TEXT)",
      "CREATE INDEX IF NOT EXISTS i ON a (x)",
    ]);
  });

  it("the project's files become the ledger, then each migration's statements and its ledger row", () => {
    const migrations = readD1Migrations();
    assert.deepEqual(migrations.map((m) => m.name), ["0001_users.sql"]);
    const statements = migrationStatements(migrations);
    assert.equal(statements[0], MIGRATIONS_TABLE_SQL);
    assert.equal(statements.at(-1), "INSERT OR IGNORE INTO d1_migrations (name) VALUES ('0001_users.sql')");
    assert.deepEqual(migrationStatements([{ name: "0002_it's.sql", sql: "" }]).at(-1), "INSERT OR IGNORE INTO d1_migrations (name) VALUES ('0002_it''s.sql')");
  });
});
