/**
 * GCP rules, pure: Cloud Functions (2nd gen), Pub/Sub, IAM and Cloud Logging limits with their
 * sources, the capability → IAM binding table, physical names, and `planGcp`: portable
 * settings in, native settings and recorded decisions out. The component, the local cloud,
 * `npm run plan` and the policy pack all decide with this module; it imports no Pulumi package.
 */
import { sha256Hex } from "../bundle";
import type { Capability } from "../catalog";
import type { FunctionSettings } from "../config";
import { unixCron } from "../schedule";
import { reconcilerRunSettings } from "../../functions/core/reconciler";
import { RECONCILER_BATCH_LIMIT } from "../../functions/gcp/contract";
import { checkFunctions, ComponentArgsError, Decisions, nativeSettingsOf, storeTimeoutMsFor, type FunctionSpec, type SharedResources, type NativeSettings, type PlanInput, type PlannedFunction, type PlatformPlan } from "../platform";

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

export const GCP_RUNTIME = "nodejs22";

/**
 * Memory tiers and the vCPU each gets by default
 * (https://cloud.google.com/functions/docs/configuring/memory).
 */
export const memoryTiers: ReadonlyArray<{ mb: number; vcpu: number }> = [
  { mb: 128, vcpu: 0.083 },
  { mb: 256, vcpu: 0.167 },
  { mb: 512, vcpu: 0.333 },
  { mb: 1024, vcpu: 0.583 },
  { mb: 2048, vcpu: 1 },
  { mb: 4096, vcpu: 2 },
  { mb: 8192, vcpu: 2 },
  { mb: 16384, vcpu: 4 },
  { mb: 32768, vcpu: 8 },
];

/** https://cloud.google.com/functions/docs/configuring/concurrency: at most 1,000; above 1 needs ≥ 1 vCPU. */
export const MAX_REQUEST_CONCURRENCY = 1000;
/** https://cloud.google.com/run/docs/about-concurrency: Cloud Run's default is 80 per vCPU. */
export const CONCURRENCY_PER_VCPU = 80;
/** https://cloud.google.com/functions/docs/configuring/timeout: HTTP functions (2nd gen) run up to 60 minutes. */
export const MAX_HTTP_TIMEOUT_SECONDS = 3600;
/**
 * https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions (ackDeadlineSeconds):
 * 10–600 s; for push it is also the request timeout of the call to the endpoint.
 */
export const ACK_DEADLINE_RANGE = { min: 10, max: 600 } as const;
/** https://cloud.google.com/pubsub/docs/dead-letter-topics: maxDeliveryAttempts is 5–100. */
export const MAX_DELIVERY_ATTEMPTS_RANGE = { min: 5, max: 100 } as const;
/** https://cloud.google.com/pubsub/docs/handling-failures#exponential_backoff: Pub/Sub's default minimum backoff is 10 s (maximum 600 s). */
export const DEFAULT_MINIMUM_BACKOFF_SECONDS = 10;
/**
 * https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions#RetryPolicy:
 * minimumBackoff and maximumBackoff are 0–600 s.
 */
export const PUSH_BACKOFF_RANGE_SECONDS = { min: 0, max: 600 } as const;
/**
 * https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#Job
 * (attemptDeadline): for HTTP targets 15 s to 30 minutes; a request still running at the
 * deadline is cancelled and counted as failed (the function itself keeps running).
 */
export const SCHEDULER_ATTEMPT_DEADLINE_SECONDS = { min: 15, max: 1800 } as const;
/**
 * Cloud Scheduler's time zone is a tz database name
 * (https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#Job, timeZone);
 * `Etc/UTC` is the database's canonical UTC zone, so the schedule never shifts with daylight saving.
 */
export const SCHEDULER_TIME_ZONE = "Etc/UTC";
/**
 * Cloud Scheduler job ids: letters, digits, hyphens and underscores, at most 500
 * (https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#Job, name).
 */
export const SCHEDULER_JOB_NAME = { max: 500, pattern: /^[A-Za-z0-9_-]{1,500}$/ } as const;
/** https://cloud.google.com/logging/docs/routing/overview#default-bucket: `_Default` keeps logs 30 days. */
export const DEFAULT_LOG_RETENTION_DAYS = 30;
/**
 * https://cloud.google.com/pubsub/docs/dead-letter-topics: messages published to a topic with no
 * subscription are lost, so the dead-letter topic gets one that keeps them 7 days.
 */
export const DEAD_LETTER_RETENTION = "604800s";

/** APIs every function needs (https://cloud.google.com/functions/docs/tutorials/terraform#enable-apis). */
export const requiredApis = [
  "cloudfunctions.googleapis.com",
  "run.googleapis.com",
  "cloudbuild.googleapis.com",
  "artifactregistry.googleapis.com",
  "storage.googleapis.com",
  "iam.googleapis.com",
] as const;

