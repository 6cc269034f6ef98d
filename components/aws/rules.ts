/**
 * AWS rules, pure: Lambda, SQS, API Gateway and CloudWatch Logs limits with their sources, the
 * capability → IAM table, physical names, and `planAws`: portable settings in, native
 * settings and recorded decisions out. The component, the local cloud, `npm run plan` and the
 * policy pack all decide with this module; it imports no Pulumi package.
 */
import { awsUsersTable } from "../../functions/aws/contract";
import { reconcilerRunSettings } from "../../functions/core/reconciler";
import type { Capability } from "../catalog";
import type { FunctionSettings } from "../config";
import { checkFunctions, ComponentArgsError, describe, Decisions, nativeSettingsOf, type NativeSettings, type PlanInput, type PlannedFunction, type PlatformPlan } from "../platform";
import { awsCron } from "../schedule";

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** Lambda's hard limits, and API Gateway HTTP API's and SQS's for the triggers. */
export const awsLimits = {
  // 128 MB to 10,240 MB; 1 s to 900 s (15 minutes):
  // https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
  memoryMb: { min: 128, max: 10240 },
  timeoutSeconds: { min: 1, max: 900 },
  // "Maximum integration timeout: 30 seconds", not increasable for HTTP APIs:
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
  httpIntegrationTimeoutSeconds: 30,
  // ScalingConfig.MaximumConcurrency: minimum 2, maximum 1000:
  // https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html
  sqsMaximumConcurrency: { min: 2, max: 1000 },
  // BatchSize for standard queues: 1 to 10,000; above 10, MaximumBatchingWindowInSeconds must be ≥ 1:
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
  // https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
  sqsBatchSize: { min: 1, max: 10000, withoutWindow: 10 },
  // RedrivePolicy maxReceiveCount: 1 to 1,000 (the SQS API model's range; the portable range ≤ 100 is inside it):
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
  maxReceiveCount: { min: 1, max: 1000 },
  /**
   * "Lambda always reserves 100 units of concurrency for your functions that don't explicitly
   * reserve concurrency" (or the whole account limit, when it is below 100):
   * https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html#concurrency-quotas
   */
  unreservedConcurrencyFloor: 100,
  /**
   * EventBridge Scheduler's RetryPolicy: MaximumRetryAttempts 0 to 185 (default 185),
   * MaximumEventAgeInSeconds 60 to 86400 (default 86400):
   * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html
   */
  schedulerRetryAttempts: { min: 0, max: 185 },
  schedulerEventAgeSeconds: { min: 60, max: 86400 },
  /**
   * Lambda's asynchronous invocation config: MaximumRetryAttempts 0 to 2 (default 2),
   * MaximumEventAgeInSeconds 60 to 21600 (default 6 hours):
   * https://docs.aws.amazon.com/lambda/latest/api/API_FunctionEventInvokeConfig.html
   */
  asyncRetryAttempts: { min: 0, max: 2 },
  asyncEventAgeSeconds: { min: 60, max: 21600 },
} as const;

/**
 * The Service Quotas code of Lambda's "Concurrent executions" account quota:
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const LAMBDA_CONCURRENCY_QUOTA = { serviceCode: "lambda", quotaCode: "L-B99A9384" } as const;

/**
 * What the deployer needs to read that quota: the provider's `getServiceQuota` reads the default
 * (`GetAWSDefaultServiceQuota`) before the applied value (`GetServiceQuota`)
 * (terraform-provider-aws `internal/service/servicequotas/service_quota_data_source.go`).
 */
export const LAMBDA_QUOTA_READ_ACTIONS = ["servicequotas:GetAWSDefaultServiceQuota", "servicequotas:GetServiceQuota"] as const;

/** A reading of the concurrency quota: its value, or why it could not be made (access denied, throttling, …). */
export type QuotaReading = { value: number } | { failed: string };

