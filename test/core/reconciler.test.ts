/**
 * The reconciler's own rules (grace period, claims, bounds, abandonment, logging) over a small
 * in-memory double of the PendingUserStore port. The real stores' listPending/claimRepublish
 * run in the conformance suite on every platform's emulator; this double only lets the rules
 * be checked exactly (a clock, a page size, a failing publish) without an emulator.
 */
import assert from "node:assert/strict";
import { createLogger, createReconciler, reconcileAnswer, EmailTakenError, StoreDeadlineError, reconcilerEnv, reconcilerSettingsFrom, type EventPublisher, type PendingUserStore, type UserCreatedEvent } from "../../functions/core";

interface Row {
  id: string;
  email: string;
  createdAt: string;
  welcomed: boolean;
  lastRepublishAt?: string;
  republishCount: number;
}

/** Test double of the port (see the file comment). */
function memoryStore(rows: Row[]): PendingUserStore & { rows: Row[]; queries: number } {
  const store = {
    rows,
    queries: 0,
    async listPending({ createdBefore, limit, cursor }: { createdBefore: string; limit: number; cursor?: string }) {
      store.queries++;
      const pending = rows.filter((r) => !r.welcomed && r.createdAt < createdBefore).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      const start = cursor ? Number(cursor) : 0;
      const page = pending.slice(start, start + limit);
      return { users: page.map(({ id, email, createdAt, republishCount }) => ({ id, email, createdAt, republishCount })), cursor: start + limit < pending.length ? String(start + limit) : undefined };
    },
    async claimRepublish(id: string, at: string, claimableBefore: string) {
      const row = rows.find((r) => r.id === id);
      if (!row || row.welcomed || (row.lastRepublishAt !== undefined && row.lastRepublishAt >= claimableBefore)) return false;
      row.lastRepublishAt = at;
      row.republishCount++;
      return true;
    },
  };
  return store;
}

const minute = 60_000;
const T0 = Date.parse("2026-11-30T10:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
const user = (i: number, createdMsAgo: number, extra: Partial<Row> = {}): Row => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  email: `u${i}@example.com`,
  createdAt: at(-createdMsAgo),
  welcomed: false,
  republishCount: 0,
  ...extra,
});

function harness(rows: Row[], options: { failFor?: string[]; batchLimit?: number; pageSize?: number; clock?: () => number } = {}) {
  const store = memoryStore(rows);
  const published: UserCreatedEvent[] = [];
  const lines: Record<string, unknown>[] = [];
  const publisher: EventPublisher = {
    async publish(event) {
      if (options.failFor?.includes(event.userId)) throw new Error("queue unreachable");
      published.push(event);
    },
  };
  const reconciler = createReconciler({
    store,
    publisher,
    logger: createLogger({ platform: "test", function: "reconciler" }, { sink: (line) => lines.push(JSON.parse(line)) }),
    graceSeconds: 10 * 60,
    batchLimit: options.batchLimit,
    pageSize: options.pageSize ?? 2,
    now: () => new Date(options.clock?.() ?? T0),
  });
  return { store, published, lines, reconciler };
}

