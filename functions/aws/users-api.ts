/**
 * Lambda entry of users-api, behind an API Gateway HTTP API (payload format 2.0).
 * Everything built at module scope lives as long as the instance: SDK clients, the cached
 * API key, the logger that marks the first invocation as the cold start.
 * Environment: see ./contract.ts.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createLogger, createUsersApi } from "../core";
import { createDynamoDbUserStore } from "./dynamodb-store";
import { httpApiResultFromResponse, requestFromHttpApiEvent, type HttpApiEvent, type HttpApiResult } from "./http-api";
import { awsEnv, requiredEnv } from "./contract";
import type { LambdaContext } from "./lambda-context";
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

export async function handler(event: HttpApiEvent, context?: LambdaContext): Promise<HttpApiResult> {
  const requestId = context?.awsRequestId ?? event.requestContext.requestId;
  const response = await api.fetch(requestFromHttpApiEvent(event), { requestId });
  return httpApiResultFromResponse(response);
}