/** The API of each shared resource, enabled only when the component creates that resource. */
export const sharedResourceApis = {
  usersStore: "firestore.googleapis.com",
  events: "pubsub.googleapis.com",
  apiKey: "secretmanager.googleapis.com",
} as const satisfies Record<keyof SharedResources, string>;

/** The APIs a component of these shared resources uses. */
export function apisFor(shared: SharedResources): string[] {
  return [...requiredApis, ...(Object.keys(sharedResourceApis) as (keyof SharedResources)[]).filter((resource) => shared[resource]).map((resource) => sharedResourceApis[resource])];
}

/**
 * Enabled only when a schedule function is deployed: Cloud Scheduler jobs need it
 * (https://cloud.google.com/scheduler/docs/setup), and each job waits for it.
 */
export const SCHEDULER_API = "cloudscheduler.googleapis.com";

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/**
 * Physical-name rules, each from the service's reference:
 * - component name: prefixes function, topic and database names, so it must start them validly;
 * - Cloud Function name: at most 63 of a-z, 0-9 and "-", starting with a letter
 *   (https://cloud.google.com/functions/docs/reference/rest/v2/projects.locations.functions);
 * - service account id: 6–30 of `[a-z][a-z0-9-]*[a-z0-9]` (https://cloud.google.com/iam/docs/service-accounts-create#creating);
 * - Firestore database id: 4–63 of a-z, 0-9 and "-" (the provider's docs);
 * - label keys and values: lower-case letters, digits, `_` and `-`, at most 63
 *   (https://cloud.google.com/resource-manager/docs/labels-overview#requirements).
 */
export const gcpNameRules = {
  component: { pattern: /^[a-z][a-z0-9-]*$/ },
  cloudFunction: { max: 63, pattern: /^[a-z][a-z0-9-]{0,61}[a-z0-9]$/ },
  serviceAccount: { min: 6, max: 30 },
  firestoreDatabase: { max: 63 },
  label: { max: 63 },
} as const;

export const functionNameFor = (component: string, fn: string) => `${component}-${fn}`;

/** Service account ids, shortened with a stable hash past 30 characters so that two functions never share one. */
export function serviceAccountId(base: string): string {
  const { min, max } = gcpNameRules.serviceAccount;
  const cleaned = base.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^[^a-z]+/, "");
  // Stryker disable next-line EqualityOperator: `<=` is equivalent (6 characters padded and cut to 6 are the same 6); `>=` is not, and "pads a service account id below 6 characters" kills it (checked by hand)
  const padded = cleaned.length < min ? `${cleaned}-sa-id`.slice(0, min) : cleaned;
  if (padded.length <= max) return padded.replace(/-+$/, "0");
  return `${padded.slice(0, max - 7).replace(/-+$/, "")}-${sha256Hex(base).slice(0, 6)}`;
}

export const functionAccountId = (component: string, fn: string) => serviceAccountId(`${component}-${fn}`);
export const pushAccountId = (component: string) => serviceAccountId(`${component}-push`);
export const buildAccountId = (component: string) => serviceAccountId(`${component}-build`);
/** The identity Cloud Scheduler invokes one schedule function with (one per function, so it can invoke that one only). */
export const schedulerAccountId = (component: string, fn: string) => serviceAccountId(`${component}-${fn}-cron`);

/**
 * Artifact Registry repository ids: kept to lower-case letters, digits and hyphens, starting with
 * a letter, at most 63. NOT verified: the pages searched here (the provider's typings, the
 * Artifact Registry docs in the search index) state no limit; this is the conservative shape of
 * the other Google resource ids above. A real deploy confirms it.
 */
export const ARTIFACT_REPOSITORY = { max: 63, pattern: /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/ } as const;

export function artifactRepositoryId(component: string): string {
  const id = `${component}-functions`;
  return id.length <= ARTIFACT_REPOSITORY.max ? id : `${id.slice(0, ARTIFACT_REPOSITORY.max - 7).replace(/-+$/, "")}-${sha256Hex(id).slice(0, 6)}`;
}

export function firestoreDatabaseId(component: string): string {
  const id = `${component}-users`;
  const { max } = gcpNameRules.firestoreDatabase;
  return id.length <= max ? id : `${id.slice(0, max - 7).replace(/-+$/, "")}-${sha256Hex(id).slice(0, 6)}`;
}

