/**
 * `AwsFunctions`: the catalog's functions on AWS Lambda, with their users table (DynamoDB),
 * events queue and dead-letter queue (SQS), API key (Secrets Manager), one IAM role per
 * function compiled from its declared capabilities, log groups, and an HTTP API in front of
 * the HTTP function.
 *
 * Mapping rules (portable settings → Lambda/SQS/API Gateway knobs, capability → IAM
 * statement) are the exported pure functions below the class; every limit cites its source.
 */
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bundleArchive } from "./bundle";
import type { Capability } from "./catalog";
import type { FunctionSettings } from "./config";
import {
  checkFunctions,
  SettingDecisions,
  type FunctionDeployment,
  type Grant,
  type PlatformFunctionsArgs,
  type PlatformOutputs,
  type SettingWarning,
} from "./deployment";

/** Route keys the HTTP API sends to the HTTP function unless `routes` says otherwise. */
export const defaultHttpRoutes = ["GET /users/{id}", "POST /users", "GET /health", "ANY /{proxy+}"] as const;

export interface AwsFunctionsArgs extends PlatformFunctionsArgs {
  /**
   * The functions to deploy: at most one HTTP function (it gets the HTTP API) and at most
   * one queue function (it consumes the events queue). Each becomes a Lambda function named
   * `<component name>-<function name>` (64 characters at most).
   * @example
   * functions: deploymentsFor(config, "aws")
   */
  functions: FunctionDeployment[];
  /**
   * The API key. Stored as a Secrets Manager secret; functions that declare `apiKey.read`
   * get its ARN in `API_KEY_SECRET_ARN`, never the value. Pass a secret Output.
   * @example
   * apiKey: new pulumi.Config("parity").requireSecret("apiKey")
   */
  apiKey: pulumi.Input<string>;
  /**
   * Days each function's log group keeps events. CloudWatch Logs accepts a fixed set of
   * values; others are rounded up to the next allowed value, with a warning.
   * @default 7
   * @example
   * logRetentionDays: 90
   */
  logRetentionDays?: number;
  /**
   * Point-in-time recovery and deletion protection on the users table, and a 30-day
   * recovery window on the API key secret (immediate deletion otherwise).
   * @default false
   * @example
   * protectData: pulumi.getStack() === "prod"
   */
  protectData?: boolean;
  /**
   * Tags applied to every resource that takes tags.
   * @default {}
   * @example
   * tags: { project: "parity", stack: pulumi.getStack() }
   */
  tags?: Record<string, string>;
  /**
   * Route keys of the HTTP API, all sent to the HTTP function. Keep a catch-all
   * (`ANY /{proxy+}`) so that unknown paths reach the application's own JSON 404/405.
   * @default ["GET /users/{id}", "POST /users", "GET /health", "ANY /{proxy+}"]
   * @example
   * routes: ["GET /health", "ANY /{proxy+}"]
   */
  routes?: string[];
}

/** One function's deployed resources. */
export interface AwsFunctionNodes {
  role: aws.iam.Role;
  policy: aws.iam.RolePolicy;
  logGroup: aws.cloudwatch.LogGroup;
  lambda: aws.lambda.Function;
  /** Present when warmInstances > 0: provisioned concurrency lives on this alias. */
  alias?: aws.lambda.Alias;
  provisionedConcurrency?: aws.lambda.ProvisionedConcurrencyConfig;
  /** Present for the queue function. */
  eventSourceMapping?: aws.lambda.EventSourceMapping;
}

export class AwsFunctions extends pulumi.ComponentResource implements PlatformOutputs {
  readonly usersTable: aws.dynamodb.Table;
  /**
   * Always created, even when no function publishes or consumes (an idle queue costs
   * nothing and `queues` is part of every platform's outputs); only functions that declare
   * `events.*` are granted access to it.
   */
  readonly eventsQueue: aws.sqs.Queue;
  readonly eventsDeadLetterQueue: aws.sqs.Queue;
  readonly apiKeySecret: aws.secretsmanager.Secret;
  /** The HTTP API; undefined when no function has an HTTP trigger. */
  readonly api: aws.apigatewayv2.Api | undefined;
  /** Function name → its IAM role. */
  readonly roles: Record<string, aws.iam.Role> = {};
  /** Function name → its Lambda function. */
  readonly lambdas: Record<string, aws.lambda.Function> = {};
  /** Function name → every resource made for it. */
  readonly nodes: Record<string, AwsFunctionNodes> = {};

