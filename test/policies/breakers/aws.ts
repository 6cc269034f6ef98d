/** AWS: a graph broken for each AWS policy (see ./index.ts). */
import type { RecordedResource } from "../../../scripts/offline";
import { breakOne, type Breaker } from "../graphs";

const policyDocument = (r: RecordedResource) => JSON.parse(r.inputs.policy) as { Statement: { Action: string[]; Resource: string[] }[] };
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
  "aws-log-retention": (g) => breakOne(g, "aws:cloudwatch/logGroup:LogGroup", (r) => (r.inputs.retentionInDays = 10)),
};