/** Every stack-wide physical name of one component. */
export interface GcpResourceNames {
  database: string;
  eventsTopic: string;
  deadLetterTopic: string;
  /** Keeps dead-lettered messages (see DEAD_LETTER_RETENTION). */
  deadLetterSubscription: string;
  pushSubscription: string;
  apiKeySecret: string;
  pushAccountId: string;
  /** The identity Cloud Build builds every function's image with (`buildConfig.serviceAccount`). */
  buildAccountId: string;
  /** The Docker repository the builds push images to (`buildConfig.dockerRepository`). */
  artifactRepository: string;
}

export function gcpResourceNames(component: string): GcpResourceNames {
  return {
    database: firestoreDatabaseId(component),
    eventsTopic: `${component}-events`,
    deadLetterTopic: `${component}-events-dead-letter`,
    deadLetterSubscription: `${component}-events-dead-letter`,
    pushSubscription: `${component}-events-push`,
    apiKeySecret: `${component}-api-key`,
    pushAccountId: pushAccountId(component),
    buildAccountId: buildAccountId(component),
    artifactRepository: artifactRepositoryId(component),
  };
}

/** Tags as labels: keys and values lower-cased, characters GCP rejects become `_`. */
export function gcpLabels(tags: Record<string, string>): Record<string, string> {
  const clean = (value: string) => value.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, gcpNameRules.label.max);
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [clean(key).replace(/^[^a-z]+/, "") || "tag", clean(value)]));
}

// ---------------------------------------------------------------------------------------------
// Capabilities → IAM bindings
// ---------------------------------------------------------------------------------------------

/** The resources a binding can name. */
export type GcpGrantTarget = "database" | "eventsTopic" | "apiKeySecret" | "queueFunctionService";
/** Who is bound: the function's own service account, or the push identity that invokes it. */
export type GcpPrincipal = "function" | "push identity";

/**
 * The narrowest binding GCP offers per capability:
 * - users.read → roles/datastore.viewer (get), users.listPending → roles/datastore.viewer too
 *   (a query needs datastore.entities.list; IAM cannot narrow a Firestore grant to one field or
 *   query, so the plan warns that the mapping is inexact), users.create / users.update → roles/datastore.user
 *   (transactions need datastore.databases.get, create needs datastore.entities.create, update
 *   datastore.entities.update: https://cloud.google.com/firestore/docs/security/iam), granted
 *   at project level (Firestore has no finer IAM resource) with a condition naming the
 *   database (https://cloud.google.com/firestore/docs/security/iam#iam_conditions);
 * - events.publish → roles/pubsub.publisher on the events topic;
 * - events.consume → roles/run.invoker on the function's own Cloud Run service, for the push
 *   identity only (push subscriptions deliver by invoking the function;
 *   https://cloud.google.com/run/docs/triggering/pubsub-push);
 * - apiKey.read → roles/secretmanager.secretAccessor on the API key secret.
 */
export const gcpCapabilityBindings: Record<Capability, { role: string; target: GcpGrantTarget; principal: GcpPrincipal }> = {
  "users.read": { role: "roles/datastore.viewer", target: "database", principal: "function" },
  "users.create": { role: "roles/datastore.user", target: "database", principal: "function" },
  "users.update": { role: "roles/datastore.user", target: "database", principal: "function" },
  "users.listPending": { role: "roles/datastore.viewer", target: "database", principal: "function" },
  "events.publish": { role: "roles/pubsub.publisher", target: "eventsTopic", principal: "function" },
  "events.consume": { role: "roles/run.invoker", target: "queueFunctionService", principal: "push identity" },
  "apiKey.read": { role: "roles/secretmanager.secretAccessor", target: "apiKeySecret", principal: "function" },
};

/** One IAM binding: a role on one resource, and the capabilities it serves. */
export interface GcpCompiledBinding<T> {
  role: string;
  target: GcpGrantTarget;
  principal: GcpPrincipal;
  capabilities: Capability[];
  /** The exact resource (resource name), as `resourceOf` gave it. */
  resource: T;
}

/**
 * Compiles one function's declared capabilities into the bindings `principal` holds.
 * Capabilities that need the same role on the same resource share one binding. The
 * component binds in two passes (the function's own account before the function exists,
 * the push identity after), so resources are asked for only when a binding needs them.
 */
export function compileGcpBindings<T>(capabilities: readonly Capability[], principal: GcpPrincipal, resourceOf: (target: GcpGrantTarget) => T): GcpCompiledBinding<T>[] {
  const bindings: GcpCompiledBinding<T>[] = [];
  for (const capability of capabilities) {
    const rule = gcpCapabilityBindings[capability];
    if (rule.principal !== principal) continue;
    const same = bindings.find(
      (b) =>
        b.role === rule.role &&
        // Stryker disable next-line ConditionalExpression: forced true is equivalent while gcpCapabilityBindings binds each role on one target only; kept so that a role added on a second target gets its own binding
        b.target === rule.target,
    );
    if (same) {
      if (!same.capabilities.includes(capability)) same.capabilities.push(capability);
    } else {
      bindings.push({ ...rule, capabilities: [capability], resource: resourceOf(rule.target) });
    }
  }
  return bindings;
}

