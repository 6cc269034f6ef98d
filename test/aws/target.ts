/**
 * The AWS conformance target: the real Lambda bundles in local execution environments,
 * invoked with real API Gateway 2.0 and SQS event shapes, on DynamoDB Local and fauxqs.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { planAws } from "../../components/aws/rules";
import { GetItemCommand, ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { httpApiEventFromRequest, integrationFailureResponse, responseFromHttpApiResult, sqsEventFromMessages } from "../../local/aws-events";
import { startDelayingProxy } from "../../local/fault-proxy";
import { emailKey } from "../../functions/aws/dynamodb-store";
import { invokeAsScheduler, LOCAL_REGION, startAwsBackends, startAwsFunction, type AwsBackends } from "../../local/aws";
import { startSecretsStandIn } from "../../local/aws-secrets-standin";
import { freePort } from "../../local/emulators/loopback";
import { awsEnv } from "../../functions/aws/contract";
import { reconcilerEnv } from "../../functions/core/reconciler";
import type { LambdaFunction } from "../../local/aws-lambda-runtime";
import { dynamoDbLocalUnavailable } from "../../local/emulators/dynamodb-local";
import type { HttpApiResult } from "../../functions/aws/http-api";
import type { SqsBatchResponse } from "../../functions/aws/sqs-event";
import { plannedCatalog, type Overrides } from "../planned";
import type { ConformanceTarget, DeliveredMessage } from "../../conformance/target";

export const TEST_API_KEY = "aws-test-api-key-0123456789";

/** The catalog on AWS as a deploy plans it, with `overrides` (test/planned.ts). */
export const awsTestFunctions = (overrides: Overrides = {}) => plannedCatalog("aws", planAws, overrides).functions;

/**
 * Skips the calling suite loudly when DynamoDB Local cannot run (no Java); under CI a
 * missing emulator is a failure, not a skip.
 */
export function requireDynamoDbLocal(suite: Mocha.Context): void {
  const reason = dynamoDbLocalUnavailable();
  if (!reason) return;
  if (process.env.CI === "true") throw new Error(`AWS driver tests cannot run under CI: ${reason}`);
  console.warn(`\n  !!! SKIPPING the AWS driver tests: ${reason} !!!\n`);
  suite.skip();
}

/** A web request through a users-api Lambda, as API Gateway sends it (2.0 event in, result out). */
/** How long the slow-store proxy holds each byte: longer than the slow copy's 1 s timeout. */
export const SLOW_STORE_DELAY_MS = 1_500;

async function requestThrough(fn: LambdaFunction, request: Request): Promise<Response> {
  return responseFromHttpApiResult(await fn.invoke<HttpApiResult>(await httpApiEventFromRequest(request)));
}

export interface AwsTarget extends ConformanceTarget {
  backends: AwsBackends;
  usersApi: LambdaFunction;
  queueWorker: LambdaFunction;
  /** The reconciler with a grace period of 0 (created users are pending at once). */
  reconciler: LambdaFunction;
  /** Every log line the functions wrote, in order. */
  logs: { function: string; instance: number; line: string }[];
}

