/** The GCP rules and environment contract on their own: pure functions, no Pulumi, no cloud. */
import assert from "node:assert/strict";
import { entryPointName, gcpEnvironment, RECONCILER_BATCH_LIMIT } from "../../functions/gcp/contract";
import type { FunctionSettings } from "../config";
import { Decisions, type FunctionSpec } from "../platform";
import {
  compileGcpBindings,
  firestoreDatabaseCondition,
  firestoreDatabaseId,
  gcpConcurrencyFor,
  gcpLabels,
  gcpMemoryFor,
  gcpNativeSummary,
  buildAccountId,
  gcpBuildBindings,
  gcpPublishBurst,
  gcpPushConcurrency,
  gcpPushRetryFor,
  gcpScheduleSettingsFor,
  gcpSettingsFor,
  planGcp,
  schedulerAccountId,
  serviceAccountId,
  functionAccountId,
  pushAccountId,
  type GcpGrantTarget,
} from "./rules";

const http = { name: "api", trigger: { kind: "http" as const }, capabilities: [], description: "" };
const queue = { name: "worker", trigger: { kind: "queue" as const }, capabilities: ["events.consume" as const], description: "" };
const base: FunctionSettings = { memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 5, warmInstances: 0, batchSize: 1, maxAttempts: 5 };

