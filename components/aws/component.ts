/**
 * `AwsFunctions`: the functions on AWS Lambda, one IAM role per function compiled from its
 * declared capabilities, log groups, an HTTP API in front of the HTTP function, and an
 * EventBridge Scheduler schedule (with its own execution role) for each schedule function; and,
 * only when a function declares what uses them, the users table (DynamoDB, `users.*`), the
 * events queue and dead-letter queue (SQS, `events.*`) and the API key (Secrets Manager,
 * `apiKey.read`).
 *
 * check → plan → create: `planAws` (./rules.ts) decides every value before any resource
 * exists; the constructor only creates what the plan says, in dependency order.
 */
import * as aws from "./sdk";
import * as pulumi from "@pulumi/pulumi";
import { awsEnvironment, awsReconcilerEnvironment, awsUsersTable, AWS_HANDLER_EXPORT } from "../../functions/aws/contract";
import { SCHEDULER_INPUT_TEMPLATE } from "../../functions/aws/scheduler-event";
import { packageFunction } from "../bundle";
import { created, packageArchive, platformOutputs, reportWarnings } from "../component";
import {
  CAPABILITIES_TAG,
  checkApiKey,
  ComponentArgsError,
  planInputOf,
  runsReconciler,
  sharedResourcesFor,
  type DeployedSchedule,
  type FunctionDeployment,
  type Grant,
  type NativeSettings,
  type PlatformFunctionsArgs,
  type PlatformOutputs,
  type SettingWarning,
} from "../platform";
import {
  awsNativeSummary,
  BINDING_TAG,
  compileAwsPolicy,
  concurrencyQuotaVerdict,
  DEAD_LETTER_RETENTION_SECONDS,
  DEFAULT_MAX_RECEIVE_COUNT,
  LAMBDA_CONCURRENCY_QUOTA,
  lambdaAssumeRolePolicy,
  LIVE_ALIAS,
  logGroupNameFor,
  pendingIndexArnOf,
  planAws,
  routeSlug,
  schedulerAssumeRolePolicy,
  SCHEDULER_BINDING,
  schedulerInvokeActions,
  schedulerInvokeStatement,
  type AwsPlan,
  type AwsPlannedFunction,
  type AwsQueueSettings,
  type QuotaReading,
} from "./rules";

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
   * get its ARN in `API_KEY_SECRET_ARN`, never the value. Required when a function declares
   * `apiKey.read`; otherwise no secret is created. Pass a secret Output.
   * @example
   * apiKey: new pulumi.Config("parity").requireSecret("apiKey")
   */
  apiKey?: pulumi.Input<string>;
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
   * Route keys of the HTTP API, all sent to the HTTP function. The default serves every path,
   * the root included, as the other platforms do: `ANY /{proxy+}` matches child paths only, so
   * `ANY /` is listed beside it (rules.ts `defaultHttpRoutes`). Narrow it to serve some paths
   * only: API Gateway answers 404 for the rest.
   * @default ["ANY /", "ANY /{proxy+}"]
   * @example
   * routes: ["GET /users/{id}", "POST /users", "GET /health", "ANY /{proxy+}"]
   */
  routes?: string[];
  /**
   * Read the account's Lambda "Concurrent executions" quota (Service Quotas `L-B99A9384`) at
   * deploy time and stop before any function is created when it cannot hold this component's
   * reserved concurrency plus the 100 Lambda keeps unreserved. Reading it needs
   * `servicequotas:GetAWSDefaultServiceQuota` and `servicequotas:GetServiceQuota`; a reading that
   * cannot be made (access denied, throttling) is a warning, not a stop. Turn it off to skip the call.
   * @default true
   * @example
   * accountConcurrencyCheck: false
   */
  accountConcurrencyCheck?: boolean;
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
  /** Present for a schedule function: the schedule, its execution role, and the function's async retries. */
  schedule?: AwsScheduleNodes;
}