/**
 * What the build identity's bindings name: the project (logs), the image repository, and
 * Cloud Functions' own source bucket (a project-level binding with a condition naming it).
 */
export type GcpBuildTarget = "project" | "artifactRepository" | "functionSourcesBucket";

/**
 * The roles Cloud Build needs to build a 2nd-gen function with a user-specified build service
 * account (https://cloud.google.com/run/docs/configuring/services/build-service-account,
 * "Required roles"; the same list in https://cloud.google.com/functions/1stgendocs/securing/build-custom-sa):
 * - roles/logging.logWriter: build logs. Log entries are written to the project; no finer resource exists.
 * - roles/artifactregistry.writer: push the image, on the component's own repository only
 *   (`buildConfig.dockerRepository`; without it builds use `gcf-artifacts`, which Google creates
 *   on the first deploy, so no binding could name it beforehand).
 * - roles/storage.objectViewer on Cloud Functions' own bucket `gcf-v2-sources-<PROJECT_NUMBER>-<region>`:
 *   Cloud Functions copies `storageSource` there and the build fetches it from there as the build
 *   identity ("failed to download archive gs://gcf-v2-sources-…: Access to bucket gcf-v2-sources-…
 *   denied. You must grant Storage Object Viewer permission to <build account>",
 *   hashicorp/terraform-provider-google#20571; https://cloud.google.com/functions/docs/building).
 *   Google creates that bucket on the first deploy, so no bucket-level binding can name it
 *   beforehand: the binding is project-level, as in the provider's own example
 *   (GoogleCloudPlatform/magic-modules `cloudfunctions2_basic_builder`, which grants
 *   roles/storage.objectAdmin project-wide), narrowed by an IAM condition to that one bucket
 *   and its objects (`functionSourcesCondition`). The build never reads parity's own source
 *   bucket (Cloud Functions' service agent copies from it), so that bucket grants it nothing.
 */
export const gcpBuildBindings: ReadonlyArray<{ role: string; target: GcpBuildTarget; reason: string }> = [
  { role: "roles/logging.logWriter", target: "project", reason: "write build logs" },
  { role: "roles/artifactregistry.writer", target: "artifactRepository", reason: "push the function's image" },
  { role: "roles/storage.objectViewer", target: "functionSourcesBucket", reason: "read the function's source where Cloud Functions copied it" },
];

/** Cloud Functions' (2nd gen) own source bucket in a project and region (https://cloud.google.com/functions/docs/building). */
export const functionSourcesBucket = (projectNumber: string, region: string) => `gcf-v2-sources-${projectNumber}-${region}`;

/**
 * The IAM condition that limits a project-level Cloud Storage role to one bucket and its
 * objects. Cloud Storage resource names in conditions are `projects/_/buckets/<bucket>` and
 * `projects/_/buckets/<bucket>/objects/<object>`
 * (https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-name). Not a bare
 * prefix on the bucket name: `…-europe-west1` is a prefix of `…-europe-west10`.
 */
export const functionSourcesCondition = (projectNumber: string, region: string) => {
  const bucket = `projects/_/buckets/${functionSourcesBucket(projectNumber, region)}`;
  return `resource.name == "${bucket}" || resource.name.startsWith("${bucket}/objects/")`;
};

/** True for exactly the condition `functionSourcesCondition` writes (the policy pack accepts no other project-wide storage grant). */
export const isFunctionSourcesCondition = (expression: string) =>
  /^resource\.name == "projects\/_\/buckets\/(gcf-v2-sources-\d+-[a-z0-9-]+)" \|\| resource\.name\.startsWith\("projects\/_\/buckets\/\1\/objects\/"\)$/.test(expression);

/**
 * How long a new function waits after its runtime identity's and the build identity's bindings
 * are made. IAM changes "typically propagate in 2 minutes, but could potentially take 7 minutes
 * or longer" (https://cloud.google.com/iam/docs/access-change-propagation); the provider's own
 * example waits 60 s after the builder grants ("builder permissions need to stabilize before it
 * can pull the source zip", magic-modules `cloudfunctions2_basic_builder`). A build that starts
 * before the grants hold fails the deploy, and a revision whose identity cannot yet read its
 * secret fails to start (https://cloud.google.com/run/docs/configuring/services/secrets), so
 * the typical 2 minutes; the wait happens again only when a binding changes.
 */
export const IAM_PROPAGATION_SECONDS = 120;

/** The resource name of a Firestore database, what a binding's condition compares. */
export const firestoreDatabaseResource = (project: string, database: string) => `projects/${project}/databases/${database}`;

