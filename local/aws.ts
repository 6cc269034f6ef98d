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
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { planAws, awsNativeSummary, type AwsPlannedFunction } from "../components/aws/rules";
import type { Capability } from "../components/catalog";
import type { FunctionDeployment } from "../components/platform";
import { awsEnvironment, awsReconcilerEnvironment, awsUsersTable } from "../functions/aws/contract";
import { schedulerEventFor } from "../functions/aws/scheduler-event";
import type { HttpApiResult } from "../functions/aws/http-api";
import type { SqsBatchResponse } from "../functions/aws/sqs-event";
import { httpApiEventFromRequest, integrationFailureResponse, responseFromHttpApiResult, sqsEventFromMessages } from "./aws-events";
import { createLambdaFunction, type LambdaFunction } from "./aws-lambda-runtime";
import { startSecretsStandIn, type SecretsStandIn } from "./aws-secrets-standin";
import { startDynamoDbLocal, type DynamoDbLocal } from "./emulators/dynamodb-local";
import { startFauxqs, type Fauxqs } from "./emulators/fauxqs";
import { serveFetch, type LoopbackFront } from "./front";
import { startLocalSchedule, type LocalSchedule } from "./scheduler";
import { Teardown } from "./teardown";
import type { Launcher, LaunchOptions, LocalPlatform } from "./types";

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
  /** What the AWS component sets on a Lambda with these capabilities (./contract.ts), plus the endpoints, region and dummy credentials. */
  environmentFor(capabilities: readonly Capability[]): Record<string, string>;
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
    // The schema the AWS component creates: partition key `pk`, and the sparse pending index.
    const { partitionKey, pendingIndex } = awsUsersTable;
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [partitionKey, pendingIndex.partitionKey, pendingIndex.sortKey].map((AttributeName) => ({ AttributeName, AttributeType: "S" })),
        KeySchema: [{ AttributeName: partitionKey, KeyType: "HASH" }],
        GlobalSecondaryIndexes: [
          {
            IndexName: pendingIndex.name,
            KeySchema: [
              { AttributeName: pendingIndex.partitionKey, KeyType: "HASH" },
              { AttributeName: pendingIndex.sortKey, KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: [...pendingIndex.projected] },
          },
        ],
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
      environmentFor(capabilities) {
        return {
          AWS_REGION: LOCAL_REGION,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
          AWS_ENDPOINT_URL_SQS: sqs.endpoint,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
          ...awsEnvironment(capabilities, { usersTable: tableName, eventsQueueUrl: queue.url, apiKeySecretArn: secrets.secretArn }),
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

/** Starts one planned function's bundle as a local Lambda function: reserved concurrency bounds its environments. */
export function startAwsFunction(
  backends: AwsBackends,
  fn: Pick<AwsPlannedFunction, "definition" | "native"> & Pick<FunctionDeployment, "bundle">,
  options: { onLog?: (line: string, instance: number) => void; env?: Record<string, string> } = {},
): LambdaFunction {
  return createLambdaFunction({
    bundleFile: fn.bundle.file,
    functionName: fn.native.lambdaName,
    env: {
      ...backends.environmentFor(fn.definition.capabilities),
      ...(fn.native.schedule ? awsReconcilerEnvironment(fn.native.schedule) : {}),
      ...options.env,
    },
    maxInstances: fn.native.reservedConcurrentExecutions,
    timeoutSeconds: fn.native.timeout,
    onLog: options.onLog,
  });
}

/** API Gateway on loopback: every request becomes a 2.0 event for the HTTP function; a failed invocation is API Gateway's 500. */
export function startHttpFront(fn: LambdaFunction): Promise<LoopbackFront> {
  return serveFetch(async (request, client) => {
    const event = await httpApiEventFromRequest(request, { sourceIp: client.remoteAddress });
    try {
      return responseFromHttpApiResult(await fn.invoke<HttpApiResult>(event));
    } catch {
      return integrationFailureResponse();
    }
  });
}

/**
 * Invokes a schedule function as EventBridge Scheduler does: its target input with the run's
 * context attributes filled in (functions/aws/scheduler-event.ts). Scheduler invokes
 * asynchronously and nothing reads the result; here the caller waits for the run to end.
 */
export async function invokeAsScheduler(fn: LambdaFunction, lambdaName: string, scheduledTime: Date): Promise<void> {
  await fn.invoke(
    schedulerEventFor({
      scheduleArn: `arn:aws:scheduler:${LOCAL_REGION}:000000000000:schedule/default/${lambdaName}`,
      // Scheduler's format: whole seconds, e.g. 2022-03-22T18:59:43Z.
      scheduledTime: scheduledTime.toISOString().replace(/\.\d{3}Z$/, "Z"),
      executionId: crypto.randomUUID().replace(/-/g, "").slice(0, 16),
      attemptNumber: "1",
    }),
  );
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
  /** Function name → its local Lambda function. */
  lambdas: Record<string, LambdaFunction>;
}

/**
 * Starts the functions by trigger kind, with the native settings `planAws` decides for a
 * deploy: reserved concurrency bounds each function's environments, the event source mapping
 * uses the plan's batch size and maximum concurrency, the queue redrives after maxReceiveCount.
 * One difference, for promptness: the visibility timeout is the worker's timeout, not 6 × it,
 * so a failed message returns in seconds.
 */
export const launchAws: Launcher = (options) => startAwsLocal(options);

export async function startAwsLocal(options: LaunchOptions): Promise<AwsLocalPlatform> {
  const log = options.log ?? (() => {});
  const plan = planAws({ name: "parity-local", functions: options.functions, logRetentionDays: 7, protectData: false });
  const bundles = new Map(options.functions.map((fn) => [fn.definition.name, fn.bundle]));
  const consumer = plan.functions.find((fn) => fn.native.queue);
  const teardown = new Teardown();
  return teardown.guard(async () => {
    const backends = await startAwsBackends({
      apiKey: options.apiKey,
      maxAttempts: consumer?.native.queue?.maxReceiveCount,
      visibilityTimeoutSeconds: consumer?.native.timeout,
      log,
    });
    teardown.add(() => backends.stop());
    const lambdas: Record<string, LambdaFunction> = {};
    for (const fn of plan.functions) {
      const name = fn.definition.name;
      lambdas[name] = startAwsFunction(backends, { ...fn, bundle: bundles.get(name)! }, {
        onLog: (line) => {
          options.onFunctionLog?.(name, line);
          if (/"level":"error"/.test(line)) log(`[aws ${name}] ${line}`);
        },
      });
      teardown.add(() => lambdas[name].stop());
    }
    let url: string | undefined;
    if (plan.httpFunction) {
      const front = await startHttpFront(lambdas[plan.httpFunction.definition.name]);
      teardown.add(() => front.stop());
      url = front.url;
      log(`AWS: ${plan.httpFunction.definition.name} on ${url}`);
    }
    if (consumer?.native.queue) {
      const mapping = startEventSourceMapping(backends, lambdas[consumer.definition.name], {
        batchSize: consumer.native.queue.batchSize,
        maxConcurrency: consumer.native.queue.maximumConcurrency,
        onError: (error) => log(`[aws ${consumer.definition.name}] invocation failed: ${error.message}`),
      });
      teardown.add(() => mapping.stop());
    }
    const schedules: Record<string, LocalSchedule> = {};
    for (const fn of plan.scheduledFunctions) {
      const name = fn.definition.name;
      schedules[name] = startLocalSchedule({
        function: name,
        dialect: "eventbridge",
        expression: fn.native.schedule!.expression,
        fire: (scheduledTime) => invokeAsScheduler(lambdas[name], fn.native.lambdaName, scheduledTime),
        onError: (error) => log(`[aws ${name}] scheduled run failed: ${error.message}`),
      });
      teardown.add(async () => schedules[name].stop());
      log(`AWS: ${name} on ${fn.native.schedule!.expression} (UTC)`);
    }
    return {
      platform: "aws",
      backends,
      lambdas,
      schedules,
      url,
      nativeSettings: Object.fromEntries(plan.functions.map((fn) => [fn.definition.name, awsNativeSummary(fn)])),
      warnings: plan.warnings,
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
      stop: () => teardown.run(),
    };
  });
}
