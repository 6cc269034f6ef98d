/** AWS constraints the mocks cannot see, from components/aws/rules.ts, each with its source. */
import {
  awsCapabilityGrants,
  awsLimits,
  awsLogActions,
  awsLogRetentionValues,
  awsNameRules,
  BINDING_TAG,
  SCHEDULER_BINDING,
  schedulerInvokeActions,
  VISIBILITY_TIMEOUT_FACTOR,
  type AwsGrantTarget,
} from "../components/aws/rules";
import { capabilities, type Capability } from "../components/catalog";
import { CAPABILITIES_TAG } from "../components/platform";
import type { PolicyResource } from "@pulumi/policy";
import { namePolicy, ofType, resourcePolicy, SECRET_NAME, stackPolicy, transitiveDependencies, type ParityPolicy } from "./policy";

const T = {
  lambda: "aws:lambda/function:Function",
  alias: "aws:lambda/alias:Alias",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  queue: "aws:sqs/queue:Queue",
  eventSource: "aws:lambda/eventSourceMapping:EventSourceMapping",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  schedule: "aws:scheduler/schedule:Schedule",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
} as const;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}

const statementsOf = (policy: unknown): Statement[] => {
  const document = (typeof policy === "string" ? JSON.parse(policy) : policy) as { Statement?: Statement[] } | undefined;
  return document?.Statement ?? [];
};

const documentOf = (policy: unknown) => (typeof policy === "string" ? JSON.parse(policy) : policy) as { Statement?: (Statement & { Principal?: unknown; Condition?: unknown })[] } | undefined;

/** The role a role policy is attached to (it waits for it). */
const roleOf = (policy: PolicyResource) => [...policy.dependencies].find((d) => d.type === T.role);
const isSchedulerRole = (role: PolicyResource | undefined) => role?.props.tags?.[BINDING_TAG] === SCHEDULER_BINDING;

/** `arn:…:lambda:<region>:<account>:function:<name>[:<qualifier>]` → the function's name. */
const lambdaFunctionName = (arn: unknown) => (typeof arn === "string" ? /^arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:([a-zA-Z0-9_-]+)(:[a-zA-Z0-9$_-]+)?$/.exec(arn)?.[1] : undefined);

/**
 * The ARN each grant target's actions may name: a DynamoDB index is its own resource type
 * (`table/<name>/index/<index>`), so a table action on an index, or an index Query on the table,
 * is a different grant. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
 */
