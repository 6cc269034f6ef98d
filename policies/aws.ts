/** AWS constraints the mocks cannot see, from components/aws/rules.ts, each with its source. */
import { awsCapabilityGrants, awsLimits, awsLogActions, awsLogRetentionValues, awsNameRules, VISIBILITY_TIMEOUT_FACTOR } from "../components/aws/rules";
import { capabilities, type Capability } from "../components/catalog";
import { CAPABILITIES_TAG } from "../components/platform";
import { namePolicy, ofType, resourcePolicy, stackPolicy, transitiveDependencies, type ParityPolicy } from "./policy";

const T = {
  lambda: "aws:lambda/function:Function",
  alias: "aws:lambda/alias:Alias",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  queue: "aws:sqs/queue:Queue",
  eventSource: "aws:lambda/eventSourceMapping:EventSourceMapping",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
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
        const role = [...policy.dependencies].find((d) => d.type === T.role);
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
];