  readonly endpoint: pulumi.Output<string> | undefined;
  readonly queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> };
  readonly functionNames: Record<string, pulumi.Output<string>> = {};
  readonly grants: Grant[] = [];
  readonly warnings: SettingWarning[];

  constructor(name: string, args: AwsFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:aws:Functions", name, {}, opts);
    checkAwsArgs(name, args);
    const decisions = new SettingDecisions("aws", this);
    this.warnings = decisions.warnings;
    // Every setting is decided (and every inexact one reported) before any resource exists.
    const plan = planAwsFunctions(args, decisions);
    const tags = args.tags ?? {};

    this.usersTable = this.createUsersTable(name, plan.protectData, tags);
    this.eventsDeadLetterQueue = this.createDeadLetterQueue(name, tags);
    this.eventsQueue = this.createEventsQueue(name, plan.consumerQueue, tags);
    this.apiKeySecret = this.createApiKeySecret(name, args.apiKey, plan.protectData, tags);
    for (const fn of plan.functions) this.addFunction(name, fn, tags);
    this.api = plan.httpFunction ? this.createHttpApi(name, plan.httpFunction, plan.routes, tags) : undefined;

    this.endpoint = this.api?.apiEndpoint;
    this.queues = { queue: this.eventsQueue.name, deadLetter: this.eventsDeadLetterQueue.name };
    this.registerOutputs({ endpoint: this.endpoint, queues: this.queues, functionNames: this.functionNames, warnings: this.warnings });
  }

  /** Items `user#<id>` and `email#<email>` share the partition key `pk`; no sort key. */
  private createUsersTable(name: string, protectData: boolean, tags: Record<string, string>): aws.dynamodb.Table {
    return new aws.dynamodb.Table(
      `${name}-users-table`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: "pk",
        attributes: [{ name: "pk", type: "S" }],
        pointInTimeRecovery: { enabled: protectData },
        deletionProtectionEnabled: protectData,
        tags,
      },
      { parent: this },
    );
  }

  private createDeadLetterQueue(name: string, tags: Record<string, string>): aws.sqs.Queue {
    return new aws.sqs.Queue(
      `${name}-events-dlq`,
      // The longest SQS allows (60 s to 1,209,600 s = 14 days), to leave time to inspect and redrive:
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
      { messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS, tags },
      { parent: this },
    );
  }

  private createEventsQueue(name: string, consumer: AwsQueueSettings | undefined, tags: Record<string, string>): aws.sqs.Queue {
    return new aws.sqs.Queue(
      `${name}-events-queue`,
      {
        // Without a consumer the SQS default (30 s) stands; nothing reads the queue.
        visibilityTimeoutSeconds: consumer?.visibilityTimeoutSeconds,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: this.eventsDeadLetterQueue.arn,
          maxReceiveCount: consumer?.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
        }),
        tags,
      },
      { parent: this },
    );
  }

  private createApiKeySecret(
    name: string,
    apiKey: pulumi.Input<string>,
    protectData: boolean,
    tags: Record<string, string>,
  ): aws.secretsmanager.Secret {
    const secret = new aws.secretsmanager.Secret(
      `${name}-api-key`,
      // 0 deletes immediately so a dev stack can be destroyed and recreated; 30 is the default window.
      { recoveryWindowInDays: protectData ? 30 : 0, tags },
      { parent: this },
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-api-key-value`,
      { secretId: secret.id, secretString: pulumi.secret(apiKey) },
      { parent: this },
    );
    return secret;
  }

  private addFunction(name: string, planned: AwsPlannedFunction, tags: Record<string, string>): void {
    const fnName = planned.deployment.definition.name;
    const nodes = this.createFunction(name, planned, tags);
    this.nodes[fnName] = nodes;
    this.roles[fnName] = nodes.role;
    this.lambdas[fnName] = nodes.lambda;
    this.functionNames[fnName] = nodes.lambda.name;
  }

  private createFunction(name: string, planned: AwsPlannedFunction, tags: Record<string, string>): AwsFunctionNodes {
    const { deployment: fn, settings, retentionInDays } = planned;
    const fnName = fn.definition.name;
    const lambdaName = lambdaNameFor(name, fnName);
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-${fnName}-logs`,
      { name: `/aws/lambda/${lambdaName}`, retentionInDays, tags },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-${fnName}-role`,
      { assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy), description: `Runs ${lambdaName}; grants exactly its declared capabilities.`, tags },
      { parent: this },
    );
    const { statements, grants } = compileAwsGrants(fnName, fn.definition.capabilities, {
      usersTable: this.usersTable.arn,
      eventsQueue: this.eventsQueue.arn,
      apiKeySecret: this.apiKeySecret.arn,
      logGroup: logGroup.arn,
    });
    this.grants.push(...grants);
    const policy = new aws.iam.RolePolicy(
      `${name}-${fnName}-policy`,
      { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) },
      { parent: this },
    );

    const warm = settings.provisionedConcurrency !== undefined;
    const lambda = new aws.lambda.Function(
      `${name}-${fnName}`,
      {
        name: lambdaName,
        description: fn.definition.description,
        role: role.arn,
        runtime: aws.lambda.Runtime.NodeJS22dX,
        architectures: ["arm64"],
        handler: `${path.parse(fn.bundle.fileName).name}.handler`,
        code: bundleArchive(fn.bundle),
        memorySize: settings.memorySize,
        timeout: settings.timeout,
        reservedConcurrentExecutions: settings.reservedConcurrentExecutions,
        // Provisioned concurrency needs a published version behind an alias.
        publish: warm,
        environment: { variables: this.environmentFor(fn.definition.capabilities) },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        tags,
      },
      // The group must exist first, or Lambda creates it itself with no retention; the policy
      // must exist first, or the first invocations cannot write logs.
      { parent: this, dependsOn: [logGroup, policy] },
    );

    const nodes: AwsFunctionNodes = { role, policy, logGroup, lambda };
    if (warm) {
      nodes.alias = new aws.lambda.Alias(
        `${name}-${fnName}-live`,
        { functionName: lambda.name, functionVersion: lambda.version, name: LIVE_ALIAS },
        { parent: this },
      );
      nodes.provisionedConcurrency = new aws.lambda.ProvisionedConcurrencyConfig(
        `${name}-${fnName}-warm`,
        { functionName: lambda.name, qualifier: nodes.alias.name, provisionedConcurrentExecutions: settings.provisionedConcurrency! },
        { parent: this },
      );
    }
    if (fn.definition.trigger.kind === "queue") {
      const queue = settings.queue!;
      nodes.eventSourceMapping = new aws.lambda.EventSourceMapping(
        `${name}-${fnName}-events`,
        {
          eventSourceArn: this.eventsQueue.arn,
          // Warm instances serve the alias only; the queue must invoke it to use them.
          functionName: nodes.alias?.arn ?? lambda.arn,
          functionResponseTypes: ["ReportBatchItemFailures"],
          batchSize: queue.batchSize,
          maximumBatchingWindowInSeconds: queue.maximumBatchingWindowInSeconds,
          scalingConfig: { maximumConcurrency: queue.maximumConcurrency },
          tags,
        },
        // Lambda checks the role can read the queue when the mapping is created.
        { parent: this, dependsOn: [policy] },
      );
    }
    return nodes;
  }

  /** What the function needs to find its resources: names and ARNs, never the API key itself. */
  private environmentFor(capabilities: readonly Capability[]): Record<string, pulumi.Input<string>> {
    const variables: Record<string, pulumi.Input<string>> = {
      USERS_TABLE: this.usersTable.name,
      PARITY_PLATFORM: "aws",
      NODE_OPTIONS: "--enable-source-maps",
    };
    if (capabilities.includes("events.publish")) variables.EVENTS_QUEUE_URL = this.eventsQueue.url;
    if (capabilities.includes("apiKey.read")) variables.API_KEY_SECRET_ARN = this.apiKeySecret.arn;
    return variables;
  }

  private createHttpApi(name: string, planned: AwsPlannedFunction, routes: string[], tags: Record<string, string>): aws.apigatewayv2.Api {
    const { settings } = planned;
    const fnName = planned.deployment.definition.name;
    const nodes = this.nodes[fnName];
    // Warm instances serve the alias only; the API must invoke it to use them.
    const target = nodes.alias ?? nodes.lambda;
    const api = new aws.apigatewayv2.Api(`${name}-http-api`, { protocolType: "HTTP", tags }, { parent: this });
    new aws.apigatewayv2.Stage(`${name}-http-stage`, { apiId: api.id, name: "$default", autoDeploy: true, tags }, { parent: this });
    const integration = new aws.apigatewayv2.Integration(
      `${name}-${fnName}-integration`,
      {
        apiId: api.id,
        integrationType: "AWS_PROXY",
        integrationUri: target.arn,
        integrationMethod: "POST",
        payloadFormatVersion: "2.0",
        timeoutMilliseconds: settings.integrationTimeoutMs,
      },
      { parent: this },
    );
    for (const routeKey of routes) {
      new aws.apigatewayv2.Route(
        `${name}-route-${routeSlug(routeKey)}`,
        { apiId: api.id, routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
        { parent: this },
      );
    }
    new aws.lambda.Permission(
      `${name}-${fnName}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: nodes.lambda.name,
        qualifier: nodes.alias?.name,
        principal: "apigateway.amazonaws.com",
        // Any stage and route of this API only: <execution ARN>/<stage>/<method><path>.
        sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
      },
      { parent: this },
    );
    return api;
  }
}