/** The IAM condition that limits a project-level Firestore role to one database. */
export const firestoreDatabaseCondition = (databaseResource: string) => `resource.name == "${databaseResource}"`;

// ---------------------------------------------------------------------------------------------
// Settings → native knobs
// ---------------------------------------------------------------------------------------------

export interface GcpQueueSettings {
  /** Pub/Sub push sends one message per request (https://cloud.google.com/pubsub/docs/push). */
  messagesPerRequest: 1;
  ackDeadlineSeconds: number;
  maxDeliveryAttempts: number;
  minimumBackoff: string;
  maximumBackoff: string;
  /** The largest burst the retry policy lets the worker drain with no good message dead-lettered. */
  burstTolerated: number;
}

/** A schedule function's Cloud Scheduler job. */
export interface GcpScheduleSettings {
  jobName: string;
  /** Unix cron, 5 fields (components/schedule.ts `unixCron`). */
  expression: string;
  timeZone: typeof SCHEDULER_TIME_ZONE;
  /** `<seconds>s`: how long one attempt may wait for the function's answer. */
  attemptDeadline: string;
  /** 0: the next tick is the retry. */
  retryCount: 0;
  /** The identity the job's OIDC token names; it may invoke this function only. */
  schedulerAccountId: string;
  /** The reconciler's run settings (functions/core/reconciler.ts), set as environment variables. */
  run: { graceSeconds: number; timeBudgetSeconds: number };
}

/** One function's settings as Cloud Functions (and, for the queue function, push subscription) knobs. */
export interface GcpNativeSettings {
  functionName: string;
  serviceAccountId: string;
  availableMemory: string;
  /** Set only when per-instance concurrency needs at least one whole vCPU. */
  availableCpu?: string;
  timeoutSeconds: number;
  maxInstanceCount: number;
  maxInstanceRequestConcurrency: number;
  minInstanceCount: number;
  /**
   * Who may reach the function at the network level: the HTTP function is public (the API key
   * guards it); the queue and schedule functions take only internal traffic, which is what Pub/Sub
   * push and Cloud Scheduler are when they call the service's run.app URL in the same project
   * (https://cloud.google.com/run/docs/securing/ingress, "Internal"). IAM (run.invoker) still applies.
   */
  ingressSettings: "ALLOW_ALL" | "ALLOW_INTERNAL_ONLY";
  /** Set on publishers: how long one publish may take, retries included (PUBLISH_TIMEOUT_MS). */
  publishTimeoutMs?: number;
  /** Set on functions that use the users store: how long one store operation may take, retries included (STORE_TIMEOUT_MS). */
  storeTimeoutMs?: number;
  queue?: GcpQueueSettings;
  schedule?: GcpScheduleSettings;
}

export type GcpPlannedFunction = PlannedFunction<GcpNativeSettings>;

/** Everything `GcpFunctions` decides before creating a resource. */
export interface GcpPlan extends PlatformPlan<GcpPlannedFunction> {
  /** The HTTP function, the component's endpoint. */
  httpFunction?: GcpPlannedFunction;
  /** The queue function, which the push subscription invokes. */
  queueFunction?: GcpPlannedFunction;
  /** The schedule functions, each invoked by its own Cloud Scheduler job. */
  scheduleFunctions: GcpPlannedFunction[];
  /** What Cloud Logging keeps (stack-wide: the `_Default` bucket). */
  logRetentionDays: number;
  protectData: boolean;
  names: GcpResourceNames;
}

/** Checks the input, then decides every native value; throws a `ComponentArgsError` on args GCP cannot deploy. */
export function planGcp(input: PlanInput): GcpPlan {
  checkGcpInput(input);
  const decisions = new Decisions("gcp");
  const publishBurst = gcpPublishBurst(input.functions);
  const functions = input.functions.map((spec): GcpPlannedFunction => ({
    ...spec,
    native: gcpSettingsFor(input.name, spec.definition, spec.settings, decisions, { publishBurst }),
  }));
  for (const fn of functions) {
    if (fn.definition.capabilities.includes("users.listPending")) {
      decisions.adjust(
        fn.definition.name,
        "users.listPending",
        "the users store's pending index only",
        "roles/datastore.viewer on the users database",
        "Google Cloud IAM cannot narrow a Firestore grant to one field or query; the role reads the whole database",
      );
    }
  }
  return {
    functions,
    httpFunction: functions.find((f) => f.definition.trigger.kind === "http"),
    queueFunction: functions.find((f) => f.definition.trigger.kind === "queue"),
    scheduleFunctions: functions.filter((f) => f.definition.trigger.kind === "schedule"),
    logRetentionDays: gcpLogRetention(input.logRetentionDays, decisions),
    protectData: input.protectData,
    names: gcpResourceNames(input.name),
    warnings: decisions.warnings,
  };
}