/** What a schedule function gets besides the function itself. */
export interface AwsScheduleNodes {
  schedule: aws.scheduler.Schedule;
  /** The role EventBridge Scheduler assumes to invoke the function: `lambda:InvokeFunction` on it, nothing else. */
  role: aws.iam.Role;
  policy: aws.iam.RolePolicy;
  invokeConfig: aws.lambda.FunctionEventInvokeConfig;
}

export class AwsFunctions extends pulumi.ComponentResource implements PlatformOutputs {
  /** Every value decided before any resource was created (./rules.ts). */
  readonly plan: AwsPlan;
  /** The users table; created only when a function declares a `users.*` capability. */
  readonly usersTable: aws.dynamodb.Table | undefined;
  /** The events queue and its dead-letter queue; created only when a function declares `events.publish` or `events.consume`. */
  readonly eventsQueue: aws.sqs.Queue | undefined;
  readonly eventsDeadLetterQueue: aws.sqs.Queue | undefined;
  /** The API key's secret; created only when a function declares `apiKey.read`. */
  readonly apiKeySecret: aws.secretsmanager.Secret | undefined;
  /** The secret's value: a function that reads the key is created after it (see createFunction). */
  readonly apiKeySecretValue: aws.secretsmanager.SecretVersion | undefined;
  /** The HTTP API; undefined when no function has an HTTP trigger. */
  readonly api: aws.apigatewayv2.Api | undefined;
  /** Function name → every resource made for it. */
  readonly nodes: Record<string, AwsFunctionNodes> = {};

