/**
 * Google Cloud constraints the mocks cannot see, from components/gcp/rules.ts, each with its source.
 *
 * Identities are recognised by the description the component gives each service account
 * (`parity:capabilities: …`, CAPABILITIES_TAG): a function's runtime identity lists its declared
 * capabilities, an invoking identity (push, scheduler) says `invokes <function name>`, the build
 * identity says `builds the functions`. A binding belongs to the account it takes its member from,
 * i.e. the service account among its direct dependencies (a `serviceaccount.IAMMember` names an
 * account as its resource instead, so it is attributed to none).
 */
import type { PolicyResource } from "@pulumi/policy";
import { capabilities, type Capability } from "../components/catalog";
import { gcpCapabilityBindings, gcpNameRules, isFunctionSourcesCondition, MAX_DELIVERY_ATTEMPTS_RANGE, SCHEDULER_ATTEMPT_DEADLINE_SECONDS } from "../components/gcp/rules";
import { CAPABILITIES_TAG } from "../components/platform";
import { namePolicy, ofType, resourcePolicy, SECRET_NAME, stackPolicy, transitiveDependencies, type ParityPolicy } from "./policy";

const T = {
  account: "gcp:serviceaccount/account:Account",
  accountIam: "gcp:serviceaccount/iAMMember:IAMMember",
  function: "gcp:cloudfunctionsv2/function:Function",
  subscription: "gcp:pubsub/subscription:Subscription",
  topicIam: "gcp:pubsub/topicIAMMember:TopicIAMMember",
  subscriptionIam: "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
  projectIam: "gcp:projects/iAMMember:IAMMember",
  projectIamBinding: "gcp:projects/iAMBinding:IAMBinding",
  runIam: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
  secretIam: "gcp:secretmanager/secretIamMember:SecretIamMember",
  repositoryIam: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  bucketIam: "gcp:storage/bucketIAMMember:BucketIAMMember",
  serviceIdentity: "gcp:projects/serviceIdentity:ServiceIdentity",
  job: "gcp:cloudscheduler/job:Job",
} as const;

/** Every IAM member resource type the component creates. */
const bindingTypes: readonly string[] = [T.accountIam, T.topicIam, T.subscriptionIam, T.projectIam, T.projectIamBinding, T.runIam, T.secretIam, T.repositoryIam, T.bucketIam];

/** What an account's description declares: capabilities, the one function it invokes, or the builds. */
type Declaration = { kind: "capabilities"; capabilities: string[] } | { kind: "invokes"; functionName: string } | { kind: "builds" } | undefined;

function declarationOf(account: PolicyResource): Declaration {
  const description = String(account.props.description ?? "");
  const prefix = `${CAPABILITIES_TAG}:`;
  if (!description.startsWith(prefix)) return undefined;
  const declared = description.slice(prefix.length).trim();
  if (declared === "builds the functions") return { kind: "builds" };
  const invokes = /^invokes (\S+)$/.exec(declared);
  if (invokes) return { kind: "invokes", functionName: invokes[1] };
  return { kind: "capabilities", capabilities: declared.split(/\s+/).filter(Boolean) };
}

/** The bindings whose member is `account` (see the file comment). */
function bindingsOf(account: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
  return resources.filter((r) => bindingTypes.includes(r.type) && r.type !== T.accountIam && r.dependencies.includes(account));
}

/** Seconds of a duration such as "60s". */
const seconds = (duration: unknown) => Number(String(duration).replace(/s$/, ""));

/** Environment variable names that hold secrets by their name. */