/** The memory tier (with its vCPU) Cloud Functions runs `memoryMb` in: the smallest at or above it, else the largest. */
export function gcpMemoryTier(memoryMb: number): { mb: number; vcpu: number } {
  return memoryTiers.find((t) => t.mb >= memoryMb) ?? memoryTiers[memoryTiers.length - 1];
}

/** The smallest memory tier ≥ the asked memory; anything else is warned about. */
export function gcpMemoryFor(fn: string, memoryMb: number, decisions: Decisions): { mb: number; vcpu: number } {
  const tier = gcpMemoryTier(memoryMb);
  if (tier.mb !== memoryMb) {
    // https://cloud.google.com/functions/docs/configuring/memory: memory comes in fixed tiers.
    decisions.adjust(fn, "memoryMb", memoryMb, tier.mb, "Cloud Functions memory comes in tiers; the next tier up was applied");
  }
  return tier;
}

/**
 * reservedConcurrency → maxInstanceCount × maxInstanceRequestConcurrency, exactly.
 * Below 1 vCPU an instance serves one request at a time, so max instances = reserved.
 * With ≥ 1 vCPU an instance serves the largest divisor of `reserved` that is at most 80
 * per vCPU (Cloud Run's default), so the product equals `reserved`.
 */
export function gcpConcurrencyFor(reserved: number, vcpu: number): { maxInstanceCount: number; maxInstanceRequestConcurrency: number } {
  if (vcpu < 1) return { maxInstanceCount: reserved, maxInstanceRequestConcurrency: 1 };
  const ceiling = Math.min(MAX_REQUEST_CONCURRENCY, Math.floor(CONCURRENCY_PER_VCPU * vcpu), reserved);
  let perInstance = ceiling;
  while (reserved % perInstance !== 0) perInstance--;
  return { maxInstanceCount: reserved / perInstance, maxInstanceRequestConcurrency: perInstance };
}

/** Maps one function's portable settings to native knobs, recording every inexact value. */
export function gcpSettingsFor(
  component: string,
  definition: PlannedFunction["definition"],
  settings: FunctionSettings,
  decisions: Decisions,
  context: { publishBurst: number } = { publishBurst: 1 },
): GcpNativeSettings {
  const fn = definition.name;
  const memory = gcpMemoryFor(fn, settings.memoryMb, decisions);
  const concurrency = gcpConcurrencyFor(settings.reservedConcurrency, memory.vcpu);
  const timeoutSeconds = decisions.clamp(fn, "timeoutSeconds", settings.timeoutSeconds, 1, MAX_HTTP_TIMEOUT_SECONDS, "Cloud Functions HTTP timeout is 1–3600 s");
  const minInstanceCount = decisions.clamp(
    fn,
    "warmInstances",
    settings.warmInstances,
    0,
    concurrency.maxInstanceCount,
    `min instances cannot exceed max instances (${concurrency.maxInstanceCount} at ${concurrency.maxInstanceRequestConcurrency} requests each)`,
  );
  return {
    functionName: functionNameFor(component, fn),
    serviceAccountId: functionAccountId(component, fn),
    availableMemory: `${memory.mb}Mi`,
    availableCpu: concurrency.maxInstanceRequestConcurrency > 1 ? String(memory.vcpu) : undefined,
    timeoutSeconds,
    ...concurrency,
    minInstanceCount,
    ingressSettings: definition.trigger.kind === "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY",
    // Half the timeout: a publish to an unreachable Pub/Sub gives up while the function can still
    // answer (the core keeps the user; the reconciler re-publishes it).
    publishTimeoutMs: definition.capabilities.includes("events.publish") ? Math.max(1000, timeoutSeconds * 500) : undefined,
    // 40 % of the timeout (components/platform.ts): the store deadline answers before Cloud
    // Functions answers 504 at the timeout (https://cloud.google.com/functions/docs/configuring/timeout).
    storeTimeoutMs: storeTimeoutMsFor(definition.capabilities, timeoutSeconds),
    queue:
      definition.trigger.kind === "queue"
        ? gcpQueueSettingsFor(fn, settings, timeoutSeconds, decisions, { capacity: concurrency.maxInstanceCount * concurrency.maxInstanceRequestConcurrency, burst: context.publishBurst })
        : undefined,
    schedule: definition.trigger.kind === "schedule" ? gcpScheduleSettingsFor(component, fn, settings, timeoutSeconds, decisions) : undefined,
  };
}

/**
 * The most events the publishers can put on the topic at once: an HTTP function one per
 * request in flight (its reservedConcurrency), a schedule function (the reconciler) one per
 * re-published user, up to its batch limit per run. The push retry policy is sized for it.
 */
