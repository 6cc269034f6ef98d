/**
 * The store's handling of transaction cancellations that DynamoDB Local cannot be made to
 * produce on demand (a TransactionConflict, a user-key collision).
 * LAST RESORT, marked as such: `client.send` is a stub that throws the SDK's own exception
 * classes; everything else (email uniqueness, welcomed/not-found) runs on DynamoDB Local in
 * driver.test.ts and conformance.test.ts.
 */
import assert from "node:assert/strict";
import { TransactionCanceledException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbUserStore } from "../../functions/aws/dynamodb-store";
import { EmailTakenError, type User } from "../../functions/core";

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
