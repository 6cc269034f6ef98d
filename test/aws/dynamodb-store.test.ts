/**
 * The DynamoDB store on its own.
 * - The pending index, on DynamoDB Local (shared with driver.test.ts): listPending queries the
 *   sparse index only, pages, and loses welcomed users; claims race atomically.
 * - Transaction cancellations that DynamoDB Local cannot be made to produce on demand (a
 *   TransactionConflict, a user-key collision). LAST RESORT, marked as such: `client.send` is a
 *   stub that throws the SDK's own exception classes; everything else (email uniqueness,
 *   welcomed/not-found) runs on DynamoDB Local in driver.test.ts and conformance.test.ts.
 */
import assert from "node:assert/strict";
import { DynamoDBClient, QueryCommand, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { awsUsersTable } from "../../functions/aws/contract";
import { createDynamoDbUserStore } from "../../functions/aws/dynamodb-store";
import { EmailTakenError, type PendingUser, type User } from "../../functions/core";
import { requireDynamoDbLocal, sharedAwsTarget, type AwsTarget } from "./target";

describe("aws: DynamoDB store, the pending index (DynamoDB Local)", function () {
  const sharedTarget = sharedAwsTarget();
  let target: AwsTarget;
  /** The store on a real client to DynamoDB Local, with the name of every command it sent. */
  let store: ReturnType<typeof createDynamoDbUserStore>;
  let sent: { command: string; input: Record<string, unknown> }[];
  let counter = 0;

  before(async function () {
    this.timeout(180_000);
    requireDynamoDbLocal(this);
    target = await sharedTarget.acquire();
    const client = new DynamoDBClient({ endpoint: target.backends.dynamodb.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    // Observes what the store asks DynamoDB for; the requests still go to DynamoDB Local.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push({ command: context.commandName as string, input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: "initialize" },
    );
    store = createDynamoDbUserStore({ client, tableName: target.backends.tableName });
  });
  beforeEach(() => (sent = []));
  after(() => sharedTarget.release());

  /** Users created at `year`-01-01 plus i seconds: each test uses its own year, older than any other test's users. */
  const createUsers = async (year: number, count: number): Promise<User[]> => {
    const users = Array.from({ length: count }, (_, i): User => ({
      id: crypto.randomUUID(),
      email: `pending${Date.now()}-${counter++}@example.com`,
      name: `P ${i}`,
      createdAt: new Date(Date.UTC(year, 0, 1, 0, 0, i)).toISOString(),
      welcomedAt: null,
    }));
    for (const user of users) await store.create(user);
    return users;
  };
  const listAll = async (createdBefore: string, limit: number) => {
    const pages: PendingUser[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listPending({ createdBefore, limit, cursor });
      pages.push(page.users);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return pages;
  };

  it("creating and welcoming cost one write each: the index marker rides in the same request", async () => {
    const [user] = await createUsers(1995, 1);
    assert.deepEqual(sent.map((s) => s.command), ["TransactWriteItemsCommand"]);
    sent = [];
    assert.equal(await store.markWelcomed(user.id, new Date().toISOString()), "welcomed");
    assert.deepEqual(sent.map((s) => s.command), ["UpdateItemCommand"]);
  });

  it("lists pending users by querying the pending index only (never a scan), oldest first, a page at a time", async () => {
    const users = await createUsers(1990, 7);
    sent = [];
    const pages = await listAll("1991-01-01T00:00:00.000Z", 3);
    assert.deepEqual(
      pages.flat().map((u) => u.id),
      users.map((u) => u.id),
    );
    assert.deepEqual(pages.flat()[0], { id: users[0].id, email: users[0].email, createdAt: users[0].createdAt, republishCount: 0 });
    assert.ok(pages.every((page) => page.length <= 3));
    assert.ok(pages.length >= 3, "7 users in pages of 3 take at least three queries");
    assert.ok(sent.every((s) => s.command === "QueryCommand" && s.input.IndexName === awsUsersTable.pendingIndex.name), JSON.stringify(sent.map((s) => s.command)));
    // A GSI is read eventually consistently; asking for a consistent read would fail.
    assert.ok(sent.every((s) => s.input.ConsistentRead === undefined));
  });

  it("the cutoff is exclusive: a user created exactly at createdBefore is not pending yet", async () => {
    const [first, second] = await createUsers(1992, 2);
    const pending = (await listAll(second.createdAt, 10)).flat().filter((u) => u.createdAt.startsWith("1992"));
    assert.deepEqual(pending.map((u) => u.id), [first.id]);
  });

  it("the index is sparse: only unwelcomed users are in it, and a welcomed user leaves it", async () => {
    const [stays, goes] = await createUsers(1993, 2);
    await store.markWelcomed(goes.id, new Date().toISOString());
    const ids = (await listAll("1994-01-01T00:00:00.000Z", 50)).flat().filter((u) => u.createdAt.startsWith("1993")).map((u) => u.id);
    assert.deepEqual(ids, [stays.id]);
    // Read the index raw: no email items, no welcomed users, in the whole index.
    const { Items = [] } = await target.backends.clients.dynamodb.send(
      new QueryCommand({
        TableName: target.backends.tableName,
        IndexName: awsUsersTable.pendingIndex.name,
        KeyConditionExpression: "#p = :p",
        ExpressionAttributeNames: { "#p": awsUsersTable.pendingIndex.partitionKey },
        ExpressionAttributeValues: { ":p": { S: awsUsersTable.pendingIndex.pendingValue } },
      }),
    );
    assert.ok(Items.length > 0);
    assert.ok(Items.every((item) => item.pk.S!.startsWith("user#") && item.welcomedAt === undefined));
    assert.ok(!Items.some((item) => item.id.S === goes.id));
    assert.equal(await store.claimRepublish(goes.id, new Date().toISOString(), new Date().toISOString()), false, "a welcomed user cannot be claimed");
  });

  it("two concurrent claims of one user: exactly one wins; a later claim wins only after the window", async () => {
    const [user] = await createUsers(1994, 1);
    const at = "2026-06-01T00:00:00.000Z";
    const results = await Promise.all([store.claimRepublish(user.id, at, "2026-05-31T23:55:00.000Z"), store.claimRepublish(user.id, at, "2026-05-31T23:55:00.000Z")]);
    assert.deepEqual(results.sort(), [false, true]);
    // Claimed at `at`: a run whose window starts at `at` (not after it) finds the claim taken.
    assert.equal(await store.claimRepublish(user.id, "2026-06-01T00:04:00.000Z", at), false);
    assert.equal(await store.claimRepublish(user.id, "2026-06-01T00:10:00.000Z", "2026-06-01T00:00:00.001Z"), true);
    const [listed] = (await listAll("1995-01-01T00:00:00.000Z", 50)).flat().filter((u) => u.id === user.id);
    assert.equal(listed.republishCount, 2);
    assert.equal(await store.claimRepublish(crypto.randomUUID(), at, at), false, "an unknown user cannot be claimed");
  });

  it("a malformed cursor is refused, not read as the first page", async () => {
    await assert.rejects(store.listPending({ createdBefore: "2000-01-01T00:00:00.000Z", limit: 1, cursor: Buffer.from("[1]").toString("base64url") }), /malformed listPending cursor/);
  });
});

const user: User = { id: "00000000-0000-4000-8000-000000000001", email: "a@example.com", name: "A", createdAt: "2026-01-01T00:00:00.000Z", welcomedAt: null };

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: "Transaction cancelled",
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/** A stub client answering each send with the next scripted outcome (SDK mock: last resort). */
function scriptedClient(outcomes: (Error | undefined)[]) {
  const sent: unknown[] = [];
  const client = {
    async send(command: unknown) {
      sent.push(command);
      const outcome = outcomes.shift();
      if (outcome) throw outcome;
      return {};
    },
  } as unknown as DynamoDBClient;
  return { client, sent };
}

describe("aws: DynamoDB store, transaction cancellations", () => {
  it("retries a TransactionConflict, then reports the email taken when the winner's item exists", async () => {
    const { client, sent } = scriptedClient([cancelled("None", "TransactionConflict"), cancelled("None", "ConditionalCheckFailed")]);
    const store = createDynamoDbUserStore({ client, tableName: "users" });
    await assert.rejects(store.create(user), (error: unknown) => error instanceof EmailTakenError && error.email === user.email);
    assert.equal(sent.length, 2);
  });

  it("a conflict that clears on retry creates the user", async () => {
    const { client, sent } = scriptedClient([cancelled("TransactionConflict", "None"), undefined]);
    await createDynamoDbUserStore({ client, tableName: "users" }).create(user);
    assert.equal(sent.length, 2);
  });

  it("gives up after bounded retries and surfaces the cancellation", async () => {
    const { client, sent } = scriptedClient(Array.from({ length: 10 }, () => cancelled("None", "TransactionConflict")));
    await assert.rejects(createDynamoDbUserStore({ client, tableName: "users" }).create(user), TransactionCanceledException);
    assert.equal(sent.length, 6);
  });

  it("a user-key collision is not an email conflict: the error surfaces (500), not 409", async () => {
    const { client } = scriptedClient([cancelled("ConditionalCheckFailed", "None")]);
    await assert.rejects(createDynamoDbUserStore({ client, tableName: "users" }).create(user), TransactionCanceledException);
  });
});