/**
 * What the deploy does with a reading of the account's concurrency quota:
 * - below what the plan needs: stop, before any Lambda exists (a reservation the account cannot
 *   hold fails at CreateFunction/PutFunctionConcurrency anyway, after half the stack exists);
 * - not readable: warn and go on. The reading is a courtesy; a deployer without the Service Quotas
 *   actions, or a throttled call, must not stop every platform's deployment;
 * - enough: go on, with a note all the same that the quota is not the whole story: Lambda lets
 *   a function reserve at most the account's *unreserved* concurrency minus 100
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), and other
 *   stacks or applications in the account hold reservations of their own. The AWS provider has
 *   no data source for Lambda's account settings (GetAccountSettings'
 *   `UnreservedConcurrentExecutions`; none in @pulumi/aws 7.48 `lambda/get*`), so that figure is
 *   left to the deployer: `aws lambda get-account-settings` (docs/deploying.md).
 */
export function concurrencyQuotaVerdict(
  reading: QuotaReading,
  concurrency: AwsPlan["concurrency"],
): { kind: "enough" | "unread"; warning: string } | { kind: "short"; error: string } {
  const { quotaCode } = LAMBDA_CONCURRENCY_QUOTA;
  const unreserved = `Other reservations in the account count too: AccountLimit.UnreservedConcurrentExecutions from \`aws lambda get-account-settings\` (plus what this stack already reserves, on an update) must be at least ${concurrency.reserved + awsLimits.unreservedConcurrencyFloor}.`;
  if ("failed" in reading) {
    return {
      kind: "unread",
      warning: `could not read the account's Lambda "Concurrent executions" quota (${quotaCode}): ${reading.failed}. Deploying without the check; it needs ${LAMBDA_QUOTA_READ_ACTIONS.join(" and ")}. This stack needs a quota of at least ${concurrency.accountQuotaNeeded}. ${unreserved}`,
    };
  }
  if (reading.value < concurrency.accountQuotaNeeded) {
    return {
      kind: "short",
      error: `the account's Lambda "Concurrent executions" quota (${quotaCode}) is ${reading.value}; this component reserves ${concurrency.reserved} and Lambda keeps 100 unreserved, so it needs at least ${concurrency.accountQuotaNeeded}. Request an increase in Service Quotas, or lower reservedConcurrency.`,
    };
  }
  return { kind: "enough", warning: `the account's Lambda concurrency quota (${quotaCode}) is ${reading.value}, enough for this stack's ${concurrency.reserved} reserved. ${unreserved}` };
}

/**
 * CloudWatch Logs retention values (PutRetentionPolicy):
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
export const awsLogRetentionValues = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/**
 * "Set the source queue's visibility timeout to at least six times the timeout that you
 * configure on your function": https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** SQS's longest message retention, 14 days (SetQueueAttributes MessageRetentionPeriod). */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/**
 * Redrive count when no function consumes the queue: AWS recommends at least 5.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;
/** The alias provisioned concurrency lives on. */
export const LIVE_ALIAS = "live";
/**
 * Route keys the HTTP API sends to the HTTP function unless `routes` says otherwise: every path,
 * the root included, as every other platform serves it. A greedy path variable matches child
 * paths only ("A greedy path variable catches all child resources of a route", `{proxy+}`), and
 * `/` is a route of its own, so both are listed; "the `ANY` method" matches every method:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
 */
export const defaultHttpRoutes = ["ANY /", "ANY /{proxy+}"] as const;
/** parity's own application's routes: the users API's two, the health check, and a catch-all for its JSON 404/405 (components/program.ts). */
export const parityHttpRoutes = ["GET /users/{id}", "POST /users", "GET /health", "ANY /{proxy+}"] as const;

/**
 * Physical-name rules, each from the service's API reference:
 * - Lambda FunctionName: 1–64 of `[a-zA-Z0-9-_]` (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html)
 * - IAM role name: 1–64 of `[\w+=,.@-]` (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html)
 * - SQS QueueName: 1–80 of alphanumerics, `-` and `_` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html)
 * - CloudWatch log group: 1–512 of `[.\-_/#A-Za-z0-9]` (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html)
 * - EventBridge Scheduler schedule Name: 1–64 of `[0-9a-zA-Z-_.]` (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html);
 *   the component names each schedule after its Lambda, whose alphabet is a subset, so a valid Lambda name is a valid schedule name
 */
