/**
 * `GcpFunctions`: the functions on Cloud Functions (2nd gen), one service account per function
 * with IAM bindings compiled from its declared capabilities, the source bucket holding the
 * packages, a build identity and image repository for Cloud Build, and a Cloud Scheduler job
 * (with its own identity) per schedule function; and, only when a function declares what uses
 * them, the users database (Firestore, native mode; `users.*`), the events topic, push
 * subscription and dead-letter topic (Pub/Sub; `events.*`) and the API key (Secret Manager;
 * `apiKey.read`).
 *
 * check → plan → create: `planGcp` (./rules.ts) decides every value before any resource
 * exists; the constructor only creates what the plan says, in dependency order.
 */
import * as gcp from "./sdk";
import * as pulumi from "@pulumi/pulumi";
import { entryPointName, gcpDeadlineEnvironment, gcpEnvironment, gcpScheduleEnvironment } from "../../functions/gcp/contract";
import { packageFunction, packageJsonFor, packageLockJsonFor } from "../bundle";
import { created, packageAsset, platformOutputs, reportWarnings } from "../component";
import {
  CAPABILITIES_TAG,
  checkApiKey,
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
  apisFor,
  compileGcpBindings,
  DEAD_LETTER_RETENTION,
  firestoreDatabaseCondition,
  firestoreDatabaseResource,
  functionSourcesCondition,
  GCP_RUNTIME,
  IAM_PROPAGATION_SECONDS,
  gcpBuildBindings,
  gcpLabels,
  gcpNativeSummary,
  planGcp,
  SCHEDULER_API,
  type GcpGrantTarget,
  type GcpPlan,
  type GcpPlannedFunction,
  type GcpPrincipal,
} from "./rules";
import { IamPropagationWait } from "./iam-wait";

export interface GcpFunctionsArgs extends PlatformFunctionsArgs {
  /**
   * The functions to deploy. Each becomes a Cloud Function (2nd gen, nodejs22) named
   * `<component name>-<function name>` with its own service account. HTTP functions are
   * public (the API key guards the users API); the queue function is invoked only by the
   * events push subscription's identity; a schedule function only by its Cloud Scheduler job's.
   * @example
   * functions: deploymentsFor(config, "gcp")
   */
  functions: FunctionDeployment[];
  /**
   * The API key. Stored as a Secret Manager secret; functions that declare `apiKey.read`
   * get it as the secret environment variable `API_KEY` (the function configuration holds
   * only the secret reference). Required when a function declares `apiKey.read`; otherwise no
   * secret is created. Pass a secret Output.
   * @example
   * apiKey: new pulumi.Config("parity").requireSecret("apiKey")
   */
  apiKey?: pulumi.Input<string>;
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
   * Turn on the APIs the component needs (`projects.Service`; `cloudscheduler.googleapis.com`
   * too when a schedule function is deployed). Turn it off when a platform team enables APIs centrally. APIs are never disabled on destroy.
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
  /** The bindings of its declared capabilities held by its own service account. */
  bindings: pulumi.CustomResource[];
  /** The pause after those bindings and the build identity's, before the function (./iam-wait.ts). */
  iamWait: IamPropagationWait;
  source: gcp.storage.BucketObject;
  function: gcp.cloudfunctionsv2.Function;
  /** Present for HTTP functions: anyone may invoke them (the API checks the key). */
  publicInvoker?: gcp.cloudrunv2.ServiceIamMember;
  /** Present for schedule functions: the job, its identity and that identity's one binding. */
  schedule?: { job: gcp.cloudscheduler.Job; identity: gcp.serviceaccount.Account; invoker: gcp.cloudrunv2.ServiceIamMember };
}

