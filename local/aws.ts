/**
 * The local AWS: DynamoDB Local and fauxqs (SQS) as the store and queue, a stand-in for the
 * one Secrets Manager call, and the real Lambda bundles in local execution environments,
 * with the two services that trigger them played on loopback:
 * - an HTTP front that builds API Gateway HTTP API 2.0 events (what `url` serves);
 * - an event source mapping that receives from the events queue, invokes the worker with
 *   real SQS events of up to batchSize messages, deletes only the messages not reported in
 *   batchItemFailures, and lets the queue's redrive policy (maxReceiveCount = maxAttempts)
 *   move a message that keeps failing to the dead-letter queue.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { bundleFunction } from "../components/bundle";
import { catalog } from "../components/catalog";
import type { FunctionSettings } from "../components/config";
import type { HttpApiResult } from "../functions/aws/http-api";
import type { SqsBatchResponse } from "../functions/aws/sqs-event";
import { httpApiEventFromRequest, integrationFailureResponse, responseFromHttpApiResult, sqsEventFromMessages } from "./aws-events";
import { createLambdaFunction, type LambdaFunction } from "./aws-lambda-runtime";
import { startSecretsStandIn, type SecretsStandIn } from "./aws-secrets-standin";
import { startDynamoDbLocal, type DynamoDbLocal } from "./emulators/dynamodb-local";
import { startFauxqs, type Fauxqs } from "./emulators/fauxqs";
import type { LocalOptions, LocalPlatform, StartLocal } from "./types";

export const LOCAL_REGION = "us-east-1";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

export interface AwsBackendsOptions {
  apiKey: string;
  /** Deliveries before a message is dead-lettered (the redrive policy's maxReceiveCount). @default 5 */
  maxAttempts?: number;
  /** How long a received, undeleted message stays invisible, seconds. @default 30 */
  visibilityTimeoutSeconds?: number;
  log?: (line: string) => void;
}

/** The emulated services, their resources, and the environment the deployed functions would get. */
export interface AwsBackends {
  dynamodb: DynamoDbLocal;
  sqs: Fauxqs;
  secrets: SecretsStandIn;
  tableName: string;
  queue: { url: string; arn: string };
  deadLetterQueue: { url: string; arn: string };
  /** SDK clients for the tests and the delivery loop, pointed at the local endpoints. */
  clients: { dynamodb: DynamoDBClient; sqs: SQSClient };
  /** What the AWS component sets on each Lambda, plus the endpoints, region and dummy credentials. */
  environmentFor(functionName: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startAwsBackends(options: AwsBackendsOptions): Promise<AwsBackends> {
  const [dynamodb, sqs, secrets] = await Promise.all([
    startDynamoDbLocal({ log: options.log }),
    startFauxqs({ log: options.log }),
    startSecretsStandIn({ name: "parity-api-key", value: options.apiKey, region: LOCAL_REGION }),
  ]);
  const clients = {
    dynamodb: new DynamoDBClient({ endpoint: dynamodb.endpoint, region: LOCAL_REGION, credentials }),
    sqs: new SQSClient({ endpoint: sqs.endpoint, region: LOCAL_REGION, credentials }),
  };
  try {
    const tableName = "parity-users";
    // The key schema the AWS component creates: partition key `pk` (string), nothing else.
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const deadLetterQueue = await createQueue(clients.sqs, "parity-events-dlq", {});
    const queue = await createQueue(clients.sqs, "parity-events", {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount: String(options.maxAttempts ?? 5) }),
    });
    return {
      dynamodb,
      sqs,
      secrets,
      tableName,
      queue,
      deadLetterQueue,
      clients,
      environmentFor(functionName) {
        return {
          AWS_REGION: LOCAL_REGION,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
          AWS_ENDPOINT_URL_SQS: sqs.endpoint,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
          PARITY_PLATFORM: "aws",
          USERS_TABLE: tableName,
          ...(functionName === "users-api" ? { EVENTS_QUEUE_URL: queue.url, API_KEY_SECRET_ARN: secrets.secretArn } : {}),
        };
      },
      async stop() {
        clients.dynamodb.destroy();
        clients.sqs.destroy();
        await Promise.all([dynamodb.stop(), sqs.stop(), secrets.stop()]);
      },
    };
  } catch (error) {
    await Promise.allSettled([dynamodb.stop(), sqs.stop(), secrets.stop()]);
    throw error;
  }
}

async function createQueue(client: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/** Starts one catalog function's bundle as a local Lambda function. */
export function startAwsFunction(
  backends: AwsBackends,
  functionName: string,
  settings: Pick<FunctionSettings, "reservedConcurrency" | "timeoutSeconds">,
  options: { onLog?: (line: string, instance: number) => void; env?: Record<string, string> } = {},
): LambdaFunction {
  const definition = catalog.find((fn) => fn.name === functionName);
  if (!definition) throw new Error(`no function ${functionName} in the catalog`);
  return createLambdaFunction({
    bundleFile: bundleFunction(definition, "aws").file,
    functionName,
    env: { ...backends.environmentFor(functionName), ...options.env },
    maxInstances: settings.reservedConcurrency,
    timeoutSeconds: settings.timeoutSeconds,
    onLog: options.onLog,
  });
}

/** API Gateway on loopback: every request becomes a 2.0 event for the users-api function. */
export async function startHttpFront(usersApi: LambdaFunction): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const request = new Request(`http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`, {
        method: req.method,
        headers,
        body: body.length > 0 && req.method !== "GET" && req.method !== "HEAD" ? body : undefined,
      });
      const event = await httpApiEventFromRequest(request, { sourceIp: req.socket.remoteAddress });
      let response: Response;
      try {
        response = responseFromHttpApiResult(await usersApi.invoke<HttpApiResult>(event));
      } catch {
        response = integrationFailureResponse();
      }
      res.writeHead(response.status, Object.fromEntries([...response.headers].filter(([name]) => name !== "set-cookie")));
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) res.setHeader("set-cookie", cookies);
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "Internal Server Error" }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface EventSourceMappingOptions {
  batchSize: number;
  /** Concurrent pollers, each invoking the function with one batch at a time. */
  maxConcurrency: number;
  onError?: (error: Error) => void;
}

