/** AWS: a graph broken for each AWS policy (see ./index.ts). */
import type { RecordedResource } from "../../../scripts/offline";
import { breakOne, type Breaker } from "../graphs";

const policyDocument = (r: RecordedResource) => JSON.parse(r.inputs.policy) as { Statement: { Action: string[]; Resource: string[] }[] };
const withTrust = (r: RecordedResource, change: (doc: { Statement: Record<string, unknown>[] }) => void) => {
  const doc = JSON.parse(r.inputs.assumeRolePolicy);
  change(doc);
  r.inputs.assumeRolePolicy = JSON.stringify(doc);
};
const withPolicy = (r: RecordedResource, change: (doc: ReturnType<typeof policyDocument>) => void) => {
  const doc = policyDocument(r);
  change(doc);
  r.inputs.policy = JSON.stringify(doc);
};

export const awsBreakers: Record<string, Breaker> = {
  "aws-lambda-function-name": (g) => breakOne(g, "aws:lambda/function:Function", (r) => (r.inputs.name = "x".repeat(65))),
  "aws-iam-role-name": (g) => breakOne(g, "aws:iam/role:Role", (r) => (r.inputs.name = "a role name with spaces")),
  "aws-sqs-queue-name": (g) => breakOne(g, "aws:sqs/queue:Queue", (r) => (r.inputs.name = "events.queue")),
  "aws-iam-no-wildcards": (g) => breakOne(g, "aws:iam/rolePolicy:RolePolicy", (r) => withPolicy(r, (doc) => (doc.Statement[0].Resource = ["*"]))),
  "aws-grants-equal-capabilities": (g) =>
    breakOne(g, "aws:iam/rolePolicy:RolePolicy", (r) => withPolicy(r, (doc) => doc.Statement[0].Action.push("dynamodb:Scan")), "users-api-policy"),
  "aws-sqs-visibility-timeout": (g) => breakOne(g, "aws:sqs/queue:Queue", (r) => (r.inputs.visibilityTimeoutSeconds = 30), "events-queue"),
  "aws-event-source-maximum-concurrency": (g) => breakOne(g, "aws:lambda/eventSourceMapping:EventSourceMapping", (r) => (r.inputs.scalingConfig = { maximumConcurrency: 1 })),
  "aws-consumed-queue-has-dead-letter-queue": (g) => breakOne(g, "aws:sqs/queue:Queue", (r) => delete r.inputs.redrivePolicy, "events-queue"),
  "aws-no-plain-secret": (g) =>
    breakOne(g, "aws:lambda/function:Function", (r) => (r.inputs.environment.variables.API_KEY_SECRET_ARN = "the-key-itself"), "users-api"),
  // The users API created before the key's value exists (only the secret's ARN waited for).
  "aws-secret-value-before-reader": (g) => {
    const versions = new Set(g.filter((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion").map((r) => r.urn));
    return breakOne(g, "aws:lambda/function:Function", (r) => (r.dependencies = r.dependencies.filter((urn) => !versions.has(urn))), "users-api");
  },
  "aws-log-retention": (g) => breakOne(g, "aws:cloudwatch/logGroup:LogGroup", (r) => (r.inputs.retentionInDays = 10)),
  // The reconciler's Query on the table instead of its pending index: same actions, wider resource.
  "aws-grants-on-exact-resource": (g) =>
    breakOne(g, "aws:iam/rolePolicy:RolePolicy", (r) =>
      withPolicy(r, (doc) => {
        const query = doc.Statement.find((s) => s.Action.includes("dynamodb:Query"))!;
        query.Resource = query.Resource.map((arn) => arn.replace(/\/index\/[^/]+$/, ""));
      }),
    "reconciler-policy",
    ),
  // Any account's schedules could assume it (no aws:SourceAccount).
  "aws-scheduler-role-trust": (g) => breakOne(g, "aws:iam/role:Role", (r) => withTrust(r, (doc) => delete doc.Statement[0].Condition), "-scheduler"),
  // The scheduler may also invoke users-api.
  "aws-scheduler-role-invokes-one-function": (g) =>
    breakOne(g, "aws:iam/rolePolicy:RolePolicy", (r) => withPolicy(r, (doc) => doc.Statement[0].Resource.push(doc.Statement[0].Resource[0].replace(/reconciler$/, "users-api"))), "scheduler-policy"),
  "aws-scheduler-schedule-name": (g) => breakOne(g, "aws:scheduler/schedule:Schedule", (r) => (r.inputs.name = "reconciler/every-5-minutes")),
  "aws-scheduler-schedule-clock": (g) => breakOne(g, "aws:scheduler/schedule:Schedule", (r) => (r.inputs.flexibleTimeWindow = { mode: "FLEXIBLE", maximumWindowInMinutes: 15 })),
  // Scheduler's defaults (185 attempts over 24 h) would apply.
  "aws-scheduler-retries": (g) => breakOne(g, "aws:scheduler/schedule:Schedule", (r) => delete r.inputs.target.retryPolicy),
};