export const awsNameRules = {
  lambda: { max: 64, pattern: /^[a-zA-Z0-9_-]+$/ },
  iamRole: { max: 64, pattern: /^[\w+=,.@-]+$/ },
  sqsQueue: { max: 80, pattern: /^[a-zA-Z0-9_-]+$/ },
  logGroup: { max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/ },
  schedule: { max: 64, pattern: /^[0-9a-zA-Z_.-]+$/ },
} as const;

export const lambdaNameFor = (component: string, fn: string) => `${component}-${fn}`;
export const logGroupNameFor = (lambdaName: string) => `/aws/lambda/${lambdaName}`;

// ---------------------------------------------------------------------------------------------
// Capabilities → IAM
// ---------------------------------------------------------------------------------------------

/** The resources a grant can name. */
export interface AwsGrantResources<T> {
  usersTable: T;
  /** The users table's sparse pending index: `<table ARN>/index/<name>`. */
  usersPendingIndex: T;
  eventsQueue: T;
  apiKeySecret: T;
  /** The function's own log group and its streams: `<log group ARN>:*`. */
  logStreams: T;
}
export type AwsGrantTarget = Exclude<keyof AwsGrantResources<unknown>, "logStreams">;

/**
 * The IAM actions each capability needs, on which resource. Sources (Service Authorization
 * Reference and service guides):
 * - DynamoDB: a `TransactWriteItems` Put is authorised as `dynamodb:PutItem` on the table, so
 *   users.create needs no transaction-specific action:
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
 * - SQS consumer: the event source mapping polls with the function's role and needs
 *   ReceiveMessage, DeleteMessage and GetQueueAttributes on the queue:
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-lambda-function-trigger.html
 * - SQS producer: `sqs:SendMessage` on the queue:
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html
 * - Secrets Manager: `secretsmanager:GetSecretValue` on the secret:
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
 * - users.listPending: `dynamodb:Query` on the index only. An index is its own resource type,
 *   `arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}/index/${IndexName}`, and a
 *   grant on the table does not cover its indexes (the AWS example lists `table/Books/index/*`
 *   separately), so this grant reads the pending index and nothing of the table:
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html,
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-specific-table-indexes.html
 */
export const awsCapabilityGrants: Record<Capability, { resource: AwsGrantTarget; actions: readonly string[] }> = {
  "users.read": { resource: "usersTable", actions: ["dynamodb:GetItem"] },
  "users.create": { resource: "usersTable", actions: ["dynamodb:PutItem"] },
  "users.update": { resource: "usersTable", actions: ["dynamodb:UpdateItem"] },
  "users.listPending": { resource: "usersPendingIndex", actions: ["dynamodb:Query"] },
  "events.publish": { resource: "eventsQueue", actions: ["sqs:SendMessage"] },
  "events.consume": { resource: "eventsQueue", actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"] },
  "apiKey.read": { resource: "apiKeySecret", actions: ["secretsmanager:GetSecretValue"] },
};

/** Writing to its own log group; no `logs:CreateLogGroup`, since the component creates the group. */
export const awsLogActions = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

export interface AwsPolicyStatement<T> {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: T[];
}

/** One capability's grant: the statement's actions on its one resource. */
export interface AwsCompiledGrant<T> {
  capability: Capability;
  actions: string[];
  resource: T;
}

/**
 * Compiles one function's declared capabilities into IAM statements (exact actions on exact
 * ARNs) and the grants to report. Every function also writes to its own log group.
 */
export function compileAwsPolicy<T>(capabilities: readonly Capability[], resources: AwsGrantResources<T>): { statements: AwsPolicyStatement<T>[]; grants: AwsCompiledGrant<T>[] } {
  const statements: AwsPolicyStatement<T>[] = [];
  const grants: AwsCompiledGrant<T>[] = [];
  for (const capability of [...new Set(capabilities)]) {
    const rule = awsCapabilityGrants[capability];
    const resource = resources[rule.resource];
    statements.push({ Sid: sidFor(capability), Effect: "Allow", Action: [...rule.actions], Resource: [resource] });
    grants.push({ capability, actions: [...rule.actions], resource });
  }
  statements.push({
    Sid: "OwnLogGroup",
    Effect: "Allow",
    Action: [...awsLogActions],
    // `log-group:<name>:*` is the ARN form CloudWatch Logs evaluates for these actions; it names
    // this one group and its streams, nothing else. The `*` scopes a resource within the group,
    // it is not a wildcard action or account-wide resource:
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
    Resource: [resources.logStreams],
  });
  return { statements, grants };
}

/** The ARN of the users table's pending index, from the table's ARN. */
export const pendingIndexArnOf = (tableArn: string) => `${tableArn}/index/${awsUsersTable.pendingIndex.name}`;

export const lambdaAssumeRolePolicy = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;

/**
 * The tag that marks a role as a platform binding rather than a function's identity, and which
 * one: the policy pack checks a `scheduler` role against the scheduler's rules, not against
 * declared capabilities (it has none: it only invokes).
 */
export const BINDING_TAG = "parity:binding";
export const SCHEDULER_BINDING = "scheduler";

/** What the scheduler's role may do: invoke its one function (Lambda's templated target calls Invoke). */
export const schedulerInvokeActions = ["lambda:InvokeFunction"] as const;

/**
 * The trust policy of a schedule's execution role: EventBridge Scheduler may assume it, only on
 * behalf of schedules in this account (`aws:SourceAccount`, against the confused deputy):
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role,
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
 */
export function schedulerAssumeRolePolicy(accountId: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  } as const;
}