// ---------------------------------------------------------------------------------------------
// Rules: capabilities → IAM, settings → native knobs. Pure, unit-tested in test/infra/aws.test.ts.
// ---------------------------------------------------------------------------------------------

/** The resources a grant can name. */
export interface AwsGrantResources {
  usersTable: pulumi.Input<string>;
  eventsQueue: pulumi.Input<string>;
  apiKeySecret: pulumi.Input<string>;
  /** The function's own log group ARN, as the provider returns it (without `:*`). */
  logGroup: pulumi.Input<string>;
}

export interface AwsPolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: pulumi.Input<string>[];
}

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
 */
export const awsCapabilityGrants: Record<Capability, { resource: Exclude<keyof AwsGrantResources, "logGroup">; actions: string[] }> = {
  "users.read": { resource: "usersTable", actions: ["dynamodb:GetItem"] },
  "users.create": { resource: "usersTable", actions: ["dynamodb:PutItem"] },
  "users.update": { resource: "usersTable", actions: ["dynamodb:UpdateItem"] },
  "events.publish": { resource: "eventsQueue", actions: ["sqs:SendMessage"] },
  "events.consume": { resource: "eventsQueue", actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"] },
  "apiKey.read": { resource: "apiKeySecret", actions: ["secretsmanager:GetSecretValue"] },
};

/** Writing to its own log group; no `logs:CreateLogGroup`, since the component creates the group. */
export const awsLogActions = ["logs:CreateLogStream", "logs:PutLogEvents"];

/**
 * Compiles one function's declared capabilities into IAM statements (exact actions on exact
 * ARNs) and the grants to report. Every function also writes to its own log group.
 */
export function compileAwsGrants(
  functionName: string,
  capabilities: readonly Capability[],
  resources: AwsGrantResources,
): { statements: AwsPolicyStatement[]; grants: Grant[] } {
  const statements: AwsPolicyStatement[] = [];
  const grants: Grant[] = [];
  for (const capability of [...new Set(capabilities)]) {
    const rule = awsCapabilityGrants[capability];
    if (!rule) throw new Error(`AwsFunctions: function "${functionName}" declares unknown capability "${capability}".`);
    const resource = resources[rule.resource];
    statements.push({ Sid: sidFor(capability), Effect: "Allow", Action: [...rule.actions], Resource: [resource] });
    grants.push({ function: functionName, capability, permissions: [...rule.actions], resource: pulumi.output(resource) });
  }
  statements.push({
    Sid: "OwnLogGroup",
    Effect: "Allow",
    Action: [...awsLogActions],
    // `log-group:<name>:*` is the ARN form CloudWatch Logs evaluates for these actions (the
    // provider strips the `:*`); it names this one group and its streams, nothing else. The
    // `*` scopes a resource within the group, it is not a wildcard action or account-wide resource:
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
    Resource: [pulumi.interpolate`${resources.logGroup}:*`],
  });
  return { statements, grants };
}

/** Lambda's hard limits, and API Gateway HTTP API's for the HTTP function. */
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
  // RedrivePolicy maxReceiveCount: 1 to 1,000 is what the SQS console and CloudFormation accept; the
  // API reference gives no range (not verified against an AWS page here). The portable range (≤ 100) is inside it.
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
  maxReceiveCount: { min: 1, max: 1000 },
} as const;

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
/** SQS's longest message retention, 14 days. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/**
 * Redrive count when no function consumes the queue: AWS recommends at least 5.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;
const LIVE_ALIAS = "live";
/** Lambda function names are at most 64 characters. */
const LAMBDA_NAME_MAX = 64;

