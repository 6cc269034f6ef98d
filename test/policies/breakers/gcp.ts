/** Google Cloud: a graph broken for each gcp policy (see ./index.ts). */
import type { RecordedResource } from "../../../scripts/offline";
import { breakOne, copyGraph, type Breaker } from "../graphs";

/** Adds one resource (a binding someone added by hand) to a copy of the graph. */
const withExtra = (graph: readonly RecordedResource[], extra: (copy: RecordedResource[]) => RecordedResource): RecordedResource[] => {
  const copy = copyGraph(graph);
  copy.push(extra(copy));
  return copy;
};
const binding = (type: string, name: string, inputs: Record<string, unknown>, dependencies: string[] = []): RecordedResource => ({
  type,
  name,
  inputs,
  state: inputs,
  urn: `urn:pulumi:prod::parity::${type}::${name}`,
  parent: "",
  dependencies,
});
const urnOf = (graph: readonly RecordedResource[], type: string, suffix: string) => graph.find((r) => r.type === type && r.name.endsWith(suffix))!.urn;
const ACCOUNT = "gcp:serviceaccount/account:Account";

export const gcpBreakers: Record<string, Breaker> = {
  "gcp-service-account-id": (g) => breakOne(g, ACCOUNT, (r) => (r.inputs.accountId = "api"), "-users-api"),
  "gcp-cloud-function-name": (g) => breakOne(g, "gcp:cloudfunctionsv2/function:Function", (r) => (r.inputs.name = "Users_API"), "-users-api"),
  "gcp-iam-no-basic-roles": (g) =>
    withExtra(g, () => binding("gcp:secretmanager/secretIamMember:SecretIamMember", "ops-viewer", { role: "roles/viewer", member: "user:ops@example.com", secretId: "api-key" })),
  "gcp-iam-no-project-wide-binding": (g) =>
    withExtra(g, () => binding("gcp:projects/iAMMember:IAMMember", "ops-publisher", { role: "roles/pubsub.publisher", member: "user:ops@example.com", project: "parity-test" })),
  "gcp-grants-equal-capabilities": (g) =>
    withExtra(g, (copy) =>
      binding("gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember", "users-api-subscriber", { role: "roles/pubsub.subscriber", subscription: "events-push" }, [urnOf(copy, ACCOUNT, "-users-api")]),
    ),
  "gcp-invoker-identities": (g) =>
    withExtra(g, (copy) =>
      binding("gcp:pubsub/topicIAMMember:TopicIAMMember", "scheduler-publisher", { role: "roles/pubsub.publisher", topic: "events" }, [urnOf(copy, ACCOUNT, "-reconciler-cron")]),
    ),
  "gcp-push-subscription-dead-letter": (g) => breakOne(g, "gcp:pubsub/subscription:Subscription", (r) => delete r.inputs.deadLetterPolicy, "-events-push"),
  "gcp-pubsub-agent-created-first": (g) => {
    const copy = copyGraph(g);
    const agent = urnOf(copy, "gcp:projects/serviceIdentity:ServiceIdentity", "-pubsub-agent");
    const publisher = copy.find((r) => r.name.endsWith("-pubsub-agent-dead-letter-publisher"))!;
    publisher.dependencies = publisher.dependencies.filter((d) => d !== agent);
    return copy;
  },
  "gcp-build-service-account": (g) => breakOne(g, "gcp:cloudfunctionsv2/function:Function", (r) => delete r.inputs.buildConfig.serviceAccount, "-users-api"),
  "gcp-no-secret-in-plain-env": (g) => breakOne(g, "gcp:cloudfunctionsv2/function:Function", (r) => (r.inputs.serviceConfig.environmentVariables.API_KEY = "k"), "-users-api"),
  "gcp-scheduler-attempt-deadline": (g) => breakOne(g, "gcp:cloudscheduler/job:Job", (r) => (r.inputs.attemptDeadline = "14s")),
};
