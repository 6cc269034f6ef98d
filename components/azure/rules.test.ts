/** The Azure rules on their own: pure functions, no Pulumi, no cloud. */
import assert from "node:assert/strict";
import type { FunctionSettings } from "../config";
import { Decisions, type FunctionSpec } from "../platform";
import {
  azureLimits,
  azureNameRules,
  azureNativeSummary,
  azureRoles,
  azureSettingsFor,
  capabilityRoles,
  hostAccessRoles,
  hostIdFor,
  hostJsonFor,
  logRetentionFor,
  nearestInstanceMemory,
  planAzure,
  planGrants,
  resourceNames,
  roleDefinitionIdFor,
  VAULT_RANDOM_LENGTH,
  vaultNameFor,
  type AzurePlanInput,
} from "./rules";

describe("Azure rules", () => {
  const decisions = () => new Decisions("azure");

  it("instance memory rounds up to 512, 2048 or 4096 MB and caps at 4096", () => {
    assert.deepEqual([128, 512, 513, 1024, 2048, 3000, 4096, 10240].map(nearestInstanceMemory), [512, 512, 2048, 2048, 2048, 4096, 4096, 4096]);
  });

  it("azureSettingsFor maps each setting and warns only where inexact", () => {
    const d = decisions();
    const http = azureSettingsFor({ name: "api", trigger: { kind: "http" } }, { memoryMb: 2048, timeoutSeconds: 600, reservedConcurrency: 2000, warmInstances: 3 }, d);
    assert.deepEqual(http, { instanceMemoryMB: 2048, maximumInstanceCount: 1000, alwaysReady: [{ name: "http", instanceCount: 3 }], functionTimeout: "00:03:50", httpPerInstanceConcurrency: 1 });
    assert.deepEqual(d.warnings.map((w) => [w.setting, w.asked, w.applied]), [["reservedConcurrency", 2000, 1000], ["timeoutSeconds", 600, 230]]);

    const d2 = decisions();
    const queue = azureSettingsFor({ name: "w", trigger: { kind: "queue" } }, { memoryMb: 4096, timeoutSeconds: 900, reservedConcurrency: 40, warmInstances: 0, batchSize: 64, maxAttempts: 3 }, d2);
    assert.deepEqual(queue, { instanceMemoryMB: 4096, maximumInstanceCount: 40, alwaysReady: [], functionTimeout: "00:15:00", queues: { batchSize: 32, maxDequeueCount: 3 } });
    assert.deepEqual(d2.warnings.map((w) => [w.platform, w.function, w.setting, w.asked, w.applied]), [["azure", "w", "batchSize", 64, "32 per instance"]]);
    assert.match(d2.warnings[0].reason, /^host\.json queues\.batchSize is 1 to 32; .*maximumInstanceCount \(40\) × \(batchSize \+ newBatchThreshold\)/);

    // An exact batchSize is still not AWS's batch: warned, without the clamp.
    const d3 = decisions();
    azureSettingsFor({ name: "w", trigger: { kind: "queue" } }, { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 5, warmInstances: 0, batchSize: 10, maxAttempts: 5 }, d3);
    assert.deepEqual(d3.warnings.map((w) => [w.setting, w.asked, w.applied]), [["batchSize", 10, "10 per instance"]]);
    assert.match(d3.warnings[0].reason, /^it bounds the messages one instance fetches at a time, each its own invocation.*\(5\) × /);
  });

  it("the store deadline: 40 % of the applied timeout on a function with any users.* capability, at 230 s and one past it; none without", () => {
    const d = decisions();
    const storeTimeoutOf = (kind: "http" | "queue", capabilities: FunctionSpec["definition"]["capabilities"], timeoutSeconds: number) =>
      azureSettingsFor({ name: "f", trigger: { kind }, capabilities }, { memoryMb: 512, timeoutSeconds, reservedConcurrency: 5, warmInstances: 0, batchSize: 1, maxAttempts: 5 }, d).storeTimeoutMs;
    for (const timeoutSeconds of [1, 10, 230]) {
      assert.equal(storeTimeoutOf("http", ["users.create", "events.publish"], timeoutSeconds), timeoutSeconds * 400);
      assert.ok(storeTimeoutOf("http", ["users.create"], timeoutSeconds)! < timeoutSeconds * 1000, "the store gives up inside the timeout");
    }
    assert.equal(storeTimeoutOf("http", ["users.read"], 231), 92_000, "from the 230 s the HTTP timeout is clamped to, not the 231 asked");
    assert.equal(storeTimeoutOf("queue", ["events.consume", "users.update"], 900), 360_000, "a queue function's timeout is not clamped");
    assert.equal(storeTimeoutOf("queue", ["users.listPending"], 60), 24_000, "any users.* capability");
    assert.ok(!("storeTimeoutMs" in azureSettingsFor({ name: "m", trigger: { kind: "queue" }, capabilities: ["events.consume"] }, { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 5, warmInstances: 0, batchSize: 1, maxAttempts: 5 }, d)));
  });

  it("a schedule function: 6-field NCRONTAB in UTC and the reconciler's run settings, exactly, without warnings", () => {
    const d = decisions();
    const every = (everyMinutes: number, timeoutSeconds: number) =>
      azureSettingsFor({ name: "r", trigger: { kind: "schedule", everyMinutes: 5 } }, { memoryMb: 512, timeoutSeconds, reservedConcurrency: 1, warmInstances: 0, everyMinutes }, d).schedule;
    assert.deepEqual(every(5, 60), { expression: "0 */5 * * * *", graceSeconds: 600, timeBudgetSeconds: 48 });
    assert.deepEqual(every(10, 120), { expression: "0 */10 * * * *", graceSeconds: 1200, timeBudgetSeconds: 96 });
    assert.deepEqual(every(120, 60)?.expression, "0 0 */2 * * *");
    assert.deepEqual(d.warnings, []);
  });

  it("host.json carries the route prefix, timeout and queue knobs", () => {
    const json = hostJsonFor({ instanceMemoryMB: 512, maximumInstanceCount: 40, alwaysReady: [], functionTimeout: "00:00:30", queues: { batchSize: 10, maxDequeueCount: 5 } }) as any;
    assert.equal(json.version, "2.0");
    assert.equal(json.functionTimeout, "00:00:30");
    assert.deepEqual(json.extensionBundle, { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" });
    assert.deepEqual(json.extensions, { http: { routePrefix: "" }, queues: { batchSize: 10, maxDequeueCount: 5, messageEncoding: "base64" } });
    const http = hostJsonFor({ instanceMemoryMB: 512, maximumInstanceCount: 40, alwaysReady: [], functionTimeout: "00:00:10", httpPerInstanceConcurrency: 1 }) as any;
    assert.deepEqual(http.extensions, { http: { routePrefix: "" } });
  });

  it("planGrants compiles capabilities to roles on exact targets", () => {
    assert.deepEqual(planGrants("f", ["users.read", "apiKey.read"]).map((g) => [g.capability, g.role, g.target, g.assign]), [
      ["users.read", "Storage Table Data Reader", "usersTable", true],
      ["apiKey.read", "Key Vault Secrets User", "apiKeySecret", true],
    ]);
    assert.deepEqual(planGrants("f", []), []);
    for (const [capability, rules] of Object.entries(capabilityRoles)) {
      assert.ok(rules.length > 0, capability);
      for (const rule of rules) assert.match(azureRoles[rule.role], /^[0-9a-f-]{36}$/);
    }
  });

  it("assigns a role once per target: users.create and users.update share Table Data Contributor; a repeated capability counts once", () => {
    const grants = planGrants("f", ["users.create", "users.update", "users.create"]);
    assert.deepEqual(grants.map((g) => [g.capability, g.role, g.target, g.assign]), [
      ["users.create", "Storage Table Data Contributor", "usersTable", true],
      ["users.update", "Storage Table Data Contributor", "usersTable", false],
    ]);
    const consume = planGrants("w", ["events.consume"]);
    assert.deepEqual(consume.map((g) => `${g.role}@${g.target}`), [
      "Storage Queue Data Reader@eventsQueue",
      "Storage Queue Data Message Processor@eventsQueue",
      "Storage Queue Data Contributor@eventsPoisonQueue",
    ]);
  });

  it("the host's own access: its package container, the two host containers, telemetry", () => {
    assert.deepEqual(hostAccessRoles.map((a) => `${a.purpose}: ${a.role}@${a.target}`), [
      "deployment package: Storage Blob Data Contributor@deploymentContainer",
      "host storage: Storage Blob Data Owner@azure-webjobs-hosts",
      "host storage: Storage Blob Data Owner@azure-webjobs-secrets",
      "telemetry: Monitoring Metrics Publisher@appInsights",
    ]);
    assert.equal(roleDefinitionIdFor("sub", "Key Vault Secrets User"), "/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6");
  });

  it("log retention clamps to the workspace's 30 to 730 days", () => {
    const d = decisions();
    assert.deepEqual([7, 90, 3653].map((days) => logRetentionFor(days, d)), [30, 90, 730]);
    assert.deepEqual(d.warnings.map((w) => [w.function, w.setting, w.asked, w.applied]), [["*", "logRetentionDays", 7, 30], ["*", "logRetentionDays", 3653, 730]]);
  });

  it("derived names fit Azure's rules and differ per stack", () => {
    const dev = resourceNames("parity-azure", "parity", "dev");
    const prod = resourceNames("parity-azure", "parity", "prod");
    assert.match(dev.storageAccount, azureNameRules.storageAccount.pattern);
    assert.match(dev.packageAccount, azureNameRules.storageAccount.pattern);
    assert.notEqual(dev.storageAccount, dev.packageAccount);
    assert.equal(dev.vaultPrefix, "kvparityazure");
    assert.notEqual(dev.storageAccount, prod.storageAccount);
    assert.ok(`${dev.appPrefix}-queue-worker`.length <= 60);
    // Deployed names: the suffix must never change, or every account, vault and app is replaced.
    assert.deepEqual(resourceNames("parity-dev", "parity", "dev"), resourceNames("parity-dev", "parity", "dev"));
    assert.match(dev.storageAccount, /^parityazure[0-9a-f]{8}$/);
    assert.deepEqual(azureLimits.instanceMemoryMb, [512, 2048, 4096]);
    assert.deepEqual(azureLimits.maximumInstanceCount, { min: 1, max: 1000 });
  });

  it("the vault name: a prefix, one hyphen, the random suffix; within Key Vault's rules for every stack, at 24 and not past it", () => {
    const random = "a1b2c3d4";
    assert.equal(random.length, VAULT_RANDOM_LENGTH);
    for (const stack of ["dev", "prod", "feature-branch-xy123"]) {
      const vault = vaultNameFor(resourceNames(`parity-${stack}`, "parity", stack), random);
      assert.match(vault, azureNameRules.vault.pattern, vault);
      assert.ok(vault.length >= 3 && vault.length <= 24, vault);
    }
    // The longest component name gives exactly 24 characters; the rule refuses 25.
    const longest = vaultNameFor(resourceNames("a-very-long-component-name", "parity", "dev"), random);
    assert.equal(longest, "kvaverylongcomp-a1b2c3d4");
    assert.equal(longest.length, 24);
    assert.doesNotMatch(`${longest}x`, azureNameRules.vault.pattern);
    assert.doesNotMatch("kv--a1b2c3d4", azureNameRules.vault.pattern, "no consecutive hyphens");
    assert.doesNotMatch("1kv-a1b2c3d4", azureNameRules.vault.pattern, "starts with a letter");
    assert.doesNotMatch("kv-a1b2c3d4-", azureNameRules.vault.pattern, "ends with a letter or digit");
    // A component named with digits first still gets a vault name that starts with a letter.
    assert.match(vaultNameFor(resourceNames("1st", "parity", "dev"), random), /^kv1st-a1b2c3d4$/);
  });

  it("host ids: distinct per function and stack, at most 32 lowercase letters, digits and single dashes", () => {
    const ids = ["dev", "prod", "feature-branch-xy123"].flatMap((stack) =>
      ["users-api", "queue-worker", "reconciler", "a-function-name-well-past-thirty-two-characters", "Odd__Name"].map((fn) => hostIdFor(resourceNames(`parity-${stack}`, "parity", stack), fn)),
    );
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, azureNameRules.hostId.pattern, id);
    assert.ok(ids.every((id) => id.length <= 32));
    assert.ok(ids.some((id) => id.length === 32), "a long function name fills the 32 characters exactly");
    assert.match(hostIdFor(resourceNames("parity-dev", "parity", "dev"), "users-api"), /^users-api-[0-9a-f]{8}$/);
    assert.doesNotMatch("a".repeat(33), azureNameRules.hostId.pattern);
    assert.match("a".repeat(32), azureNameRules.hostId.pattern);
    for (const bad of ["-a", "a-", "a--b", "A", "a_b", ""]) assert.doesNotMatch(bad, azureNameRules.hostId.pattern, bad);
  });

  it("users.listPending: read on the users table, the narrowest Table Storage scope, with a warning saying so", () => {
    assert.deepEqual(planGrants("r", ["users.listPending", "users.update", "events.publish"]).map((g) => `${g.capability}: ${g.role}@${g.target}`), [
      "users.listPending: Storage Table Data Reader@usersTable",
      "users.update: Storage Table Data Contributor@usersTable",
      "events.publish: Storage Queue Data Message Sender@eventsQueue",
    ]);
    const plan = planAzure(
      input({
        functions: [
          {
            definition: { name: "reconciler", trigger: { kind: "schedule", everyMinutes: 5 }, capabilities: ["users.listPending", "users.update", "events.publish"], description: "" },
            settings: { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 1, warmInstances: 0, everyMinutes: 5 },
          },
        ],
      }),
    );
    assert.deepEqual(plan.warnings.map((w) => [w.function, w.setting, w.applied]), [["reconciler", "users.listPending", "Storage Table Data Reader on the users table"]]);
    assert.deepEqual(plan.scheduled.map((f) => f.definition.name), ["reconciler"]);
    assert.equal(azureNativeSummary(plan.scheduled[0]).schedule, "0 */5 * * * *");
  });

  const base: FunctionSettings = { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 5, warmInstances: 0, batchSize: 10, maxAttempts: 5 };
  const spec = (name: string, kind: "http" | "queue", settings: Partial<FunctionSettings> = {}): FunctionSpec => ({
    definition: { name, trigger: { kind }, capabilities: kind === "queue" ? ["events.consume", "users.update"] : ["users.read"], description: "" },
    settings: { ...base, ...settings },
  });
  const input = (extra: Partial<AzurePlanInput> = {}): AzurePlanInput => ({
    name: "parity-dev",
    project: "parity",
    stack: "dev",
    functions: [spec("users-api", "http"), spec("queue-worker", "queue")],
    logRetentionDays: 30,
    protectData: false,
    ...extra,
  });

  it("plans names, queues, host.json and grants for every function, exactly, warning only of the batch's meaning", () => {
    const plan = planAzure(input());
    assert.deepEqual(plan.warnings.map((w) => `${w.function}.${w.setting}`), ["queue-worker.batchSize"]);
    assert.equal(plan.usersTable, "users");
    assert.equal(plan.eventsQueue, "user-events");
    assert.equal(plan.poisonQueue, "user-events-poison");
    assert.equal(plan.logRetentionDays, 30);
    assert.equal(plan.httpFunction?.definition.name, "users-api");
    assert.equal(plan.consumer?.definition.name, "queue-worker");
    const worker = plan.consumer!;
    assert.equal(worker.native.appName, `${plan.names.appPrefix}-queue-worker`);
    assert.equal(worker.native.deploymentContainer, "deploy-queue-worker");
    assert.deepEqual(worker.hostJson, hostJsonFor(worker.native));
    assert.deepEqual(worker.grants.map((g) => g.capability), ["events.consume", "events.consume", "events.consume", "users.update"]);
    assert.deepEqual(azureNativeSummary(worker), {
      instanceMemoryMB: 512,
      maximumInstanceCount: 5,
      functionTimeout: "00:00:10",
      batchSize: 10,
      maxDequeueCount: 5,
      hostId: worker.native.hostId,
      logRetentionDays: 30,
    });
    assert.match(worker.native.hostId, /^queue-worker-[0-9a-f]{8}$/);
    assert.deepEqual(azureNativeSummary(planAzure(input({ functions: [spec("api", "http", { warmInstances: 2 })] })).functions[0]), {
      instanceMemoryMB: 512,
      maximumInstanceCount: 5,
      alwaysReady: 2,
      httpPerInstanceConcurrency: 1,
      functionTimeout: "00:00:10",
      hostId: hostIdFor(resourceNames("parity-dev", "parity", "dev"), "api"),
      logRetentionDays: 30,
    });
    const named = planAzure(input({ usersTableName: "customers", eventsQueueName: "signups" }));
    assert.deepEqual([named.usersTable, named.eventsQueue, named.poisonQueue], ["customers", "signups", "signups-poison"]);
  });

  it("rejects args it cannot deploy, with one prefix and a sentence", () => {
    const attempts: [Partial<AzurePlanInput>, RegExp][] = [
      [{ functions: [] }, /^ComponentArgsError: AzureFunctions "parity-dev": `functions` is empty/],
      [{ functions: [spec("a", "http"), spec("b", "http")] }, /only one HTTP function.*a, b/],
      [{ functions: [spec("w", "queue", { maxAttempts: undefined })] }, /needs settings\.batchSize and settings\.maxAttempts/],
      [{ functions: [spec("Users_API", "http")] }, /package container "deploy-Users_API"/],
      [{ functions: [spec("x".repeat(45), "http")] }, /Function App name .* at most 60/],
      [{ usersTableName: "user-table" }, /`usersTableName` "user-table"/],
      [{ eventsQueueName: "q".repeat(60) }, /`eventsQueueName` .* at most 56/],
      [{ eventsQueueName: "Events" }, /`eventsQueueName` "Events"/],
      [{ logRetentionDays: 2.5 }, /`logRetentionDays` must be a whole number/],
    ];
    for (const [extra, message] of attempts) assert.throws(() => planAzure(input(extra)), message);
  });
});