/**
 * The SQS event source mapping with ReportBatchItemFailures: long-polls the queue, invokes
 * the function with batches, deletes what succeeded. A failed invocation deletes nothing.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export function startEventSourceMapping(
  backends: AwsBackends,
  worker: LambdaFunction,
  options: EventSourceMappingOptions,
): { stop(): Promise<void> } {
  let running = true;
  const poll = async () => {
    while (running) {
      try {
        const batch = await receiveBatch(backends, options.batchSize, () => running);
        if (batch.length === 0) continue;
        let failedIds: Set<string>;
        try {
          const response = await worker.invoke<SqsBatchResponse>(sqsEventFromMessages(batch, backends.queue.arn));
          failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
        } catch (error) {
          options.onError?.(error as Error);
          continue; // the whole batch becomes visible again after the visibility timeout
        }
        const succeeded = batch.filter((message) => !failedIds.has(message.MessageId!));
        for (let i = 0; i < succeeded.length; i += 10) {
          await backends.clients.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: backends.queue.url,
              Entries: succeeded.slice(i, i + 10).map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
            }),
          );
        }
      } catch (error) {
        if (running) {
          options.onError?.(error as Error);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
  };
  const pollers = Array.from({ length: Math.max(1, options.maxConcurrency) }, poll);
  return {
    async stop() {
      running = false;
      await Promise.allSettled(pollers);
    },
  };
}

/** Up to batchSize messages: SQS returns at most 10 per receive, so larger batches take several. */
async function receiveBatch(backends: AwsBackends, batchSize: number, isRunning: () => boolean): Promise<Message[]> {
  const batch: Message[] = [];
  while (batch.length < batchSize && isRunning()) {
    const { Messages = [] } = await backends.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: backends.queue.url,
        MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
        // Short waits keep stop() prompt; the first receive of a batch waits, later ones do not.
        WaitTimeSeconds: batch.length === 0 ? 1 : 0,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    batch.push(...Messages);
    if (Messages.length === 0) break;
  }
  return batch;
}

/** The local AWS, with its emulated services reachable for tests and tools. */
export interface AwsLocalPlatform extends LocalPlatform {
  backends: AwsBackends;
}

export const startLocal: StartLocal = (options) => startAwsLocal(options);

export async function startAwsLocal(options: LocalOptions): Promise<AwsLocalPlatform> {
  const log = options.log ?? (() => {});
  const api = options.settings["users-api"];
  const worker = options.settings["queue-worker"];
  if (!api || !worker) throw new Error("local AWS needs settings for users-api and queue-worker");
  const backends = await startAwsBackends({
    apiKey: options.apiKey,
    maxAttempts: worker.maxAttempts,
    // Visibility = the worker's timeout, so a failed message is retried promptly; a real
    // deployment uses a longer one (AWS recommends at least 6 × the function timeout).
    visibilityTimeoutSeconds: worker.timeoutSeconds,
    log,
  });
  const functionLog = (name: string) => (line: string) => {
    if (/"level":"error"/.test(line)) log(`[aws ${name}] ${line}`);
  };
  const usersApi = startAwsFunction(backends, "users-api", api, { onLog: functionLog("users-api") });
  const queueWorker = startAwsFunction(backends, "queue-worker", worker, { onLog: functionLog("queue-worker") });
  let front: Awaited<ReturnType<typeof startHttpFront>>;
  try {
    front = await startHttpFront(usersApi);
  } catch (error) {
    await Promise.all([usersApi.stop(), queueWorker.stop()]);
    await backends.stop();
    throw error;
  }
  const mapping = startEventSourceMapping(backends, queueWorker, {
    batchSize: worker.batchSize ?? 10,
    maxConcurrency: worker.reservedConcurrency,
    onError: (error) => log(`[aws queue-worker] invocation failed: ${error.message}`),
  });
  log(`AWS: users-api on ${front.url}`);

  return {
    platform: "aws",
    backends,
    url: front.url,
    description: `Lambda bundles in worker-thread environments + API Gateway 2.0 front + DynamoDB Local (${backends.dynamodb.version}) + fauxqs ${backends.sqs.version} (SQS)`,
    async queueDepth() {
      const count = async (url: string, names: ("ApproximateNumberOfMessages" | "ApproximateNumberOfMessagesNotVisible")[]) => {
        const { Attributes = {} } = await backends.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }));
        return names.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
      };
      return {
        pending: await count(backends.queue.url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]),
        deadLettered: await count(backends.deadLetterQueue.url, ["ApproximateNumberOfMessages"]),
      };
    },
    async stop() {
      await mapping.stop();
      await front.stop();
      await Promise.all([usersApi.stop(), queueWorker.stop()]);
      await backends.stop();
    },
  };
}