export class GcpFunctions extends pulumi.ComponentResource implements PlatformOutputs {
  /** Every value decided before any resource was created (./rules.ts). */
  readonly plan: GcpPlan;
  readonly apis: gcp.projects.Service[];
  /** The users database; created only when a function declares a `users.*` capability. */
  readonly usersDatabase: gcp.firestore.Database | undefined;
  readonly sourceBucket: gcp.storage.Bucket;
  /** The API key's secret and its version; created only when a function declares `apiKey.read`. */
  readonly apiKeySecret: gcp.secretmanager.Secret | undefined;
  readonly apiKeySecretVersion: gcp.secretmanager.SecretVersion | undefined;
  /** The events topic and its dead-letter topic; created only when a function declares `events.publish` or `events.consume`. */
  readonly eventsTopic: gcp.pubsub.Topic | undefined;
  readonly eventsDeadLetterTopic: gcp.pubsub.Topic | undefined;
  /** Keeps dead-lettered messages: a topic without subscriptions drops what it receives. */
  readonly eventsDeadLetterSubscription: gcp.pubsub.Subscription | undefined;
  /** The identity whose OIDC token authenticates push deliveries to the queue function. */
  readonly pushIdentity: gcp.serviceaccount.Account | undefined;
  readonly eventsPushSubscription: gcp.pubsub.Subscription | undefined;
  /** Bindings for Google's service agents and the push identity that dead-lettering and authenticated push need. */
  readonly supportBindings: GcpSupportBinding[] = [];
  /** Pub/Sub's service agent, created explicitly: a new project may not have it yet when the dead-letter bindings name it. */
  pubsubServiceAgent: gcp.projects.ServiceIdentity | undefined;
  /** Cloud Build builds every function as this identity (`buildConfig.serviceAccount`), with the roles a build needs only. */
  readonly buildIdentity: gcp.serviceaccount.Account;
  /** The build identity's bindings; every function waits for them. */
  readonly buildBindings: pulumi.CustomResource[];
  /** Where the builds push the functions' images (`buildConfig.dockerRepository`). */
  readonly imageRepository: gcp.artifactregistry.Repository;
  /** The Cloud Scheduler API, enabled when a schedule function is deployed; every job waits for it. */
  readonly schedulerApi: gcp.projects.Service | undefined;
  /** Function name → every resource made for it. */
  readonly nodes: Record<string, GcpFunctionNodes> = {};

