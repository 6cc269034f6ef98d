/**
 * The reconciler on Lambda: parity's own schedule handler, invoked through the generic driver
 * (./driver.ts `schedule`) by EventBridge Scheduler (./scheduler-event.ts) every `everyMinutes`. One run re-publishes `user.created` for users still pending after the grace
 * period, found through the table's sparse pending index, and stops before its time budget:
 * the smaller of the configured budget and what Lambda says remains, minus a margin for the
 * final log line. A failed run is not retried (no async retries): the next tick is the retry.
 * Environment: see ./contract.ts.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createLogger, createReconciler, reconcilerSettingsFrom } from "../core";
import type { ScheduleHandler } from "../handler";
import { createDynamoDbUserStore } from "./dynamodb-store";
import { awsEnv, requiredEnv } from "./contract";
import { timeBudgetWithin } from "./lambda-context";
import { createSqsPublisher } from "./sqs-publisher";

const settings = reconcilerSettingsFrom((name) => process.env[name]);
const reconciler = createReconciler({
  store: createDynamoDbUserStore({ client: new DynamoDBClient({}), tableName: requiredEnv(awsEnv.usersTable) }),
  // Same client settings as users-api: AWS_ENDPOINT_URL_SQS stays authoritative.
  publisher: createSqsPublisher({ client: new SQSClient({ useQueueUrlAsEndpoint: false }), queueUrl: requiredEnv(awsEnv.eventsQueueUrl) }),
  logger: createLogger({ platform: "aws", function: "reconciler" }),
  graceSeconds: settings.graceSeconds,
});

const reconcile: ScheduleHandler = (ctx) =>
  reconciler.run({
    requestId: ctx.requestId,
    timeBudgetMs: timeBudgetWithin(settings.timeBudgetMs, { getRemainingTimeInMillis: ctx.remainingMs }),
  });
export default reconcile;
