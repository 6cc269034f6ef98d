/**
 * `GcpFunctions`: the catalog's functions on Cloud Functions (2nd gen), with their users
 * database (Firestore, native mode), events topic, push subscription and dead-letter topic
 * (Pub/Sub), API key (Secret Manager), one service account per function with IAM bindings
 * compiled from its declared capabilities, and the source bucket holding the bundles.
 *
 * Mapping rules (portable settings → Cloud Functions / Pub/Sub knobs, capability → IAM
 * binding) are the exported pure functions below the class; every limit cites its source.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { entryPointName } from "../functions/gcp/entry-point";
import { bundleArchive, projectRoot, type Bundle } from "./bundle";
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

export interface GcpFunctionsArgs extends PlatformFunctionsArgs {
  /**
   * The functions to deploy. Each becomes a Cloud Function (2nd gen, nodejs22) named
   * `<component name>-<function name>` with its own service account. HTTP functions are
   * public (the API key guards the users API); the queue function is invoked only by the
   * events push subscription's identity.
   * @example
   * functions: deploymentsFor(config, "gcp")
   */
  functions: FunctionDeployment[];
  /**
   * The API key. Stored as a Secret Manager secret; functions that declare `apiKey.read`
   * get it as the secret environment variable `API_KEY` (the function configuration holds
   * only the secret reference). Pass a secret Output.
   * @example
   * apiKey: new pulumi.Config("parity").requireSecret("apiKey")
   */
  apiKey: pulumi.Input<string>;
  /**
   * Days logs are kept. Cloud Logging keeps function logs in the project's `_Default` log
   * bucket (30 days) and has no per-function retention, so any other value is reported as
   * a warning and not applied.
   * @default 7
   * @example
   * logRetentionDays: 30
   */
  logRetentionDays?: number;
  /**
   * Deletion protection and point-in-time recovery on the Firestore database; with it, the
   * database is abandoned rather than deleted when the stack is destroyed.
   * @default false
   * @example
   * protectData: pulumi.getStack() === "prod"
   */
  protectData?: boolean;
  /**
   * Labels applied to every resource that takes labels (keys and values are lower-cased
   * and characters GCP rejects become `_`).
   * @default {}
   * @example
   * tags: { project: "parity", stack: pulumi.getStack() }
   */
  tags?: Record<string, string>;
  /**
   * Region of the functions, the source bucket and (unless `firestoreLocation` is given)
   * the Firestore database.
   * @default the provider's region (`gcp:region`)
   * @example
   * region: "europe-west1"
   */
  region?: pulumi.Input<string>;
  /**
   * Project to deploy into.
   * @default the provider's project (`gcp:project`)
   * @example
   * project: "parity-dev"
   */
  project?: pulumi.Input<string>;
  /**
   * Firestore location (a region such as `europe-west1` or a multi-region such as `eur3`;
   * https://cloud.google.com/firestore/docs/locations).
   * @default `region`
   * @example
   * firestoreLocation: "eur3"
   */
  firestoreLocation?: pulumi.Input<string>;
  /**
   * Turn on the APIs the component needs (`projects.Service`). Turn it off when a platform
   * team enables APIs centrally. APIs are never disabled on destroy.
   * @default true
   * @example
   * enableApis: false
   */
  enableApis?: boolean;
}

/** A grant of a GCP component: the binding's member is recorded too. */
export interface GcpGrant extends Grant {
  /** The principal bound, e.g. `serviceAccount:parity-dev-users-api@….iam.gserviceaccount.com`. */
  member: pulumi.Output<string>;
}

/** A binding the platform itself needs (not a function's capability), with why. */
export interface GcpSupportBinding {
  member: pulumi.Output<string>;
  role: string;
  resource: pulumi.Output<string>;
  reason: string;
}

/** One function's deployed resources. */
export interface GcpFunctionNodes {
  serviceAccount: gcp.serviceaccount.Account;
  source: gcp.storage.BucketObject;
  function: gcp.cloudfunctionsv2.Function;
}

/** APIs the component uses (https://cloud.google.com/functions/docs/tutorials/terraform#enable-apis). */
export const requiredApis = [
  "cloudfunctions.googleapis.com",
  "run.googleapis.com",
  "cloudbuild.googleapis.com",
  "artifactregistry.googleapis.com",
  "storage.googleapis.com",
  "firestore.googleapis.com",
  "pubsub.googleapis.com",
  "secretmanager.googleapis.com",
  "iam.googleapis.com",
] as const;