export function gcpPublishBurst(functions: readonly FunctionSpec[]): number {
  const bursts = functions
    .filter((f) => f.definition.capabilities.includes("events.publish"))
    .map((f) => (f.definition.trigger.kind === "schedule" ? RECONCILER_BATCH_LIMIT : f.settings.reservedConcurrency));
  return Math.max(1, ...bursts);
}

/**
 * Throttling alone must never dead-letter a good message. The worker accepts at most
 * `capacity` pushes at once (max instances × requests per instance); Cloud Run answers the
 * rest 429, and Pub/Sub counts each as a failed delivery attempt
 * (https://cloud.google.com/pubsub/docs/push ("a non-success response indicates that Pub/Sub must resend"), https://cloud.google.com/run/docs/about-instance-autoscaling).
 *
 * Reasoning, for a burst of `burst` messages arriving at once:
 * - with minimumBackoff ≥ the worker's timeout, a throttled message comes back no sooner than
 *   an instance can have finished the message it was busy with, so every retry round admits
 *   at least `capacity` messages (the backoff only grows from there, up to maximumBackoff);
 * - the burst therefore drains within ⌈burst / capacity⌉ attempts per message, and
 *   maxDeliveryAttempts is raised to that (never lowered below what was asked, at most 100);
 * - what is left is a burst larger than 100 × capacity, which is warned about.
 * The cost: a poison message is retried that many times, with that backoff, before it is
 * dead-lettered. Both choices are warned about so that an operator sees them.
 */
export function gcpPushRetryFor(
  fn: string,
  input: { capacity: number; timeoutSeconds: number; maxAttempts: number; burst: number },
  decisions: Decisions,
): { maxDeliveryAttempts: number; minimumBackoffSeconds: number; maximumBackoffSeconds: number; burstTolerated: number } {
  const maximumBackoffSeconds = PUSH_BACKOFF_RANGE_SECONDS.max;
  const minimumBackoffSeconds = Math.min(maximumBackoffSeconds, Math.max(DEFAULT_MINIMUM_BACKOFF_SECONDS, input.timeoutSeconds));
  const rounds = Math.ceil(input.burst / input.capacity);
  const maxDeliveryAttempts = Math.min(MAX_DELIVERY_ATTEMPTS_RANGE.max, Math.max(input.maxAttempts, rounds));
  const burstTolerated = maxDeliveryAttempts * input.capacity;
  if (minimumBackoffSeconds !== DEFAULT_MINIMUM_BACKOFF_SECONDS) {
    decisions.adjust(
      fn,
      "push retry minimumBackoff",
      `${DEFAULT_MINIMUM_BACKOFF_SECONDS}s (Pub/Sub's default)`,
      `${minimumBackoffSeconds}s`,
      `a push throttled at the worker's ${input.capacity} concurrent requests comes back no sooner than the worker's ${input.timeoutSeconds} s timeout, so each retry round finds the instances free`,
    );
  }
  if (maxDeliveryAttempts !== input.maxAttempts) {
    decisions.adjust(
      fn,
      "maxAttempts",
      input.maxAttempts,
      maxDeliveryAttempts,
      `a burst of ${input.burst} events (the largest publisher's) at ${input.capacity} concurrent pushes needs ${rounds} attempts when throttled; a poison message is retried as often before it is dead-lettered`,
    );
  }
  if (burstTolerated < input.burst) {
    decisions.adjust(
      fn,
      "throttling headroom",
      `${input.burst} events`,
      `${burstTolerated} events`,
      "Pub/Sub allows at most 100 delivery attempts: a larger burst can dead-letter good messages; raise the worker's reservedConcurrency",
    );
  }
  return { maxDeliveryAttempts, minimumBackoffSeconds, maximumBackoffSeconds, burstTolerated };
}

/** A schedule function's Cloud Scheduler job settings, recording what the job cannot express exactly. */
export function gcpScheduleSettingsFor(component: string, fn: string, settings: FunctionSettings, timeoutSeconds: number, decisions: Decisions): GcpScheduleSettings {
  const everyMinutes = settings.everyMinutes!;
  const { min, max } = SCHEDULER_ATTEMPT_DEADLINE_SECONDS;
  // The attempt waits as long as the function may run. A shorter deadline would count a run still
  // going as failed (and, with retries, start another beside it); retryCount 0 and the run's own
  // time budget (80 % of the timeout) keep runs from overlapping through retries.
  const deadline = decisions.clamp(fn, "timeoutSeconds (scheduler attempt deadline)", timeoutSeconds, min, max, "Cloud Scheduler HTTP attempt deadlines are 15 s to 30 min; a run longer than the deadline is counted failed while it still runs");
  return {
    jobName: functionNameFor(component, fn),
    expression: unixCron(everyMinutes),
    timeZone: SCHEDULER_TIME_ZONE,
    attemptDeadline: `${deadline}s`,
    retryCount: 0,
    schedulerAccountId: schedulerAccountId(component, fn),
    run: reconcilerRunSettings(everyMinutes, timeoutSeconds),
  };
}