  readonly endpoint: pulumi.Output<string> | undefined;
  readonly queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> } | undefined;
  readonly functionNames: Record<string, pulumi.Output<string>> = {};
  readonly grants: Grant[] = [];
  readonly warnings: SettingWarning[];
  readonly nativeSettings: Record<string, NativeSettings>;
  readonly schedules: Record<string, DeployedSchedule> = {};

  constructor(name: string, args: AwsFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:aws:Functions", name, {}, opts);
    this.plan = planAws({ ...planInputOf(name, args), routes: args.routes });
    checkApiKey("aws", name, args.functions, args.apiKey);
    const shared = sharedResourcesFor(args.functions);
    this.warnings = this.plan.warnings;
    this.nativeSettings = Object.fromEntries(this.plan.functions.map((fn) => [fn.definition.name, awsNativeSummary(fn)]));
    reportWarnings(this, this.warnings);
    const tags = args.tags ?? {};
    const bundles = new Map(args.functions.map((fn) => [fn.definition.name, fn.bundle]));
    const quotaChecked = args.accountConcurrencyCheck === false ? pulumi.output(true) : this.checkAccountConcurrency(name);

    if (shared.usersStore) this.usersTable = this.createUsersTable(name, this.plan.protectData, tags);
    if (shared.events) {
      this.eventsDeadLetterQueue = this.createDeadLetterQueue(name, tags);
      this.eventsQueue = this.createEventsQueue(name, this.eventsDeadLetterQueue, this.plan.consumerQueue, tags);
    }
    if (shared.apiKey) ({ secret: this.apiKeySecret, value: this.apiKeySecretValue } = this.createApiKeySecret(name, args.apiKey!, this.plan.protectData, tags));
    for (const fn of this.plan.functions) {
      const nodes = this.createFunction(name, fn, bundles.get(fn.definition.name)!, quotaChecked, tags);
      this.nodes[fn.definition.name] = nodes;
      this.functionNames[fn.definition.name] = nodes.lambda.name;
    }
    this.api = this.plan.httpFunction ? this.createHttpApi(name, this.plan.httpFunction, this.plan.routes, tags) : undefined;
    if (this.plan.scheduledFunctions.length > 0) {
      const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
      for (const fn of this.plan.scheduledFunctions) {
        const nodes = (this.nodes[fn.definition.name].schedule = this.createSchedule(name, fn, accountId, tags));
        this.schedules[fn.definition.name] = {
          expression: fn.native.schedule!.expression,
          identity: nodes.role.arn,
          invoke: { permissions: [...schedulerInvokeActions], resource: this.scheduleTargetOf(fn).arn },
        };
      }
    }

    this.endpoint = this.api?.apiEndpoint;
    this.queues = this.eventsQueue && this.eventsDeadLetterQueue ? { queue: this.eventsQueue.name, deadLetter: this.eventsDeadLetterQueue.name } : undefined;
    this.registerOutputs(platformOutputs(this));
  }

  /**
   * Items `user#<id>` and `email#<email>` share the partition key `pk`; no sort key. Pending
   * users are in a sparse global secondary index (functions/aws/contract.ts `awsUsersTable`),
   * declared with `keySchemas`, the form the provider does not deprecate (its `hashKey` and
   * `rangeKey` on an index are); it projects only what the reconciler reads.
   */
  private createUsersTable(name: string, protectData: boolean, tags: Record<string, string>): aws.dynamodb.Table {
    const { partitionKey, pendingIndex } = awsUsersTable;
    return new aws.dynamodb.Table(
      `${name}-users-table`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: partitionKey,
        // Only key attributes are declared (of the table and of its indexes).
        attributes: [partitionKey, pendingIndex.partitionKey, pendingIndex.sortKey].map((attribute) => ({ name: attribute, type: "S" })),
        globalSecondaryIndexes: [
          {
            name: pendingIndex.name,
            keySchemas: [
              { attributeName: pendingIndex.partitionKey, keyType: "HASH" },
              { attributeName: pendingIndex.sortKey, keyType: "RANGE" },
            ],
            projectionType: "INCLUDE",
            nonKeyAttributes: [...pendingIndex.projected],
          },
        ],
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

  private createEventsQueue(name: string, deadLetter: aws.sqs.Queue, consumer: AwsQueueSettings | undefined, tags: Record<string, string>): aws.sqs.Queue {
    return new aws.sqs.Queue(
      `${name}-events-queue`,
      {
        // Without a consumer the SQS default (30 s) stands; nothing reads the queue.
        visibilityTimeoutSeconds: consumer?.visibilityTimeoutSeconds,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: deadLetter.arn,
          maxReceiveCount: consumer?.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
        }),
        tags,
      },
      { parent: this },
    );
  }

  private createApiKeySecret(name: string, apiKey: pulumi.Input<string>, protectData: boolean, tags: Record<string, string>): { secret: aws.secretsmanager.Secret; value: aws.secretsmanager.SecretVersion } {
    const secret = new aws.secretsmanager.Secret(
      `${name}-api-key`,
      // 0 deletes immediately so a dev stack can be destroyed and recreated; 30 is the default window.
      { recoveryWindowInDays: protectData ? 30 : 0, tags },
      { parent: this },
    );
    const value = new aws.secretsmanager.SecretVersion(`${name}-api-key-value`, { secretId: secret.id, secretString: pulumi.secret(apiKey) }, { parent: this });
    return { secret, value };
  }

  /**
   * Resolves once the account's concurrency quota is known to hold the plan (rules.ts
   * `concurrencyQuotaVerdict`): fails the deploy, naming the quota and the value needed, when it
   * cannot; warns and goes on when the quota cannot be read (the promise form of the invoke, so a
   * refused or throttled call is caught here instead of failing the whole program).
   */
  private checkAccountConcurrency(name: string): pulumi.Output<boolean> {
    const reading: Promise<QuotaReading> = aws.servicequotas.getServiceQuota(LAMBDA_CONCURRENCY_QUOTA, { parent: this }).then(
      (quota) => ({ value: quota.value }),
      (error: unknown) => ({ failed: error instanceof Error ? error.message : String(error) }),
    );
    return pulumi.output(reading).apply((read) => {
      const verdict = concurrencyQuotaVerdict(read as QuotaReading, this.plan.concurrency);
      if (verdict.kind === "short") throw new ComponentArgsError("aws", name, verdict.error);
      // Unread: a warning the deployer must act on. Enough: a note (the unreserved figure stays theirs to check).
      if (verdict.kind === "unread") pulumi.log.warn(`[aws] ${name}: ${verdict.warning}`, this);
      else pulumi.log.info(`[aws] ${name}: ${verdict.warning}`, this);
      return true;
    });
  }

  private createFunction(
    name: string,
    fn: AwsPlannedFunction,
    bundle: FunctionDeployment["bundle"],
    quotaChecked: pulumi.Output<boolean>,
    tags: Record<string, string>,
  ): AwsFunctionNodes {
    const { definition, native } = fn;
    const fnName = definition.name;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read by the getters below
    const component = this;
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-${fnName}-logs`,
      { name: logGroupNameFor(native.lambdaName), retentionInDays: native.logRetentionDays, tags },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-${fnName}-role`,
      {
        assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy),
        description: `Runs ${native.lambdaName}; grants exactly its declared capabilities.`,
        tags: { ...tags, [CAPABILITIES_TAG]: definition.capabilities.join(" ") },
      },
      { parent: this },
    );
    // Getters: each resource is read only for a capability the function declares, so it exists (see `created`).
    const { statements, grants } = compileAwsPolicy<pulumi.Output<string>>(definition.capabilities, {
      get usersTable() {
        return created(component.usersTable, "users table").arn;
      },
      get usersPendingIndex() {
        return created(component.usersTable, "users table").arn.apply(pendingIndexArnOf);
      },
      get eventsQueue() {
        return created(component.eventsQueue, "events queue").arn;
      },
      get apiKeySecret() {
        return created(component.apiKeySecret, "API key secret").arn;
      },
      logStreams: pulumi.interpolate`${logGroup.arn}:*`,
    });
    this.grants.push(...grants.map((g) => ({ function: fnName, capability: g.capability, permissions: g.actions, resource: g.resource })));
    const policy = new aws.iam.RolePolicy(
      `${name}-${fnName}-policy`,
      { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) },
      { parent: this },
    );

    const warm = native.provisionedConcurrency !== undefined;
    const lambda = new aws.lambda.Function(
      `${name}-${fnName}`,
      {
        name: native.lambdaName,
        description: definition.description,
        role: role.arn,
        runtime: aws.lambda.Runtime.NodeJS22dX,
        architectures: ["arm64"],
        handler: `${bundle.fileName.replace(/\.m?js$/, "")}.${AWS_HANDLER_EXPORT}`,
        code: packageArchive(packageFunction(bundle)),
        memorySize: native.memorySize,
        timeout: native.timeout,
        // Waits for the quota check: a reservation the account cannot hold fails here, before any Lambda exists.
        reservedConcurrentExecutions: quotaChecked.apply(() => native.reservedConcurrentExecutions),
        // Provisioned concurrency needs a published version behind an alias.
        publish: warm,
        environment: {
          variables: {
            ...awsEnvironment<pulumi.Input<string>>(definition.capabilities, {
              get usersTable() {
                return created(component.usersTable, "users table").name;
              },
              get eventsQueueUrl() {
                return created(component.eventsQueue, "events queue").url;
              },
              get apiKeySecretArn() {
                return created(component.apiKeySecret, "API key secret").arn;
              },
            }),
            // Only a function that reconciles the users store reads the reconciler's run settings.
            ...(native.schedule && runsReconciler(definition.capabilities) ? awsReconcilerEnvironment(native.schedule) : {}),
          },
        },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        tags,
      },
      // The group must exist first, or Lambda creates it itself with no retention; the policy
      // must exist first, or the first invocations cannot write logs. A function that reads the
      // API key waits for the key's value: the ARN exists before any version does, and until
      // one does GetSecretValue fails (ResourceNotFoundException), so the first requests of a
      // new stack would answer 500
      // (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html).
      { parent: this, dependsOn: [logGroup, policy, ...(definition.capabilities.includes("apiKey.read") ? [created(this.apiKeySecretValue, "API key value")] : [])] },
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
        { functionName: lambda.name, qualifier: nodes.alias.name, provisionedConcurrentExecutions: native.provisionedConcurrency! },
        { parent: this },
      );
    }
    if (native.queue) {
      nodes.eventSourceMapping = new aws.lambda.EventSourceMapping(
        `${name}-${fnName}-events`,
        {
          eventSourceArn: created(this.eventsQueue, "events queue").arn,
          // Warm instances serve the alias only; the queue must invoke it to use them.
          functionName: nodes.alias?.arn ?? lambda.arn,
          functionResponseTypes: ["ReportBatchItemFailures"],
          batchSize: native.queue.batchSize,
          maximumBatchingWindowInSeconds: native.queue.maximumBatchingWindowInSeconds,
          scalingConfig: { maximumConcurrency: native.queue.maximumConcurrency },
          tags,
        },
        // Lambda checks the role can read the queue when the mapping is created.
        { parent: this, dependsOn: [policy] },
      );
    }
    return nodes;
  }

  /** What the schedule invokes: the alias when warm instances live there, as the API and the queue do. */
  private scheduleTargetOf(fn: AwsPlannedFunction): aws.lambda.Alias | aws.lambda.Function {
    const nodes = this.nodes[fn.definition.name];
    return nodes.alias ?? nodes.lambda;
  }

  /**
   * The schedule, its execution role and the function's async retries. Every property below
   * is from https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html
   * (FlexibleTimeWindow Mode OFF | FLEXIBLE; ScheduleExpressionTimezone; Target RoleArn, Arn,
   * Input, RetryPolicy) and rules.ts `scheduleSettingsFor`.
   */
  private createSchedule(name: string, fn: AwsPlannedFunction, accountId: pulumi.Output<string>, tags: Record<string, string>): AwsScheduleNodes {
    const fnName = fn.definition.name;
    const settings = fn.native.schedule!;
    const nodes = this.nodes[fnName];
    const target = this.scheduleTargetOf(fn);
    const role = new aws.iam.Role(
      `${name}-${fnName}-scheduler`,
      {
        assumeRolePolicy: accountId.apply((account) => JSON.stringify(schedulerAssumeRolePolicy(account))),
        description: `EventBridge Scheduler invokes ${fn.native.lambdaName} with this role; it may invoke that function only.`,
        tags: { ...tags, [BINDING_TAG]: SCHEDULER_BINDING },
      },
      { parent: this },
    );
    // Invoking an alias is authorised on the alias's ARN; the function's own ARN names the rest.
    const invokable = nodes.alias ? [nodes.lambda.arn, nodes.alias.arn] : [nodes.lambda.arn];
    const policy = new aws.iam.RolePolicy(
      `${name}-${fnName}-scheduler-policy`,
      { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [schedulerInvokeStatement(invokable)] }) },
      { parent: this },
    );
    const invokeConfig = new aws.lambda.FunctionEventInvokeConfig(
      `${name}-${fnName}-async`,
      {
        functionName: nodes.lambda.name,
        qualifier: nodes.alias?.name,
        maximumRetryAttempts: settings.asyncRetryAttempts,
        maximumEventAgeInSeconds: settings.asyncEventAgeSeconds,
      },
      { parent: this },
    );
    const schedule = new aws.scheduler.Schedule(
      `${name}-${fnName}-schedule`,
      {
        // The function's own name: unique in the default group, and within Scheduler's 64 characters.
        name: fn.native.lambdaName,
        description: `Runs ${fn.native.lambdaName} ${settings.expression} (UTC).`,
        scheduleExpression: settings.expression,
        scheduleExpressionTimezone: settings.timezone,
        flexibleTimeWindow: { mode: settings.flexibleTimeWindow },
        target: {
          arn: target.arn,
          roleArn: role.arn,
          input: SCHEDULER_INPUT_TEMPLATE,
          retryPolicy: { maximumRetryAttempts: settings.retryAttempts, maximumEventAgeInSeconds: settings.schedulerEventAgeSeconds },
        },
      },
      // The first tick must find the role allowed to invoke, and the async retries already off.
      { parent: this, dependsOn: [policy, invokeConfig] },
    );
    return { schedule, role, policy, invokeConfig };
  }

  private createHttpApi(name: string, fn: AwsPlannedFunction, routes: string[], tags: Record<string, string>): aws.apigatewayv2.Api {
    const fnName = fn.definition.name;
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
        timeoutMilliseconds: fn.native.integrationTimeoutMs,
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