export class GcpFunctions extends pulumi.ComponentResource implements PlatformOutputs {
  readonly endpoint: pulumi.Output<string> | undefined;
  readonly queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> };
  readonly functionNames: Record<string, pulumi.Output<string>>;
  readonly grants: GcpGrant[] = [];
  readonly warnings: SettingWarning[];
  /** Bindings for Google's service agents and the push identity that dead-lettering and authenticated push need. */
  readonly supportBindings: GcpSupportBinding[] = [];

  readonly apis: gcp.projects.Service[];
  readonly usersDatabase: gcp.firestore.Database;
  readonly sourceBucket: gcp.storage.Bucket;
  readonly apiKeySecret: gcp.secretmanager.Secret;
  readonly apiKeySecretVersion: gcp.secretmanager.SecretVersion;
  readonly eventsTopic: gcp.pubsub.Topic;
  readonly eventsDeadLetterTopic: gcp.pubsub.Topic;
  /** Keeps dead-lettered messages: a topic without subscriptions drops what it receives. */
  readonly eventsDeadLetterSubscription: gcp.pubsub.Subscription;
  /** The identity whose OIDC token authenticates push deliveries to the queue function. */
  readonly pushIdentity: gcp.serviceaccount.Account | undefined;
  readonly eventsPushSubscription: gcp.pubsub.Subscription | undefined;
  /** Per function name. */
  readonly nodes: Record<string, GcpFunctionNodes> = {};

  private readonly projectId: pulumi.Output<string>;
  private readonly region: pulumi.Output<string>;
  private readonly labels: Record<string, string>;

  constructor(name: string, args: GcpFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:gcp:Functions", name, {}, opts);
    checkGcpArgs(name, args);
    const decisions = new SettingDecisions("gcp", this);
    const plan = planGcpFunctions(name, args, decisions);
    this.warnings = decisions.warnings;
    this.labels = gcpLabels(args.tags ?? {});

    const clientConfig = gcp.organizations.getClientConfigOutput({ parent: this });
    this.projectId = pulumi.output(args.project ?? clientConfig.project);
    this.region = pulumi.output(args.region ?? clientConfig.region);
    const projectNumber = gcp.organizations.getProjectOutput({ projectId: this.projectId }, { parent: this }).number;

    this.apis = args.enableApis === false ? [] : this.enableApis(name);
    this.usersDatabase = this.createDatabase(name, args);
    this.sourceBucket = this.createSourceBucket(name);
    [this.apiKeySecret, this.apiKeySecretVersion] = this.createApiKeySecret(name, args.apiKey);
    [this.eventsTopic, this.eventsDeadLetterTopic, this.eventsDeadLetterSubscription] = this.createTopics(name);

    for (const fn of plan.functions) this.nodes[fn.definition.name] = this.createFunction(name, fn);
    for (const fn of plan.functions.filter((f) => f.definition.trigger.kind === "http")) this.allowPublicInvocation(name, fn);

    const consumer = plan.functions.find((f) => f.definition.trigger.kind === "queue");
    if (consumer) {
      const worker = this.nodes[consumer.definition.name].function;
      this.pushIdentity = this.createServiceAccount(`${name}-push`, pushAccountId(name), "Pub/Sub push identity for the events subscription");
      // events.consume: the push identity may invoke the worker before the first push.
      const invoker = this.bindCapabilities(name, consumer, { principal: "push identity", member: this.pushIdentity.member, worker });
      this.eventsPushSubscription = this.createPushSubscription(name, consumer, this.pushIdentity, invoker);
      this.grantPubSubServiceAgent(name, projectNumber, this.pushIdentity, this.eventsPushSubscription);
    }

    const http = plan.functions.find((f) => f.definition.trigger.kind === "http");
    this.endpoint = http ? this.nodes[http.definition.name].function.url : undefined;
    this.queues = { queue: this.eventsTopic.name, deadLetter: this.eventsDeadLetterTopic.name };
    this.functionNames = Object.fromEntries(
      Object.entries(this.nodes).map(([fnName, nodes]) => [fnName, nodes.function.name]),
    );
    this.registerOutputs({
      endpoint: this.endpoint,
      queues: this.queues,
      functionNames: this.functionNames,
      warnings: this.warnings,
    });
  }

  private childOptions(extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    return { parent: this, dependsOn: this.apis, ...extra };
  }

  private enableApis(name: string): gcp.projects.Service[] {
    return requiredApis.map(
      (service) =>
        new gcp.projects.Service(
          `${name}-api-${service.split(".")[0]}`,
          // Other stacks and teams may rely on the API: never disable it on destroy.
          { project: this.projectId, service, disableOnDestroy: false },
          { parent: this },
        ),
    );
  }

  private createDatabase(name: string, args: GcpFunctionsArgs): gcp.firestore.Database {
    const protect = args.protectData ?? false;
    return new gcp.firestore.Database(
      `${name}-users`,
      {
        project: this.projectId,
        name: firestoreDatabaseId(name),
        locationId: args.firestoreLocation ?? this.region,
        type: "FIRESTORE_NATIVE",
        concurrencyMode: "PESSIMISTIC",
        deleteProtectionState: protect ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED",
        pointInTimeRecoveryEnablement: protect ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED",
        // ABANDON keeps the data when the stack is destroyed; DELETE lets dev stacks go away.
        deletionPolicy: protect ? "ABANDON" : "DELETE",
      },
      this.childOptions({ protect }),
    );
  }

  private createSourceBucket(name: string): gcp.storage.Bucket {
    return new gcp.storage.Bucket(
      `${name}-sources`,
      {
        project: this.projectId,
        location: this.region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        forceDestroy: true,
        labels: this.labels,
      },
      this.childOptions(),
    );
  }

  private createApiKeySecret(name: string, apiKey: pulumi.Input<string>): [gcp.secretmanager.Secret, gcp.secretmanager.SecretVersion] {
    const secret = new gcp.secretmanager.Secret(
      `${name}-api-key`,
      { project: this.projectId, secretId: `${name}-api-key`, replication: { auto: {} }, labels: this.labels },
      this.childOptions(),
    );
    const version = new gcp.secretmanager.SecretVersion(
      `${name}-api-key`,
      { secret: secret.id, secretData: pulumi.secret(apiKey) },
      { parent: this },
    );
    return [secret, version];
  }

  private createTopics(name: string): [gcp.pubsub.Topic, gcp.pubsub.Topic, gcp.pubsub.Subscription] {
    const events = new gcp.pubsub.Topic(`${name}-events`, { project: this.projectId, name: `${name}-events`, labels: this.labels }, this.childOptions());
    const deadLetter = new gcp.pubsub.Topic(
      `${name}-events-dead-letter`,
      { project: this.projectId, name: `${name}-events-dead-letter`, labels: this.labels },
      this.childOptions(),
    );
    // https://cloud.google.com/pubsub/docs/dead-letter-topics: messages published to a topic
    // with no subscription are lost, so the dead-letter topic gets one that keeps them 7 days.
    const hold = new gcp.pubsub.Subscription(
      `${name}-events-dead-letter`,
      {
        project: this.projectId,
        name: `${name}-events-dead-letter`,
        topic: deadLetter.id,
        messageRetentionDuration: "604800s",
        expirationPolicy: { ttl: "" },
        labels: this.labels,
      },
      this.childOptions(),
    );
    return [events, deadLetter, hold];
  }

  private createServiceAccount(resourceName: string, accountId: string, displayName: string): gcp.serviceaccount.Account {
    return new gcp.serviceaccount.Account(resourceName, { project: this.projectId, accountId, displayName }, this.childOptions());
  }

  private createFunction(name: string, fn: GcpPlannedFunction): GcpFunctionNodes {
    const fnName = fn.definition.name;
    const serviceAccount = this.createServiceAccount(
      `${name}-${fnName}`,
      functionAccountId(name, fnName),
      `${fnName}: runtime identity of the ${fnName} function`,
    );
    // Deployment fails unless the runtime identity can already read the secrets it references
    // (https://cloud.google.com/run/docs/configuring/secrets), so its bindings come first.
    const bindings = this.bindCapabilities(name, fn, { principal: "function", member: serviceAccount.member });
    const packageJson = deployedPackageJson(fn.bundle);
    const source = new gcp.storage.BucketObject(
      `${name}-${fnName}-source`,
      {
        bucket: this.sourceBucket.name,
        // A new object name per content change makes Cloud Functions rebuild.
        name: `${fnName}/${sourceHash(fn.bundle, packageJson)}.zip`,
        source: bundleArchive(fn.bundle, { "package.json": packageJson }),
      },
      { parent: this },
    );
    const needsApiKey = fn.definition.capabilities.includes("apiKey.read");
    const publishes = fn.definition.capabilities.includes("events.publish");
    const native = fn.native;
    const cloudFunction = new gcp.cloudfunctionsv2.Function(
      `${name}-${fnName}`,
      {
        project: this.projectId,
        location: this.region,
        name: `${name}-${fnName}`,
        description: fn.definition.description,
        labels: this.labels,
        buildConfig: {
          runtime: GCP_RUNTIME,
          entryPoint: entryPointName(fnName),
          source: { storageSource: { bucket: this.sourceBucket.name, object: source.name } },
        },
        serviceConfig: {
          availableMemory: native.availableMemory,
          ...(native.availableCpu ? { availableCpu: native.availableCpu } : {}),
          timeoutSeconds: native.timeoutSeconds,
          maxInstanceCount: native.maxInstanceCount,
          minInstanceCount: native.minInstanceCount,
          maxInstanceRequestConcurrency: native.maxInstanceRequestConcurrency,
          serviceAccountEmail: serviceAccount.email,
          ingressSettings: "ALLOW_ALL",
          allTrafficOnLatestRevision: true,
          environmentVariables: {
            GOOGLE_CLOUD_PROJECT: this.projectId,
            FIRESTORE_DATABASE: this.usersDatabase.name,
            PARITY_PLATFORM: "gcp",
            // The Functions Framework answers body-parser errors (malformed JSON) through
            // Express's default handler, which prints the stack trace unless production.
            NODE_ENV: "production",
            ...(publishes ? { EVENTS_TOPIC: this.eventsTopic.name } : {}),
          },
          // https://cloud.google.com/run/docs/configuring/secrets: the platform resolves the
          // reference into API_KEY when an instance starts (pinned version, as advised there);
          // the function config never holds the value.
          secretEnvironmentVariables: needsApiKey
            ? [{ key: "API_KEY", projectId: this.projectId, secret: this.apiKeySecret.secretId, version: this.apiKeySecretVersion.version }]
            : undefined,
        },
      },
      this.childOptions({ dependsOn: [...this.apis, ...bindings] }),
    );
    return { serviceAccount, source, function: cloudFunction };
  }

  private allowPublicInvocation(name: string, fn: GcpPlannedFunction): void {
    const cloudFunction = this.nodes[fn.definition.name].function;
    // Public by design: the users API checks the API key itself.
    new gcp.cloudrunv2.ServiceIamMember(
      `${name}-${fn.definition.name}-public`,
      { project: this.projectId, location: this.region, name: runServiceOf(cloudFunction), role: "roles/run.invoker", member: "allUsers" },
      { parent: this },
    );
  }

  private createPushSubscription(
    name: string,
    consumer: GcpPlannedFunction,
    pushIdentity: gcp.serviceaccount.Account,
    invoker: pulumi.Resource[],
  ): gcp.pubsub.Subscription {
    const worker = this.nodes[consumer.definition.name].function;
    const queue = consumer.native.queue!;
    return new gcp.pubsub.Subscription(
      `${name}-events-push`,
      {
        project: this.projectId,
        name: `${name}-events-push`,
        topic: this.eventsTopic.id,
        ackDeadlineSeconds: queue.ackDeadlineSeconds,
        pushConfig: {
          pushEndpoint: worker.url,
          oidcToken: { serviceAccountEmail: pushIdentity.email, audience: worker.url },
        },
        deadLetterPolicy: { deadLetterTopic: this.eventsDeadLetterTopic.id, maxDeliveryAttempts: queue.maxDeliveryAttempts },
        retryPolicy: { minimumBackoff: queue.minimumBackoff, maximumBackoff: queue.maximumBackoff },
        expirationPolicy: { ttl: "" },
        labels: this.labels,
      },
      this.childOptions({ dependsOn: [...this.apis, ...invoker] }),
    );
  }

  /** https://cloud.google.com/pubsub/docs/handling-failures#grant_forwarding_permissions and push authentication. */
  private grantPubSubServiceAgent(
    name: string,
    projectNumber: pulumi.Output<string>,
    pushIdentity: gcp.serviceaccount.Account,
    subscription: gcp.pubsub.Subscription,
  ): void {
    const agent = pulumi.interpolate`serviceAccount:service-${projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;
    const deadLetterPublisher = new gcp.pubsub.TopicIAMMember(
      `${name}-pubsub-agent-dead-letter-publisher`,
      { project: this.projectId, topic: this.eventsDeadLetterTopic.name, role: "roles/pubsub.publisher", member: agent },
      { parent: this },
    );
    const subscriber = new gcp.pubsub.SubscriptionIAMMember(
      `${name}-pubsub-agent-push-subscriber`,
      { project: this.projectId, subscription: subscription.name, role: "roles/pubsub.subscriber", member: agent },
      { parent: this },
    );
    // https://cloud.google.com/pubsub/docs/create-push-subscription (authentication): the
    // service agent mints the push identity's OIDC token; projects created before 8 April 2021
    // need this grant explicitly, later ones have it implicitly, so it is granted on the push
    // identity only.
    const tokenCreator = new gcp.serviceaccount.IAMMember(
      `${name}-pubsub-agent-push-token-creator`,
      { serviceAccountId: pushIdentity.name, role: "roles/iam.serviceAccountTokenCreator", member: agent },
      { parent: this },
    );
    this.supportBindings.push(
      { member: agent, role: "roles/pubsub.publisher", resource: deadLetterPublisher.topic, reason: "dead-lettering: forward undeliverable messages" },
      { member: agent, role: "roles/pubsub.subscriber", resource: subscriber.subscription, reason: "dead-lettering: acknowledge forwarded messages" },
      { member: agent, role: "roles/iam.serviceAccountTokenCreator", resource: tokenCreator.serviceAccountId, reason: "authenticated push: mint the push identity's OIDC token" },
    );
  }

  /** Creates the bindings of `fn`'s capabilities held by `principal` and records them as grants. */
  private bindCapabilities(
    name: string,
    fn: GcpPlannedFunction,
    who: { principal: GcpBindingPlan["principal"]; member: pulumi.Output<string>; worker?: gcp.cloudfunctionsv2.Function },
  ): pulumi.CustomResource[] {
    const fnName = fn.definition.name;
    const workerService = () => {
      if (!who.worker) throw new Error(`GcpFunctions: ${fnName} declares events.consume but is not the queue function.`);
      return runServiceOf(who.worker);
    };
    const created: pulumi.CustomResource[] = [];
    const resourceOf = (target: GcpGrantTarget): pulumi.Output<string> => {
      switch (target) {
        case "database":
          return pulumi.interpolate`projects/${this.projectId}/databases/${this.usersDatabase.name}`;
        case "eventsTopic":
          return this.eventsTopic.id;
        case "apiKeySecret":
          return this.apiKeySecret.id;
        case "queueFunctionService":
          return pulumi.interpolate`projects/${this.projectId}/locations/${this.region}/services/${workerService()}`;
      }
    };
    const bindings = compileGcpBindings(fnName, fn.definition.capabilities).filter((b) => b.principal === who.principal);
    for (const binding of bindings) {
      const member = who.member;
      const resourceName = `${name}-${fnName}-${binding.role.replace(/^roles\//, "").replace(/\./g, "-")}`;
      const options = { parent: this };
      const resource = resourceOf(binding.target);
      switch (binding.target) {
        case "database":
          created.push(new gcp.projects.IAMMember(
            resourceName,
            {
              project: this.projectId,
              role: binding.role,
              member,
              // Firestore roles exist at project level only; the condition limits them to this database.
              condition: {
                title: `${fnName}-users-database-only`,
                description: `${fnName} may use the users database only`,
                expression: firestoreDatabaseCondition(resource),
              },
            },
            options,
          ));
          break;
        case "eventsTopic":
          created.push(new gcp.pubsub.TopicIAMMember(resourceName, { project: this.projectId, topic: this.eventsTopic.name, role: binding.role, member }, options));
          break;
        case "apiKeySecret":
          created.push(new gcp.secretmanager.SecretIamMember(resourceName, { project: this.projectId, secretId: this.apiKeySecret.secretId, role: binding.role, member }, options));
          break;
        case "queueFunctionService":
          created.push(new gcp.cloudrunv2.ServiceIamMember(
            resourceName,
            { project: this.projectId, location: this.region, name: workerService(), role: binding.role, member },
            options,
          ));
          break;
      }
      for (const capability of binding.capabilities) {
        this.grants.push({ function: fnName, capability, permissions: [binding.role], resource, member: pulumi.output(member) });
      }
    }
    return created;
  }
}

