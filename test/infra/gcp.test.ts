/**
 * GcpFunctions under `pulumi.runtime.setMocks`: what a real `pulumi up` of the dev and prod
 * stack files would ask Google Cloud for, a second catalog through the same component, and
 * the package it uploads. The pure rules are tested beside them (components/gcp/rules.test.ts).
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { bundleExternals, bundleFunction, deploymentsFor, packageFunction, packageJsonFor, packageLockJsonFor, projectRoot } from "../../components/bundle";
import { catalog, type Capability } from "../../components/catalog";
import { settingsFor, type ParityConfig } from "../../components/config";
import { GcpFunctions, type GcpFunctionsArgs } from "../../components/gcp";
import type { FunctionDeployment } from "../../components/platform";
import { entryPointName } from "../../functions/gcp/contract";
import { helloDefinition } from "../fixtures/hello/catalog";
import { runWithMocks, stackConfig, TEST_API_KEY, valueOf, type MockRun, type RecordedResource, type StateFor } from "./harness";

const PROJECT = "parity-test";
const PROJECT_NUMBER = "123456789012";
const REGION = "europe-west1";
const PUBSUB_AGENT = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
/** Users the reconciler re-publishes per run at most: the push retries are sized for this burst. */
const RECONCILER_BURST = 100;
const T = {
  service: "gcp:projects/service:Service",
  database: "gcp:firestore/database:Database",
  bucket: "gcp:storage/bucket:Bucket",
  object: "gcp:storage/bucketObject:BucketObject",
  account: "gcp:serviceaccount/account:Account",
  accountIam: "gcp:serviceaccount/iAMMember:IAMMember",
  function: "gcp:cloudfunctionsv2/function:Function",
  secret: "gcp:secretmanager/secret:Secret",
  secretVersion: "gcp:secretmanager/secretVersion:SecretVersion",
  secretIam: "gcp:secretmanager/secretIamMember:SecretIamMember",
  topic: "gcp:pubsub/topic:Topic",
  topicIam: "gcp:pubsub/topicIAMMember:TopicIAMMember",
  subscription: "gcp:pubsub/subscription:Subscription",
  subscriptionIam: "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
  projectIam: "gcp:projects/iAMMember:IAMMember",
  runIam: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
  serviceIdentity: "gcp:projects/serviceIdentity:ServiceIdentity",
  job: "gcp:cloudscheduler/job:Job",
  repository: "gcp:artifactregistry/repository:Repository",
  repositoryIam: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  bucketIam: "gcp:storage/bucketIAMMember:BucketIAMMember",
} as const;
/** Dynamic resources (the IAM propagation wait) all have this type. */
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
/** The one condition the build's project-level storage binding carries: Cloud Functions' own source bucket and its objects. */
const FUNCTION_SOURCES_CONDITION = `resource.name == "projects/_/buckets/gcf-v2-sources-${PROJECT_NUMBER}-${REGION}" || resource.name.startsWith("projects/_/buckets/gcf-v2-sources-${PROJECT_NUMBER}-${REGION}/objects/")`;
const iamTypes = [T.accountIam, T.secretIam, T.topicIam, T.subscriptionIam, T.projectIam, T.runIam, T.repositoryIam, T.bucketIam];

/**
 * The expected binding per capability, written out here rather than imported, so the test
 * checks the component against the contract and not against itself.
 */
const expectedBinding: Record<Capability, { type: string; role: string; on: "database" | "events topic" | "secret" | "worker service"; who: "function" | "push" }> = {
  "users.read": { type: T.projectIam, role: "roles/datastore.viewer", on: "database", who: "function" },
  "users.create": { type: T.projectIam, role: "roles/datastore.user", on: "database", who: "function" },
  "users.update": { type: T.projectIam, role: "roles/datastore.user", on: "database", who: "function" },
  "users.listPending": { type: T.projectIam, role: "roles/datastore.viewer", on: "database", who: "function" },
  "events.publish": { type: T.topicIam, role: "roles/pubsub.publisher", on: "events topic", who: "function" },
  "events.consume": { type: T.runIam, role: "roles/run.invoker", on: "worker service", who: "push" },
  "apiKey.read": { type: T.secretIam, role: "roles/secretmanager.secretAccessor", on: "secret", who: "function" },
};

