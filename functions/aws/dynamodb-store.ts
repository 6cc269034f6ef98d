/**
 * The users store on DynamoDB: one table, partition key `pk` (string).
 * - user item:  pk = "user#<id>", with id, email, name, createdAt and, once welcomed, welcomedAt
 * - email item: pk = "email#<normalised email>", with userId: the uniqueness guard
 * Creating writes both items in one transaction, each conditioned on not existing, so a used
 * email is refused by DynamoDB itself, atomically, however many requests race.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { EmailTakenError, type User, type UserStore, type WelcomeResult } from "../core";

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

export function createDynamoDbUserStore({ client, tableName }: DynamoDbUserStoreOptions): UserStore {
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
            UpdateExpression: "SET welcomedAt = :at",
            ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(welcomedAt)",
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
  };
}

function itemFromUser(user: User): Record<string, AttributeValue> {
  return {
    pk: { S: userKey(user.id) },
    id: { S: user.id },
    email: { S: user.email },
    name: { S: user.name },
    createdAt: { S: user.createdAt },
    ...(user.welcomedAt ? { welcomedAt: { S: user.welcomedAt } } : {}),
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