// ---------------------------------------------------------------------------------------
// Mapping rules: pure functions, unit-tested without the cloud.

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
/** https://cloud.google.com/logging/docs/routing/overview#default-bucket: `_Default` keeps logs 30 days. */
export const DEFAULT_LOG_RETENTION_DAYS = 30;

export interface GcpQueueSettings {
  /** Pub/Sub push sends one message per request (https://cloud.google.com/pubsub/docs/push). */
  messagesPerRequest: 1;
  ackDeadlineSeconds: number;
  maxDeliveryAttempts: number;
  minimumBackoff: string;
  maximumBackoff: string;
}

export interface GcpNativeSettings {
  availableMemory: string;
  /** Set only when per-instance concurrency needs at least one whole vCPU. */
  availableCpu?: string;
  timeoutSeconds: number;
  maxInstanceCount: number;
  maxInstanceRequestConcurrency: number;
  minInstanceCount: number;
  queue?: GcpQueueSettings;
}

/** The smallest memory tier ≥ the asked memory; anything else is warned about. */
export function gcpMemoryFor(fn: string, memoryMb: number, decisions: SettingDecisions): { mb: number; vcpu: number } {
  const tier = memoryTiers.find((t) => t.mb >= memoryMb) ?? memoryTiers[memoryTiers.length - 1];
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

/** Portable settings → Cloud Functions (and, for the queue function, push subscription) knobs. */
export function gcpSettingsFor(fn: string, isQueue: boolean, settings: FunctionSettings, decisions: SettingDecisions): GcpNativeSettings {
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
    availableMemory: `${memory.mb}Mi`,
    availableCpu: concurrency.maxInstanceRequestConcurrency > 1 ? String(memory.vcpu) : undefined,
    timeoutSeconds,
    ...concurrency,
    minInstanceCount,
    queue: isQueue ? gcpQueueSettingsFor(fn, settings, timeoutSeconds, decisions) : undefined,
  };
}