export interface AwsQueueSettings {
  batchSize: number;
  /** Set only when the batch size requires it (> 10). */
  maximumBatchingWindowInSeconds?: number;
  maximumConcurrency: number;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

/** One function's settings as Lambda, API Gateway and SQS knobs. */
export interface AwsNativeSettings {
  memorySize: number;
  timeout: number;
  reservedConcurrentExecutions: number;
  /** Provisioned concurrency on the `live` alias; undefined when no warm instances. */
  provisionedConcurrency?: number;
  /** HTTP functions: the API Gateway integration timeout, ms. */
  integrationTimeoutMs?: number;
  /** Queue functions: event source mapping and queue settings. */
  queue?: AwsQueueSettings;
}

/** One function with its decided native settings. */
export interface AwsPlannedFunction {
  deployment: FunctionDeployment;
  settings: AwsNativeSettings;
  retentionInDays: number;
}

/** Everything `AwsFunctions` decides from its args before creating a resource. */
export interface AwsPlan {
  functions: AwsPlannedFunction[];
  /** The HTTP function, which the HTTP API invokes. */
  httpFunction?: AwsPlannedFunction;
  /** Queue settings of the consuming function; undefined when nothing consumes the queue. */
  consumerQueue?: AwsQueueSettings;
  routes: string[];
  protectData: boolean;
}

export function planAwsFunctions(args: AwsFunctionsArgs, decisions: SettingDecisions): AwsPlan {
  const functions = args.functions.map((deployment) => ({
    deployment,
    settings: awsSettingsFor(deployment.definition, deployment.settings, decisions),
    retentionInDays: awsLogRetentionDays(deployment.definition.name, args.logRetentionDays ?? 7, decisions),
  }));
  return {
    functions,
    httpFunction: functions.find((f) => f.deployment.definition.trigger.kind === "http"),
    consumerQueue: functions.find((f) => f.deployment.definition.trigger.kind === "queue")?.settings.queue,
    routes: args.routes ?? [...defaultHttpRoutes],
    protectData: args.protectData ?? false,
  };
}

/** Maps one function's portable settings to native knobs, reporting every inexact value. */
export function awsSettingsFor(
  definition: FunctionDeployment["definition"],
  settings: FunctionSettings,
  decisions: SettingDecisions,
): AwsNativeSettings {
  const fn = definition.name;
  const memorySize = decisions.clamp(fn, "memoryMb", settings.memoryMb, awsLimits.memoryMb.min, awsLimits.memoryMb.max, "Lambda memory is 128 to 10240 MB");
  const timeout = decisions.clamp(fn, "timeoutSeconds", settings.timeoutSeconds, awsLimits.timeoutSeconds.min, awsLimits.timeoutSeconds.max, "Lambda timeout is 1 to 900 s");
  const native: AwsNativeSettings = {
    memorySize,
    timeout,
    reservedConcurrentExecutions: settings.reservedConcurrency,
    provisionedConcurrency: settings.warmInstances > 0 ? provisionedConcurrencyFor(fn, settings, decisions) : undefined,
  };
  if (definition.trigger.kind === "http") native.integrationTimeoutMs = httpIntegrationTimeoutMs(fn, timeout, decisions);
  if (definition.trigger.kind === "queue") native.queue = queueSettingsFor(fn, settings, timeout, decisions);
  return native;
}

/**
 * Warm instances beyond the reserved concurrency could never serve a request: reserved
 * concurrency is the function's upper bound as well as its reservation.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
export function provisionedConcurrencyFor(fn: string, settings: FunctionSettings, decisions: SettingDecisions): number {
  return decisions.clamp(
    fn,
    "warmInstances",
    settings.warmInstances,
    1,
    settings.reservedConcurrency,
    "provisioned concurrency above the reserved concurrency would never be used",
  );
}

/** The API waits as long as the function may run, up to HTTP API's fixed 30 s. */
export function httpIntegrationTimeoutMs(fn: string, functionTimeoutSeconds: number, decisions: SettingDecisions): number {
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

export function queueSettingsFor(fn: string, settings: FunctionSettings, timeoutSeconds: number, decisions: SettingDecisions): AwsQueueSettings {
  if (settings.batchSize === undefined || settings.maxAttempts === undefined) {
    throw new Error(`AwsFunctions: queue function "${fn}" needs settings.batchSize and settings.maxAttempts.`);
  }
  const limits = awsLimits.sqsBatchSize;
  const batchSize = decisions.clamp(fn, "batchSize", settings.batchSize, limits.min, limits.max, "Lambda SQS batch size is 1 to 10000");
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
  const maxReceiveCount = decisions.clamp(
    fn,
    "maxAttempts",
    settings.maxAttempts,
    awsLimits.maxReceiveCount.min,
    awsLimits.maxReceiveCount.max,
    "SQS maxReceiveCount is 1 to 1000",
  );
  return {
    batchSize,
    maximumBatchingWindowInSeconds,
    maximumConcurrency,
    maxReceiveCount,
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_FACTOR * timeoutSeconds,
  };
}

/** Rounds up to the next retention CloudWatch Logs accepts (never keeps logs for less than asked). */
export function awsLogRetentionDays(fn: string, asked: number, decisions: SettingDecisions): number {
  const applied = awsLogRetentionValues.find((days) => days >= asked) ?? awsLogRetentionValues[awsLogRetentionValues.length - 1];
  if (applied === asked) return asked;
  return decisions.adjust(fn, "logRetentionDays", asked, applied, `CloudWatch Logs keeps logs for ${awsLogRetentionValues.join(", ")} days only`);
}

/** Rejects args this component cannot deploy, with a sentence the user can act on. */
export function checkAwsArgs(name: string, args: AwsFunctionsArgs): void {
  checkFunctions("AwsFunctions", args.functions);
  const httpFunctions = args.functions.filter((f) => f.definition.trigger.kind === "http");
  if (httpFunctions.length > 1) {
    throw new Error(
      `AwsFunctions: only one HTTP function per component (its HTTP API sends every route to it); got ${httpFunctions.map((f) => f.definition.name).join(", ")}. Deploy the others in a second AwsFunctions.`,
    );
  }
  for (const fn of args.functions) {
    const lambdaName = lambdaNameFor(name, fn.definition.name);
    if (lambdaName.length > LAMBDA_NAME_MAX || !/^[a-zA-Z0-9_-]+$/.test(lambdaName)) {
      throw new Error(
        `AwsFunctions: Lambda name "${lambdaName}" must be at most ${LAMBDA_NAME_MAX} letters, digits, "-" or "_"; use a shorter component or function name.`,
      );
    }
  }
  const retention = args.logRetentionDays;
  if (retention !== undefined && (!Number.isInteger(retention) || retention < 1)) {
    throw new Error(`AwsFunctions: \`logRetentionDays\` must be a whole number of days ≥ 1; got ${retention}.`);
  }
  if (args.routes !== undefined && args.routes.length === 0) {
    throw new Error("AwsFunctions: `routes` is empty; omit it for the default routes or list at least one route key.");
  }
}

const lambdaAssumeRolePolicy = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

function lambdaNameFor(component: string, fn: string): string {
  return `${component}-${fn}`;
}

function sidFor(capability: Capability): string {
  return capability.replace(/(^|\.)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}

/** `GET /users/{id}` → `get-users-id`; `ANY /{proxy+}` → `any-proxy`. */
function routeSlug(routeKey: string): string {
  return routeKey.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "default";
}
