/** Baseline: the reconciler written for Lambda + EventBridge Scheduler only, on the same DynamoDB and SQS clients. */
import { ConditionalCheckFailedException, DynamoDBClient, QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createdEvent, graceSeconds, reconcile } from "../rules";

const dynamo = new DynamoDBClient({});
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const table = process.env.USERS_TABLE!;

export const handler = () =>
  reconcile(
    {
      async listPending(before, limit) {
        const { Items = [] } = await dynamo.send(
          new QueryCommand({
            TableName: table,
            IndexName: "pending-by-created",
            KeyConditionExpression: "pending = :p AND createdAt < :before",
            ExpressionAttributeValues: { ":p": { S: "pending" }, ":before": { S: before } },
            Limit: limit,
          }),
        );
        return Items.map((item) => ({ id: item.id.S!, email: item.email.S!, createdAt: item.createdAt.S! }));
      },
      async claim(id, at, claimableBefore) {
        try {
          await dynamo.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: { S: `user#${id}` } },
              UpdateExpression: "SET lastRepublishAt = :at ADD republishCount :one",
              ConditionExpression: "attribute_exists(pending) AND (attribute_not_exists(lastRepublishAt) OR lastRepublishAt < :before)",
              ExpressionAttributeValues: { ":at": { S: at }, ":one": { N: "1" }, ":before": { S: claimableBefore } },
            }),
          );
          return true;
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) return false;
          throw error;
        }
      },
      async publish(user) {
        await sqs.send(new SendMessageCommand({ QueueUrl: process.env.EVENTS_QUEUE_URL!, MessageBody: createdEvent(user) }));
      },
    },
    graceSeconds(),
  );