export function gcpQueueSettingsFor(fn: string, settings: FunctionSettings, timeoutSeconds: number, decisions: SettingDecisions): GcpQueueSettings {
  if (settings.batchSize !== undefined && settings.batchSize !== 1) {
    decisions.adjust(fn, "batchSize", settings.batchSize, 1, "Pub/Sub push delivers one message per request; there is no batch size");
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
    settings.maxAttempts ?? MAX_DELIVERY_ATTEMPTS_RANGE.min,
    MAX_DELIVERY_ATTEMPTS_RANGE.min,
    MAX_DELIVERY_ATTEMPTS_RANGE.max,
    "Pub/Sub maxDeliveryAttempts is 5–100",
  );
  // https://cloud.google.com/pubsub/docs/handling-failures#exponential_backoff: 0–600 s; Pub/Sub's defaults are 10 s and 600 s.
  return { messagesPerRequest: 1, ackDeadlineSeconds, maxDeliveryAttempts, minimumBackoff: "10s", maximumBackoff: "600s" };
}

export function gcpLogRetention(asked: number, decisions: SettingDecisions): number {
  if (asked === DEFAULT_LOG_RETENTION_DAYS) return asked;
  return decisions.adjust("*", "logRetentionDays", asked, DEFAULT_LOG_RETENTION_DAYS, "function logs go to the project's _Default log bucket; Cloud Logging has no per-function retention");
}

