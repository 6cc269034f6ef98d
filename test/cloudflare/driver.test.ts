/**
 * Cloudflare driver specifics on the real bundles in workerd (Miniflare): what ships is
 * web-standard only; each message is settled explicitly; Queues itself retries a poison
 * message maxAttempts times and dead-letters it while its batch-mates are welcomed; the D1
 * schema is applied once per migration; pending users are read through the partial index.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import { builtinModules } from "node:module";
import { TEST_API_KEY } from "../infra/harness";
import { cloudflareTestFunctions, eventually, workerdOrSkip } from "./target";
import { d1MigrationsProvider, type MigrationInputs } from "../../components/cloudflare/dynamic";
import { APPLIED_MIGRATIONS_SQL, migrationsAsStatements, MIGRATIONS_TABLE_SQL, readD1Migrations } from "../../components/cloudflare/migrations";
import { WORKERS_COMPATIBILITY_DATE } from "../../components/cloudflare/rules";
import { freePort } from "../../local/emulators/loopback";
import { applyMigrations, DEAD_LETTER_QUEUE, startMiniflareCloud, workerdStatus, type D1DatabaseLike, type MiniflareCloud } from "../../local/emulators/miniflare";
import { CLAIM_REPUBLISH_SQL, createD1UserStore, LIST_PENDING_SQL } from "../../functions/cloudflare/store";
import type { D1Database } from "../../functions/cloudflare/bindings";

const functions = () => Object.values(cloudflareTestFunctions());
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

const postUser = (cloud: MiniflareCloud, email: string) =>
  fetch(`${cloud.url!}/users`, {
    method: "POST",
    headers: { "x-api-key": TEST_API_KEY, "content-type": "application/json" },
    body: JSON.stringify({ email, name: "Queue Test" }),
  });

const getUser = async (cloud: MiniflareCloud, id: string) =>
  (await (await fetch(`${cloud.url!}/users/${id}`, { headers: { "x-api-key": TEST_API_KEY } })).json()) as { welcomedAt: string | null };

describe("cloudflare bundles", () => {
  for (const fn of ["users-api", "queue-worker", "reconciler"]) {
    it(`${fn}: no Node built-in and nothing external in the bundle (esbuild metafile)`, () => {
      const bundle = functions().find((f) => f.definition.name === fn)!.bundle;
      const imports = Object.values(bundle.metafile.inputs).flatMap((input) => input.imports);
      const offending = imports.filter((i) => i.external || nodeBuiltins.has(i.path) || i.path.startsWith("node:"));
      assert.deepEqual(offending, []);
      for (const output of Object.values(bundle.metafile.outputs)) assert.deepEqual(output.imports, []);
      assert.ok(bundle.bytes < 1024 * 1024, `${fn} is ${bundle.bytes} bytes`);
    });
  }
});

(workerdOrSkip("cloudflare driver") ? describe : describe.skip)("cloudflare driver", function () {
  this.timeout(90_000);

  it("the pinned compatibility date is one the installed workerd supports", () => {
    const status = workerdStatus();
    assert.ok(status.ok && WORKERS_COMPATIBILITY_DATE <= status.compatibilityDate, `${WORKERS_COMPATIBILITY_DATE} vs ${JSON.stringify(status)}`);
  });

  describe("explicit per-message settlement (record mode)", () => {
    let cloud: MiniflareCloud;
    before(async () => {
      cloud = await startMiniflareCloud({ functions: functions(), apiKey: TEST_API_KEY, delivery: "record" });
    });
    after(async () => cloud?.stop());

    it("acks each processed message and retries only the failed ones, never the whole batch", async () => {
      const created = (await (await postUser(cloud, `ack${Date.now()}@example.com`)).json()) as { id: string };
      const event = await eventually(async () => (await cloud.recorded("events")).find((m) => JSON.parse(m.body).userId === created.id), 5_000, "the user.created event");
      const result = await cloud.dispatchBatch("queue-worker", [
        { id: "good", body: event.body },
        { id: "poison", body: "{not json" },
      ]);
      assert.equal(result.outcome, "ok");
      assert.equal(result.ackAll, false);
      assert.equal(result.retryBatch.retry, false);
      assert.deepEqual(result.explicitAcks, ["good"]);
      assert.deepEqual(result.retryMessages.map((m) => m.msgId), ["poison"]);
      assert.ok((await getUser(cloud, created.id)).welcomedAt);
    });

    it("applying the migrations again changes nothing and records each once in d1_migrations", async () => {
      const db = await cloud.usersDb();
      // 0002 adds columns (ALTER TABLE cannot run twice): a second application must skip it.
      await applyMigrations(db);
      const ledger = await db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT name) AS names FROM d1_migrations").first<{ n: number; names: number }>();
      assert.equal(ledger?.n, readD1Migrations().length);
      assert.equal(ledger.n, ledger.names);
      const users = await db.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>();
      assert.ok(users && users.n >= 1, "existing rows survive a re-run");
    });

    it("the UNIQUE constraint rejects a second row with the same email inside D1 itself", async () => {
      const db = await cloud.usersDb();
      const insert = (id: string) =>
        db.prepare("INSERT INTO users (id, email, name, created_at) VALUES (?1, 'same@example.com', 'x', '2026-01-01')").bind(id).run();
      await insert("00000000-0000-4000-8000-000000000001");
      await assert.rejects(insert("00000000-0000-4000-8000-000000000002"), /UNIQUE constraint failed: users\.email/);
    });

    it("EXPLAIN QUERY PLAN: listPending searches the partial index users_pending, never scans users, never sorts", async () => {
      const db = await cloud.usersDb();
      const plans: Record<string, string[]> = {};
      for (const [page, sql] of Object.entries(LIST_PENDING_SQL)) {
        const statement = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
        const bound = page === "first" ? statement.bind("2026-01-01T00:00:00.000Z", 25) : statement.bind("2026-01-01T00:00:00.000Z", 25, "2025-01-01T00:00:00.000Z", "id");
        plans[page] = ((await bound.run()) as { results: { detail: string }[] }).results.map((row) => row.detail);
      }
      for (const [page, details] of Object.entries(plans)) {
        assert.ok(details.some((d) => /^SEARCH users USING (COVERING )?INDEX users_pending \(.*created_at/.test(d)), `${page}: ${details.join(" | ")}`);
        assert.ok(!details.some((d) => /^SCAN users/.test(d)), `${page}: no full scan: ${details.join(" | ")}`);
        assert.ok(!details.some((d) => /TEMP B-TREE/.test(d)), `${page}: the index order is the ORDER BY: ${details.join(" | ")}`);
      }
      // Without the index's own condition SQLite may not use it: the plan would scan.
      const unindexed = ((await db.prepare("EXPLAIN QUERY PLAN SELECT id FROM users WHERE created_at < ?1 ORDER BY created_at, id").bind("x").run()) as { results: { detail: string }[] }).results;
      assert.ok(unindexed.some((row) => /^SCAN users/.test(row.detail)), "the check above can fail");
    });

    it("listPending pages through unwelcomed users oldest first with a keyset cursor; the welcome takes a user out", async () => {
      const db = (await cloud.usersDb()) as unknown as D1Database;
      const store = createD1UserStore(db);
      const prefix = `pending-${Date.now()}`;
      // Far in the past, so only these rows are older than the cutoff below.
      const at = (i: number) => `1999-01-01T00:00:0${i}.000Z`;
      const ids = [3, 1, 2, 1].map((second, i) => ({ id: `${prefix}-${i}`, createdAt: at(second) }));
      for (const { id, createdAt } of ids) await store.create({ id, email: `${id}@example.com`, name: "P", createdAt, welcomedAt: null });
      await store.create({ id: `${prefix}-late`, email: `${prefix}-late@example.com`, name: "P", createdAt: "1999-01-01T00:00:09.000Z", welcomedAt: null });
      assert.equal(await store.markWelcomed(`${prefix}-2`, "2026-01-01T00:00:00.000Z"), "welcomed");

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listPending({ createdBefore: "1999-01-01T00:00:05.000Z", limit: 2, cursor });
        seen.push(...page.users.map((u) => u.id));
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 10);
      // Equal created_at ordered by id; the welcomed one and the one after the cutoff are absent.
      assert.deepEqual(seen, [`${prefix}-1`, `${prefix}-3`, `${prefix}-0`]);
      assert.equal(pages, 2);
    });

    it("claimRepublish: one conditional UPDATE; true only for the claim that changed the row", async () => {
      const db = (await cloud.usersDb()) as unknown as D1Database;
      const store = createD1UserStore(db);
      const id = `claim-${Date.now()}`;
      await store.create({ id, email: `${id}@example.com`, name: "C", createdAt: "1999-02-01T00:00:00.000Z", welcomedAt: null });
      const results = await Promise.all([1, 2, 3].map(() => store.claimRepublish(id, "2026-01-01T00:05:00.000Z", "2026-01-01T00:00:00.000Z")));
      assert.deepEqual(results.filter(Boolean).length, 1, "concurrent claims: exactly one wins");
      assert.equal(await store.claimRepublish(id, "2026-01-01T00:06:00.000Z", "2026-01-01T00:05:00.000Z"), false, "claimed at the window's edge: not claimable yet");
      assert.equal(await store.claimRepublish(id, "2026-01-01T00:11:00.000Z", "2026-01-01T00:05:00.001Z"), true, "claimable once the window has passed");
      const [pending] = (await store.listPending({ createdBefore: "1999-02-01T00:00:00.001Z", limit: 50 })).users.filter((u) => u.id === id);
      assert.equal(pending?.republishCount, 2);
      await store.markWelcomed(id, "2026-01-01T00:12:00.000Z");
      assert.equal(await store.claimRepublish(id, "2026-01-01T01:00:00.000Z", "2026-01-01T00:59:00.000Z"), false, "a welcomed user is never claimed");
      assert.match(CLAIM_REPUBLISH_SQL, /^UPDATE users SET .* WHERE id = \?1 AND welcomed_at IS NULL AND \(last_republish_at IS NULL OR last_republish_at < \?3\)$/);
    });

    it("scheduled(): the reconciler Worker fails its invocation when a run setting binding is missing", async () => {
      const functions = cloudflareTestFunctions();
      const broken = await startMiniflareCloud({
        functions: [{ ...functions.reconciler, native: { ...functions.reconciler.native, schedule: undefined } }],
        apiKey: TEST_API_KEY,
        delivery: "record",
      });
      try {
        const result = await broken.fireScheduled("reconciler", { cron: "*/5 * * * *", scheduledTime: new Date() });
        assert.equal(result.outcome, "exception");
      } finally {
        await broken.stop();
      }
      const ok = await cloud.fireScheduled("reconciler", { cron: functions.reconciler.native.schedule!.cron, scheduledTime: new Date() });
      assert.equal(ok.outcome, "ok");
    });
  });

  describe("the deploy-time schema step (D1 query API stand-in backed by workerd's D1)", () => {
    let cloud: MiniflareCloud;
    let server: http.Server;
    let base: string;
    const requests: { path: string; authorization?: string; sql: string }[] = [];
    before(async () => {
      // A fresh D1 without the schema: only the queue worker's database binding is needed.
      const worker = functions().filter((fn) => fn.definition.name === "queue-worker");
      cloud = await startMiniflareCloud({ functions: worker, apiKey: TEST_API_KEY, delivery: "record" });
      const db = await cloud.usersDb();
      await db.batch(["DROP TABLE users", "DROP TABLE d1_migrations"].map((sql) => db.prepare(sql)));
      // Stand-in for POST /accounts/{account}/d1/database/{id}/query: runs the statements on
      // workerd's D1 the way the API runs a multi-statement `sql` (as one batch).
      server = http.createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const { sql } = JSON.parse(Buffer.concat(chunks).toString()) as { sql: string };
        requests.push({ path: req.url!, authorization: req.headers.authorization, sql });
        try {
          const target: D1DatabaseLike = await cloud.usersDb();
          const results = (await target.batch(sql.split(";\n").map((statement) => target.prepare(statement)))) as { results: unknown[] }[];
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ success: true, errors: [], result: results.map((r) => ({ results: r.results, success: true })) }));
        } catch (error) {
          res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ success: false, errors: [{ message: (error as Error).message }] }));
        }
      });
      const port = await freePort();
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await new Promise((resolve) => server?.close(resolve));
      await cloud?.stop();
    });

    const inputs = (extra: Partial<MigrationInputs> = {}): MigrationInputs => ({
      accountId: "0123456789abcdef0123456789abcdef",
      databaseId: "db-uuid",
      migrations: migrationsAsStatements(readD1Migrations()),
      apiToken: "token-123",
      apiBaseUrl: base,
      ...extra,
    });

    it("creates the schema through the query API with the token; an update applies only what the ledger lacks", async () => {
      const all = migrationsAsStatements(readD1Migrations());
      const first = await d1MigrationsProvider.create!(inputs({ migrations: all.slice(0, 1) }));
      assert.deepEqual(first.outs.appliedMigrations, ["0001_users.sql"]);
      assert.equal(first.outs.apiToken, undefined, "the token is not kept in the outputs");
      await d1MigrationsProvider.update!("id", inputs(), inputs());
      // Again: 0002's ALTER TABLE would fail if it ran twice.
      const again = await d1MigrationsProvider.update!("id", inputs(), inputs());
      assert.deepEqual(again.outs!.appliedMigrations, all.map((m) => m.name));
      // Per run: read the ledger, then apply what is missing (nothing on the third).
      assert.equal(requests.length, 5);
      for (const r of requests) assert.deepEqual([r.path, r.authorization], ["/accounts/0123456789abcdef0123456789abcdef/d1/database/db-uuid/query", "Bearer token-123"]);
      // The provider spells the ledger statements itself (it is serialised without imports): the same as migrations.ts.
      assert.equal(requests[0].sql, `${MIGRATIONS_TABLE_SQL};\n${APPLIED_MIGRATIONS_SQL}`);
      const db = await cloud.usersDb();
      const ledger = await db.prepare("SELECT group_concat(name, ',') AS names FROM d1_migrations").first<{ names: string }>();
      assert.equal(ledger?.names, all.map((m) => m.name).join(","));
      await db.prepare("INSERT INTO users (id, email, name, created_at) VALUES ('a', 'x@y.z', 'n', 't')").run();
      const row = await db.prepare("SELECT republish_count FROM users WHERE id = 'a'").first<{ republish_count: number }>();
      assert.equal(row?.republish_count, 0, "0002's columns exist, with their default");
    });

    it("diff: a changed token alone changes nothing; new migrations are an update, a new database a replacement", async () => {
      const diff = (olds: MigrationInputs, news: MigrationInputs) => d1MigrationsProvider.diff!("id", olds, news);
      assert.equal((await diff(inputs(), inputs({ apiToken: "rotated" }))).changes, false);
      assert.deepEqual(await diff(inputs({ migrations: [] }), inputs()), { changes: true, replaces: [], deleteBeforeReplace: false });
      assert.deepEqual((await diff(inputs(), inputs({ databaseId: "other" }))).replaces, ["databaseId"]);
      const before = requests.length;
      await d1MigrationsProvider.delete!("id", inputs());
      assert.equal(requests.length, before, "delete calls nothing: the schema goes with the database");
    });

    it("fails the deploy with the API's message when a statement fails, and without a token says what to set", async () => {
      await assert.rejects(
        d1MigrationsProvider.create!(inputs({ migrations: [{ name: "0009_broken.sql", statements: ["CREATE TABLE users (id TEXT)"] }] })),
        /D1 migrations failed \(400\): .*already exists/,
      );
      const saved = process.env.CLOUDFLARE_API_TOKEN;
      delete process.env.CLOUDFLARE_API_TOKEN;
      try {
        await assert.rejects(d1MigrationsProvider.create!(inputs({ apiToken: undefined })), /CLOUDFLARE_API_TOKEN/);
      } finally {
        if (saved !== undefined) process.env.CLOUDFLARE_API_TOKEN = saved;
      }
    });
  });

  describe("Queues delivery with retries and the dead-letter queue (deliver mode)", () => {
    const maxAttempts = 3;
    let cloud: MiniflareCloud;
    const failedAttempts: number[] = [];
    const logLines: string[] = [];
    before(async () => {
      cloud = await startMiniflareCloud({
        functions: Object.values(cloudflareTestFunctions({ "queue-worker": { maxAttempts, batchSize: 10 } })),
        apiKey: TEST_API_KEY,
        delivery: "deliver",
        batchTimeoutSeconds: 0,
        onLog: (line) => {
          logLines.push(line);
          if (!line.includes('"message failed"') || !line.includes('"status":"poison"')) return;
          failedAttempts.push(JSON.parse(line.slice(line.indexOf("{"))).attempt);
        },
      });
    });
    after(async () => cloud?.stop());

    it("welcomes the good messages and dead-letters the poison one after maxAttempts deliveries", async () => {
      const users = await Promise.all(
        [1, 2].map(async (i) => (await (await postUser(cloud, `dlq${i}-${Date.now()}@example.com`)).json()) as { id: string }),
      );
      // The poison message travels the same queue the users API publishes to.
      const producer = await cloud.miniflare.getQueueProducer<string>("EVENTS", "users-api");
      await producer.send(JSON.stringify({ type: "user.created", eventId: "poison-1", userId: "poison-1" }), { contentType: "text" });

      for (const user of users) {
        await eventually(async () => ((await getUser(cloud, user.id)).welcomedAt ? true : undefined), 10_000, `user ${user.id} welcomed`);
      }
      const dead = await eventually(async () => {
        const messages = await cloud.recorded(DEAD_LETTER_QUEUE, { peek: true });
        return messages.length > 0 ? messages : undefined;
      }, 15_000, "the poison message in the dead-letter queue");
      assert.equal(dead.length, 1);
      assert.equal(JSON.parse(dead[0].body).eventId, "poison-1");
      assert.deepEqual(failedAttempts, [1, 2, 3], "delivered maxAttempts times, then dead-lettered");
    });

    it("a redelivered event welcomes once", async () => {
      const user = (await (await postUser(cloud, `again${Date.now()}@example.com`)).json()) as { id: string; email: string };
      const first = await eventually(async () => (await getUser(cloud, user.id)).welcomedAt ?? undefined, 10_000, "welcome");
      const producer = await cloud.miniflare.getQueueProducer<string>("EVENTS", "users-api");
      const redelivery = { type: "user.created", eventId: "again", userId: user.id, email: user.email, occurredAt: new Date().toISOString() };
      const duplicatesBefore = logLines.filter((l) => l.includes('"status":"duplicate"')).length;
      await producer.send(JSON.stringify(redelivery), { contentType: "text" });
      await eventually(async () => (logLines.filter((l) => l.includes('"status":"duplicate"')).length > duplicatesBefore ? true : undefined), 10_000, "the redelivery processed as a duplicate");
      assert.equal((await getUser(cloud, user.id)).welcomedAt, first);
      assert.deepEqual(await cloud.recorded(DEAD_LETTER_QUEUE, { peek: true }).then((m) => m.filter((x) => JSON.parse(x.body).eventId === "again")), []);
    });
  });
});
