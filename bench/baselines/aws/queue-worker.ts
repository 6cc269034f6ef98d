/** Baseline: queue-worker written for Lambda + SQS (partial batch response) only, on the same DynamoDB client. */
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { userIdOf } from "../rules";

const dynamo = new DynamoDBClient({});
const table = process.env.USERS_TABLE!;

export async function handler(event: { Records: { messageId: string; body: string }[] }) {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const id = userIdOf(record.body);
    if (!id) continue; // poison: dropped, as parity does
    try {
      await dynamo.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: `user#${id}` } },
          UpdateExpression: "SET welcomedAt = :at REMOVE #pending",
          ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(welcomedAt)",
          ExpressionAttributeNames: { "#pending": "pending" },
          ExpressionAttributeValues: { ":at": { S: new Date().toISOString() } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
