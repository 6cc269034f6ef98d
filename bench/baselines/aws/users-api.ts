/** Baseline: users-api written for Lambda + API Gateway (payload 2.0) only, on the same AWS SDK clients. */
import { DynamoDBClient, GetItemCommand, TransactionCanceledException, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { answer, createdEvent, type BaselineDeps } from "../rules";

interface Event {
  rawPath: string;
  headers: Record<string, string>;
  body?: string;
  isBase64Encoded: boolean;
  requestContext: { http: { method: string } };
}

/** The handler over any store: the bench's warm path feeds it an in-memory one. */
export function createHandler(deps: BaselineDeps) {
  return async (event: Event) => {
    const result = await answer(deps, event.requestContext.http.method, event.rawPath, (name) => event.headers[name], async () =>
      event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : (event.body ?? ""),
    );
    return { statusCode: result.status, headers: result.headers, body: result.body, isBase64Encoded: false };
  };
}

const dynamo = new DynamoDBClient({});
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const secrets = new SecretsManagerClient({});
const table = process.env.USERS_TABLE!;
let apiKey: Promise<string> | undefined;

export const handler = createHandler({
  async get(id) {
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `user#${id}` } }, ConsistentRead: true }));
    return Item ? { id: Item.id.S!, email: Item.email.S!, name: Item.name.S!, createdAt: Item.createdAt.S!, welcomedAt: Item.welcomedAt?.S ?? null } : undefined;
  },
  async create(user) {
    try {
      await dynamo.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: table,
                Item: { pk: { S: `user#${user.id}` }, id: { S: user.id }, email: { S: user.email }, name: { S: user.name }, createdAt: { S: user.createdAt }, pending: { S: "pending" } },
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
            { Put: { TableName: table, Item: { pk: { S: `email#${user.email}` }, userId: { S: user.id } }, ConditionExpression: "attribute_not_exists(pk)" } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[1]?.Code === "ConditionalCheckFailed") return false;
      throw error;
    }
  },
  async publish(user) {
    await sqs.send(new SendMessageCommand({ QueueUrl: process.env.EVENTS_QUEUE_URL!, MessageBody: createdEvent(user), MessageAttributes: { type: { DataType: "String", StringValue: "user.created" } } }));
  },
  apiKey: () =>
    (apiKey ??= secrets.send(new GetSecretValueCommand({ SecretId: process.env.API_KEY_SECRET_ARN! })).then((r) => r.SecretString!)),
});