describe("core: reconciler", () => {
  it("re-publishes exactly the users unwelcomed for longer than the grace period, oldest first, with the API's event", async () => {
    const rows = [user(1, 30 * minute), user(2, 10 * minute + 1), user(3, 10 * minute), user(4, 60 * minute, { welcomed: true }), user(5, 11 * minute)];
    const { published, reconciler } = harness(rows);
    const report = await reconciler.run({ timeBudgetMs: 10_000 });
    assert.deepEqual(published.map((e) => e.userId), [rows[0].id, rows[4].id, rows[1].id], "user 3 is exactly at the grace period: not yet pending");
    assert.deepEqual(published[0], { type: "user.created", eventId: `user.created:${rows[0].id}`, userId: rows[0].id, occurredAt: rows[0].createdAt });
    assert.deepEqual({ ...report, durationMs: 0 }, { republishedIds: [rows[0].id, rows[4].id, rows[1].id], scanned: 3, republished: 3, skipped: 0, abandoned: 0, errors: 0, durationMs: 0 });
  });

  it("answers its caller with counts only: the re-published users' ids stay in the log line", async () => {
    const rows = [user(1, 30 * minute), user(2, 40 * minute)];
    const { reconciler } = harness(rows);
    const report = await reconciler.run({ timeBudgetMs: 10_000 });
    const answer = reconcileAnswer(report);
    assert.deepEqual({ ...answer, durationMs: 0 }, { scanned: 2, republished: 2, skipped: 0, abandoned: 0, errors: 0, durationMs: 0 });
    for (const row of rows) assert.ok(!JSON.stringify(answer).includes(row.id), "no user id in the answer");
    assert.deepEqual(report.republishedIds.length, 2, "the report (logged) still has them");
  });

  it("a second run within the grace period re-publishes nothing; after it, the same users again (claims expire)", async () => {
    let now = T0;
    const { published, reconciler } = harness([user(1, 30 * minute), user(2, 40 * minute)], { clock: () => now });
    await reconciler.run({ timeBudgetMs: 10_000 });
    now += 5 * minute;
    const second = await reconciler.run({ timeBudgetMs: 10_000 });
    assert.equal(published.length, 2);
    assert.deepEqual([second.republished, second.skipped], [0, 2]);
    now += 10 * minute;
    await reconciler.run({ timeBudgetMs: 10_000 });
    assert.equal(published.length, 4);
  });

  it("with no grace period, a claim still holds for as long as a run may last", async () => {
    let now = T0;
    const store = harness([user(1, 0)], { clock: () => now });
    const graceless = createReconciler({ store: store.store, publisher: { publish: async (e) => void store.published.push(e) }, logger: createLogger({ platform: "t", function: "r" }, { sink: () => undefined }), graceSeconds: 0, now: () => new Date(now) });
    now += 1;
    await graceless.run({ timeBudgetMs: 60_000 });
    now += 60_000;
    await graceless.run({ timeBudgetMs: 60_000 });
    assert.equal(store.published.length, 1, "exactly 60 s later the claim still holds");
    now += 1;
    await graceless.run({ timeBudgetMs: 60_000 });
    assert.equal(store.published.length, 2, "1 ms past the window it is claimable again");
  });

  it("two overlapping runs re-publish each pending user once", async () => {
    const rows = Array.from({ length: 10 }, (_, i) => user(i + 1, (20 + i) * minute));
    const { published, reconciler } = harness(rows);
    const reports = await Promise.all([reconciler.run({ timeBudgetMs: 10_000 }), reconciler.run({ timeBudgetMs: 10_000 })]);
    assert.equal(published.length, 10);
    assert.equal(new Set(published.map((e) => e.userId)).size, 10);
    assert.equal(reports[0].republished + reports[1].republished, 10);
  });

  it("a failed publish is counted and logged; the claim stays, so the next run after the grace period retries", async () => {
    const rows = [user(1, 30 * minute), user(2, 30 * minute + 1)];
    const { published, lines, reconciler } = harness(rows, { failFor: [rows[0].id] });
    const report = await reconciler.run({ timeBudgetMs: 10_000 });
    assert.deepEqual([report.republished, report.errors], [1, 1]);
    assert.deepEqual(published.map((e) => e.userId), [rows[1].id]);
    const error = lines.find((l) => l.level === "error")!;
    assert.equal(error.userId, rows[0].id);
    assert.equal(error.message, "re-publishing failed; the next run retries");
    assert.equal((error.error as { message: string }).message, "queue unreachable");
  });

  it("stops at the batch limit, exactly: limit 3 of 5 re-publishes 3", async () => {
    const rows = Array.from({ length: 5 }, (_, i) => user(i + 1, (20 + i) * minute));
    const { published, reconciler } = harness(rows, { batchLimit: 3 });
    const report = await reconciler.run({ timeBudgetMs: 10_000 });
    assert.equal(published.length, 3);
    assert.equal(report.stoppedBecause, "batch limit");
    const all = harness(rows.map((r) => ({ ...r, lastRepublishAt: undefined, republishCount: 0 })), { batchLimit: 5 });
    assert.equal((await all.reconciler.run({ timeBudgetMs: 10_000 })).stoppedBecause, undefined, "a limit equal to the pending count is not hit");
  });

  it("stops before its time budget ends and reads the index a page at a time", async () => {
    const rows = Array.from({ length: 6 }, (_, i) => user(i + 1, (20 + i) * minute));
    const spent = harness(rows);
    assert.equal((await spent.reconciler.run({ timeBudgetMs: 0 })).stoppedBecause, "time budget");
    assert.equal(spent.published.length, 0);
    const paged = harness(rows, { pageSize: 2 });
    await paged.reconciler.run({ timeBudgetMs: 10_000 });
    assert.equal(paged.store.queries, 3, "6 users in pages of 2");
  });

  it("stops exactly at its time budget, inside a page and between pages, and reports the time on the run's clock", async () => {
    // Each publish takes one second on the injected clock: after two, the run has spent 2,000 ms.
    const slowPublishes = (pageSize: number) => {
      let now = T0;
      // Fresh rows each time: a run's claims are written into its rows.
      const run = harness(Array.from({ length: 4 }, (_, i) => user(i + 1, (20 + i) * minute)), { pageSize, clock: () => now });
      const recordPublished = run.published.push.bind(run.published);
      run.published.push = (...events) => {
        now += 1_000;
        return recordPublished(...events);
      };
      return run;
    };
    const inPage = slowPublishes(10);
    const inPageReport = await inPage.reconciler.run({ timeBudgetMs: 2_000 });
    assert.equal(inPage.published.length, 2, "at 2,000 ms of a 2,000 ms budget, the third user is not started");
    assert.equal(inPageReport.stoppedBecause, "time budget");
    assert.equal(inPageReport.durationMs, 2_000);
    const betweenPages = slowPublishes(2);
    const betweenReport = await betweenPages.reconciler.run({ timeBudgetMs: 2_000 });
    assert.equal(betweenPages.published.length, 2);
    assert.equal(betweenPages.store.queries, 1, "the budget is spent at the end of the first page: the second is never read");
    assert.equal(betweenReport.stoppedBecause, "time budget");
    const roomy = slowPublishes(10);
    assert.equal((await roomy.reconciler.run({ timeBudgetMs: 2_001 })).stoppedBecause, "time budget");
    assert.equal(roomy.published.length, 3, "one millisecond more lets the third start");
  });

  it("leaves a user re-published too often for an operator, logged at error level, and logs every run's figures", async () => {
    const rows = [user(1, 300 * minute, { republishCount: 5 }), user(2, 300 * minute, { republishCount: 4 })];
    const { published, lines, reconciler } = harness(rows);
    const report = await reconciler.run({ timeBudgetMs: 10_000 });
    assert.deepEqual(published.map((e) => e.userId), [rows[1].id], "4 earlier claims: a fifth is allowed");
    assert.deepEqual([report.abandoned, report.skipped], [1, 1]);
    assert.ok(lines.some((l) => l.level === "error" && l.userId === rows[0].id && /left for an operator/.test(String(l.message))));
    const summary = lines.find((l) => l.message === "reconciled")!;
    assert.deepEqual([summary.scanned, summary.republished, summary.skipped, summary.errors], [2, 1, 1, 0]);
    assert.equal(typeof summary.durationMs, "number");
  });
});