export type GcpGrantTarget = "database" | "eventsTopic" | "apiKeySecret" | "queueFunctionService";

export interface GcpBindingPlan {
  role: string;
  target: GcpGrantTarget;
  /** Who is bound: the function's own service account, or the push identity that invokes it. */
  principal: "function" | "push identity";
  capabilities: Capability[];
}

/**
 * The narrowest binding GCP offers per capability:
 * - users.read → roles/datastore.viewer (get), users.create / users.update → roles/datastore.user
 *   (transactions need datastore.databases.get, create needs datastore.entities.create, update
 *   datastore.entities.update: https://cloud.google.com/firestore/docs/security/iam), granted
 *   at project level (Firestore has no finer IAM resource) with a condition naming the
 *   database (https://cloud.google.com/firestore/docs/security/iam#iam_conditions);
 * - events.publish → roles/pubsub.publisher on the events topic;
 * - events.consume → roles/run.invoker on the function's own Cloud Run service, for the push
 *   identity only (push subscriptions deliver by invoking the function;
 *   https://cloud.google.com/run/docs/triggering/pubsub-push);
 * - apiKey.read → roles/secretmanager.secretAccessor on the API key secret.
 * Capabilities that need the same role on the same resource share one binding.
 */
export function compileGcpBindings(_fn: string, capabilities: readonly Capability[]): GcpBindingPlan[] {
  const rules: Record<Capability, Omit<GcpBindingPlan, "capabilities">> = {
    "users.read": { role: "roles/datastore.viewer", target: "database", principal: "function" },
    "users.create": { role: "roles/datastore.user", target: "database", principal: "function" },
    "users.update": { role: "roles/datastore.user", target: "database", principal: "function" },
    "events.publish": { role: "roles/pubsub.publisher", target: "eventsTopic", principal: "function" },
    "events.consume": { role: "roles/run.invoker", target: "queueFunctionService", principal: "push identity" },
    "apiKey.read": { role: "roles/secretmanager.secretAccessor", target: "apiKeySecret", principal: "function" },
  };
  const plans: GcpBindingPlan[] = [];
  for (const capability of capabilities) {
    const rule = rules[capability];
    const same = plans.find((p) => p.role === rule.role && p.target === rule.target && p.principal === rule.principal);
    if (same) same.capabilities.push(capability);
    else plans.push({ ...rule, capabilities: [capability] });
  }
  return plans;
}

