/**
 * The Table Storage store's pending index against Azurite: the index entity is written and
 * removed in the same entity group transactions as the user, listPending reads only index
 * entities a page at a time, and the reconciler's claim has one winner. Run inside the local
 * cloud's suite (./local.test.ts) on its Azurite, in a table of its own: no extra emulator.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { odata, TableClient } from "@azure/data-tables";
import { createTableUserStore, emailRowKey, MAX_QUERY_PAGE, PENDING_PREFIX, pendingRowKey, USERS_PARTITION, userRowKey } from "../../functions/azure/store";
import { EmailTakenError, type User } from "../../functions/core";

export function describePendingIndexStore(connectionString: () => string): void {
  describe("the store's pending index (Table Storage on Azurite)", () => {
    let table: TableClient;
    let store: ReturnType<typeof createTableUserStore>;
    /** The query strings of the entity queries the store sent, as the service received them. */
    const queries: URLSearchParams[] = [];

    before(async () => {
      table = TableClient.fromConnectionString(connectionString(), "pendingtest", {
        allowInsecureConnection: true,
        additionalPolicies: [
          {
            position: "perCall",
            policy: {
              name: "record-queries",
              sendRequest(request, next) {
                const url = new URL(request.url);
                if (request.method === "GET" && url.pathname.endsWith("/pendingtest()")) queries.push(url.searchParams);
                return next(request);
              },
            },
          },
        ],
      });
      await table.createTable();
      store = createTableUserStore(async () => table);
    });

    const user = (createdAt: string, welcomedAt: string | null = null): User => ({
      id: randomUUID(),
      email: `${randomUUID()}@example.com`,
      name: "Pending",
      createdAt,
      welcomedAt,
    });
    const indexEntities = async () => {
      const keys: string[] = [];
      const filter = odata`PartitionKey eq ${USERS_PARTITION} and RowKey ge ${PENDING_PREFIX} and RowKey lt ${"pending;"}`;
      for await (const entity of table.listEntities({ queryOptions: { filter } })) keys.push(entity.rowKey!);
      return keys;
    };
    const allPending = async (createdBefore: string, limit: number) => {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listPending({ createdBefore, limit, cursor });
        pages.push(page.users.map((u) => u.id));
        cursor = page.cursor;
      } while (cursor !== undefined);
      return pages;
    };

    it("create writes the user and its index entity together; a user created welcomed gets none", async () => {
      const pending = user("2026-01-01T00:00:00.000Z");
      const welcomed = user("2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z");
      await store.create(pending);
      await store.create(welcomed);
      assert.deepEqual(await indexEntities(), [pendingRowKey(pending.createdAt, pending.id)]);
      const index = await table.getEntity(USERS_PARTITION, pendingRowKey(pending.createdAt, pending.id));
      assert.equal(index.email, pending.email);
    });

    it("a failed create transaction (email taken) leaves neither the user nor an index entity", async () => {
      const before = await indexEntities();
      const first = user("2026-01-02T00:00:00.000Z");
      await store.create(first);
      const second = { ...user("2026-01-02T00:00:01.000Z"), email: first.email };
      await assert.rejects(store.create(second), EmailTakenError);
      assert.equal(await store.get(second.id), undefined);
      assert.deepEqual(await indexEntities(), [...before, pendingRowKey(first.createdAt, first.id)].sort());
    });

    it("20 concurrent creates with one email leave one user, one email claim and one index entity: no orphans", async () => {
      // What one entity group transaction guarantees: were the entities written by separate
      // calls, the losers' user (or index) entities would stay behind without an email claim.
      const email = `${randomUUID()}@example.com`;
      const racers = Array.from({ length: 20 }, (_, i) => ({ ...user(`2026-01-03T00:00:${String(i).padStart(2, "0")}.000Z`), email }));
      const results = await Promise.allSettled(racers.map((racer) => store.create(racer)));
      const winners = racers.filter((_, i) => results[i].status === "fulfilled");
      assert.equal(winners.length, 1);
      for (const result of results) if (result.status === "rejected") assert.ok(result.reason instanceof EmailTakenError, String(result.reason));
      const [winner] = winners;
      const ids = new Set(racers.map((racer) => racer.id));
      const left: string[] = [];
      // A scan of the partition, as the AWS test scans its table: every entity of any racer.
      for await (const entity of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${USERS_PARTITION}` } })) {
        if (ids.has(String(entity.id ?? entity.userId)) || entity.email === email) left.push(entity.rowKey!);
      }
      assert.deepEqual(left.sort(), [emailRowKey(email), pendingRowKey(winner.createdAt, winner.id), userRowKey(winner.id)].sort());
    });

    it("lists pending users created before the cutoff, oldest first, a page at a time through an opaque cursor", async () => {
      const base = Date.parse("2026-02-01T00:00:00.000Z");
      const created = Array.from({ length: 5 }, (_, i) => user(new Date(base + i * 1000).toISOString()));
      // Inserted newest first: the order comes from the RowKey, not from insertion.
      for (const u of [...created].reverse()) await store.create(u);
      const cutoff = created[4].createdAt; // excludes the newest: strictly before the cutoff
      const all = (await allPending(cutoff, 1000)).flat().filter((id) => created.some((u) => u.id === id));
      assert.deepEqual(all, created.slice(0, 4).map((u) => u.id));

      const pages = await allPending(cutoff, 2);
      assert.ok(pages.every((page) => page.length <= 2), "no page exceeds the limit");
      const paged = pages.flat().filter((id) => created.some((u) => u.id === id));
      assert.deepEqual(paged, all, "paging returns the same users in the same order, none twice");
      assert.ok(pages.length >= 3, `the 4+ pending users took several pages (got ${pages.length})`);
    });

    it("asks the service for a range query on the users partition's pending keys only, never a scan", async () => {
      queries.length = 0;
      await store.listPending({ createdBefore: "2026-02-01T00:00:00.000Z", limit: 25 });
      assert.equal(queries.length, 1);
      assert.equal(
        queries[0].get("$filter"),
        "PartitionKey eq 'users' and RowKey ge 'pending:' and RowKey lt 'pending:2026-02-01T00:00:00.000Z'",
        "PartitionKey eq and a RowKey range: a range query (table-storage-design-for-query)",
      );
      assert.equal(queries[0].get("$top"), "25");
    });

    it(`asks for at most ${MAX_QUERY_PAGE} entities per page, the service's maximum`, async () => {
      queries.length = 0;
      await store.listPending({ createdBefore: "2026-02-01T00:00:00.000Z", limit: MAX_QUERY_PAGE });
      await store.listPending({ createdBefore: "2026-02-01T00:00:00.000Z", limit: MAX_QUERY_PAGE + 1 });
      assert.deepEqual(queries.map((q) => q.get("$top")), [String(MAX_QUERY_PAGE), String(MAX_QUERY_PAGE)]);
    });

    it("a welcomed user drops out of the index in the same transaction as its welcome", async () => {
      const u = user("2026-03-01T00:00:00.000Z");
      await store.create(u);
      const cutoff = "2026-03-01T00:00:01.000Z";
      assert.ok((await allPending(cutoff, 100)).flat().includes(u.id));
      assert.equal(await store.markWelcomed(u.id, "2026-03-01T00:05:00.000Z"), "welcomed");
      assert.ok(!(await allPending(cutoff, 100)).flat().includes(u.id));
      assert.ok(!(await indexEntities()).includes(pendingRowKey(u.createdAt, u.id)));
      assert.equal((await store.get(u.id))?.welcomedAt, "2026-03-01T00:05:00.000Z");
      assert.equal(await store.markWelcomed(u.id, "2026-03-01T00:06:00.000Z"), "already-welcomed");
      assert.equal(await store.claimRepublish(u.id, "2026-03-01T00:07:00.000Z", "2026-03-01T00:07:00.000Z"), false, "a welcomed user cannot be claimed");
    });

    it("a welcome whose index delete fails is rolled back whole: the user stays unwelcomed and pending", async () => {
      const u = user("2026-03-02T00:00:00.000Z");
      await store.create(u);
      // Break the index behind the store's back: the transaction's delete now fails with 404.
      await table.deleteEntity(USERS_PARTITION, pendingRowKey(u.createdAt, u.id));
      await assert.rejects(store.markWelcomed(u.id, "2026-03-02T00:05:00.000Z"), (error: { statusCode?: number }) => error.statusCode === 404);
      assert.equal((await store.get(u.id))?.welcomedAt, null, "the user update in the failed transaction was not applied");
    });

    it("concurrent claims of one user: exactly one wins; a claim inside the window fails, after it succeeds and counts", async () => {
      const u = user("2026-04-01T00:00:00.000Z");
      await store.create(u);
      const at = "2026-04-01T01:00:00.000Z";
      const results = await Promise.all(Array.from({ length: 8 }, () => store.claimRepublish(u.id, at, "2026-04-01T00:59:00.000Z")));
      assert.equal(results.filter(Boolean).length, 1, `one winner of 8: ${results}`);
      // Claimed at 01:00: a run whose claim window reaches back before 01:00 finds the claim taken…
      assert.equal(await store.claimRepublish(u.id, "2026-04-01T01:01:00.000Z", "2026-04-01T00:59:59.999Z"), false);
      // …exactly at the boundary too (claimable only when last claimed strictly before it)…
      assert.equal(await store.claimRepublish(u.id, "2026-04-01T01:01:00.000Z", at), false);
      // …and one whose window starts after 01:00 claims it again.
      assert.equal(await store.claimRepublish(u.id, "2026-04-01T02:00:00.000Z", "2026-04-01T01:00:00.001Z"), true);
      const [listed] = (await store.listPending({ createdBefore: "2026-04-01T00:00:00.001Z", limit: 1000 })).users.filter((p) => p.id === u.id);
      assert.equal(listed.republishCount, 2);
      assert.equal(await store.claimRepublish(randomUUID(), at, at), false, "an unknown user cannot be claimed");
    });
  });
}