describe("core: reconciler settings a driver reads", () => {
  const from = (values: Record<string, string | undefined>) => reconcilerSettingsFrom((name) => values[name]);
  const valid = { [reconcilerEnv.graceSeconds]: "600", [reconcilerEnv.timeBudgetSeconds]: "48" };

  it("reads seconds, the time budget in milliseconds; 0 is allowed", () => {
    assert.deepEqual(from(valid), { graceSeconds: 600, timeBudgetMs: 48_000 });
    assert.deepEqual(from({ [reconcilerEnv.graceSeconds]: "0", [reconcilerEnv.timeBudgetSeconds]: "0" }), { graceSeconds: 0, timeBudgetMs: 0 });
  });

  it("refuses a missing, non-numeric, infinite or negative value, naming it", () => {
    for (const name of [reconcilerEnv.graceSeconds, reconcilerEnv.timeBudgetSeconds]) {
      for (const bad of [undefined, "", "  ", "soon", "Infinity", "-1"]) {
        assert.throws(() => from({ ...valid, [name]: bad }), new RegExp(`^Error: ${name} must be a number of seconds`), `${name}=${bad}`);
      }
    }
  });
});

describe("core: StoreDeadlineError", () => {
  it("names itself, the store, the operation and the deadline, and keeps its cause", () => {
    const cause = new Error("socket hang up");
    const error = new StoreDeadlineError("Firestore", "create", 400, { cause });
    assert.equal(error.name, "StoreDeadlineError");
    assert.equal(error.message, "Firestore create did not finish within 400 ms (STORE_TIMEOUT_MS)");
    assert.equal(error.cause, cause);
  });
});

describe("core: EmailTakenError", () => {
  it("names itself and the email", () => {
    const error = new EmailTakenError("ada@example.com");
    assert.equal(error.name, "EmailTakenError");
    assert.equal(error.message, "email already registered: ada@example.com");
    assert.equal(error.email, "ada@example.com");
  });
});