/** The IAM condition that limits a project-level Firestore role to one database. */
export function firestoreDatabaseCondition(databaseResource: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`resource.name == "${databaseResource}"`;
}

export interface GcpPlannedFunction extends FunctionDeployment {
  native: GcpNativeSettings;
}

export interface GcpPlan {
  functions: GcpPlannedFunction[];
  logRetentionDays: number;
}

/** Every decision the component makes, without creating anything (also for `npm run plan`). */
export function planGcpFunctions(_name: string, args: GcpFunctionsArgs, decisions: SettingDecisions): GcpPlan {
  const functions = args.functions.map((fn) => ({
    ...fn,
    native: gcpSettingsFor(fn.definition.name, fn.definition.trigger.kind === "queue", fn.settings, decisions),
  }));
  return { functions, logRetentionDays: gcpLogRetention(args.logRetentionDays ?? 7, decisions) };
}

/** Rejects args the component cannot deploy, with a sentence the user can act on. */
export function checkGcpArgs(name: string, args: GcpFunctionsArgs): void {
  checkFunctions(`GcpFunctions "${name}"`, args.functions);
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new Error(`GcpFunctions "${name}": the name must start with a lower-case letter and hold only a-z, 0-9 and "-", because it prefixes function, topic and database names.`);
  }
  for (const fn of args.functions) {
    const functionName = `${name}-${fn.definition.name}`;
    // https://cloud.google.com/functions/docs/reference/rest/v2/projects.locations.functions: names are at most 63 characters.
    if (!/^[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(functionName)) {
      throw new Error(`GcpFunctions "${name}": function name "${functionName}" must be 2–63 characters of a-z, 0-9 and "-", starting with a letter; shorten the component or function name.`);
    }
  }
  const httpFunctions = args.functions.filter((fn) => fn.definition.trigger.kind === "http");
  if (httpFunctions.length > 1) {
    throw new Error(`GcpFunctions "${name}": only one HTTP function can be the endpoint; got ${httpFunctions.map((fn) => fn.definition.name).join(", ")}.`);
  }
  for (const fn of args.functions) {
    const consumes = fn.definition.capabilities.includes("events.consume");
    if (consumes && fn.definition.trigger.kind !== "queue") {
      throw new Error(`GcpFunctions "${name}": "${fn.definition.name}" declares events.consume but is not queue-triggered; only the queue function is invoked by the push subscription.`);
    }
    if (!consumes && fn.definition.trigger.kind === "queue") {
      throw new Error(`GcpFunctions "${name}": queue function "${fn.definition.name}" must declare events.consume, or the push subscription may not invoke it.`);
    }
  }
}

