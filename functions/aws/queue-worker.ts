/**
 * Lambda entry of queue-worker, behind an SQS event source mapping with
 * ReportBatchItemFailures: it returns exactly the failed message ids, and SQS redelivers
 * only those (then dead-letters them after the queue's maxReceiveCount).
 * Environment: see ./contract.ts.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createLogger, createQueueWorker } from "../core";
import { createDynamoDbUserStore } from "./dynamodb-store";
import { awsEnv, requiredEnv } from "./contract";
import type { LambdaContext } from "./lambda-context";
import { queueMessagesFromSqsEvent, sqsBatchResponseFromOutcomes, type SqsBatchResponse, type SqsEvent } from "./sqs-event";

const worker = createQueueWorker({
  store: createDynamoDbUserStore({ client: new DynamoDBClient({}), tableName: requiredEnv(awsEnv.usersTable) }),
  logger: createLogger({ platform: "aws", function: "queue-worker" }),
});

export async function handler(event: SqsEvent, context?: LambdaContext): Promise<SqsBatchResponse> {
  const outcomes = await worker.processBatch(queueMessagesFromSqsEvent(event), { requestId: context?.awsRequestId });
  return sqsBatchResponseFromOutcomes(outcomes);
}