export async function startAwsTarget(): Promise<AwsTarget> {
  const backends = await startAwsBackends({ apiKey: TEST_API_KEY, maxAttempts: 5 });
  const logs: AwsTarget["logs"] = [];
  const onLog = (fn: string) => (line: string, instance: number) => logs.push({ function: fn, instance, line });
  // Four execution environments, not the stack's ten: on two cores, ten cold starts at once
  // cost seconds of CPU, and four already race for real against DynamoDB Local.
  const functions = awsTestFunctions({ "users-api": { reservedConcurrency: 4 } });
  const usersApi = startAwsFunction(backends, functions["users-api"], { onLog: onLog("users-api") });
  const queueWorker = startAwsFunction(backends, functions["queue-worker"], { onLog: onLog("queue-worker") });
  // Two environments, not the stack's one, so that two overlapping runs really overlap and only
  // the store's conditional claim keeps them from re-publishing a user twice.
  const reconcilerFunction = awsTestFunctions({ reconciler: { reservedConcurrency: 2 } }).reconciler;
  const reconciler = startAwsFunction(backends, reconcilerFunction, { onLog: onLog("reconciler"), env: { [reconcilerEnv.graceSeconds]: "0" } });
  /** What receivePublished returned, so deliver() can hand the worker the real SQS records. */
  const received = new Map<string, Message>();

  return {
    platform: "aws",
    apiKey: TEST_API_KEY,
    backends,
    usersApi,
    queueWorker,
    reconciler,
    logs,
    request: (request) => requestThrough(usersApi, request),
    async receivePublished({ atLeast, timeoutMs = 5_000 }) {
      const deadline = Date.now() + timeoutMs;
      const messages: Message[] = [];
      for (;;) {
        const remaining = deadline - Date.now();
        const { Messages = [] } = await backends.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: backends.queue.url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: messages.length < atLeast && remaining >= 1_000 ? 1 : 0,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        if (Messages.length > 0) {
          messages.push(...Messages);
          // Received means consumed here: the test, not the queue, decides on redelivery.
          await backends.clients.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: backends.queue.url,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
          continue;
        }
        if (messages.length >= atLeast || Date.now() >= deadline) break;
        if (remaining < 1_000) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const message of messages) received.set(message.MessageId!, message);
      return messages.map((m): DeliveredMessage => ({ id: m.MessageId!, body: m.Body! }));
    },
    async deliver(messages) {
      const records: Message[] = messages.map((m) => received.get(m.id) ?? { MessageId: m.id, Body: m.body });
      const response = await queueWorker.invoke<SqsBatchResponse>(sqsEventFromMessages(records, backends.queue.arn));
      return { failedIds: response.batchItemFailures.map((failure) => failure.itemIdentifier) };
    },
    async usersApiWithQueueDown() {
      // The queue's endpoint is a loopback port nothing listens on: every publish is refused.
      const closed = `http://127.0.0.1:${await freePort()}`;
      const lines: string[] = [];
      const down = startAwsFunction(backends, functions["users-api"], {
        onLog: (line, instance) => {
          lines.push(line);
          onLog("users-api (queue down)")(line, instance);
        },
        env: { AWS_ENDPOINT_URL_SQS: closed, [awsEnv.eventsQueueUrl]: `${closed}/000000000000/parity-events` },
      });
      return {
        request: (request: Request) => requestThrough(down, request),
        logs: () => [...lines],
        close: () => down.stop(),
      };
    },
    async usersApiWithStoreDown() {
      // DynamoDB's endpoint is a loopback port nothing listens on: every call is refused at once.
      // AWS_MAX_ATTEMPTS=1 (the SDK's shared setting, read by the bundled client): no retries, so
      // the 500 comes in milliseconds (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
      const closed = `http://127.0.0.1:${await freePort()}`;
      const lines: string[] = [];
      const down = startAwsFunction(backends, functions["users-api"], {
        onLog: (line) => lines.push(line),
        env: { AWS_ENDPOINT_URL_DYNAMODB: closed, AWS_MAX_ATTEMPTS: "1" },
      });
      return {
        request: (request: Request) => requestThrough(down, request),
        logs: () => [...lines],
        close: () => down.stop(),
      };
    },
    async usersApiWithEmptyApiKey() {
      // Secrets Manager cannot hold an empty string: the "empty" secret is one with no value set,
      // served by a second stand-in (local/aws-secrets-standin.ts).
      const secrets = await startSecretsStandIn({ name: "parity-api-key-unset", value: undefined, region: LOCAL_REGION });
      const lines: string[] = [];
      const empty = startAwsFunction(backends, functions["users-api"], {
        onLog: (line) => lines.push(line),
        env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint, [awsEnv.apiKeySecretArn]: secrets.secretArn },
      });
      return {
        request: (request: Request) => requestThrough(empty, request),
        logs: () => [...lines],
        secretName: secrets.secretArn,
        async close() {
          await empty.stop();
          await secrets.stop();
        },
      };
    },
    async usersApiWithSlowStore() {
      // DynamoDB behind a proxy that holds each request longer than the 1 s timeout of this copy.
      // The SDK sets no request timeout of its own, so the local runtime's timeout ends the
      // invocation (its environment discarded) and API Gateway answers the failed invocation.
      const timeoutSeconds = 1;
      const dynamodb = new URL(backends.dynamodb.endpoint);
      const proxy = await startDelayingProxy({ host: dynamodb.hostname, port: Number(dynamodb.port) }, SLOW_STORE_DELAY_MS);
      const slow = startAwsFunction(backends, awsTestFunctions({ "users-api": { timeoutSeconds } })["users-api"], {
        env: { AWS_ENDPOINT_URL_DYNAMODB: `http://${proxy.host}` },
      });
      const { dynamodb: client } = backends.clients;
      return {
        // API Gateway's answer for the runtime's timeout only: any other failure is the test's.
        request: (request: Request) =>
          requestThrough(slow, request).catch((error: Error) => {
            if (/Task timed out after/.test(error.message)) return integrationFailureResponse();
            throw error;
          }),
        timeoutMs: timeoutSeconds * 1000,
        timeoutAnswer: {
          status: 500,
          body: { message: "Internal Server Error" },
          source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html (a Lambda integration that fails, here by timing out, returns {\"message\":\"Internal Server Error\"})",
        },
        storeCaughtUp: () => proxy.drained(),
        async recordsFor(email: string) {
          const claim = await client.send(new GetItemCommand({ TableName: backends.tableName, Key: { pk: { S: emailKey(email) } }, ConsistentRead: true }));
          let users = 0;
          let start: Record<string, AttributeValue> | undefined;
          do {
            const page = await client.send(
              new ScanCommand({
                TableName: backends.tableName,
                FilterExpression: "begins_with(pk, :user) AND email = :email",
                ExpressionAttributeValues: { ":user": { S: "user#" }, ":email": { S: email } },
                ConsistentRead: true,
                ExclusiveStartKey: start,
              }),
            );
            users += page.Count ?? 0;
            start = page.LastEvaluatedKey;
          } while (start);
          return { users, claims: claim.Item ? 1 : 0 };
        },
        async close() {
          await slow.stop();
          await proxy.close();
        },
      };
    },
    async runReconciler() {
      await invokeAsScheduler(reconciler, reconcilerFunction.native.lambdaName, new Date());
    },
    async close() {
      await Promise.all([usersApi.stop(), queueWorker.stop(), reconciler.stop()]);
      await backends.stop();
    },
  };
}

/**
 * One target for several suites (files), started by the first and stopped by the last, so the
 * emulators start once for all of them. Call at load time, once per suite: every file is loaded
 * before any runs, so the count of users is complete before the first release.
 */
let sharedUsers = 0;
let shared: Promise<AwsTarget> | undefined;
export function sharedAwsTarget(): { acquire(): Promise<AwsTarget>; release(): Promise<void> } {
  sharedUsers++;
  let acquired = false;
  return {
    acquire() {
      acquired = true;
      return (shared ??= startAwsTarget());
    },
    async release() {
      sharedUsers--;
      if (sharedUsers > 0 || !acquired || !shared) return;
      const target = shared;
      shared = undefined;
      await (await target).close();
    },
  };
}