const grantTargetArn: Record<AwsGrantTarget, RegExp> = {
  usersTable: /^arn:aws[\w-]*:dynamodb:[^:]+:\d{12}:table\/[^/*]+$/,
  usersPendingIndex: /^arn:aws[\w-]*:dynamodb:[^:]+:\d{12}:table\/[^/*]+\/index\/[^/*]+$/,
  eventsQueue: /^arn:aws[\w-]*:sqs:[^:]+:\d{12}:[^:*]+$/,
  apiKeySecret: /^arn:aws[\w-]*:secretsmanager:[^:]+:\d{12}:secret:[^*]+$/,
};
/** Which grant target each capability action belongs to (each action serves one capability). */
const targetOfAction = new Map<string, AwsGrantTarget>(Object.values(awsCapabilityGrants).flatMap((g) => g.actions.map((a) => [a, g.resource] as const)));

/** `log-group:<name>:*` names one log group's streams; every other `*` in a resource widens it. */
const OWN_LOG_STREAMS = /^arn:aws[\w-]*:logs:[^:*]+:\d{12}:log-group:[^*]+:\*$/;

export const awsPolicies: ParityPolicy[] = [
  namePolicy({
    name: "aws-lambda-function-name",
    description: "Lambda function names are 1–64 letters, digits, hyphens or underscores.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-FunctionName",
    type: T.lambda,
    rule: { ...awsNameRules.lambda, alphabet: "[a-zA-Z0-9-_]" },
  }),
  namePolicy({
    name: "aws-iam-role-name",
    description: "IAM role names are 1–64 characters of letters, digits and +=,.@_-.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
    type: T.role,
    rule: { ...awsNameRules.iamRole, alphabet: "[\\w+=,.@-]" },
  }),
  namePolicy({
    name: "aws-sqs-queue-name",
    description: "SQS queue names are 1–80 letters, digits, hyphens or underscores.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
    type: T.queue,
    rule: { ...awsNameRules.sqsQueue, alphabet: "[a-zA-Z0-9-_]" },
  }),
  namePolicy({
    name: "aws-scheduler-schedule-name",
    description: "EventBridge Scheduler schedule names are 1–64 letters, digits, hyphens, underscores or periods.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html",
    type: T.schedule,
    rule: { ...awsNameRules.schedule, alphabet: "[0-9a-zA-Z-_.]" },
  }),
  resourcePolicy({
    name: "aws-iam-no-wildcards",
    description: "No IAM statement allows a wildcard action, or a wildcard resource a narrower ARN can replace.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    types: [T.rolePolicy],
    validate: (props, _args, report) => {
      for (const statement of statementsOf(props.policy)) {
        for (const action of [statement.Action].flat()) if (action.includes("*")) report(`action "${action}" is a wildcard`);
        for (const resource of [statement.Resource].flat()) {
          if (resource.includes("*") && !OWN_LOG_STREAMS.test(resource)) report(`resource "${resource}" is a wildcard`);
        }
      }
    },
  }),
  stackPolicy({
    name: "aws-grants-equal-capabilities",
    description: "Each Lambda role allows exactly the actions its function's declared capabilities compile to, plus writing its own logs.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    validate: ({ resources }, report) => {
      for (const policy of ofType(resources, T.rolePolicy)) {
        const role = roleOf(policy);
        // A scheduler's role is a platform binding, not a function's identity: the aws-scheduler-* rules check it.
        if (isSchedulerRole(role)) continue;
        const declared = String(role?.props.tags?.[CAPABILITIES_TAG] ?? "").split(" ").filter(Boolean);
        if (!role || declared.some((c) => !(capabilities as readonly string[]).includes(c))) {
          report(`role of ${policy.name} does not declare its capabilities in the "${CAPABILITIES_TAG}" tag`, policy.urn);
          continue;
        }
        const expected = new Set([...declared.flatMap((c) => awsCapabilityGrants[c as Capability].actions), ...awsLogActions]);
        const actual = new Set(statementsOf(policy.props.policy).flatMap((s) => [s.Action].flat()));
        const extra = [...actual].filter((a) => !expected.has(a));
        const missing = [...expected].filter((a) => !actual.has(a));
        if (extra.length > 0) report(`${policy.name} allows ${extra.join(", ")}, which no declared capability (${declared.join(", ") || "none"}) needs`, policy.urn);
        if (missing.length > 0) report(`${policy.name} lacks ${missing.join(", ")}, which its declared capabilities need`, policy.urn);
      }
    },
  }),
  stackPolicy({
    name: "aws-sqs-visibility-timeout",
    description: `The queue an event source mapping reads has a visibility timeout of at least ${VISIBILITY_TIMEOUT_FACTOR} × the function's timeout.`,
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html",
    validate: ({ resources }, report) => {
      for (const mapping of ofType(resources, T.eventSource)) {
        const upstream = transitiveDependencies(mapping);
        const queue = [...mapping.dependencies].find((d) => d.type === T.queue);
        const lambda = [...upstream].find((d) => d.type === T.lambda);
        if (!queue || !lambda) continue;
        const timeout = Number(lambda.props.timeout ?? 3);
        const visibility = Number(queue.props.visibilityTimeoutSeconds ?? 30);
        if (visibility < VISIBILITY_TIMEOUT_FACTOR * timeout) {
          report(`${queue.name}: visibility ${visibility} s < ${VISIBILITY_TIMEOUT_FACTOR} × ${lambda.name}'s timeout ${timeout} s`, queue.urn);
        }
      }
    },
  }),
  resourcePolicy({
    name: "aws-event-source-maximum-concurrency",
    description: `An SQS event source mapping's maximum concurrency is ${awsLimits.sqsMaximumConcurrency.min} to ${awsLimits.sqsMaximumConcurrency.max}.`,
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html",
    types: [T.eventSource],
    validate: (props, _args, report) => {
      const value = props.scalingConfig?.maximumConcurrency;
      const { min, max } = awsLimits.sqsMaximumConcurrency;
      if (value !== undefined && (value < min || value > max)) report(`maximumConcurrency ${value} is outside ${min}–${max}`);
    },
  }),
  stackPolicy({
    name: "aws-consumed-queue-has-dead-letter-queue",
    description: "Every queue a function consumes redrives to a dead-letter queue.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html",
    validate: ({ resources }, report) => {
      for (const mapping of ofType(resources, T.eventSource)) {
        const queue = [...mapping.dependencies].find((d) => d.type === T.queue);
        const redrive = queue && (typeof queue.props.redrivePolicy === "string" ? JSON.parse(queue.props.redrivePolicy) : queue.props.redrivePolicy);
        if (queue && !redrive?.deadLetterTargetArn) report(`${queue.name} is consumed by ${mapping.name} but has no redrive policy`, queue.urn);
      }
    },
  }),
  resourcePolicy({
    name: "aws-log-retention",
    description: "Every log group keeps logs for a retention CloudWatch Logs accepts (never forever by omission).",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
    types: [T.logGroup],
    validate: (props, _args, report) => {
      if (!(awsLogRetentionValues as readonly number[]).includes(props.retentionInDays)) report(`retentionInDays ${props.retentionInDays} is not one of ${awsLogRetentionValues.join(", ")}`);
    },
  }),
  resourcePolicy({
    name: "aws-no-plain-secret",
    description: "No secret in a Lambda's plain environment: a secret-named variable holds a Secrets Manager ARN, never a value.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-encryption",
    types: [T.lambda],
    validate: (props, _args, report) => {
      // Judged by name and shape only: the CLI hands rules every secret already unwrapped
      // (policy.ts), so whether the stored key itself is a Pulumi secret is the program
      // test's to prove (test/program.test.ts).
      for (const [name, value] of Object.entries<unknown>(props.environment?.variables ?? {})) {
        if (SECRET_NAME.test(name) && !(typeof value === "string" && /^arn:aws[\w-]*:secretsmanager:/.test(value))) {
          report(`environment variable ${name} looks like a secret and holds a value, not a Secrets Manager ARN`);
        }
      }
    },
  }),
  stackPolicy({
    name: "aws-secret-value-before-reader",
    description: "A Lambda that reads the API key is created after the key's value (the SecretVersion): the secret's ARN exists before any version does, and until one does GetSecretValue fails, so a new stack's first requests would answer 500.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html",
    validate: ({ resources }, report) => {
      for (const lambda of ofType(resources, T.lambda)) {
        if (lambda.props.environment?.variables?.API_KEY_SECRET_ARN === undefined) continue;
        if (![...transitiveDependencies(lambda)].some((d) => d.type === T.secretVersion)) {
          report(`${lambda.name} reads the API key but is not created after its SecretVersion: dependsOn the value, not only the secret's ARN`, lambda.urn);
        }
      }
    },
  }),
  stackPolicy({
    name: "aws-grants-on-exact-resource",
    description: "Each capability's actions name only the kind of resource that capability is for: users.listPending queries the pending index, never the table.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html",
    validate: ({ resources }, report) => {
      for (const policy of ofType(resources, T.rolePolicy)) {
        if (isSchedulerRole(roleOf(policy))) continue;
        for (const statement of statementsOf(policy.props.policy)) {
          for (const action of [statement.Action].flat()) {
            const target = targetOfAction.get(action);
            if (!target) continue;
            for (const resource of [statement.Resource].flat()) {
              // A wildcard is aws-iam-no-wildcards' finding; this rule judges named resources.
              if (resource.includes("*")) continue;
              if (!grantTargetArn[target].test(resource)) report(`${policy.name} allows ${action} on "${resource}", which is not a ${target} ARN`, policy.urn);
            }
          }
        }
      }
    },
  }),
  stackPolicy({
    name: "aws-scheduler-role-trust",
    description: "A scheduler's role trusts only scheduler.amazonaws.com, only for schedules of its own account (aws:SourceAccount).",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html",
    validate: ({ resources }, report) => {
      for (const role of ofType(resources, T.role).filter(isSchedulerRole)) {
        const statements = documentOf(role.props.assumeRolePolicy)?.Statement ?? [];
        const trusted = statements.every(
          (s) =>
            s.Effect === "Allow" &&
            JSON.stringify(s.Principal) === JSON.stringify({ Service: "scheduler.amazonaws.com" }) &&
            [s.Action].flat().every((a) => a === "sts:AssumeRole") &&
            /^\d{12}$/.test(String((s.Condition as any)?.StringEquals?.["aws:SourceAccount"] ?? "")),
        );
        if (statements.length === 0 || !trusted) report(`${role.name} must trust only scheduler.amazonaws.com to sts:AssumeRole, with StringEquals aws:SourceAccount = the account`, role.urn);
        if (role.props.managedPolicyArns?.length) report(`${role.name} has managed policies; a scheduler's role holds its one invoke grant only`, role.urn);
      }
    },
  }),
  stackPolicy({
    name: "aws-scheduler-role-invokes-one-function",
    description: "A scheduler's role allows only lambda:InvokeFunction, on the one function (or its alias) its schedules target.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html",
    validate: ({ resources }, report) => {
      for (const role of ofType(resources, T.role).filter(isSchedulerRole)) {
        const functions = new Set<string | undefined>();
        for (const policy of ofType(resources, T.rolePolicy).filter((p) => roleOf(p) === role)) {
          for (const statement of statementsOf(policy.props.policy)) {
            const actions = [statement.Action].flat();
            if (statement.Effect !== "Allow" || actions.some((a) => !(schedulerInvokeActions as readonly string[]).includes(a))) {
              report(`${policy.name} allows ${actions.join(", ")}; a scheduler's role may only ${schedulerInvokeActions.join(", ")}`, policy.urn);
            }
            for (const resource of [statement.Resource].flat()) functions.add(lambdaFunctionName(resource));
          }
        }
        const [only, ...others] = [...functions];
        if (only === undefined || others.length > 0) {
          report(`${role.name} may invoke ${[...functions].map((f) => f ?? "a resource that is not one Lambda function").join(", ") || "nothing"}; it must name exactly one function`, role.urn);
          continue;
        }
        for (const schedule of ofType(resources, T.schedule).filter((s) => s.dependencies.includes(role))) {
          const target = lambdaFunctionName(schedule.props.target?.arn);
          if (target !== only) report(`${schedule.name} targets ${target ?? schedule.props.target?.arn}, but its role may invoke ${only}`, schedule.urn);
        }
      }
    },
  }),
  resourcePolicy({
    name: "aws-scheduler-schedule-clock",
    description: "A schedule fires at its cron minutes in UTC: flexible time window OFF, timezone UTC, a cron() expression (so every platform fires at the same minutes).",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_FlexibleTimeWindow.html",
    types: [T.schedule],
    validate: (props, _args, report) => {
      if (props.flexibleTimeWindow?.mode !== "OFF") report(`flexibleTimeWindow.mode is ${props.flexibleTimeWindow?.mode}; OFF fires at the scheduled minute`);
      // Unset means UTC in the provider, but parity states it rather than relying on a default.
      if (props.scheduleExpressionTimezone !== "UTC") report(`scheduleExpressionTimezone is ${props.scheduleExpressionTimezone ?? "unset"}; the portable schedule is UTC`);
      if (!/^cron\(/.test(String(props.scheduleExpression))) report(`scheduleExpression "${props.scheduleExpression}" is not a clock-aligned cron() expression`);
    },
  }),
  stackPolicy({
    name: "aws-scheduler-retries",
    description: `Schedule retries are set deliberately and within the documented ranges (Scheduler: ${awsLimits.schedulerRetryAttempts.min}–${awsLimits.schedulerRetryAttempts.max} attempts, ${awsLimits.schedulerEventAgeSeconds.min}–${awsLimits.schedulerEventAgeSeconds.max} s; Lambda async: ${awsLimits.asyncRetryAttempts.min}–${awsLimits.asyncRetryAttempts.max}, ${awsLimits.asyncEventAgeSeconds.min}–${awsLimits.asyncEventAgeSeconds.max} s), and the target's async config exists.`,
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html",
    validate: ({ resources }, report) => {
      const within = (value: unknown, range: { min: number; max: number }) => Number.isInteger(value) && (value as number) >= range.min && (value as number) <= range.max;
      const configs = ofType(resources, T.invokeConfig);
      for (const config of configs) {
        if (!within(config.props.maximumRetryAttempts, awsLimits.asyncRetryAttempts) || !within(config.props.maximumEventAgeInSeconds, awsLimits.asyncEventAgeSeconds)) {
          report(`${config.name}: maximumRetryAttempts ${config.props.maximumRetryAttempts} / maximumEventAgeInSeconds ${config.props.maximumEventAgeInSeconds} unset or outside Lambda's ranges`, config.urn);
        }
      }
      for (const schedule of ofType(resources, T.schedule)) {
        const retry = schedule.props.target?.retryPolicy;
        if (!within(retry?.maximumRetryAttempts, awsLimits.schedulerRetryAttempts) || !within(retry?.maximumEventAgeInSeconds, awsLimits.schedulerEventAgeSeconds)) {
          report(`${schedule.name}: retryPolicy ${JSON.stringify(retry)} unset (Scheduler's defaults: 185 attempts over 24 h) or outside its ranges`, schedule.urn);
        }
        // Without its own async config, a Lambda target keeps Lambda's default of 2 retries.
        const target = lambdaFunctionName(schedule.props.target?.arn);
        if (target && !configs.some((c) => c.props.functionName === target)) report(`${schedule.name} targets ${target}, which has no FunctionEventInvokeConfig (Lambda retries async runs twice by default)`, schedule.urn);
      }
    },
  }),
];