/** Outputs as Google Cloud would return them. */
const stateFor: StateFor = (args) => {
  const inputs = args.inputs;
  switch (args.type) {
    case T.account: {
      const email = `${inputs.accountId}@${PROJECT}.iam.gserviceaccount.com`;
      return { email, member: `serviceAccount:${email}`, name: `projects/${PROJECT}/serviceAccounts/${email}` };
    }
    case T.function:
      return {
        // A 2nd-gen function has two URLs: `url` on cloudfunctions.net and its Cloud Run service's run.app `uri`.
        url: `https://${REGION}-${PROJECT}.cloudfunctions.net/${inputs.name}`,
        serviceConfig: { ...inputs.serviceConfig, service: `projects/${PROJECT}/locations/${REGION}/services/${inputs.name}`, uri: `https://${inputs.name}-h4sh-ew.a.run.app` },
      };
    case T.topic:
      return { id: `projects/${PROJECT}/topics/${inputs.name}` };
    case T.subscription:
      return { id: `projects/${PROJECT}/subscriptions/${inputs.name}` };
    case T.secret:
      return { id: `projects/${PROJECT}/secrets/${inputs.secretId}` };
    case T.secretVersion:
      return { version: "1", id: `${inputs.secret}/versions/1` };
    case T.bucket:
      return { name: `${args.name}-4f2a9c` };
    case T.serviceIdentity: {
      const email = `service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
      return { email, member: `serviceAccount:${email}` };
    }
    default:
      return {};
  }
};

function deploy(args: GcpFunctionsArgs, name = "parity-dev"): Promise<MockRun<GcpFunctions>> {
  return runWithMocks(() => new GcpFunctions(name, args), { stateFor });
}

function argsFor(config: ParityConfig): GcpFunctionsArgs {
  return {
    functions: deploymentsFor(config, "gcp"),
    apiKey: pulumi.secret(TEST_API_KEY),
    logRetentionDays: config.logRetentionDays,
    protectData: config.protectData,
    tags: { project: "parity", stack: config.stack },
  };
}

const fnResource = (run: MockRun<unknown>, fn: string) => run.one(T.function, `-${fn}`);
const accountOf = (run: MockRun<unknown>, fn: string) => run.one(T.account, `-${fn}`);

for (const stack of ["dev", "prod"] as const) {
  describe(`GcpFunctions: ${stack} stack under mocks`, function () {
    this.timeout(60_000);
    const config = stackConfig(stack);
    let run: MockRun<GcpFunctions>;

    before(async () => {
      run = await deploy(argsFor(config), `parity-${stack}`);
    });

    it("gives every function its own service account, and the push, scheduler and build identities one each", () => {
      const accounts = run.ofType(T.account).map((a) => a.inputs.accountId as string);
      assert.equal(new Set(accounts).size, accounts.length);
      assert.deepEqual(
        accounts.sort(),
        [`parity-${stack}-push`, `parity-${stack}-queue-worker`, `parity-${stack}-users-api`, `parity-${stack}-reconciler`, `parity-${stack}-reconciler-cron`, `parity-${stack}-build`].sort(),
      );
      for (const id of accounts) assert.match(id, /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, `${id}: 6–30 characters IAM accepts`);
      for (const fn of catalog) {
        const account = accountOf(run, fn.name);
        assert.equal(fnResource(run, fn.name).inputs.serviceConfig.serviceAccountEmail, account.state.email, `${fn.name} runs as its own account`);
        assert.equal(account.inputs.description, `parity:capabilities: ${fn.capabilities.join(" ")}`, `${fn.name} declares its capabilities`);
      }
    });

    it("grants exactly the declared capabilities, each as the narrowest binding on the exact resource", async () => {
      for (const fn of catalog) {
        const grants = run.result.grants.filter((g) => g.function === fn.name);
        assert.deepEqual(new Set(grants.map((g) => g.capability)), new Set(fn.capabilities), `${fn.name}: grants = declarations`);
        for (const grant of grants) {
          const expected = expectedBinding[grant.capability];
          assert.deepEqual(grant.permissions, [expected.role], `${fn.name} ${grant.capability}`);
          const resource = await valueOf(grant.resource);
          const member = await valueOf(grant.member);
          const exact = {
            database: `projects/${PROJECT}/databases/parity-${stack}-users`,
            "events topic": `projects/${PROJECT}/topics/parity-${stack}-events`,
            secret: `projects/${PROJECT}/secrets/parity-${stack}-api-key`,
            "worker service": `projects/${PROJECT}/locations/${REGION}/services/parity-${stack}-${fn.name}`,
          }[expected.on];
          assert.equal(resource, exact, `${fn.name} ${grant.capability} on ${expected.on}`);
          const who = expected.who === "push" ? run.one(T.account, "-push") : accountOf(run, fn.name);
          assert.equal(member, who.state.member);
          // The binding resource itself says the same.
          const binding = run.ofType(expected.type).find((b) => b.inputs.member === member && b.inputs.role === expected.role);
          assert.ok(binding, `${fn.name} ${grant.capability}: a ${expected.type} for ${member}`);
        }
      }
    });

    it("makes no IAM binding beyond the grants, the public users API, the scheduler's, the build's and the Pub/Sub service agent's", () => {
      const member = (suffix: string) => run.one(T.account, suffix).state.member as string;
      const functionMembers = new Set(catalog.map((fn) => accountOf(run, fn.name).state.member as string));
      const push = member("-push");
      const scheduler = member("-reconciler-cron");
      const build = member("-build");
      const allowed = (b: RecordedResource) => {
        if (b.inputs.member === "allUsers") return b.type === T.runIam && b.inputs.name === `parity-${stack}-users-api` && b.inputs.role === "roles/run.invoker";
        if (b.inputs.member === PUBSUB_AGENT) {
          return (
            (b.type === T.topicIam && b.inputs.topic === `parity-${stack}-events-dead-letter` && b.inputs.role === "roles/pubsub.publisher") ||
            (b.type === T.subscriptionIam && b.inputs.subscription === `parity-${stack}-events-push` && b.inputs.role === "roles/pubsub.subscriber") ||
            (b.type === T.accountIam && b.inputs.role === "roles/iam.serviceAccountTokenCreator" && String(b.inputs.serviceAccountId).includes(`parity-${stack}-push@`))
          );
        }
        if (b.inputs.member === push) return b.type === T.runIam && b.inputs.name === `parity-${stack}-queue-worker` && b.inputs.role === "roles/run.invoker";
        if (b.inputs.member === scheduler) return b.type === T.runIam && b.inputs.name === `parity-${stack}-reconciler` && b.inputs.role === "roles/run.invoker";
        if (b.inputs.member === build) {
          return (
            (b.type === T.projectIam && b.inputs.role === "roles/logging.logWriter") ||
            (b.type === T.repositoryIam && b.inputs.repository === `parity-${stack}-functions` && b.inputs.role === "roles/artifactregistry.writer") ||
            (b.type === T.projectIam && b.inputs.role === "roles/storage.objectViewer" && b.inputs.condition?.expression === FUNCTION_SOURCES_CONDITION)
          );
        }
        return functionMembers.has(b.inputs.member);
      };
      const bindings = iamTypes.flatMap((type) => run.ofType(type));
      for (const binding of bindings) {
        assert.ok(allowed(binding), `unexpected binding ${binding.type} ${binding.inputs.role} for ${binding.inputs.member}`);
        assert.doesNotMatch(binding.inputs.role, /roles\/(owner|editor|viewer)$|admin/i, "no broad or admin roles");
      }
      assert.equal(bindings.filter((b) => b.inputs.member === scheduler).length, 1, "the scheduler identity holds one binding");
      assert.equal(bindings.filter((b) => b.inputs.member === build).length, 3, "the build identity holds the three roles a build needs");
      // One binding per (function, role, resource): users-api viewer + user + publisher + secret, the worker
      // user (and the push identity's invoker for events.consume), the reconciler viewer + user + publisher.
      const grantBindings = bindings.filter((b) => functionMembers.has(b.inputs.member) || b.inputs.member === push);
      const grantsCount = new Set(run.result.grants.map((g) => `${g.function}:${g.permissions[0]}`)).size;
      assert.equal(grantBindings.length, grantsCount);
      assert.equal(grantsCount, 9);
    });

    it("limits project-level Firestore roles to the users database with an IAM condition", () => {
      const firestoreBindings = run.ofType(T.projectIam).filter((b) => String(b.inputs.role).startsWith("roles/datastore."));
      assert.equal(firestoreBindings.length, 5, "users-api: viewer + user; queue-worker: user; reconciler: viewer + user");
      for (const binding of firestoreBindings) {
        assert.equal(binding.inputs.project, PROJECT);
        assert.equal(binding.inputs.condition.expression, `resource.name == "projects/${PROJECT}/databases/parity-${stack}-users"`);
      }
    });

    it("passes each function's settings to its native knobs", () => {
      for (const fn of catalog) {
        const settings = settingsFor(config, "gcp", fn.name);
        const service = fnResource(run, fn.name).inputs.serviceConfig;
        const tier = [128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768].find((mb) => mb >= settings.memoryMb)!;
        assert.equal(service.availableMemory, `${tier}Mi`);
        assert.equal(service.timeoutSeconds, settings.timeoutSeconds);
        assert.equal(service.maxInstanceCount * service.maxInstanceRequestConcurrency, settings.reservedConcurrency, `${fn.name}: max instances × concurrency = reservedConcurrency`);
        assert.equal(service.minInstanceCount, settings.warmInstances);
        assert.equal(fnResource(run, fn.name).inputs.buildConfig.runtime, "nodejs22");
        assert.equal(fnResource(run, fn.name).inputs.buildConfig.entryPoint, entryPointName(fn.name));
      }
    });

    it("pushes events to the worker with OIDC from the push identity and a dead-letter policy from maxAttempts", () => {
      const worker = settingsFor(config, "gcp", "queue-worker");
      const push = run.one(T.subscription, "-events-push");
      const workerFn = fnResource(run, "queue-worker");
      assert.equal(push.inputs.topic, `projects/${PROJECT}/topics/parity-${stack}-events`);
      // The run.app URL, the audience Cloud Run accepts, not the cloudfunctions.net url.
      assert.equal(push.inputs.pushConfig.pushEndpoint, `https://parity-${stack}-queue-worker-h4sh-ew.a.run.app`);
      assert.equal(push.inputs.pushConfig.pushEndpoint, workerFn.state.serviceConfig.uri);
      assert.notEqual(push.inputs.pushConfig.pushEndpoint, workerFn.state.url);
      assert.equal(push.inputs.pushConfig.oidcToken.serviceAccountEmail, run.one(T.account, "-push").state.email);
      assert.equal(push.inputs.pushConfig.oidcToken.audience, workerFn.state.serviceConfig.uri);
      assert.equal(push.inputs.deadLetterPolicy.deadLetterTopic, `projects/${PROJECT}/topics/parity-${stack}-events-dead-letter`);
      // Sized so that the reconciler's burst at the worker's instance cap drains before dead-lettering.
      const attempts = Math.max(worker.maxAttempts!, Math.ceil(RECONCILER_BURST / worker.reservedConcurrency));
      assert.equal(push.inputs.deadLetterPolicy.maxDeliveryAttempts, attempts);
      assert.ok(attempts * worker.reservedConcurrency >= RECONCILER_BURST);
      assert.deepEqual(push.inputs.retryPolicy, { minimumBackoff: `${Math.max(10, worker.timeoutSeconds)}s`, maximumBackoff: "600s" });
      assert.equal(push.inputs.ackDeadlineSeconds, worker.timeoutSeconds);
      // A dead-letter topic without a subscription would drop what it receives.
      assert.equal(run.one(T.subscription, "-events-dead-letter").inputs.topic, `projects/${PROJECT}/topics/parity-${stack}-events-dead-letter`);
      assert.ok(!run.ofType(T.runIam).some((b) => b.inputs.name === `parity-${stack}-queue-worker` && b.inputs.member === "allUsers"), "the worker is not public");
    });

    it("warns where GCP has no equivalent or chose for it: batchSize, push retries, users.listPending, log retention", () => {
      const worker = settingsFor(config, "gcp", "queue-worker");
      const attempts = Math.max(worker.maxAttempts!, Math.ceil(RECONCILER_BURST / worker.reservedConcurrency));
      const warned = run.result.warnings.map((w) => [w.function, w.setting, w.asked, w.applied]);
      assert.deepEqual(warned, [
        ["queue-worker", "batchSize", worker.batchSize, 1],
        ["queue-worker", "push retry minimumBackoff", "10s (Pub/Sub's default)", `${worker.timeoutSeconds}s`],
        ...(attempts !== worker.maxAttempts ? [["queue-worker", "maxAttempts", worker.maxAttempts, attempts]] : []),
        ["reconciler", "users.listPending", "the users store's pending index only", "roles/datastore.viewer on the users database"],
        ["*", "logRetentionDays", config.logRetentionDays, 30],
      ]);
      assert.equal(stack === "dev" ? attempts : worker.maxAttempts, stack === "dev" ? 20 : 8, "dev: 5 instances need 20 attempts; prod: 20 instances need 5, 8 were asked");
      assert.equal(run.loggedWarnings.length, warned.length, "each reported with pulumi.log.warn");
      assert.match(run.loggedWarnings[0], new RegExp(`^\\[gcp\\] queue-worker: batchSize asked ${worker.batchSize}, applied 1`));
    });

    it("runs the reconciler from a Cloud Scheduler job: unix cron in Etc/UTC, the timeout as attempt deadline, no retries, OIDC of its own identity", async () => {
      const settings = settingsFor(config, "gcp", "reconciler");
      const job = run.one(T.job);
      const reconciler = fnResource(run, "reconciler");
      const scheduler = run.one(T.account, "-reconciler-cron");
      assert.equal(job.inputs.name, `parity-${stack}-reconciler`);
      assert.equal(job.inputs.schedule, `*/${settings.everyMinutes} * * * *`);
      assert.equal(job.inputs.schedule, stack === "dev" ? "*/5 * * * *" : "*/10 * * * *");
      assert.equal(job.inputs.timeZone, "Etc/UTC");
      assert.equal(job.inputs.region, REGION);
      assert.equal(job.inputs.attemptDeadline, `${settings.timeoutSeconds}s`);
      assert.deepEqual(job.inputs.retryConfig, { retryCount: 0 });
      assert.deepEqual(job.inputs.httpTarget, {
        uri: `https://parity-${stack}-reconciler-h4sh-ew.a.run.app`,
        httpMethod: "POST",
        oidcToken: { serviceAccountEmail: scheduler.state.email, audience: `https://parity-${stack}-reconciler-h4sh-ew.a.run.app` },
      });
      // Its single binding: run.invoker on the reconciler's own service.
      const bindings = iamTypes.flatMap((type) => run.ofType(type)).filter((b) => b.inputs.member === scheduler.state.member);
      assert.deepEqual(bindings.map((b) => [b.type, b.inputs.name, b.inputs.role]), [[T.runIam, `parity-${stack}-reconciler`, "roles/run.invoker"]]);
      // The API is enabled first, the binding exists before the first tick.
      const api = run.ofType(T.service).find((s) => s.inputs.service === "cloudscheduler.googleapis.com");
      assert.ok(api, "cloudscheduler.googleapis.com is enabled");
      assert.ok(job.dependencies.includes(api.urn), "the job waits for the Cloud Scheduler API");
      assert.ok(job.dependencies.includes(bindings[0] && run.resources.find((r) => r === bindings[0])!.urn), "the job waits for its identity's binding");
      // The function is private, and gets the reconciler's run settings.
      assert.ok(!run.ofType(T.runIam).some((b) => b.inputs.name === `parity-${stack}-reconciler` && b.inputs.member === "allUsers"), "the reconciler is not public");
      const env = reconciler.inputs.serviceConfig.environmentVariables;
      assert.equal(env.RECONCILE_GRACE_SECONDS, String(2 * settings.everyMinutes! * 60));
      assert.equal(env.RECONCILE_TIME_BUDGET_SECONDS, String(Math.floor(settings.timeoutSeconds * 0.8)));
      // Exposed as the platform's schedule output.
      const exposed = run.result.schedules.reconciler;
      assert.equal(exposed.expression, job.inputs.schedule);
      assert.equal(await valueOf(exposed.identity!), scheduler.state.email);
      assert.deepEqual(exposed.invoke!.permissions, ["roles/run.invoker"]);
      assert.equal(await valueOf(exposed.invoke!.resource), `projects/${PROJECT}/locations/${REGION}/services/parity-${stack}-reconciler`);
      assert.deepEqual(Object.keys(run.result.schedules), ["reconciler"]);
    });

    it("builds every function as the build identity, after its roles exist, pushing to the component's own repository", () => {
      const build = run.one(T.account, "-build");
      const repository = run.one(T.repository);
      assert.equal(repository.inputs.format, "DOCKER");
      assert.equal(repository.inputs.repositoryId, `parity-${stack}-functions`);
      const buildBindings = iamTypes.flatMap((type) => run.ofType(type)).filter((b) => b.inputs.member === build.state.member);
      for (const fn of catalog) {
        const resource = fnResource(run, fn.name);
        assert.equal(resource.inputs.buildConfig.serviceAccount, `projects/${PROJECT}/serviceAccounts/parity-${stack}-build@${PROJECT}.iam.gserviceaccount.com`);
        assert.equal(resource.inputs.buildConfig.dockerRepository, `projects/${PROJECT}/locations/${REGION}/repositories/parity-${stack}-functions`);
        for (const binding of buildBindings) assert.ok(resource.dependencies.includes(binding.urn), `${fn.name} waits for the build's ${binding.inputs.role}`);
      }
    });

    it("lets the build identity read Cloud Functions' own source bucket, gcf-v2-sources-<number>-<region>, and nothing else of storage", () => {
      const build = run.one(T.account, "-build");
      const storage = iamTypes.flatMap((type) => run.ofType(type)).filter((b) => b.inputs.member === build.state.member && String(b.inputs.role).startsWith("roles/storage."));
      assert.deepEqual(
        storage.map((b) => [b.type, b.inputs.role, b.inputs.project, b.inputs.condition?.expression]),
        [[T.projectIam, "roles/storage.objectViewer", PROJECT, FUNCTION_SOURCES_CONDITION]],
      );
      assert.equal(run.ofType(T.bucketIam).length, 0, "parity's own source bucket grants nothing: the build never reads it");
    });

    it("waits for IAM to propagate: each function after its identity's and the build's bindings, through its own wait", () => {
      const build = run.one(T.account, "-build");
      const buildBindings = iamTypes.flatMap((type) => run.ofType(type)).filter((b) => b.inputs.member === build.state.member);
      for (const fn of catalog) {
        const wait = run.one(DYNAMIC, `-${fn.name}-iam-wait`);
        const own = iamTypes.flatMap((type) => run.ofType(type)).filter((b) => b.inputs.member === accountOf(run, fn.name).state.member);
        assert.equal(wait.inputs.seconds, 120, "the 2 minutes IAM changes typically take");
        for (const binding of [...own, ...buildBindings]) {
          assert.ok(wait.dependencies.includes(binding.urn), `${fn.name}'s wait follows ${binding.inputs.role}`);
          assert.ok(wait.inputs.triggers.includes(`${binding.name}-id`), `${fn.name}'s wait runs again when ${binding.inputs.role} changes`);
        }
        if ((fn.capabilities as readonly Capability[]).includes("apiKey.read")) assert.ok(own.some((b) => b.inputs.role === "roles/secretmanager.secretAccessor"), `${fn.name}: the secret accessor is among them`);
        assert.ok(fnResource(run, fn.name).dependencies.includes(wait.urn), `${fn.name} is created after its wait`);
      }
    });

    it("takes only internal traffic on the queue worker and the reconciler; the users API stays public", () => {
      assert.equal(fnResource(run, "users-api").inputs.serviceConfig.ingressSettings, "ALLOW_ALL");
      assert.equal(fnResource(run, "queue-worker").inputs.serviceConfig.ingressSettings, "ALLOW_INTERNAL_ONLY");
      assert.equal(fnResource(run, "reconciler").inputs.serviceConfig.ingressSettings, "ALLOW_INTERNAL_ONLY");
    });

    it("creates the Pub/Sub service agent before the bindings that name it, and names it by the agent's own member", () => {
      const agent = run.one(T.serviceIdentity);
      assert.equal(agent.inputs.service, "pubsub.googleapis.com");
      const agentBindings = iamTypes.flatMap((type) => run.ofType(type)).filter((b) => b.inputs.member === PUBSUB_AGENT);
      assert.equal(agentBindings.length, 3);
      for (const binding of agentBindings) assert.ok(binding.dependencies.includes(agent.urn), `${binding.name} waits for the service agent`);
    });

    it("never puts the API key in plain environment variables; users-api gets it as a secret env var", async () => {
      for (const fn of run.ofType(T.function)) {
        const env = fn.inputs.serviceConfig.environmentVariables as Record<string, string>;
        assert.ok(!Object.values(env).includes(TEST_API_KEY), `${fn.name}: no key in env`);
        assert.ok(!("API_KEY" in env));
      }
      // Each function gets what its capabilities bring (functions/gcp/contract.ts), nothing more.
      const common = { PARITY_PLATFORM: "gcp", NODE_ENV: "production", GOOGLE_CLOUD_PROJECT: PROJECT, FIRESTORE_DATABASE: `parity-${stack}-users` };
      const api = fnResource(run, "users-api").inputs.serviceConfig;
      // A publish gives up after half the function's timeout, and a store operation after 40 %, so the
      // API answers itself (201, or 500 internal_error) before Cloud Functions' 504 when Pub/Sub or Firestore hangs.
      const apiTimeout = settingsFor(config, "gcp", "users-api").timeoutSeconds;
      assert.deepEqual(api.environmentVariables, {
        ...common,
        EVENTS_TOPIC: `parity-${stack}-events`,
        PUBLISH_TIMEOUT_MS: String(apiTimeout * 500),
        STORE_TIMEOUT_MS: String(apiTimeout * 400),
      });
      assert.ok(apiTimeout * 400 + apiTimeout * 500 < api.timeoutSeconds * 1000, "both deadlines end inside the function's timeout");
      assert.deepEqual(api.secretEnvironmentVariables, [{ key: "API_KEY", projectId: PROJECT, secret: `parity-${stack}-api-key`, version: "1" }]);
      const worker = fnResource(run, "queue-worker").inputs.serviceConfig;
      const workerTimeout = settingsFor(config, "gcp", "queue-worker").timeoutSeconds;
      assert.deepEqual(worker.environmentVariables, { ...common, STORE_TIMEOUT_MS: String(workerTimeout * 400) }, "the worker did not declare events.publish");
      assert.equal(worker.secretEnvironmentVariables, undefined, "the worker did not declare apiKey.read");
      // The value goes to Secret Manager only, as a Pulumi secret (encrypted in state).
      const secretData = run.one(T.secretVersion).inputs.secretData;
      assert.equal(secretData[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig);
      assert.equal(secretData.value, TEST_API_KEY);
    });

    it(`${stack === "prod" ? "protects" : "does not protect"} the Firestore database (protectData: ${config.protectData})`, () => {
      const database = run.one(T.database);
      assert.equal(database.inputs.type, "FIRESTORE_NATIVE");
      assert.equal(database.inputs.locationId, REGION);
      assert.equal(database.inputs.deleteProtectionState, config.protectData ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED");
      assert.equal(database.inputs.deletionPolicy, config.protectData ? "ABANDON" : "DELETE");
      assert.equal(database.inputs.pointInTimeRecoveryEnablement, config.protectData ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED");
    });

    it("enables the APIs it uses, never disabling them on destroy, and labels what takes labels", () => {
      const services = run.ofType(T.service);
      assert.ok(services.length >= 8);
      assert.ok(services.every((s) => s.inputs.disableOnDestroy === false));
      for (const type of [T.function, T.bucket, T.topic, T.secret, T.subscription]) {
        for (const resource of run.ofType(type)) assert.deepEqual(resource.inputs.labels, { project: "parity", stack }, `${type} ${resource.name}`);
      }
    });

    it("exposes endpoint, queues and function names", async () => {
      assert.equal(await valueOf(run.result.endpoint!), fnResource(run, "users-api").state.url);
      assert.equal(await valueOf(run.result.queues!.queue), `parity-${stack}-events`);
      assert.equal(await valueOf(run.result.queues!.deadLetter), `parity-${stack}-events-dead-letter`);
      assert.deepEqual(Object.keys(run.result.functionNames).sort(), ["queue-worker", "reconciler", "users-api"]);
      assert.equal(await valueOf(run.result.functionNames["users-api"]), `parity-${stack}-users-api`);
      assert.deepEqual(Object.keys(run.result.nodes).sort(), ["queue-worker", "reconciler", "users-api"]);
      assert.ok(run.result.nodes["users-api"].publicInvoker);
      assert.equal(run.result.nodes["queue-worker"].publicInvoker, undefined);
      assert.equal(run.result.nativeSettings["queue-worker"].maxDeliveryAttempts, run.one(T.subscription, "-events-push").inputs.deadLetterPolicy.maxDeliveryAttempts);
      assert.equal(run.result.nativeSettings["users-api"].ackDeadlineSeconds, undefined);
    });
  });
}

describe("GcpFunctions: a different catalog (one HTTP function)", function () {
  this.timeout(60_000);

  it("deploys it with its own account, only its declared grant, no queue plumbing", async () => {
    const hello: FunctionDeployment = {
      definition: { ...helloDefinition, capabilities: ["users.read"] },
      bundle: bundleFunction(helloDefinition, "gcp"),
      settings: { memoryMb: 128, timeoutSeconds: 5, reservedConcurrency: 3, warmInstances: 1 },
    };
    const run = await deploy({ functions: [hello], apiKey: pulumi.secret(TEST_API_KEY), region: "us-central1", project: "greeter-proj", logRetentionDays: 30 }, "greeter");
    const fn = run.one(T.function);
    assert.equal(fn.inputs.name, "greeter-hello");
    assert.equal(fn.inputs.location, "us-central1");
    assert.equal(fn.inputs.buildConfig.entryPoint, "hello");
    assert.deepEqual(
      [fn.inputs.serviceConfig.availableMemory, fn.inputs.serviceConfig.maxInstanceCount, fn.inputs.serviceConfig.minInstanceCount, fn.inputs.serviceConfig.timeoutSeconds],
      ["128Mi", 3, 1, 5],
    );
    assert.deepEqual(run.ofType(T.account).map((a) => a.inputs.accountId).sort(), ["greeter-build", "greeter-hello"]);
    assert.equal(run.ofType(T.job).length, 0, "no schedule function, no Cloud Scheduler job");
    assert.ok(!run.ofType(T.service).some((s) => s.inputs.service === "cloudscheduler.googleapis.com"), "nor its API");
    assert.deepEqual(run.result.schedules, {});
    assert.equal(run.ofType(T.serviceIdentity).length, 0, "no push subscription, no Pub/Sub agent to create");
    assert.deepEqual(run.result.grants.map((g) => [g.function, g.capability, g.permissions[0]]), [["hello", "users.read", "roles/datastore.viewer"]]);
    assert.equal(await valueOf(run.result.grants[0].resource), "projects/greeter-proj/databases/greeter-users");
    assert.equal(run.ofType(T.subscription).filter((s) => s.name.endsWith("-events-push")).length, 0, "no push subscription without a queue function");
    assert.equal(run.result.pushIdentity, undefined);
    assert.equal(run.result.supportBindings.length, 0);
    assert.equal(fn.inputs.serviceConfig.secretEnvironmentVariables, undefined);
    assert.deepEqual(fn.inputs.serviceConfig.environmentVariables, {
      PARITY_PLATFORM: "gcp",
      NODE_ENV: "production",
      GOOGLE_CLOUD_PROJECT: "greeter-proj",
      FIRESTORE_DATABASE: "greeter-users",
      STORE_TIMEOUT_MS: "2000",
    }, "users.read brings the database and its deadline (40 % of the 5 s timeout), nothing else");
    assert.deepEqual(Object.keys(run.result.nodes), ["hello"]);
    assert.ok(run.result.nodes.hello.publicInvoker);
    assert.deepEqual(run.result.warnings, [], "128 MiB is a tier, 30 days is the default retention: nothing to warn about");
    assert.ok(await valueOf(run.result.endpoint!));
  });

  it("rejects a second queue function and unusable names with sentences", () => {
    const [api, worker] = deploymentsFor(stackConfig("dev"), "gcp");
    assert.throws(() => new GcpFunctions("Bad_Name", { functions: [api], apiKey: "k" }), /^ComponentArgsError: GcpFunctions "Bad_Name": the name must start with a lower-case letter/);
    assert.throws(
      () => new GcpFunctions("parity", { functions: [worker, { ...worker, definition: { ...worker.definition, name: "other-worker" } }], apiKey: "k" }),
      /only one queue-triggered function/,
    );
    const deaf = { ...worker, definition: { ...worker.definition, capabilities: ["users.update"] as Capability[] } };
    assert.throws(() => new GcpFunctions("parity", { functions: [deaf], apiKey: "k" }), /must declare events.consume/);
  });
});

describe("GcpFunctions: the package it uploads", function () {
  this.timeout(60_000);

  it("ships a package.json with main, Node 22 and the bundle's externals pinned (only the Functions Framework)", () => {
    const bundle = bundleFunction(catalog[0], "gcp");
    assert.deepEqual(bundleExternals(bundle), ["@google-cloud/functions-framework"]);
    const pkg = JSON.parse(packageJsonFor(bundle));
    assert.equal(pkg.main, "index.js");
    assert.deepEqual(pkg.engines, { node: "22" });
    assert.deepEqual(Object.keys(pkg.dependencies), ["@google-cloud/functions-framework"]);
    assert.match(pkg.dependencies["@google-cloud/functions-framework"], /^\d+\.\d+\.\d+$/, "pinned");
  });

  it("ships a package-lock.json of the Functions Framework's installed tree, so Cloud Build's `npm ci` installs the versions tested here", () => {
    const bundle = bundleFunction(catalog[0], "gcp");
    const lock = JSON.parse(packageLockJsonFor(bundle)) as { lockfileVersion: number; packages: Record<string, { version?: string; dependencies?: Record<string, string>; dev?: boolean; peer?: boolean }> };
    assert.equal(lock.lockfileVersion, 3);
    // npm ci refuses a lockfile whose root disagrees with package.json.
    assert.deepEqual(lock.packages[""].dependencies, JSON.parse(packageJsonFor(bundle)).dependencies);
    // The versions Node loads here: the framework from parity's root, the body parsers from the framework's folder.
    // (The framework's `exports` hide its package.json: found from its main module upwards.)
    const manifestFile = (require_: NodeJS.Require, name: string): string => {
      for (let dir = path.dirname(require_.resolve(name)); ; dir = path.dirname(dir)) {
        const file = path.join(dir, "package.json");
        if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string }).name === name) return file;
        assert.notEqual(path.dirname(dir), dir, `no package.json of ${name}`);
      }
    };
    const installed = (require_: NodeJS.Require, name: string) => (JSON.parse(fs.readFileSync(manifestFile(require_, name), "utf8")) as { version: string }).version;
    const fromRoot = createRequire(path.join(projectRoot, "package.json"));
    const fromFramework = createRequire(manifestFile(fromRoot, "@google-cloud/functions-framework"));
    assert.equal(lock.packages["node_modules/@google-cloud/functions-framework"].version, installed(fromRoot, "@google-cloud/functions-framework"));
    assert.equal(lock.packages["node_modules/express"].version, installed(fromFramework, "express"));
    assert.equal(lock.packages["node_modules/body-parser"].version, installed(fromFramework, "body-parser"));
    // Every dependency of every package resolves inside the lockfile, as Node would in the installed tree; none is marked dev or peer-only (npm ci would omit it).
    const resolveIn = (location: string, name: string): string | undefined => {
      for (let at = location; ; ) {
        const candidate = `${at === "" ? "" : `${at}/`}node_modules/${name}`;
        if (lock.packages[candidate]) return candidate;
        if (at === "") return undefined;
        const up = at.lastIndexOf("/node_modules/");
        at = up < 0 ? "" : at.slice(0, up);
      }
    };
    for (const [location, entry] of Object.entries(lock.packages)) {
      assert.ok(!entry.dev && !entry.peer, `${location} is a production dependency`);
      for (const name of Object.keys(entry.dependencies ?? {})) assert.ok(resolveIn(location, name), `${location} needs ${name}`);
    }
  });

  it("names the source object after the package's hash, so new code means a new object and a rebuild", async () => {
    const run = await deploy(argsFor(stackConfig("dev")));
    for (const fn of catalog) {
      const bundle = bundleFunction(fn, "gcp");
      const pkg = packageFunction(bundle, { "package.json": packageJsonFor(bundle), "package-lock.json": packageLockJsonFor(bundle) });
      assert.deepEqual(Object.keys(pkg.files).sort(), ["index.js", "index.js.map", "package-lock.json", "package.json"]);
      const object = run.one(T.object, `-${fn.name}-source`);
      assert.equal(object.inputs.name, `${fn.name}/${pkg.hash}.zip`);
      assert.equal(fnResource(run, fn.name).inputs.buildConfig.source.storageSource.object, object.state.name);
      // Another locked tree is other code: a new object, and so a rebuild.
      const relocked = packageFunction(bundle, { "package.json": packageJsonFor(bundle), "package-lock.json": packageLockJsonFor(bundle).replace(/"version": "(\d+)\./, (_, major: string) => `"version": "${Number(major) + 1}.`) });
      assert.notEqual(relocked.hash, pkg.hash, "the lockfile is part of the hash");
    }
  });
});