export const gcpPolicies: ParityPolicy[] = [
  namePolicy({
    name: "gcp-service-account-id",
    description: "Service account ids are 6–30 characters: a lower-case letter, then lower-case letters, digits or hyphens, ending in a letter or digit.",
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/iam/docs/service-accounts-create#creating",
    type: T.account,
    nameProperty: "accountId",
    rule: { min: gcpNameRules.serviceAccount.min, max: gcpNameRules.serviceAccount.max, pattern: /^[a-z][-a-z0-9]*[a-z0-9]$/, alphabet: "[a-z][-a-z0-9]*[a-z0-9]" },
  }),
  namePolicy({
    name: "gcp-cloud-function-name",
    description: "Cloud Functions (2nd gen) names are at most 63 lower-case letters, digits or hyphens, starting with a letter and ending in a letter or digit (they name the Cloud Run service too).",
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/functions/docs/reference/rest/v2/projects.locations.functions",
    type: T.function,
    rule: { max: gcpNameRules.cloudFunction.max, pattern: gcpNameRules.cloudFunction.pattern, alphabet: "[a-z][a-z0-9-]*[a-z0-9]" },
  }),
  resourcePolicy({
    name: "gcp-iam-no-basic-roles",
    description: "No binding grants a basic role (Owner, Editor, Viewer): they span every service in the project.",
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/iam/docs/roles-overview#basic",
    types: bindingTypes,
    validate: (props, _args, report) => {
      if (["roles/owner", "roles/editor", "roles/viewer"].includes(props.role)) report(`${props.role} is a basic role`);
    },
  }),
  resourcePolicy({
    name: "gcp-iam-no-project-wide-binding",
    description:
      "A project-level binding only where no resource-level one exists: Firestore roles limited to one database by an IAM condition, Storage Object Viewer limited to Cloud Functions' own source bucket by one, and Logs Writer (log entries are written to the project).",
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/iam/docs/using-iam-securely#least_privilege",
    types: [T.projectIam, T.projectIamBinding],
    validate: (props, _args, report) => {
      const role = String(props.role);
      const oneDatabase = role.startsWith("roles/datastore.") && /^resource\.name == "projects\/[^/"]+\/databases\/[^/"]+"$/.test(String(props.condition?.expression ?? ""));
      // The build reads Cloud Functions' own source bucket, which exists only after the first deploy (components/gcp/rules.ts gcpBuildBindings).
      const functionSources = role === "roles/storage.objectViewer" && isFunctionSourcesCondition(String(props.condition?.expression ?? ""));
      if (!oneDatabase && !functionSources && role !== "roles/logging.logWriter") report(`${role} is granted on the whole project; bind it on the resource it serves`);
    },
  }),
  stackPolicy({
    name: "gcp-grants-equal-capabilities",
    description: "Each function's service account holds exactly the roles its declared capabilities compile to (components/gcp/rules.ts), nothing more, nothing less.",
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/iam/docs/using-iam-securely#least_privilege",
    validate: ({ resources }, report) => {
      for (const account of ofType(resources, T.account)) {
        const declaration = declarationOf(account);
        if (!declaration) {
          report(`${account.name} does not declare what it is for in its description ("${CAPABILITIES_TAG}: …")`, account.urn);
          continue;
        }
        if (declaration.kind !== "capabilities") continue;
        const unknown = declaration.capabilities.filter((c) => !(capabilities as readonly string[]).includes(c));
        if (unknown.length > 0) {
          report(`${account.name} declares unknown capabilities: ${unknown.join(", ")}`, account.urn);
          continue;
        }
        const expected = new Set(
          declaration.capabilities.map((c) => gcpCapabilityBindings[c as Capability]).filter((b) => b.principal === "function").map((b) => b.role),
        );
        const actual = new Set(bindingsOf(account, resources).map((b) => String(b.props.role)));
        const extra = [...actual].filter((role) => !expected.has(role));
        const missing = [...expected].filter((role) => !actual.has(role));
        if (extra.length > 0) report(`${account.name} holds ${extra.join(", ")}, which no declared capability (${declaration.capabilities.join(", ") || "none"}) needs`, account.urn);
        if (missing.length > 0) report(`${account.name} lacks ${missing.join(", ")}, which its declared capabilities need`, account.urn);
      }
    },
  }),
  stackPolicy({
    name: "gcp-invoker-identities",
    description: "The push and scheduler identities each hold one binding: roles/run.invoker on the one function they invoke.",
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/run/docs/securing/managing-access",
    validate: ({ resources }, report) => {
      for (const account of ofType(resources, T.account)) {
        const declaration = declarationOf(account);
        if (declaration?.kind !== "invokes") continue;
        const target = ofType(resources, T.function).find((f) => f.props.name === declaration.functionName);
        const bindings = bindingsOf(account, resources);
        const exact = bindings.length === 1 && bindings[0].type === T.runIam && bindings[0].props.role === "roles/run.invoker" && !!target && bindings[0].dependencies.includes(target);
        if (!exact) {
          report(`${account.name} must hold exactly roles/run.invoker on ${declaration.functionName}; it holds ${bindings.map((b) => `${b.props.role} (${b.name})`).join(", ") || "nothing"}`, account.urn);
        }
      }
    },
  }),
  stackPolicy({
    name: "gcp-push-subscription-dead-letter",
    description: `Every push subscription has a dead-letter topic and ${MAX_DELIVERY_ATTEMPTS_RANGE.min}–${MAX_DELIVERY_ATTEMPTS_RANGE.max} delivery attempts, so no message is retried forever.`,
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/pubsub/docs/dead-letter-topics",
    validate: ({ resources }, report) => {
      for (const subscription of ofType(resources, T.subscription)) {
        if (!subscription.props.pushConfig) continue;
        const policy = subscription.props.deadLetterPolicy;
        const attempts = Number(policy?.maxDeliveryAttempts);
        if (!policy?.deadLetterTopic) report(`${subscription.name} pushes without a dead-letter topic`, subscription.urn);
        else if (!(attempts >= MAX_DELIVERY_ATTEMPTS_RANGE.min && attempts <= MAX_DELIVERY_ATTEMPTS_RANGE.max)) {
          report(`${subscription.name}: maxDeliveryAttempts ${policy.maxDeliveryAttempts} is outside ${MAX_DELIVERY_ATTEMPTS_RANGE.min}–${MAX_DELIVERY_ATTEMPTS_RANGE.max}`, subscription.urn);
        }
      }
    },
  }),
  stackPolicy({
    name: "gcp-pubsub-agent-created-first",
    description: "Bindings for the Pub/Sub service agent (dead-lettering) wait for the agent itself (projects.ServiceIdentity): a new project may not have it yet.",
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/iam/docs/create-service-agents",
    validate: ({ resources }, report) => {
      const agents = ofType(resources, T.serviceIdentity).filter((a) => a.props.service === "pubsub.googleapis.com");
      const ours = new Set(ofType(resources, T.account));
      for (const binding of [...ofType(resources, T.topicIam), ...ofType(resources, T.subscriptionIam)]) {
        // A binding whose member is none of our accounts names the agent.
        if (binding.dependencies.some((d) => ours.has(d))) continue;
        if (!binding.dependencies.some((d) => agents.includes(d))) report(`${binding.name} grants ${binding.props.role} to the Pub/Sub service agent without waiting for its ServiceIdentity`, binding.urn);
      }
    },
  }),
  stackPolicy({
    name: "gcp-build-service-account",
    description: "Every function builds as the stack's build identity (buildConfig.serviceAccount), created with its roles before the function.",
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/run/docs/configuring/services/build-service-account",
    validate: ({ resources }, report) => {
      const builders = ofType(resources, T.account).filter((a) => declarationOf(a)?.kind === "builds");
      for (const fn of ofType(resources, T.function)) {
        const builder = builders.find((b) => fn.dependencies.includes(b));
        if (!fn.props.buildConfig?.serviceAccount || !builder) {
          report(`${fn.name} has no build service account: newer projects build with a default account that may lack the build roles`, fn.urn);
          continue;
        }
        const upstream = transitiveDependencies(fn);
        const late = bindingsOf(builder, resources).filter((b) => !upstream.has(b));
        if (late.length > 0) report(`${fn.name} does not wait for its build identity's ${late.map((b) => b.props.role).join(", ")}`, fn.urn);
      }
    },
  }),
  resourcePolicy({
    name: "gcp-no-secret-in-plain-env",
    description: "No secret in a function's plain environment variables: secrets go through secretEnvironmentVariables (Secret Manager references).",
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/run/docs/configuring/services/secrets",
    types: [T.function],
    validate: (props, _args, report) => {
      for (const name of Object.keys(props.serviceConfig?.environmentVariables ?? {})) {
        if (SECRET_NAME.test(name)) report(`environment variable ${name} looks like a secret; reference it through secretEnvironmentVariables`);
      }
    },
  }),
  resourcePolicy({
    name: "gcp-scheduler-attempt-deadline",
    description: `A Cloud Scheduler HTTP job's attempt deadline is ${SCHEDULER_ATTEMPT_DEADLINE_SECONDS.min} s to ${SCHEDULER_ATTEMPT_DEADLINE_SECONDS.max / 60} minutes, and its time zone is set.`,
    enforcementLevel: "mandatory",
    url: "https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#Job",
    types: [T.job],
    validate: (props, _args, report) => {
      if (!props.httpTarget) return;
      const deadline = seconds(props.attemptDeadline);
      const { min, max } = SCHEDULER_ATTEMPT_DEADLINE_SECONDS;
      if (!(deadline >= min && deadline <= max)) report(`attemptDeadline ${props.attemptDeadline} is outside ${min}s–${max}s`);
      if (!props.timeZone) report("no timeZone: the schedule would be read in the default zone, not explicitly UTC");
    },
  }),
];