/**
 * Service account ids are 6–30 characters, `[a-z][a-z0-9-]*[a-z0-9]`
 * (https://cloud.google.com/iam/docs/service-accounts-create#creating); longer ones are
 * shortened with a stable hash so that two functions never share one.
 */
export function serviceAccountId(base: string): string {
  const cleaned = base.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^[^a-z]+/, "");
  const padded = cleaned.length < 6 ? `${cleaned}-sa-id`.slice(0, 6) : cleaned;
  if (padded.length <= 30) return padded.replace(/-+$/, "0");
  const digest = crypto.createHash("sha256").update(base).digest("hex").slice(0, 6);
  return `${padded.slice(0, 23).replace(/-+$/, "")}-${digest}`;
}

export const functionAccountId = (component: string, fn: string) => serviceAccountId(`${component}-${fn}`);
export const pushAccountId = (component: string) => serviceAccountId(`${component}-push`);

/** Firestore database ids are 4–63 characters of a-z, 0-9 and "-" (the provider's docs). */
export function firestoreDatabaseId(component: string): string {
  const id = `${component}-users`;
  return id.length <= 63 ? id : `${id.slice(0, 56).replace(/-+$/, "")}-${crypto.createHash("sha256").update(id).digest("hex").slice(0, 6)}`;
}