/** Push subscription settings; `checkFunctions` has guaranteed batchSize and maxAttempts. */
export function gcpQueueSettingsFor(
  fn: string,
  settings: FunctionSettings,
  timeoutSeconds: number,
  decisions: Decisions,
  throttling: { capacity: number; burst: number },
): GcpQueueSettings {
  if (settings.batchSize !== 1) {
    decisions.adjust(fn, "batchSize", settings.batchSize!, 1, "Pub/Sub push delivers one message per request; there is no batch size");
  }
  // The push request must be allowed to run as long as the function may.
  const ackDeadlineSeconds = decisions.clamp(
    fn,
    "timeoutSeconds (push ack deadline)",
    timeoutSeconds,
    ACK_DEADLINE_RANGE.min,
    ACK_DEADLINE_RANGE.max,
    "a subscription's ack deadline is 10–600 s",
  );
  const maxDeliveryAttempts = decisions.clamp(
    fn,
    "maxAttempts",
    settings.maxAttempts!,
    MAX_DELIVERY_ATTEMPTS_RANGE.min,
    MAX_DELIVERY_ATTEMPTS_RANGE.max,
    "Pub/Sub maxDeliveryAttempts is 5–100",
  );
  const retry = gcpPushRetryFor(fn, { ...throttling, timeoutSeconds, maxAttempts: maxDeliveryAttempts }, decisions);
  return {
    messagesPerRequest: 1,
    ackDeadlineSeconds,
    maxDeliveryAttempts: retry.maxDeliveryAttempts,
    minimumBackoff: `${retry.minimumBackoffSeconds}s`,
    maximumBackoff: `${retry.maximumBackoffSeconds}s`,
    burstTolerated: retry.burstTolerated,
  };
}

/** The most push requests a function accepts at once: its instances × requests per instance. */
export function gcpPushConcurrency(native: Pick<GcpNativeSettings, "maxInstanceCount" | "maxInstanceRequestConcurrency">): number {
  return native.maxInstanceCount * native.maxInstanceRequestConcurrency;
}

/** Function logs go to the project's `_Default` bucket: anything but its 30 days is warned about and not applied. */
export function gcpLogRetention(asked: number, decisions: Decisions): number {
  if (asked === DEFAULT_LOG_RETENTION_DAYS) return asked;
  return decisions.adjust("*", "logRetentionDays", asked, DEFAULT_LOG_RETENTION_DAYS, "function logs go to the project's _Default log bucket; Cloud Logging has no per-function retention");
}

/** The native values of one planned function, flat, for `npm run plan`. */
export function gcpNativeSummary(fn: GcpPlannedFunction): NativeSettings {
  const n = fn.native;
  return nativeSettingsOf({
    availableMemory: n.availableMemory,
    availableCpu: n.availableCpu,
    timeoutSeconds: n.timeoutSeconds,
    maxInstanceCount: n.maxInstanceCount,
    maxInstanceRequestConcurrency: n.maxInstanceRequestConcurrency,
    minInstanceCount: n.minInstanceCount,
    ackDeadlineSeconds: n.queue?.ackDeadlineSeconds,
    maxDeliveryAttempts: n.queue?.maxDeliveryAttempts,
    minimumBackoff: n.queue?.minimumBackoff,
    maximumBackoff: n.queue?.maximumBackoff,
    burstTolerated: n.queue?.burstTolerated,
    schedule: n.schedule?.expression,
    timeZone: n.schedule?.timeZone,
    attemptDeadline: n.schedule?.attemptDeadline,
    retryCount: n.schedule?.retryCount,
  });
}

/** Rejects input this component cannot deploy, with a sentence the user can act on. */
export function checkGcpInput(input: PlanInput): void {
  checkFunctions("gcp", input.name, input.functions);
  const fail = (sentence: string) => {
    throw new ComponentArgsError("gcp", input.name, sentence);
  };
  if (!gcpNameRules.component.pattern.test(input.name)) {
    fail('the name must start with a lower-case letter and hold only a-z, 0-9 and "-", because it prefixes function, topic and database names.');
  }
  for (const fn of input.functions) {
    const functionName = functionNameFor(input.name, fn.definition.name);
    if (!gcpNameRules.cloudFunction.pattern.test(functionName)) {
      fail(`function name "${functionName}" must be 2–${gcpNameRules.cloudFunction.max} characters of a-z, 0-9 and "-", starting with a letter; shorten the component or function name.`);
    }
  }
}
