/**
 * queue-worker on Lambda: parity's own queue handler over DynamoDB. The generic driver
 * (./driver.ts `queue`) serves it behind an SQS event source mapping with
 * ReportBatchItemFailures: it returns exactly the failed message ids, and SQS redelivers
 * only those (then dead-letters them after the queue's maxReceiveCount).
 * Environment: see ./contract.ts.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createLogger, createQueueWorker } from "../core";
import { createDynamoDbUserStore } from "./dynamodb-store";
import { awsEnv, requiredEnv } from "./contract";
import type { QueueHandler } from "../handler";

const worker = createQueueWorker({
  store: createDynamoDbUserStore({ client: new DynamoDBClient({}), tableName: requiredEnv(awsEnv.usersTable) }),
  logger: createLogger({ platform: "aws", function: "queue-worker" }),
});

export default {
  queue: (messages, ctx) => worker.processBatch(messages, { requestId: ctx.requestId }),
} satisfies QueueHandler;
