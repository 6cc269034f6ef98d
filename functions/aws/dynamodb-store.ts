/**
 * The users store on DynamoDB: one table, partition key `pk` (string).
 * - user item:  pk = "user#<id>", with id, email, name, createdAt and, once welcomed, welcomedAt
 * - email item: pk = "email#<normalised email>", with userId: the uniqueness guard
 * Creating writes both items in one transaction, each conditioned on not existing, so a used
 * email is refused by DynamoDB itself, atomically, however many requests race.
 *
 * Pending users (for the reconciler) live in a sparse global secondary index (./contract.ts
 * `awsUsersTable.pendingIndex`): the user item is created with the index's constant partition
 * attribute, and the welcome REMOVEs it in its own conditional UpdateItem, so the index holds
 * exactly the unwelcomed users and costs no extra write. `listPending` is a Query on that index,
 * never a Scan. Index reads are eventually consistent (a GSI offers no ConsistentRead:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html):
 * a user welcomed a moment ago may still be listed, and `claimRepublish`, a conditional write on
 * the table itself, is what refuses it.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { EmailTakenError, type PendingUser, type PendingUserStore, type User, type UserStore, type WelcomeResult } from "../core";
import { awsUsersTable } from "./contract";

const pendingIndex = awsUsersTable.pendingIndex;

export const userKey = (id: string) => `user#${id}`;
export const emailKey = (email: string) => `email#${email}`;

/**
 * A transaction that touches an item another transaction is writing is cancelled with
 * `TransactionConflict` and may be retried; the retry then sees the winner's email item.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling
 */
const CONFLICT_RETRIES = 5;

export interface DynamoDbUserStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

export function createDynamoDbUserStore({ client, tableName }: DynamoDbUserStoreOptions): UserStore & PendingUserStore {
  return {
    async get(id) {
      // Strongly consistent: a client that just got 201 must be able to read its user.
      const result = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: userKey(id) } }, ConsistentRead: true }),
      );
      return result.Item ? userFromItem(result.Item) : undefined;
    },

    async create(user) {
      const command = new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: itemFromUser(user), ConditionExpression: "attribute_not_exists(pk)" } },
          {
            Put: {
              TableName: tableName,
              Item: { pk: { S: emailKey(user.email) }, userId: { S: user.id } },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
        ],
      });
      for (let attempt = 0; ; attempt++) {
        try {
          await client.send(command);
          return;
        } catch (error) {
          const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
          if (reasons[1]?.Code === "ConditionalCheckFailed") throw new EmailTakenError(user.email);
          const conflicted = reasons.some((reason) => reason.Code === "TransactionConflict");
          if (!conflicted || attempt >= CONFLICT_RETRIES) throw error;
          await sleep(10 * 2 ** attempt * (0.5 + Math.random()));
        }
      }
    },

    async markWelcomed(id, at): Promise<WelcomeResult> {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: userKey(id) } },
            // Leaving the pending index is part of the welcome itself: no second write.
            UpdateExpression: "SET welcomedAt = :at REMOVE #pending",
            ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(welcomedAt)",
            ExpressionAttributeNames: { "#pending": pendingIndex.partitionKey },
            ExpressionAttributeValues: { ":at": { S: at } },
            // The old item comes back with the failure: present means welcomed before, absent means no such user.
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return "welcomed";
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return error.Item ? "already-welcomed" : "not-found";
        throw error;
      }
    },

    async listPending({ createdBefore, limit, cursor }) {
      const result = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: pendingIndex.name,
          KeyConditionExpression: "#pending = :pending AND #createdAt < :before",
          ExpressionAttributeNames: { "#pending": pendingIndex.partitionKey, "#createdAt": pendingIndex.sortKey },
          ExpressionAttributeValues: { ":pending": { S: pendingIndex.pendingValue }, ":before": { S: createdBefore } },
          ScanIndexForward: true,
          Limit: limit,
          ExclusiveStartKey: cursor === undefined ? undefined : decodeCursor(cursor),
        }),
      );
      return {
        users: (result.Items ?? []).map(pendingUserFromItem),
        // DynamoDB may return a LastEvaluatedKey with nothing after it; the next page is then empty.
        cursor: result.LastEvaluatedKey ? encodeCursor(result.LastEvaluatedKey) : undefined,
      };
    },

    async claimRepublish(id, at, claimableBefore) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: userKey(id) } },
            UpdateExpression: "SET lastRepublishAt = :at ADD republishCount :one",
            // Still pending (read on the table, strongly: the index may lag), and not claimed within the window.
            ConditionExpression: "attribute_exists(#pending) AND (attribute_not_exists(lastRepublishAt) OR lastRepublishAt < :claimableBefore)",
            ExpressionAttributeNames: { "#pending": pendingIndex.partitionKey },
            ExpressionAttributeValues: { ":at": { S: at }, ":one": { N: "1" }, ":claimableBefore": { S: claimableBefore } },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}

/** The page position as an opaque string: the index's LastEvaluatedKey, base64url JSON. */
function encodeCursor(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

function decodeCursor(cursor: string): Record<string, AttributeValue> {
  const key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
  if (typeof key !== "object" || key === null || Array.isArray(key)) throw new Error("malformed listPending cursor");
  return key as Record<string, AttributeValue>;
}

function pendingUserFromItem(item: Record<string, AttributeValue>): PendingUser {
  return { id: item.id.S!, email: item.email.S!, createdAt: item.createdAt.S!, republishCount: Number(item.republishCount?.N ?? 0) };
}

function itemFromUser(user: User): Record<string, AttributeValue> {
  return {
    pk: { S: userKey(user.id) },
    id: { S: user.id },
    email: { S: user.email },
    name: { S: user.name },
    createdAt: { S: user.createdAt },
    // Created unwelcomed: the item enters the pending index in this same write.
    ...(user.welcomedAt ? { welcomedAt: { S: user.welcomedAt } } : { [pendingIndex.partitionKey]: { S: pendingIndex.pendingValue } }),
  };
}

function userFromItem(item: Record<string, AttributeValue>): User {
  return {
    id: item.id.S!,
    email: item.email.S!,
    name: item.name.S!,
    createdAt: item.createdAt.S!,
    welcomedAt: item.welcomedAt?.S ?? null,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
