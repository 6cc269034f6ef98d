/** The GCP rules and environment contract on their own: pure functions, no Pulumi, no cloud. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { entryPointName, gcpEnvironment, RECONCILER_BATCH_LIMIT } from "../../functions/gcp/contract";
import type { FunctionSettings } from "../config";
import { Decisions, type FunctionSpec } from "../platform";
import {
  artifactRepositoryId,
  compileGcpBindings,
  firestoreDatabaseCondition,
  firestoreDatabaseResource,
  firestoreDatabaseId,
  gcpConcurrencyFor,
  gcpLabels,
  gcpLogRetention,
  gcpMemoryFor,
  gcpNativeSummary,
  buildAccountId,
  gcpBuildBindings,
  gcpPublishBurst,
  gcpPushConcurrency,
  gcpPushRetryFor,
  gcpQueueSettingsFor,
  gcpScheduleSettingsFor,
  gcpSettingsFor,
  planGcp,
  schedulerAccountId,
  serviceAccountId,
  functionAccountId,
  functionSourcesBucket,
  functionSourcesCondition,
  isFunctionSourcesCondition,
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
      ingressSettings: "ALLOW_ALL",
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
      ["roles/storage.objectViewer", "functionSourcesBucket"],
    ]);
  });

  it("narrows the build's storage grant to gcf-v2-sources-<number>-<region> and its objects, not a bucket-name prefix", () => {
    const condition = functionSourcesCondition("123", "europe-west1");
    assert.equal(functionSourcesBucket("123", "europe-west1"), "gcf-v2-sources-123-europe-west1");
    assert.equal(condition, 'resource.name == "projects/_/buckets/gcf-v2-sources-123-europe-west1" || resource.name.startsWith("projects/_/buckets/gcf-v2-sources-123-europe-west1/objects/")');
    // A regional neighbour (europe-west10) shares the name as a prefix: it must not match.
    assert.ok(!condition.includes('startsWith("projects/_/buckets/gcf-v2-sources-123-europe-west1")'));
    assert.ok(isFunctionSourcesCondition(condition));
    assert.ok(!isFunctionSourcesCondition('resource.name.startsWith("projects/_/buckets/")'));
    assert.ok(!isFunctionSourcesCondition(functionSourcesCondition("123", "europe-west1").replace("/objects/", "/")));
    assert.ok(!isFunctionSourcesCondition('resource.name == "projects/_/buckets/gcf-v2-sources-123-a" || resource.name.startsWith("projects/_/buckets/gcf-v2-sources-123-b/objects/")'));
  });

  it("opens only the HTTP function to all traffic; queue and schedule functions take internal traffic (Pub/Sub push, Cloud Scheduler)", () => {
    const spec = (name: string, trigger: FunctionSpec["definition"]["trigger"], extra: Partial<FunctionSettings> = {}): FunctionSpec => ({
      definition: { name, trigger, capabilities: trigger.kind === "queue" ? ["events.consume"] : [], description: "" },
      settings: { memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: 5, warmInstances: 0, ...extra },
    });
    const plan = planGcp({
      name: "c",
      functions: [spec("users-api", { kind: "http" }), spec("queue-worker", { kind: "queue" }, { batchSize: 1, maxAttempts: 5 }), spec("reconciler", { kind: "schedule", everyMinutes: 5 }, { everyMinutes: 5 })],
      logRetentionDays: 30,
      protectData: false,
    });
    assert.deepEqual(
      plan.functions.map((f) => [f.definition.name, f.native.ingressSettings]),
      [["users-api", "ALLOW_ALL"], ["queue-worker", "ALLOW_INTERNAL_ONLY"], ["reconciler", "ALLOW_INTERNAL_ONLY"]],
    );
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

describe("GCP rules: names, checks, warning reasons and the plan", () => {
  const decisions = () => new Decisions("gcp");
  const hash6 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 6);
  const reasons = (d: Decisions) => d.warnings.map((w) => [w.setting, w.asked, w.applied, w.reason]);

  it("cleans service account ids: lower case, other characters as -, a letter first, a trailing - as 0", () => {
    assert.equal(serviceAccountId("Parity_Dev.API"), "parity-dev-api");
    assert.equal(serviceAccountId("9-abc-def"), "abc-def", "leading digits and hyphens are dropped");
    assert.equal(serviceAccountId("abc-d9-x"), "abc-d9-x", "digits and hyphens inside are kept");
    assert.equal(serviceAccountId("abcdefg--"), "abcdefg0", "trailing hyphens become one 0");
  });

  it("pads a service account id below 6 characters, and keeps one of exactly 6", () => {
    assert.equal(serviceAccountId("ab"), "ab-sa0");
    assert.equal(serviceAccountId("abcde"), "abcde0");
    assert.equal(serviceAccountId("abcdef"), "abcdef");
  });

  it("shortens a service account id past 30 characters to 23, hyphens trimmed, and a hash of the whole name", () => {
    const base = `${"a".repeat(21)}--${"b".repeat(10)}`;
    assert.equal(serviceAccountId(base), `${"a".repeat(21)}-${hash6(base)}`);
    const other = `${"a".repeat(21)}--${"c".repeat(10)}`;
    assert.notEqual(serviceAccountId(other), serviceAccountId(base), "same prefix, different names: different ids");
    const realistic = "a-very-long-component-name-for-tests-users-api";
    assert.equal(serviceAccountId(realistic), `a-very-long-component-n-${hash6(realistic)}`, "hyphens inside are kept");
  });

  it("keeps an Artifact Registry repository id of 63 characters and shortens a longer one with a hash", () => {
    assert.equal(artifactRepositoryId("x".repeat(53)), `${"x".repeat(53)}-functions`);
    const stem = `${"x".repeat(26)}-${"x".repeat(27)}`;
    const long = `${stem}-`;
    assert.equal(artifactRepositoryId(long), `${stem}-${hash6(`${long}-functions`)}`);
  });

  it("keeps a Firestore database id of 63 characters and shortens a longer one with a hash", () => {
    assert.equal(firestoreDatabaseId("x".repeat(57)), `${"x".repeat(57)}-users`);
    const stem = `${"x".repeat(26)}-${"x".repeat(27)}`;
    const long = `${stem}--yy`;
    assert.equal(firestoreDatabaseId(long), `${stem}-${hash6(`${long}-users`)}`);
    assert.equal(firestoreDatabaseResource("p", "c-users"), "projects/p/databases/c-users");
  });

  it("derives label keys that start with a letter (or `tag`), and cuts keys and values at 63", () => {
    assert.deepEqual(gcpLabels({ "99Team": "a", "team-9": "b", __: "c" }), { team: "a", "team-9": "b", tag: "c" });
    assert.deepEqual(gcpLabels({ ["k".repeat(70)]: "V".repeat(70) }), { ["k".repeat(63)]: "v".repeat(63) });
  });

  it("gives a capability declared twice one binding, naming it once, and asks for its resource once", () => {
    const asked: GcpGrantTarget[] = [];
    const bindings = compileGcpBindings(["users.create", "users.create"], "function", (target) => {
      asked.push(target);
      return target;
    });
    assert.deepEqual(bindings, [{ role: "roles/datastore.user", target: "database", principal: "function", capabilities: ["users.create"], resource: "database" }]);
    assert.deepEqual(asked, ["database"]);
  });

  it("caps per-instance concurrency at Cloud Functions' 1000", () => {
    assert.deepEqual(gcpConcurrencyFor(2000, 16), { maxInstanceCount: 2, maxInstanceRequestConcurrency: 1000 });
    assert.deepEqual(gcpConcurrencyFor(1100, 16), { maxInstanceCount: 2, maxInstanceRequestConcurrency: 550 }, "1100 on one instance would exceed 1000");
    assert.deepEqual(gcpConcurrencyFor(160, 2), { maxInstanceCount: 1, maxInstanceRequestConcurrency: 160 }, "80 per vCPU");
  });

  it("sets the vCPU only when an instance serves more than one request", () => {
    const single = gcpSettingsFor("c", http, { ...base, memoryMb: 2048, reservedConcurrency: 1 }, decisions());
    assert.deepEqual([single.maxInstanceRequestConcurrency, single.availableCpu], [1, undefined]);
    const many = gcpSettingsFor("c", http, { ...base, memoryMb: 4096, reservedConcurrency: 4 }, decisions());
    assert.deepEqual([many.maxInstanceRequestConcurrency, many.availableCpu], [4, "2"]);
  });

  it("says why memory, timeout and warm instances were changed", () => {
    const d = decisions();
    gcpSettingsFor("c", http, { ...base, memoryMb: 300, timeoutSeconds: 3601, warmInstances: 9, reservedConcurrency: 4 }, d);
    assert.deepEqual(reasons(d), [
      ["memoryMb", 300, 512, "Cloud Functions memory comes in tiers; the next tier up was applied"],
      ["timeoutSeconds", 3601, 3600, "Cloud Functions HTTP timeout is 1–3600 s"],
      ["warmInstances", 9, 4, "min instances cannot exceed max instances (4 at 1 requests each)"],
    ]);
    const exact = decisions();
    assert.equal(gcpSettingsFor("c", http, { ...base, memoryMb: 32768, timeoutSeconds: 3600 }, exact).timeoutSeconds, 3600);
    assert.deepEqual(exact.warnings, [], "3600 s and the largest tier are exact");
    const over = decisions();
    assert.equal(gcpMemoryFor("f", 40000, over).mb, 32768, "above the largest tier: the largest");
    assert.deepEqual(reasons(over).map((r) => r.slice(0, 3)), [["memoryMb", 40000, 32768]]);
  });

  it("says why the push subscription differs from what was asked", () => {
    const d = decisions();
    const q = gcpQueueSettingsFor("w", { ...base, batchSize: 10, maxAttempts: 101 }, 601, d, { capacity: 5, burst: 5 });
    assert.deepEqual([q.ackDeadlineSeconds, q.maxDeliveryAttempts, q.minimumBackoff], [600, 100, "600s"]);
    assert.deepEqual(reasons(d), [
      ["batchSize", 10, 1, "Pub/Sub push delivers one message per request; there is no batch size"],
      ["timeoutSeconds (push ack deadline)", 601, 600, "a subscription's ack deadline is 10–600 s"],
      ["maxAttempts", 101, 100, "Pub/Sub maxDeliveryAttempts is 5–100"],
      ["push retry minimumBackoff", "10s (Pub/Sub's default)", "600s", "a push throttled at the worker's 5 concurrent requests comes back no sooner than the worker's 601 s timeout, so each retry round finds the instances free"],
    ]);
    const exact = decisions();
    assert.equal(gcpQueueSettingsFor("w", { ...base, maxAttempts: 100 }, 600, exact, { capacity: 5, burst: 5 }).ackDeadlineSeconds, 600);
    assert.deepEqual(reasons(exact).map((r) => r[0]), ["push retry minimumBackoff"], "600 s and 100 attempts are within range");
  });

  it("says why push retries were raised, and warns only when the burst exceeds what 100 attempts drain", () => {
    const raised = decisions();
    gcpPushRetryFor("w", { capacity: 5, timeoutSeconds: 10, maxAttempts: 5, burst: 26 }, raised);
    assert.deepEqual(reasons(raised), [
      ["maxAttempts", 5, 6, "a burst of 26 events (the largest publisher's) at 5 concurrent pushes needs 6 attempts when throttled; a poison message is retried as often before it is dead-lettered"],
    ]);
    const atLimit = decisions();
    gcpPushRetryFor("w", { capacity: 1, timeoutSeconds: 10, maxAttempts: 5, burst: 100 }, atLimit);
    assert.deepEqual(reasons(atLimit).map((r) => r[0]), ["maxAttempts"], "a burst of exactly 100 × capacity: no headroom warning");
    const beyond = decisions();
    gcpPushRetryFor("w", { capacity: 1, timeoutSeconds: 10, maxAttempts: 5, burst: 101 }, beyond);
    assert.deepEqual(reasons(beyond)[1], [
      "throttling headroom",
      "101 events",
      "100 events",
      "Pub/Sub allows at most 100 delivery attempts: a larger burst can dead-letter good messages; raise the worker's reservedConcurrency",
    ]);
    assert.equal(gcpPushRetryFor("w", { capacity: 5, timeoutSeconds: 3, maxAttempts: 5, burst: 5 }, decisions()).minimumBackoffSeconds, 10, "never below Pub/Sub's default");
  });

  it("says why the scheduler's attempt deadline and the log retention differ", () => {
    const d = decisions();
    gcpScheduleSettingsFor("c", "reconciler", { ...base, everyMinutes: 5 }, 10, d);
    assert.equal(gcpLogRetention(30, d), 30);
    assert.equal(gcpLogRetention(90, d), 30);
    assert.deepEqual(d.warnings.map((w) => [w.function, w.setting, w.asked, w.applied, w.reason]), [
      ["reconciler", "timeoutSeconds (scheduler attempt deadline)", 10, 15, "Cloud Scheduler HTTP attempt deadlines are 15 s to 30 min; a run longer than the deadline is counted failed while it still runs"],
      ["*", "logRetentionDays", 90, 30, "function logs go to the project's _Default log bucket; Cloud Logging has no per-function retention"],
    ]);
  });

  const spec = (definition: FunctionSpec["definition"], settings: FunctionSettings = base): FunctionSpec => ({ definition, settings });
  const reconciler = { name: "reconciler", trigger: { kind: "schedule" as const, everyMinutes: 5 }, capabilities: ["users.listPending" as const], description: "" };

  it("plans each trigger's functions apart, and warns about users.listPending with what was asked", () => {
    const plan = planGcp({ name: "c", functions: [spec(http), spec(reconciler, { ...base, everyMinutes: 5, timeoutSeconds: 60 }), spec(queue)], logRetentionDays: 30, protectData: false });
    assert.deepEqual(plan.scheduleFunctions.map((f) => f.definition.name), ["reconciler"]);
    assert.equal(plan.httpFunction?.definition.name, "api");
    assert.equal(plan.queueFunction?.definition.name, "worker");
    assert.equal(plan.protectData, false);
    assert.deepEqual(plan.warnings.map((w) => [w.platform, w.function, w.setting, w.asked, w.applied, w.reason]), [
      [
        "gcp",
        "reconciler",
        "users.listPending",
        "the users store's pending index only",
        "roles/datastore.viewer on the users database",
        "Google Cloud IAM cannot narrow a Firestore grant to one field or query; the role reads the whole database",
      ],
    ]);
    assert.deepEqual(gcpNativeSummary(plan.scheduleFunctions[0]), {
      availableMemory: "256Mi",
      timeoutSeconds: 60,
      maxInstanceCount: 5,
      maxInstanceRequestConcurrency: 1,
      minInstanceCount: 0,
      schedule: "*/5 * * * *",
      timeZone: "Etc/UTC",
      attemptDeadline: "60s",
      retryCount: 0,
    });
    const onlyQueue = planGcp({ name: "c", functions: [spec(queue)], logRetentionDays: 30, protectData: false });
    assert.equal(onlyQueue.httpFunction, undefined);
    assert.deepEqual(onlyQueue.scheduleFunctions, []);
    assert.equal(planGcp({ name: "c", functions: [spec(http)], logRetentionDays: 30, protectData: false }).queueFunction, undefined);
  });

  it("summarises the vCPU when it is set", () => {
    const plan = planGcp({ name: "c", functions: [spec(http, { ...base, memoryMb: 2048, reservedConcurrency: 10 })], logRetentionDays: 30, protectData: false });
    assert.deepEqual(gcpNativeSummary(plan.functions[0]), {
      availableMemory: "2048Mi",
      availableCpu: "1",
      timeoutSeconds: 10,
      maxInstanceCount: 1,
      maxInstanceRequestConcurrency: 10,
      minInstanceCount: 0,
    });
  });

  it("accepts component names of a-z, 0-9 and - that start with a letter, and function names up to 63 ending in a letter or digit", () => {
    const plan = (name: string, fn = "api") => () => planGcp({ name, functions: [spec({ ...http, name: fn })], logRetentionDays: 30, protectData: false });
    const nameError = (name: string) =>
      `ComponentArgsError: GcpFunctions "${name}": the name must start with a lower-case letter and hold only a-z, 0-9 and "-", because it prefixes function, topic and database names.`;
    for (const name of ["9c", "c_x", "-c", "cX"]) assert.throws(plan(name), (e: Error) => String(e) === nameError(name), name);
    for (const name of ["c", "c-9x", "c".repeat(59)]) assert.doesNotThrow(plan(name), name);
    const functionError = (fn: string, component = "c") =>
      `ComponentArgsError: GcpFunctions "${component}": function name "${fn}" must be 2–63 characters of a-z, 0-9 and "-", starting with a letter; shorten the component or function name.`;
    assert.throws(plan("c", "x-"), (e: Error) => String(e) === functionError("c-x-"));
    assert.throws(plan("c", "X"), (e: Error) => String(e) === functionError("c-X"));
    assert.throws(plan("c".repeat(60)), (e: Error) => String(e) === functionError(`${"c".repeat(60)}-api`, "c".repeat(60)));
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
