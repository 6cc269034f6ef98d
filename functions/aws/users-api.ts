/**
 * users-api on Lambda: parity's own fetch handler, with the AWS ports (DynamoDB, SQS, Secrets
 * Manager). The generic driver (./driver.ts `http`) serves it behind an API Gateway HTTP API
 * (payload format 2.0), as it serves any team's fetch handler. Everything built at module scope lives as long as the instance: SDK clients, the cached
 * API key, the logger that marks the first invocation as the cold start.
 * Environment: see ./contract.ts.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createLogger, createUsersApi } from "../core";
import { createDynamoDbUserStore } from "./dynamodb-store";
import { awsEnv, requiredEnv } from "./contract";
import type { FetchHandler } from "../handler";
import { secretsManagerApiKey } from "./secrets";
import { createSqsPublisher } from "./sqs-publisher";

const api = createUsersApi({
  store: createDynamoDbUserStore({ client: new DynamoDBClient({}), tableName: requiredEnv(awsEnv.usersTable) }),
  publisher: createSqsPublisher({
    // The queue is in the function's own region, so the regional endpoint is the queue's;
    // not switching to the QueueUrl host keeps AWS_ENDPOINT_URL_SQS authoritative.
    client: new SQSClient({ useQueueUrlAsEndpoint: false }),
    queueUrl: requiredEnv(awsEnv.eventsQueueUrl),
  }),
  apiKey: secretsManagerApiKey({ client: new SecretsManagerClient({}), secretArn: requiredEnv(awsEnv.apiKeySecretArn) }),
  logger: createLogger({ platform: "aws", function: "users-api" }),
});

export default {
  fetch: (request, ctx) => api.fetch(request, { requestId: ctx.requestId }),
} satisfies FetchHandler;