/** The execution role's one statement: invoke these ARNs of one function (the function, and its alias when the schedule targets it). */
export function schedulerInvokeStatement<T>(functionArns: T[]): AwsPolicyStatement<T> {
  return { Sid: "InvokeOwnFunction", Effect: "Allow", Action: [...schedulerInvokeActions], Resource: functionArns };
}

// ---------------------------------------------------------------------------------------------
// Settings → native knobs
// ---------------------------------------------------------------------------------------------

export interface AwsQueueSettings {
  batchSize: number;
  /** Set only when the batch size requires it (> 10). */
  maximumBatchingWindowInSeconds?: number;
  maximumConcurrency: number;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

/** A schedule function's trigger: EventBridge Scheduler and the function's asynchronous invocation config. */
export interface AwsScheduleSettings {
  /** `cron(...)` in EventBridge Scheduler's dialect, clock-aligned. */
  expression: string;
  /** Evaluated in UTC, so every platform fires at the same minutes. */
  timezone: "UTC";
  /** OFF: fire at the scheduled minute, not somewhere in a window. */
  flexibleTimeWindow: "OFF";
  /** Scheduler's retries of a failed delivery: none, the next tick is the retry. */
  retryAttempts: number;
  /** How long Scheduler keeps trying a delivery, and Lambda an async event: one interval. */
  schedulerEventAgeSeconds: number;
  /** Lambda's retries of a failed run: none, the next tick is the retry. */
  asyncRetryAttempts: number;
  asyncEventAgeSeconds: number;
  /** The reconciler's run settings (functions/core/reconciler.ts). */
  graceSeconds: number;
  timeBudgetSeconds: number;
}

/** One function's settings as Lambda, API Gateway and SQS knobs. */
export interface AwsNativeSettings {
  lambdaName: string;
  memorySize: number;
  timeout: number;
  reservedConcurrentExecutions: number;
  /** Provisioned concurrency on the `live` alias; undefined when no warm instances. */
  provisionedConcurrency?: number;
  logRetentionDays: number;
  /** HTTP functions: the API Gateway integration timeout, ms. */
  integrationTimeoutMs?: number;
  /** Queue functions: event source mapping and queue settings. */
  queue?: AwsQueueSettings;
  /** Schedule functions: the schedule and its retries. */
  schedule?: AwsScheduleSettings;
}

export type AwsPlannedFunction = PlannedFunction<AwsNativeSettings>;

export interface AwsPlanInput extends PlanInput {
  /** Route keys of the HTTP API. @default defaultHttpRoutes */
  routes?: string[];
}

/** Everything `AwsFunctions` decides before creating a resource. */
export interface AwsPlan extends PlatformPlan<AwsPlannedFunction> {
  /** The HTTP function, which the HTTP API invokes. */
  httpFunction?: AwsPlannedFunction;
  /** Queue settings of the consuming function; undefined when nothing consumes the queue. */
  consumerQueue?: AwsQueueSettings;
  /** The schedule functions. */
  scheduledFunctions: AwsPlannedFunction[];
  routes: string[];
  protectData: boolean;
  /** Reserved concurrency the plan sets across its functions, and the account quota it needs. */
  concurrency: { reserved: number; accountQuotaNeeded: number };
}

/** Checks the input, then decides every native value; throws a `ComponentArgsError` on args AWS cannot deploy. */
export function planAws(input: AwsPlanInput): AwsPlan {
  checkAwsInput(input);
  const decisions = new Decisions("aws");
  const functions = input.functions.map((spec): AwsPlannedFunction => ({
    ...spec,
    native: awsSettingsFor(input.name, spec.definition, spec.settings, input.logRetentionDays, decisions),
  }));
  const httpFunction = functions.find((f) => f.definition.trigger.kind === "http");
  const reserved = functions.reduce((sum, f) => sum + f.native.reservedConcurrentExecutions, 0);
  return {
    functions,
    warnings: decisions.warnings,
    httpFunction,
    consumerQueue: functions.find((f) => f.definition.trigger.kind === "queue")?.native.queue,
    scheduledFunctions: functions.filter((f) => f.native.schedule !== undefined),
    routes: input.routes ?? [...defaultHttpRoutes],
    protectData: input.protectData,
    concurrency: { reserved, accountQuotaNeeded: reserved + awsLimits.unreservedConcurrencyFloor },
  };
}

/** Maps one function's portable settings to native knobs, recording every inexact value. */
export function awsSettingsFor(
  component: string,
  definition: PlannedFunction["definition"],
  settings: FunctionSettings,
  logRetentionDays: number,
  decisions: Decisions,
): AwsNativeSettings {
  const fn = definition.name;
  const memorySize = decisions.clamp(fn, "memoryMb", settings.memoryMb, awsLimits.memoryMb.min, awsLimits.memoryMb.max, "Lambda memory is 128 to 10240 MB");
  const timeout = decisions.clamp(fn, "timeoutSeconds", settings.timeoutSeconds, awsLimits.timeoutSeconds.min, awsLimits.timeoutSeconds.max, "Lambda timeout is 1 to 900 s");
  const native: AwsNativeSettings = {
    lambdaName: lambdaNameFor(component, fn),
    memorySize,
    timeout,
    reservedConcurrentExecutions: settings.reservedConcurrency,
    provisionedConcurrency: settings.warmInstances > 0 ? provisionedConcurrencyFor(fn, settings, decisions) : undefined,
    logRetentionDays: awsLogRetentionDays(fn, logRetentionDays, decisions),
  };
  if (definition.trigger.kind === "http") native.integrationTimeoutMs = httpIntegrationTimeoutMs(fn, timeout, decisions);
  if (definition.trigger.kind === "queue") native.queue = queueSettingsFor(fn, settings, timeout, decisions);
  if (definition.trigger.kind === "schedule") native.schedule = scheduleSettingsFor(fn, settings, timeout, decisions);
  return native;
}

/**
 * EventBridge Scheduler for a schedule function, with retries set deliberately. Scheduler invokes
 * Lambda asynchronously (https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html),
 * so two retry layers exist: Scheduler's delivery retries (default 185 over 24 h) and Lambda's
 * retries of a failed run (default 2 over 6 h). Both are 0: a run is idempotent and bounded,
 * and the next tick is the retry; an event is useless once the next tick is due, so both
 * maximum ages are one interval, within each service's range (recorded when clamped).
 * `checkFunctions` has guaranteed an allowed everyMinutes.
 */
export function scheduleSettingsFor(fn: string, settings: FunctionSettings, timeoutSeconds: number, decisions: Decisions): AwsScheduleSettings {
  const everyMinutes = settings.everyMinutes!;
  const intervalSeconds = everyMinutes * 60;
  const scheduler = awsLimits.schedulerEventAgeSeconds;
  const lambda = awsLimits.asyncEventAgeSeconds;
  return {
    expression: awsCron(everyMinutes),
    timezone: "UTC",
    flexibleTimeWindow: "OFF",
    retryAttempts: awsLimits.schedulerRetryAttempts.min,
    // Stryker disable next-line StringLiteral: never warned: awsCron above throws for any interval but the allowed 1 to 1440 minutes, which are 60 to 86400 s, Scheduler's exact range
    schedulerEventAgeSeconds: decisions.clamp(fn, "everyMinutes (Scheduler maximum event age)", intervalSeconds, scheduler.min, scheduler.max, `EventBridge Scheduler keeps an event ${scheduler.min} to ${scheduler.max} s`),
    asyncRetryAttempts: awsLimits.asyncRetryAttempts.min,
    asyncEventAgeSeconds: decisions.clamp(
      fn,
      "everyMinutes (Lambda async maximum event age)",
      intervalSeconds,
      lambda.min,
      lambda.max,
      `Lambda keeps an asynchronous event ${lambda.min} to ${lambda.max} s; a run held back longer by throttling is dropped before the next tick`,
    ),
    ...reconcilerRunSettings(everyMinutes, timeoutSeconds),
  };
}

/**
 * Warm instances beyond the reserved concurrency could never serve a request: reserved
 * concurrency is the function's upper bound as well as its reservation.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
export function provisionedConcurrencyFor(fn: string, settings: FunctionSettings, decisions: Decisions): number {
  return decisions.clamp(fn, "warmInstances", settings.warmInstances, 1, settings.reservedConcurrency, "provisioned concurrency above the reserved concurrency would never be used");
}

/** The API waits as long as the function may run, up to HTTP API's fixed 30 s. */
export function httpIntegrationTimeoutMs(fn: string, functionTimeoutSeconds: number, decisions: Decisions): number {
  const max = awsLimits.httpIntegrationTimeoutSeconds;
  if (functionTimeoutSeconds <= max) return functionTimeoutSeconds * 1000;
  decisions.adjust(
    fn,
    "timeoutSeconds (HTTP API integration)",
    functionTimeoutSeconds,
    max,
    `API Gateway HTTP APIs wait at most ${max} s; callers get 503 after ${max} s while the function may run ${functionTimeoutSeconds} s`,
  );
  return max * 1000;
}

/** Queue settings; `checkFunctions` has guaranteed batchSize and maxAttempts. */
export function queueSettingsFor(fn: string, settings: FunctionSettings, timeoutSeconds: number, decisions: Decisions): AwsQueueSettings {
  const limits = awsLimits.sqsBatchSize;
  const batchSize = decisions.clamp(fn, "batchSize", settings.batchSize!, limits.min, limits.max, "Lambda SQS batch size is 1 to 10000");
  let maximumBatchingWindowInSeconds: number | undefined;
  if (batchSize > limits.withoutWindow) {
    maximumBatchingWindowInSeconds = 1;
    decisions.adjust(
      fn,
      "batchSize",
      batchSize,
      `${batchSize} with a 1 s batching window`,
      `SQS batches above ${limits.withoutWindow} need MaximumBatchingWindowInSeconds ≥ 1; a message may wait up to 1 s longer`,
    );
  }
  const maximumConcurrency = decisions.clamp(
    fn,
    "reservedConcurrency (event source maximum concurrency)",
    settings.reservedConcurrency,
    awsLimits.sqsMaximumConcurrency.min,
    awsLimits.sqsMaximumConcurrency.max,
    "SQS event source maximum concurrency is 2 to 1000; above the reserved concurrency, extra polls are throttled and retried",
  );
  const maxReceiveCount = decisions.clamp(fn, "maxAttempts", settings.maxAttempts!, awsLimits.maxReceiveCount.min, awsLimits.maxReceiveCount.max, "SQS maxReceiveCount is 1 to 1000");
  return { batchSize, maximumBatchingWindowInSeconds, maximumConcurrency, maxReceiveCount, visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_FACTOR * timeoutSeconds };
}

/** Rounds up to the next retention CloudWatch Logs accepts (never keeps logs for less than asked). */
export function awsLogRetentionDays(fn: string, asked: number, decisions: Decisions): number {
  const applied = awsLogRetentionValues.find((days) => days >= asked) ?? awsLogRetentionValues[awsLogRetentionValues.length - 1];
  if (applied === asked) return asked;
  return decisions.adjust(fn, "logRetentionDays", asked, applied, `CloudWatch Logs keeps logs for ${awsLogRetentionValues.join(", ")} days only`);
}

/** The native values of one planned function, flat, for `npm run plan`. */
export function awsNativeSummary(fn: AwsPlannedFunction): NativeSettings {
  const n = fn.native;
  return nativeSettingsOf({
    memorySize: n.memorySize,
    timeout: n.timeout,
    reservedConcurrentExecutions: n.reservedConcurrentExecutions,
    provisionedConcurrency: n.provisionedConcurrency,
    integrationTimeoutMs: n.integrationTimeoutMs,
    batchSize: n.queue?.batchSize,
    maximumBatchingWindowInSeconds: n.queue?.maximumBatchingWindowInSeconds,
    maximumConcurrency: n.queue?.maximumConcurrency,
    maxReceiveCount: n.queue?.maxReceiveCount,
    visibilityTimeoutSeconds: n.queue?.visibilityTimeoutSeconds,
    scheduleExpression: n.schedule?.expression,
    scheduleExpressionTimezone: n.schedule?.timezone,
    flexibleTimeWindow: n.schedule?.flexibleTimeWindow,
    schedulerMaximumRetryAttempts: n.schedule?.retryAttempts,
    schedulerMaximumEventAgeInSeconds: n.schedule?.schedulerEventAgeSeconds,
    asyncMaximumRetryAttempts: n.schedule?.asyncRetryAttempts,
    asyncMaximumEventAgeInSeconds: n.schedule?.asyncEventAgeSeconds,
    reconcileGraceSeconds: n.schedule?.graceSeconds,
    reconcileTimeBudgetSeconds: n.schedule?.timeBudgetSeconds,
    logRetentionDays: n.logRetentionDays,
  });
}

/** Rejects input this component cannot deploy, with a sentence the user can act on. */
export function checkAwsInput(input: AwsPlanInput): void {
  checkFunctions("aws", input.name, input.functions);
  const fail = (sentence: string) => {
    throw new ComponentArgsError("aws", input.name, sentence);
  };
  for (const fn of input.functions) {
    const lambdaName = lambdaNameFor(input.name, fn.definition.name);
    const rule = awsNameRules.lambda;
    if (lambdaName.length > rule.max || !rule.pattern.test(lambdaName)) {
      fail(`Lambda name "${lambdaName}" must be at most ${rule.max} letters, digits, "-" or "_"; use a shorter component or function name.`);
    }
  }
  if (!Number.isInteger(input.logRetentionDays) || input.logRetentionDays < 1) {
    fail(`\`logRetentionDays\` must be a whole number of days ≥ 1; got ${input.logRetentionDays}.`);
  }
  if (input.routes !== undefined && !Array.isArray(input.routes)) fail(`\`routes\` must be an array of route keys such as "ANY /{proxy+}"; got ${describe(input.routes)}.`);
  if (input.routes !== undefined && input.routes.length === 0) {
    fail("`routes` is empty; omit it for the default routes or list at least one route key.");
  }
  for (const route of input.routes ?? []) {
    if (typeof route !== "string" || !routeKeyPattern.test(route)) {
      fail(`route ${describe(route)} is not a route key: "<METHOD> /<path>" with METHOD one of ${routeMethods.join(", ")} (e.g. "ANY /{proxy+}"), or "$default".`);
    }
  }
}

/**
 * An HTTP API route key: "the HTTP method and the resource path", ANY for every method, or the
 * `$default` route: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
 */
const routeMethods = ["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
const routeKeyPattern = new RegExp(`^(?:(?:${routeMethods.join("|")}) /\\S*|\\$default)$`);

function sidFor(capability: Capability): string {
  return capability.replace(/(^|\.)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}

/** `GET /users/{id}` → `get-users-id`; `ANY /{proxy+}` → `any-proxy`. */
export function routeSlug(routeKey: string): string {
  return routeKey.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "default";
}