describe("GCP rules", () => {
  const decisions = () => new Decisions("gcp");

  it("rounds memory up to the next Cloud Functions tier, with a warning", () => {
    const d = decisions();
    assert.deepEqual(gcpMemoryFor("f", 256, d), { mb: 256, vcpu: 0.167 });
    assert.deepEqual(gcpMemoryFor("f", 300, d), { mb: 512, vcpu: 0.333 });
    assert.deepEqual(gcpMemoryFor("f", 10240, d), { mb: 16384, vcpu: 4 });
    assert.deepEqual(d.warnings.map((w) => [w.setting, w.asked, w.applied]), [["memoryMb", 300, 512], ["memoryMb", 10240, 16384]]);
  });

  it("splits reservedConcurrency into max instances × per-instance concurrency exactly", () => {
    assert.deepEqual(gcpConcurrencyFor(10, 0.167), { maxInstanceCount: 10, maxInstanceRequestConcurrency: 1 }, "below 1 vCPU: one request per instance");
    assert.deepEqual(gcpConcurrencyFor(100, 1), { maxInstanceCount: 2, maxInstanceRequestConcurrency: 50 });
    assert.deepEqual(gcpConcurrencyFor(7, 2), { maxInstanceCount: 1, maxInstanceRequestConcurrency: 7 });
    assert.deepEqual(gcpConcurrencyFor(1000, 4), { maxInstanceCount: 4, maxInstanceRequestConcurrency: 250 });
    for (const [reserved, vcpu] of [[97, 1], [1000, 8], [640, 2], [1, 1]]) {
      const c = gcpConcurrencyFor(reserved, vcpu);
      assert.equal(c.maxInstanceCount * c.maxInstanceRequestConcurrency, reserved);
      assert.ok(c.maxInstanceRequestConcurrency <= Math.min(1000, 80 * vcpu));
    }
  });

  it("maps exact settings without warnings, naming the function and its service account", () => {
    const d = decisions();
    assert.deepEqual(gcpSettingsFor("c", http, { ...base, warmInstances: 2 }, d), {
      functionName: "c-api",
      serviceAccountId: "c-api0",
      availableMemory: "256Mi",
      availableCpu: undefined,
      timeoutSeconds: 10,
      maxInstanceCount: 5,
      maxInstanceRequestConcurrency: 1,
      minInstanceCount: 2,
      publishTimeoutMs: undefined,
      storeTimeoutMs: undefined,
      queue: undefined,
      schedule: undefined,
    });
    assert.equal(gcpSettingsFor("c", { ...http, capabilities: ["events.publish"] }, base, d).publishTimeoutMs, 5000, "a publisher gives up after half its 10 s timeout");
    assert.equal(gcpSettingsFor("c", { ...http, capabilities: ["events.publish"] }, { ...base, timeoutSeconds: 1 }, d).publishTimeoutMs, 1000, "at least a second");
    for (const timeoutSeconds of [1, 10, 3600]) {
      const api = gcpSettingsFor("c", { ...http, capabilities: ["users.create", "events.publish"] }, { ...base, timeoutSeconds }, d);
      assert.equal(api.storeTimeoutMs, timeoutSeconds * 400, "a store operation gives up after 40 % of the timeout");
      if (timeoutSeconds > 1) assert.ok(api.storeTimeoutMs! + api.publishTimeoutMs! < timeoutSeconds * 1000, "a create and its publish end before the platform's 504");
    }
    assert.equal(gcpSettingsFor("c", { ...http, capabilities: ["users.read"] }, base, d).storeTimeoutMs, 4000, "any users.* capability");
    assert.deepEqual(gcpSettingsFor("c", queue, { ...base, timeoutSeconds: 10 }, d).queue, {
      messagesPerRequest: 1,
      ackDeadlineSeconds: 10,
      maxDeliveryAttempts: 5,
      minimumBackoff: "10s",
      maximumBackoff: "600s",
      burstTolerated: 25,
    });
    assert.deepEqual(d.warnings, []);
  });

  it("clamps maxAttempts to Pub/Sub's 5–100, the ack deadline to 10–600 s, and warm instances to max instances", () => {
    const d = decisions();
    const settings: FunctionSettings = { memoryMb: 2048, timeoutSeconds: 5, reservedConcurrency: 10, warmInstances: 3, batchSize: 1, maxAttempts: 2 };
    const native = gcpSettingsFor("c", queue, settings, d);
    assert.equal(native.queue!.maxDeliveryAttempts, 5);
    assert.equal(native.queue!.ackDeadlineSeconds, 10);
    assert.equal(native.queue!.messagesPerRequest, 1);
    assert.equal(native.maxInstanceRequestConcurrency, 10, "2 GiB has 1 vCPU: one instance serves all 10");
    assert.equal(native.availableCpu, "1", "per-instance concurrency needs a whole vCPU, set explicitly");
    assert.equal(native.minInstanceCount, 1);
    assert.equal(gcpPushConcurrency(native), 10);
    assert.deepEqual(
      d.warnings.map((w) => [w.setting, w.asked, w.applied]).sort(),
      [["maxAttempts", 2, 5], ["timeoutSeconds (push ack deadline)", 5, 10], ["warmInstances", 3, 1]].sort(),
      "batchSize 1 needs no warning",
    );
    assert.equal(gcpSettingsFor("c", queue, { ...settings, maxAttempts: 100, timeoutSeconds: 900 }, decisions()).queue!.maxDeliveryAttempts, 100);
  });

  it("plans one message per push and the _Default bucket's 30 days, warning about both", () => {
    const fn = (definition: FunctionSpec["definition"], settings: FunctionSettings): FunctionSpec => ({ definition, settings });
    const plan = planGcp({ name: "c", functions: [fn(http, base), fn(queue, { ...base, batchSize: 10 })], logRetentionDays: 7, protectData: true });
    assert.equal(plan.httpFunction?.definition.name, "api");
    assert.equal(plan.queueFunction?.definition.name, "worker");
    assert.equal(plan.logRetentionDays, 30);
    assert.equal(plan.protectData, true);
    assert.deepEqual(plan.names, {
      database: "c-users",
      eventsTopic: "c-events",
      deadLetterTopic: "c-events-dead-letter",
      deadLetterSubscription: "c-events-dead-letter",
      pushSubscription: "c-events-push",
      apiKeySecret: "c-api-key",
      pushAccountId: "c-push",
      buildAccountId: "c-build",
      artifactRepository: "c-functions",
    });
    assert.deepEqual(plan.warnings.map((w) => [w.platform, w.function, w.setting, w.asked, w.applied]), [
      ["gcp", "worker", "batchSize", 10, 1],
      ["gcp", "*", "logRetentionDays", 7, 30],
    ]);
    assert.deepEqual(gcpNativeSummary(plan.queueFunction!), {
      availableMemory: "256Mi",
      timeoutSeconds: 10,
      maxInstanceCount: 5,
      maxInstanceRequestConcurrency: 1,
      minInstanceCount: 0,
      ackDeadlineSeconds: 10,
      maxDeliveryAttempts: 5,
      minimumBackoff: "10s",
      maximumBackoff: "600s",
      burstTolerated: 25,
    });
  });

  it("rejects names GCP cannot use and function lists it cannot deploy, prefixed with the component", () => {
    const spec: FunctionSpec = { definition: http, settings: base };
    const plan = (name: string, functions = [spec]) => () => planGcp({ name, functions, logRetentionDays: 30, protectData: false });
    assert.throws(plan("Bad_Name"), /^ComponentArgsError: GcpFunctions "Bad_Name": the name must start with a lower-case letter/);
    assert.throws(plan("c".repeat(60)), /function name "c{60}-api" must be 2–63 characters/);
    assert.throws(plan("c", []), /GcpFunctions "c": `functions` is empty/);
    assert.throws(plan("c", [{ definition: { ...queue, capabilities: [] }, settings: base }]), /must declare events.consume/);
  });

  it("compiles capabilities into the bindings a principal holds, sharing one per role and resource", () => {
    const resources: Record<GcpGrantTarget, string> = {
      database: "projects/p/databases/c-users",
      eventsTopic: "projects/p/topics/c-events",
      apiKeySecret: "projects/p/secrets/c-api-key",
      queueFunctionService: "projects/p/locations/r/services/c-worker",
    };
    const asked: GcpGrantTarget[] = [];
    const resourceOf = (target: GcpGrantTarget) => {
      asked.push(target);
      return resources[target];
    };
    assert.deepEqual(compileGcpBindings(["users.read", "users.create", "events.publish", "apiKey.read"], "function", resourceOf), [
      { role: "roles/datastore.viewer", target: "database", principal: "function", capabilities: ["users.read"], resource: resources.database },
      { role: "roles/datastore.user", target: "database", principal: "function", capabilities: ["users.create"], resource: resources.database },
      { role: "roles/pubsub.publisher", target: "eventsTopic", principal: "function", capabilities: ["events.publish"], resource: resources.eventsTopic },
      { role: "roles/secretmanager.secretAccessor", target: "apiKeySecret", principal: "function", capabilities: ["apiKey.read"], resource: resources.apiKeySecret },
    ]);
    assert.deepEqual(compileGcpBindings(["events.consume", "users.create", "users.update"], "function", resourceOf), [
      { role: "roles/datastore.user", target: "database", principal: "function", capabilities: ["users.create", "users.update"], resource: resources.database },
    ]);
    assert.ok(!asked.includes("queueFunctionService"), "the worker's service is not asked for while binding the function's own account");
    assert.deepEqual(compileGcpBindings(["events.consume", "users.update"], "push identity", resourceOf), [
      { role: "roles/run.invoker", target: "queueFunctionService", principal: "push identity", capabilities: ["events.consume"], resource: resources.queueFunctionService },
    ]);
    assert.equal(firestoreDatabaseCondition(resources.database), 'resource.name == "projects/p/databases/c-users"');
  });

  it("names service accounts within IAM's 6–30 characters, distinctly, and Firestore databases within 63", () => {
    const ids = ["parity-dev-users-api", "a-very-long-component-name-for-tests-users-api", "a-very-long-component-name-for-tests-queue-worker", "ab"].map(serviceAccountId);
    assert.equal(ids[0], "parity-dev-users-api");
    for (const id of ids) assert.match(id, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
    assert.equal(new Set(ids).size, ids.length);
    assert.match(firestoreDatabaseId("x".repeat(70)), /^[a-z][a-z0-9-]{2,61}[a-z0-9]$/);
  });

  it("sizes push retries so that a burst at the instance cap drains before dead-lettering: exactly at the limit, and one past it", () => {
    const d = decisions();
    // 20 events at 5 concurrent pushes: 4 rounds, within the 5 attempts asked; backoff ≥ the 30 s timeout.
    assert.deepEqual(gcpPushRetryFor("w", { capacity: 5, timeoutSeconds: 30, maxAttempts: 5, burst: 25 }, d), {
      maxDeliveryAttempts: 5,
      minimumBackoffSeconds: 30,
      maximumBackoffSeconds: 600,
      burstTolerated: 25,
    });
    assert.deepEqual(d.warnings.map((w) => [w.setting, w.asked, w.applied]), [["push retry minimumBackoff", "10s (Pub/Sub's default)", "30s"]]);
    // One event past 5 × 5: a sixth attempt is needed, and warned about.
    const past = decisions();
    assert.equal(gcpPushRetryFor("w", { capacity: 5, timeoutSeconds: 10, maxAttempts: 5, burst: 26 }, past).maxDeliveryAttempts, 6);
    assert.deepEqual(past.warnings.map((w) => [w.setting, w.asked, w.applied]), [["maxAttempts", 5, 6]]);
    // Pub/Sub's ceilings: 100 attempts, 600 s backoff; a burst beyond 100 × capacity is warned about.
    const beyond = decisions();
    const capped = gcpPushRetryFor("w", { capacity: 1, timeoutSeconds: 3600, maxAttempts: 5, burst: 101 }, beyond);
    assert.deepEqual([capped.maxDeliveryAttempts, capped.minimumBackoffSeconds, capped.burstTolerated], [100, 600, 100]);
    assert.deepEqual(beyond.warnings.map((w) => w.setting), ["push retry minimumBackoff", "maxAttempts", "throttling headroom"]);
    assert.deepEqual(gcpPushRetryFor("w", { capacity: 1, timeoutSeconds: 10, maxAttempts: 5, burst: 100 }, decisions()).burstTolerated, 100, "100 × 1 is still drained");
  });

  it("takes the largest publisher's burst: the reconciler's batch, or an HTTP function's concurrency", () => {
    const spec = (name: string, kind: "http" | "schedule", reservedConcurrency: number, publishes = true): FunctionSpec => ({
      definition: { name, trigger: kind === "http" ? { kind } : { kind, everyMinutes: 5 }, capabilities: publishes ? ["events.publish"] : [], description: "" },
      settings: { ...base, reservedConcurrency, everyMinutes: 5 },
    });
    assert.equal(gcpPublishBurst([spec("api", "http", 10)]), 10);
    assert.equal(gcpPublishBurst([spec("api", "http", 10), spec("reconciler", "schedule", 1)]), RECONCILER_BATCH_LIMIT);
    assert.equal(gcpPublishBurst([spec("api", "http", 300), spec("reconciler", "schedule", 1)]), 300);
    assert.equal(gcpPublishBurst([spec("api", "http", 10, false)]), 1, "no publisher: nothing to size for");
  });

  it("plans the Cloud Scheduler job: unix cron in Etc/UTC, no retries, the attempt deadline within 15 s–30 min", () => {
    const d = decisions();
    const at = (timeoutSeconds: number, dd = d) => gcpScheduleSettingsFor("c", "reconciler", { ...base, everyMinutes: 10, timeoutSeconds }, timeoutSeconds, dd);
    assert.deepEqual(at(60), {
      jobName: "c-reconciler",
      expression: "*/10 * * * *",
      timeZone: "Etc/UTC",
      attemptDeadline: "60s",
      retryCount: 0,
      schedulerAccountId: "c-reconciler-cron",
      run: { graceSeconds: 1200, timeBudgetSeconds: 48 },
    });
    assert.equal(at(15).attemptDeadline, "15s");
    assert.equal(at(1800).attemptDeadline, "1800s");
    assert.deepEqual(d.warnings, [], "15 s and 1800 s are within the range");
    const outside = decisions();
    assert.equal(at(14, outside).attemptDeadline, "15s");
    assert.equal(at(1801, outside).attemptDeadline, "1800s");
    assert.deepEqual(outside.warnings.map((w) => [w.setting, w.asked, w.applied]), [
      ["timeoutSeconds (scheduler attempt deadline)", 14, 15],
      ["timeoutSeconds (scheduler attempt deadline)", 1801, 1800],
    ]);
  });

  it("grants users.listPending as datastore.viewer and warns that IAM cannot narrow it to the pending index", () => {
    const reconciler: FunctionSpec = {
      definition: { name: "reconciler", trigger: { kind: "schedule", everyMinutes: 5 }, capabilities: ["users.listPending", "users.update", "events.publish"], description: "" },
      settings: { ...base, everyMinutes: 5, timeoutSeconds: 60 },
    };
    const plan = planGcp({ name: "c", functions: [reconciler], logRetentionDays: 30, protectData: false });
    assert.deepEqual(plan.scheduleFunctions.map((f) => f.native.schedule?.expression), ["*/5 * * * *"]);
    assert.deepEqual(
      plan.warnings.map((w) => [w.function, w.setting, w.applied]),
      [["reconciler", "users.listPending", "roles/datastore.viewer on the users database"]],
    );
    assert.deepEqual(
      compileGcpBindings(reconciler.definition.capabilities, "function", () => "r").map((b) => [b.role, b.capabilities]),
      [["roles/datastore.viewer", ["users.listPending"]], ["roles/datastore.user", ["users.update"]], ["roles/pubsub.publisher", ["events.publish"]]],
    );
  });

  it("gives the build identity the roles a build needs only, each on the narrowest resource", () => {
    assert.deepEqual(gcpBuildBindings.map((b) => [b.role, b.target]), [
      ["roles/logging.logWriter", "project"],
      ["roles/artifactregistry.writer", "artifactRepository"],
      ["roles/storage.objectViewer", "sourceBucket"],
    ]);
  });

  it("keeps every service account id within 6–30 [a-z][-a-z0-9]*[a-z0-9] for dev, prod and a 20-character stack", () => {
    for (const stack of ["dev", "prod", "feature-branch-xy123"]) {
      const component = `parity-${stack}`;
      const ids = [
        ...["users-api", "queue-worker", "reconciler"].map((fn) => functionAccountId(component, fn)),
        pushAccountId(component),
        buildAccountId(component),
        schedulerAccountId(component, "reconciler"),
      ];
      for (const id of ids) assert.match(id, /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, `${stack}: ${id}`);
      assert.equal(new Set(ids).size, ids.length, `${stack}: distinct`);
    }
    assert.equal(serviceAccountId("a".repeat(30)), "a".repeat(30), "30 characters stay as they are");
    assert.match(serviceAccountId("a".repeat(31)), /^a{23}-[0-9a-f]{6}$/, "31 are shortened with a hash");
  });

  it("derives labels GCP accepts", () => {
    assert.deepEqual(gcpLabels({ Project: "Parity", "cost center": "R&D 42" }), { project: "parity", cost_center: "r_d_42" });
  });
});

describe("GCP environment contract", () => {
  it("derives entry points as JavaScript identifiers", () => {
    assert.equal(entryPointName("users-api"), "usersApi");
    assert.equal(entryPointName("queue-worker"), "queueWorker");
    assert.equal(entryPointName("hello"), "hello");
  });

  it("gives a function the variables of its capabilities only, and the API key as a secret variable", () => {
    const values = { projectId: "p", firestoreDatabase: "c-users", eventsTopic: "c-events" };
    const common = { PARITY_PLATFORM: "gcp", GOOGLE_CLOUD_PROJECT: "p", NODE_ENV: "production" };
    assert.deepEqual(gcpEnvironment(["users.read", "users.create", "events.publish", "apiKey.read"], values, { apiKey: "ref" }), {
      variables: { ...common, FIRESTORE_DATABASE: "c-users", EVENTS_TOPIC: "c-events" },
      secrets: { API_KEY: "ref" },
    });
    assert.deepEqual(gcpEnvironment(["events.consume", "users.update"], values, { apiKey: "ref" }), { variables: { ...common, FIRESTORE_DATABASE: "c-users" }, secrets: {} });
    assert.deepEqual(gcpEnvironment([], values, { apiKey: "ref" }), { variables: common, secrets: {} });
  });
});