  readonly endpoint: pulumi.Output<string> | undefined;
  readonly queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> } | undefined;
  readonly functionNames: Record<string, pulumi.Output<string>> = {};
  readonly grants: GcpGrant[] = [];
  readonly warnings: SettingWarning[];
  readonly nativeSettings: Record<string, NativeSettings>;
  readonly schedules: Record<string, DeployedSchedule> = {};

  private readonly projectId: pulumi.Output<string>;
  /** The project's number: Cloud Functions names its source bucket after it. */
  private readonly projectNumber: pulumi.Output<string>;
  private readonly region: pulumi.Output<string>;
  private readonly labels: Record<string, string>;

  constructor(name: string, args: GcpFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:gcp:Functions", name, {}, opts);
    this.plan = planGcp(planInputOf(name, args));
    checkApiKey("gcp", name, args.functions, args.apiKey);
    const shared = sharedResourcesFor(args.functions);
    this.warnings = this.plan.warnings;
    this.nativeSettings = Object.fromEntries(this.plan.functions.map((fn) => [fn.definition.name, gcpNativeSummary(fn)]));
    reportWarnings(this, this.warnings);
    this.labels = gcpLabels(args.tags ?? {});
    const bundles = new Map(args.functions.map((fn) => [fn.definition.name, fn.bundle]));

    const clientConfig = gcp.organizations.getClientConfigOutput({ parent: this });
    this.projectId = pulumi.output(args.project ?? clientConfig.project);
    this.region = pulumi.output(args.region ?? clientConfig.region);
    this.projectNumber = gcp.organizations.getProjectOutput({ projectId: this.projectId }, { parent: this }).apply((project) => String(project.number));

    this.apis = args.enableApis === false ? [] : apisFor(shared).map((service) => this.enableApi(name, service));
    // Only a schedule function needs it; with `enableApis: false` the platform team enables it too.
    this.schedulerApi = args.enableApis !== false && this.plan.scheduleFunctions.length > 0 ? this.enableApi(name, SCHEDULER_API) : undefined;
    if (shared.usersStore) this.usersDatabase = this.createDatabase(name, args.firestoreLocation);
    this.sourceBucket = this.createSourceBucket(name);
    if (shared.apiKey) [this.apiKeySecret, this.apiKeySecretVersion] = this.createApiKeySecret(name, args.apiKey!);
    if (shared.events) [this.eventsTopic, this.eventsDeadLetterTopic, this.eventsDeadLetterSubscription] = this.createTopics(name);
    this.imageRepository = this.createImageRepository(name);
    [this.buildIdentity, this.buildBindings] = this.createBuildIdentity(name);

    for (const fn of this.plan.functions) {
      const nodes = this.createFunction(name, fn, bundles.get(fn.definition.name)!);
      this.nodes[fn.definition.name] = nodes;
      this.functionNames[fn.definition.name] = nodes.function.name;
    }

    const consumer = this.plan.queueFunction;
    if (consumer) {
      const worker = this.nodes[consumer.definition.name].function;
      this.pushIdentity = this.createServiceAccount(`${name}-push`, this.plan.names.pushAccountId, "Pub/Sub push identity for the events subscription", `invokes ${consumer.native.functionName}`);
      // events.consume: the push identity may invoke the worker before the first push.
      const invoker = this.bindCapabilities(name, consumer, "push identity", this.pushIdentity, worker);
      this.eventsPushSubscription = this.createPushSubscription(name, consumer, this.pushIdentity, invoker);
      this.grantPubSubServiceAgent(name, this.pushIdentity, this.eventsPushSubscription);
    }

    for (const fn of this.plan.scheduleFunctions) {
      const nodes = this.nodes[fn.definition.name];
      nodes.schedule = this.createSchedule(name, fn, nodes.function);
      const native = fn.native.schedule!;
      this.schedules[fn.definition.name] = {
        expression: native.expression,
        identity: nodes.schedule.identity.email,
        invoke: { permissions: [SCHEDULER_INVOKER_ROLE], resource: this.runServiceResource(nodes.function) },
      };
    }

    const http = this.plan.httpFunction;
    this.endpoint = http ? this.nodes[http.definition.name].function.url : undefined;
    this.queues = this.eventsTopic && this.eventsDeadLetterTopic ? { queue: this.eventsTopic.name, deadLetter: this.eventsDeadLetterTopic.name } : undefined;
    this.registerOutputs(platformOutputs(this));
  }

  private childOptions(extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    return { parent: this, dependsOn: this.apis, ...extra };
  }

  private enableApi(name: string, service: string): gcp.projects.Service {
    // Other stacks and teams may rely on the API: never disable it on destroy.
    return new gcp.projects.Service(`${name}-api-${service.split(".")[0]}`, { project: this.projectId, service, disableOnDestroy: false }, { parent: this });
  }

  /** The Cloud Run service resource name behind a function: what run.invoker bindings name. */
  private runServiceResource(fn: gcp.cloudfunctionsv2.Function): pulumi.Output<string> {
    return pulumi.interpolate`projects/${this.projectId}/locations/${this.region}/services/${runServiceOf(fn)}`;
  }

  private createImageRepository(name: string): gcp.artifactregistry.Repository {
    return new gcp.artifactregistry.Repository(
      `${name}-functions`,
      {
        project: this.projectId,
        location: this.region,
        repositoryId: this.plan.names.artifactRepository,
        format: "DOCKER",
        description: "Images Cloud Build builds for the component's functions",
        labels: this.labels,
      },
      this.childOptions(),
    );
  }

  /**
   * The build identity and its bindings (rules.ts `gcpBuildBindings`): without
   * `buildConfig.serviceAccount`, newer projects build with a default account that may lack
   * these roles (https://cloud.google.com/functions/1stgendocs/securing/build-custom-sa). The
   * deployer needs iam.serviceAccounts.actAs on it.
   */
  private createBuildIdentity(name: string): [gcp.serviceaccount.Account, pulumi.CustomResource[]] {
    const account = this.createServiceAccount(`${name}-build`, this.plan.names.buildAccountId, "Cloud Build identity that builds the component's functions", "builds the functions");
    const options = { parent: this, dependsOn: [account] };
    const bindings = gcpBuildBindings.map((binding): pulumi.CustomResource => {
      const resourceName = `${name}-build-${binding.role.replace(/^roles\//, "").replace(/\./g, "-")}`;
      switch (binding.target) {
        case "project":
          return new gcp.projects.IAMMember(resourceName, { project: this.projectId, role: binding.role, member: account.member }, options);
        case "artifactRepository":
          return new gcp.artifactregistry.RepositoryIamMember(
            resourceName,
            { project: this.projectId, location: this.region, repository: this.imageRepository.repositoryId, role: binding.role, member: account.member },
            options,
          );
        case "functionSourcesBucket":
          return new gcp.projects.IAMMember(
            resourceName,
            {
              project: this.projectId,
              role: binding.role,
              member: account.member,
              // The bucket does not exist before the first deploy: project-level, narrowed to it (rules.ts gcpBuildBindings).
              condition: {
                title: "function-sources-bucket-only",
                description: "Cloud Functions' own source bucket in this region only",
                expression: pulumi.all([this.projectNumber, this.region]).apply(([number, region]) => functionSourcesCondition(number, region)),
              },
            },
            options,
          );
      }
    });
    return [account, bindings];
  }

  private createDatabase(name: string, location: pulumi.Input<string> | undefined): gcp.firestore.Database {
    const protect = this.plan.protectData;
    return new gcp.firestore.Database(
      `${name}-users`,
      {
        project: this.projectId,
        name: this.plan.names.database,
        locationId: location ?? this.region,
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
      { project: this.projectId, secretId: this.plan.names.apiKeySecret, replication: { auto: {} }, labels: this.labels },
      this.childOptions(),
    );
    const version = new gcp.secretmanager.SecretVersion(`${name}-api-key`, { secret: secret.id, secretData: pulumi.secret(apiKey) }, { parent: this });
    return [secret, version];
  }

  private createTopics(name: string): [gcp.pubsub.Topic, gcp.pubsub.Topic, gcp.pubsub.Subscription] {
    const names = this.plan.names;
    const events = new gcp.pubsub.Topic(`${name}-events`, { project: this.projectId, name: names.eventsTopic, labels: this.labels }, this.childOptions());
    const deadLetter = new gcp.pubsub.Topic(`${name}-events-dead-letter`, { project: this.projectId, name: names.deadLetterTopic, labels: this.labels }, this.childOptions());
    const hold = new gcp.pubsub.Subscription(
      `${name}-events-dead-letter`,
      {
        project: this.projectId,
        name: names.deadLetterSubscription,
        topic: deadLetter.id,
        messageRetentionDuration: DEAD_LETTER_RETENTION,
        expirationPolicy: { ttl: "" },
        labels: this.labels,
      },
      this.childOptions(),
    );
    return [events, deadLetter, hold];
  }

  /** `declares`: what the identity is for, in its description after the CAPABILITIES_TAG marker, so the policy pack can compare it with its bindings. */
  private createServiceAccount(resourceName: string, accountId: string, displayName: string, declares: string): gcp.serviceaccount.Account {
    return new gcp.serviceaccount.Account(
      resourceName,
      { project: this.projectId, accountId, displayName, description: `${CAPABILITIES_TAG}: ${declares}` },
      this.childOptions(),
    );
  }

  private createFunction(name: string, fn: GcpPlannedFunction, bundle: FunctionDeployment["bundle"]): GcpFunctionNodes {
    const { definition, native } = fn;
    const fnName = definition.name;
    const serviceAccount = this.createServiceAccount(
      `${name}-${fnName}`,
      native.serviceAccountId,
      `${fnName}: runtime identity of the ${fnName} function`,
      definition.capabilities.join(" "),
    );
    // Deployment fails unless the runtime identity can already read the secrets it references
    // (https://cloud.google.com/run/docs/configuring/secrets), so its bindings come first.
    const bindings = this.bindCapabilities(name, fn, "function", serviceAccount);
    // IAM is eventually consistent: the build and the first revision start only once the grants
    // have had time to propagate (rules.ts IAM_PROPAGATION_SECONDS, ./iam-wait.ts).
    const iamWait = new IamPropagationWait(
      `${name}-${fnName}-iam-wait`,
      { seconds: IAM_PROPAGATION_SECONDS, triggers: [...bindings, ...this.buildBindings].map((binding) => binding.id) },
      { parent: this, dependsOn: [...bindings, ...this.buildBindings] },
    );
    // Cloud Build installs the bundle's externals (only the Functions Framework) from package.json,
    // with `npm ci` from the lockfile beside it: the versions tested here (../lockfile.ts).
    const pkg = packageFunction(bundle, { "package.json": packageJsonFor(bundle), "package-lock.json": packageLockJsonFor(bundle) });
    const source = new gcp.storage.BucketObject(
      `${name}-${fnName}-source`,
      // A new object name per content change makes Cloud Functions rebuild.
      { bucket: this.sourceBucket.name, name: `${fnName}/${pkg.hash}.zip`, source: packageAsset(pkg) },
      { parent: this },
    );
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read by the getters below
    const component = this;
    // Getters: each resource is read only for a capability the function declares, so it exists (see `created`).
    const env = gcpEnvironment<pulumi.Input<string>, { secret: pulumi.Input<string>; version: pulumi.Input<string> }>(
      definition.capabilities,
      {
        projectId: this.projectId,
        get firestoreDatabase() {
          return created(component.usersDatabase, "users database").name;
        },
        get eventsTopic() {
          return created(component.eventsTopic, "events topic").name;
        },
      },
      // https://cloud.google.com/run/docs/configuring/secrets: the platform resolves the reference
      // when an instance starts (pinned version, as advised there); the config never holds the value.
      {
        get apiKey() {
          return { secret: created(component.apiKeySecret, "API key secret").secretId, version: created(component.apiKeySecretVersion, "API key version").version };
        },
      },
    );
    const runSettings = {
      // Only a function that reconciles the users store reads the reconciler's run settings.
      ...(native.schedule && runsReconciler(definition.capabilities) ? gcpScheduleEnvironment(native.schedule.run) : {}),
      ...gcpDeadlineEnvironment(native),
    };
    const secretEnvironmentVariables = Object.entries(env.secrets).map(([key, ref]) => ({ key, projectId: this.projectId, ...ref }));
    const cloudFunction = new gcp.cloudfunctionsv2.Function(
      `${name}-${fnName}`,
      {
        project: this.projectId,
        location: this.region,
        name: native.functionName,
        description: definition.description,
        labels: this.labels,
        buildConfig: {
          runtime: GCP_RUNTIME,
          entryPoint: entryPointName(fnName),
          source: { storageSource: { bucket: this.sourceBucket.name, object: source.name } },
          // The fully-qualified name, projects/{project}/serviceAccounts/{email}
          // (https://cloud.google.com/functions/docs/reference/rest/v2/projects.locations.functions#BuildConfig).
          serviceAccount: this.buildIdentity.name,
          dockerRepository: pulumi.interpolate`projects/${this.projectId}/locations/${this.region}/repositories/${this.imageRepository.repositoryId}`,
        },
        serviceConfig: {
          availableMemory: native.availableMemory,
          ...(native.availableCpu ? { availableCpu: native.availableCpu } : {}),
          timeoutSeconds: native.timeoutSeconds,
          maxInstanceCount: native.maxInstanceCount,
          minInstanceCount: native.minInstanceCount,
          maxInstanceRequestConcurrency: native.maxInstanceRequestConcurrency,
          serviceAccountEmail: serviceAccount.email,
          ingressSettings: native.ingressSettings,
          allTrafficOnLatestRevision: true,
          environmentVariables: { ...env.variables, ...runSettings },
          secretEnvironmentVariables: secretEnvironmentVariables.length > 0 ? secretEnvironmentVariables : undefined,
        },
      },
      // The runtime identity's bindings and the build identity's roles exist, and have propagated, before the build starts.
      this.childOptions({ dependsOn: [...this.apis, ...bindings, ...this.buildBindings, iamWait] }),
    );
    const nodes: GcpFunctionNodes = { serviceAccount, bindings, iamWait, source, function: cloudFunction };
    if (definition.trigger.kind === "http") {
      // Public by design: the users API checks the API key itself.
      nodes.publicInvoker = new gcp.cloudrunv2.ServiceIamMember(
        `${name}-${fnName}-public`,
        { project: this.projectId, location: this.region, name: runServiceOf(cloudFunction), role: "roles/run.invoker", member: "allUsers" },
        { parent: this },
      );
    }
    return nodes;
  }

  private createPushSubscription(name: string, consumer: GcpPlannedFunction, pushIdentity: gcp.serviceaccount.Account, invoker: pulumi.Resource[]): gcp.pubsub.Subscription {
    const worker = this.nodes[consumer.definition.name].function;
    const eventsTopic = created(this.eventsTopic, "events topic");
    const deadLetterTopic = created(this.eventsDeadLetterTopic, "dead-letter topic");
    const queue = consumer.native.queue!;
    return new gcp.pubsub.Subscription(
      `${name}-events-push`,
      {
        project: this.projectId,
        name: this.plan.names.pushSubscription,
        topic: eventsTopic.id,
        ackDeadlineSeconds: queue.ackDeadlineSeconds,
        pushConfig: {
          // The run.app URL: the audience Cloud Run accepts by default, and the URL on which
          // push counts as internal traffic (runUriOf).
          pushEndpoint: runUriOf(worker),
          oidcToken: { serviceAccountEmail: pushIdentity.email, audience: runUriOf(worker) },
        },
        deadLetterPolicy: { deadLetterTopic: deadLetterTopic.id, maxDeliveryAttempts: queue.maxDeliveryAttempts },
        retryPolicy: { minimumBackoff: queue.minimumBackoff, maximumBackoff: queue.maximumBackoff },
        expirationPolicy: { ttl: "" },
        labels: this.labels,
      },
      this.childOptions({ dependsOn: [...this.apis, ...invoker] }),
    );
  }

  /** https://cloud.google.com/pubsub/docs/handling-failures#grant_forwarding_permissions and push authentication. */
  private grantPubSubServiceAgent(name: string, pushIdentity: gcp.serviceaccount.Account, subscription: gcp.pubsub.Subscription): void {
    // A new project may not have the agent until something creates it; bindings naming it
    // would fail: "if a service agent hasn't been created yet, then you can't grant roles to the service agent"
    // (https://cloud.google.com/iam/docs/create-service-agents).
    this.pubsubServiceAgent = new gcp.projects.ServiceIdentity(`${name}-pubsub-agent`, { project: this.projectId, service: "pubsub.googleapis.com" }, this.childOptions());
    const agent = this.pubsubServiceAgent.member;
    const afterAgent = { parent: this, dependsOn: [this.pubsubServiceAgent] };
    const deadLetterPublisher = new gcp.pubsub.TopicIAMMember(
      `${name}-pubsub-agent-dead-letter-publisher`,
      { project: this.projectId, topic: created(this.eventsDeadLetterTopic, "dead-letter topic").name, role: "roles/pubsub.publisher", member: agent },
      afterAgent,
    );
    const subscriber = new gcp.pubsub.SubscriptionIAMMember(
      `${name}-pubsub-agent-push-subscriber`,
      { project: this.projectId, subscription: subscription.name, role: "roles/pubsub.subscriber", member: agent },
      afterAgent,
    );
    // https://cloud.google.com/pubsub/docs/create-push-subscription (authentication): the
    // service agent mints the push identity's OIDC token; projects created before 8 April 2021
    // need this grant explicitly, later ones have it implicitly, so it is granted on the push
    // identity only.
    const tokenCreator = new gcp.serviceaccount.IAMMember(
      `${name}-pubsub-agent-push-token-creator`,
      { serviceAccountId: pushIdentity.name, role: "roles/iam.serviceAccountTokenCreator", member: agent },
      afterAgent,
    );
    this.supportBindings.push(
      { member: agent, role: "roles/pubsub.publisher", resource: deadLetterPublisher.topic, reason: "dead-lettering: forward undeliverable messages" },
      { member: agent, role: "roles/pubsub.subscriber", resource: subscriber.subscription, reason: "dead-lettering: acknowledge forwarded messages" },
      { member: agent, role: "roles/iam.serviceAccountTokenCreator", resource: tokenCreator.serviceAccountId, reason: "authenticated push: mint the push identity's OIDC token" },
    );
  }

  /**
   * The schedule function's Cloud Scheduler job: an HTTP POST to the function's URL with an OIDC
   * token of its own scheduler identity, which holds roles/run.invoker on this function's
   * service only (https://cloud.google.com/scheduler/docs/http-target-auth). The function stays
   * private: no allUsers binding.
   */
  private createSchedule(name: string, fn: GcpPlannedFunction, target: gcp.cloudfunctionsv2.Function): NonNullable<GcpFunctionNodes["schedule"]> {
    const fnName = fn.definition.name;
    const native = fn.native.schedule!;
    const identity = this.createServiceAccount(`${name}-${fnName}-cron`, native.schedulerAccountId, `Cloud Scheduler identity that invokes ${fnName}`, `invokes ${fn.native.functionName}`);
    const invoker = new gcp.cloudrunv2.ServiceIamMember(
      `${name}-${fnName}-cron-invoker`,
      { project: this.projectId, location: this.region, name: runServiceOf(target), role: SCHEDULER_INVOKER_ROLE, member: identity.member },
      { parent: this, dependsOn: [identity] },
    );
    const job = new gcp.cloudscheduler.Job(
      `${name}-${fnName}`,
      {
        project: this.projectId,
        region: this.region,
        name: native.jobName,
        description: `Runs ${fnName} every ${fn.settings.everyMinutes} minutes (UTC)`,
        schedule: native.expression,
        timeZone: native.timeZone,
        // A run longer than the deadline is counted failed (and would be retried while still running): the deadline is the function's timeout.
        attemptDeadline: native.attemptDeadline,
        // The next tick is the retry; a retry could overlap a run that is still going.
        retryConfig: { retryCount: native.retryCount },
        httpTarget: {
          // The run.app URL, as for push (runUriOf).
          uri: runUriOf(target),
          httpMethod: "POST",
          oidcToken: { serviceAccountEmail: identity.email, audience: runUriOf(target) },
        },
      },
      { parent: this, dependsOn: [...(this.schedulerApi ? [this.schedulerApi] : []), invoker] },
    );
    return { job, identity, invoker };
  }

  /** Creates the bindings of `fn`'s capabilities that `principal` holds, and records them as grants. */
  private bindCapabilities(
    name: string,
    fn: GcpPlannedFunction,
    principal: GcpPrincipal,
    account: gcp.serviceaccount.Account,
    worker?: gcp.cloudfunctionsv2.Function,
  ): pulumi.CustomResource[] {
    const member = account.member;
    const fnName = fn.definition.name;
    const workerService = () => {
      if (!worker) throw new Error(`GcpFunctions: ${fnName} declares events.consume but is not the queue function.`);
      return runServiceOf(worker);
    };
    const resourceOf = (target: GcpGrantTarget): pulumi.Output<string> => {
      switch (target) {
        case "database":
          return pulumi.all([this.projectId, created(this.usersDatabase, "users database").name]).apply(([project, database]) => firestoreDatabaseResource(project, database));
        case "eventsTopic":
          return created(this.eventsTopic, "events topic").id;
        case "apiKeySecret":
          return created(this.apiKeySecret, "API key secret").id;
        case "queueFunctionService":
          return pulumi.interpolate`projects/${this.projectId}/locations/${this.region}/services/${workerService()}`;
      }
    };
    const bindings: pulumi.CustomResource[] = [];
    for (const binding of compileGcpBindings(fn.definition.capabilities, principal, resourceOf)) {
      const resourceName = `${name}-${fnName}-${binding.role.replace(/^roles\//, "").replace(/\./g, "-")}`;
      // Explicit: the binding belongs to this account (what the policy pack reads), and waits for it.
      const options = { parent: this, dependsOn: [account] };
      switch (binding.target) {
        case "database":
          bindings.push(
            new gcp.projects.IAMMember(
              resourceName,
              {
                project: this.projectId,
                role: binding.role,
                member,
                // Firestore roles exist at project level only; the condition limits them to this database.
                condition: {
                  title: `${fnName}-users-database-only`,
                  description: `${fnName} may use the users database only`,
                  expression: binding.resource.apply(firestoreDatabaseCondition),
                },
              },
              options,
            ),
          );
          break;
        case "eventsTopic":
          bindings.push(new gcp.pubsub.TopicIAMMember(resourceName, { project: this.projectId, topic: created(this.eventsTopic, "events topic").name, role: binding.role, member }, options));
          break;
        case "apiKeySecret":
          bindings.push(new gcp.secretmanager.SecretIamMember(resourceName, { project: this.projectId, secretId: created(this.apiKeySecret, "API key secret").secretId, role: binding.role, member }, options));
          break;
        case "queueFunctionService":
          bindings.push(
            new gcp.cloudrunv2.ServiceIamMember(resourceName, { project: this.projectId, location: this.region, name: workerService(), role: binding.role, member }, options),
          );
          break;
      }
      for (const capability of binding.capabilities) {
        this.grants.push({ function: fnName, capability, permissions: [binding.role], resource: binding.resource, member });
      }
    }
    return bindings;
  }
}