/** Label keys and values: lower-case letters, digits, `_` and `-`, at most 63 characters (https://cloud.google.com/resource-manager/docs/labels-overview#requirements). */
export function gcpLabels(tags: Record<string, string>): Record<string, string> {
  const clean = (value: string) => value.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [clean(key).replace(/^[^a-z]+/, "") || "tag", clean(value)]));
}

/**
 * The `package.json` uploaded with a bundle: `main`, Node 22, and the bundle's externals
 * pinned to the versions installed here (Cloud Build installs them). Firestore and Pub/Sub
 * clients are bundled (their protos are JSON modules esbuild inlines); only the Functions
 * Framework, which loads the bundle, stays external.
 */
export function deployedPackageJson(bundle: Bundle): string {
  const dependencies: Record<string, string> = {};
  for (const name of bundleExternals(bundle)) dependencies[name] = installedVersion(name);
  return JSON.stringify(
    { name: `parity-${bundle.functionName}`, private: true, main: bundle.fileName, engines: { node: "22" }, dependencies },
    null,
    2,
  );
}

/** Package names the bundle imports at run time (node: built-ins excluded). */
export function bundleExternals(bundle: Bundle): string[] {
  const names = new Set<string>();
  for (const output of Object.values(bundle.metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external || imported.path.startsWith("node:") || isBuiltin(imported.path)) continue;
      const parts = imported.path.split("/");
      names.add(imported.path.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
    }
  }
  return [...names].sort();
}

function isBuiltin(specifier: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require("node:module") as typeof import("node:module")).builtinModules.includes(specifier.split("/")[0]);
}

function installedVersion(packageName: string): string {
  const file = path.join(projectRoot, "node_modules", packageName, "package.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

function sourceHash(bundle: Bundle, packageJson: string): string {
  const hash = crypto.createHash("sha256");
  for (const file of fs.readdirSync(bundle.dir).sort()) hash.update(file).update(fs.readFileSync(path.join(bundle.dir, file)));
  return hash.update(packageJson).digest("hex").slice(0, 16);
}

/** The Cloud Run service behind a 2nd-gen function (same name as the function). */
function runServiceOf(fn: gcp.cloudfunctionsv2.Function): pulumi.Output<string> {
  return pulumi.all([fn.serviceConfig, fn.name]).apply(([config, name]) => lastSegment(config?.service) ?? name);
}

function lastSegment(value: string | undefined): string | undefined {
  return value ? value.split("/").pop() : undefined;
}