/** What the scheduler identity holds, on its one function's service only. */
const SCHEDULER_INVOKER_ROLE = "roles/run.invoker";

/**
 * The function's Cloud Run service URL (`*.run.app`, `serviceConfig.uri`), not its
 * `cloudfunctions.net` URL (`url`): an invoker's ID token must carry "an audience claim
 * matching the receiving service's *.run.app URL" (https://cloud.google.com/run/docs/configuring/custom-audiences),
 * the provider's scheduler example targets `serviceConfig[0].uri`, and an internal-only service
 * counts Pub/Sub push and Cloud Scheduler as internal on that URL
 * (https://cloud.google.com/run/docs/securing/ingress).
 */
function runUriOf(fn: gcp.cloudfunctionsv2.Function): pulumi.Output<string> {
  return fn.serviceConfig.apply((config) => {
    if (!config?.uri) throw new Error(`GcpFunctions: the function has no serviceConfig.uri; the push subscription and scheduler job need its run.app URL.`);
    return config.uri;
  });
}

/** The Cloud Run service behind a 2nd-gen function (same name as the function). */
function runServiceOf(fn: gcp.cloudfunctionsv2.Function): pulumi.Output<string> {
  return pulumi.all([fn.serviceConfig, fn.name]).apply(([config, name]) => config?.service?.split("/").pop() ?? name);
}
