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
  hostAccountFor,
  hostIdFor,
  hhmmss,
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
  FLEX_REJECTED_SITE_CONFIG,
  maximumInstanceFloorFor,
  withoutFlexRejectedSiteConfig,
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

  it("each inexact value is warned with the Flex Consumption limit that forced it, in full; exact values at the limits are not", () => {
    const warned = (kind: "http" | "queue", settings: Partial<FunctionSettings>) => {
      const d = decisions();
      const native = azureSettingsFor({ name: "f", trigger: { kind } }, { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 5, warmInstances: 0, batchSize: 16, maxAttempts: 5, ...settings }, d);
      return { native, warnings: d.warnings.filter((w) => w.setting !== "batchSize").map((w) => [w.platform, w.function, w.setting, w.asked, w.applied, w.reason]) };
    };
    assert.deepEqual(warned("http", { memoryMb: 1024, reservedConcurrency: 0, timeoutSeconds: 231 }).warnings, [
      ["azure", "f", "memoryMb", 1024, 2048, "Flex Consumption instance memory is one of 512, 2048, 4096 MB"],
      ["azure", "f", "reservedConcurrency", 0, 1, "Flex Consumption maximum instance count is 1 to 1000"],
      ["azure", "f", "timeoutSeconds", 231, 230, "an HTTP response must start within 230 s"],
    ]);
    assert.deepEqual(warned("http", { memoryMb: 4096, reservedConcurrency: 1000, timeoutSeconds: 230 }).warnings, []);
    assert.deepEqual(warned("http", { reservedConcurrency: 1 }).warnings, []);
    assert.deepEqual(warned("http", { reservedConcurrency: 1001 }).warnings.map((w) => w.slice(3, 5)), [[1001, 1000]]);
    // A queue function's timeout is not the HTTP front end's: 3661 s stays, in host.json's hh:mm:ss.
    const queue = warned("queue", { timeoutSeconds: 3661, warmInstances: 2 });
    assert.deepEqual(queue.warnings, []);
    assert.equal(queue.native.functionTimeout, "01:01:01");
    // Always-ready instances go to the app's scale group: `http` for HTTP, `function:<name>` otherwise.
    assert.deepEqual(queue.native.alwaysReady, [{ name: "function:f", instanceCount: 2 }]);
    assert.deepEqual(warned("http", { warmInstances: 1 }).native.alwaysReady, [{ name: "http", instanceCount: 1 }]);
    const d = decisions();
    assert.deepEqual([29, 30, 730, 731].map((days) => logRetentionFor(days, d)), [30, 30, 730, 730]);
    assert.deepEqual(d.warnings.map((w) => [w.platform, w.function, w.setting, w.asked, w.applied, w.reason]), [
      ["azure", "*", "logRetentionDays", 29, 30, "Log Analytics workspace retention is 30 to 730 days"],
      ["azure", "*", "logRetentionDays", 731, 730, "Log Analytics workspace retention is 30 to 730 days"],
    ]);
  });

  it("hh:mm:ss for host.json's functionTimeout: hours, minutes and seconds, each two digits", () => {
    assert.deepEqual([0, 9, 59, 60, 61, 599, 3599, 3600, 3661, 36_000, 86_399].map(hhmmss), ["00:00:00", "00:00:09", "00:00:59", "00:01:00", "00:01:01", "00:09:59", "00:59:59", "01:00:00", "01:01:01", "10:00:00", "23:59:59"]);
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
    // Without settings.everyMinutes, the definition's own interval.
    const byDefinition = azureSettingsFor({ name: "r", trigger: { kind: "schedule", everyMinutes: 15 } }, { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 1, warmInstances: 0 }, d);
    assert.equal(byDefinition.schedule?.expression, "0 */15 * * * *");
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

  it("the host's own access: its package container, its own host storage account, telemetry", () => {
    assert.deepEqual(hostAccessRoles.map((a) => `${a.purpose}: ${a.role}@${a.target}`), [
      "deployment package: Storage Blob Data Contributor@deploymentContainer",
      "host storage: Storage Blob Data Owner@hostAccount",
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

  it("derived names, exactly: lower case, only the characters each resource allows, each cut to its length (deployed names must never change)", () => {
    // A name with upper case, "_", "." and "-" and every edge of [a-z0-9], longer than every cut.
    assert.deepEqual(resourceNames("My_Parity-Azure.Component2019z-extra", "parity", "prod"), {
      storageAccount: "myparityazurecomf6f8ce17",
      packageAccount: "myparityazurecpkf6f8ce17",
      vaultPrefix: "kvmyparityazure",
      appPrefix: "my-parity-azure-component2019z-f6f8ce17",
      hostIdSeed: "parity/prod/My_Parity-Azure.Component2019z-extra",
    });
    // The suffix is always 8 hex digits: this stack's hash starts with two zeros.
    assert.deepEqual(resourceNames("parity-azure", "parity", "staging"), {
      storageAccount: "parityazure00364158",
      packageAccount: "parityazurepk00364158",
      vaultPrefix: "kvparityazure",
      appPrefix: "parity-azure-00364158",
      hostIdSeed: "parity/staging/parity-azure",
    });
  });

  it("host ids, exactly: the function name cut to 23 characters without a dangling dash, then an 8-digit hash; only the hash when nothing is left", () => {
    const names = resourceNames("parity-dev", "parity", "dev");
    assert.equal(hostIdFor(names, "users-api"), "users-api-07bed510", "a hash with a leading zero keeps its 8 digits");
    assert.equal(hostIdFor(names, "worker"), "worker-07db2b9d");
    assert.equal(hostIdFor(names, "Z9a0"), "z9a0-7c0e01db");
    assert.equal(hostIdFor(names, "_Odd__Name_"), "odd-name-1cef68dd", "runs of other characters become one dash, trimmed at both ends");
    assert.equal(hostIdFor(names, "abcdefghijklmnopqrstuv-wxyz"), "abcdefghijklmnopqrstuv-2ec0e073", "cut at 23, the dash it ends on dropped");
    assert.equal(hostIdFor(names, "a-function-name-cut-at-23-exactly"), "a-function-name-cut-at-f5a76e95");
    assert.equal(hostIdFor(names, "___"), "4863e8b6");
  });

  it("host storage accounts, exactly: 6 characters of the component, h, 9 of the function, an 8-digit hash; 24 at the limit and cut one past it, distinct per function, stack and component", () => {
    const names = resourceNames("parity-azure", "parity", "dev");
    const users = hostAccountFor(names, "users-api");
    assert.match(users, /^parityhusersapi[0-9a-f]{8}$/);
    assert.equal(users.length, 23);
    // At the limit: a function name of 9 letters and digits gives 24 characters, Azure's maximum.
    const nine = hostAccountFor(names, "queuework");
    assert.equal(nine.length, azureNameRules.storageAccount.max);
    assert.match(nine, /^parityhqueuework[0-9a-f]{8}$/);
    // One past it: a 10th character is cut, and the hash still tells the two apart.
    const ten = hostAccountFor(names, "queueworke");
    assert.equal(ten.length, azureNameRules.storageAccount.max);
    assert.equal(ten.slice(0, 16), nine.slice(0, 16));
    assert.notEqual(ten, nine);
    // A component name of 6 letters and digits is kept whole, a 7th is cut.
    assert.equal(hostAccountFor(resourceNames("abcdef", "parity", "dev"), "f").slice(0, 8), "abcdefhf");
    assert.equal(hostAccountFor(resourceNames("abcdefg", "parity", "dev"), "f").slice(0, 8), "abcdefhf");
    assert.notEqual(hostAccountFor(resourceNames("abcdef", "parity", "dev"), "f"), hostAccountFor(resourceNames("abcdefg", "parity", "dev"), "f"));
    // Only what Azure allows, whatever the names hold; short names still make 3 or more characters.
    for (const [component, fn] of [["My_Parity-Azure.Component", "Queue_Worker.2"], ["a", "_"], ["parity-azure", "reconcile-pending-users-and-more"]]) {
      for (const stack of ["dev", "prod", "feature-branch-xy123"]) {
        const account = hostAccountFor(resourceNames(component, "parity", stack), fn);
        assert.match(account, azureNameRules.storageAccount.pattern, account);
      }
    }
    // Per stack and per app; deterministic (a deployed account's name never changes).
    assert.notEqual(hostAccountFor(resourceNames("parity-azure", "parity", "prod"), "users-api"), users);
    assert.notEqual(hostAccountFor(names, "reconciler"), users);
    assert.equal(hostAccountFor(resourceNames("parity-azure", "parity", "dev"), "users-api"), users);
    assert.notEqual(users, names.storageAccount);
    assert.notEqual(users, names.packageAccount);
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
    assert.deepEqual(plan.warnings.map((w) => [w.platform, w.function, w.setting, w.asked, w.applied, w.reason]), [
      [
        "azure",
        "reconciler",
        "users.listPending",
        "the pending index only",
        "Storage Table Data Reader on the users table",
        "Table Storage RBAC scopes to a whole table at the narrowest; the index entities share the users table",
      ],
    ]);
    assert.deepEqual(plan.scheduled.map((f) => f.definition.name), ["reconciler"]);
    assert.equal(plan.httpFunction, undefined, "no HTTP function, no endpoint");
    assert.equal(plan.consumer, undefined);
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
    // Whatever the order: the HTTP function is the endpoint, the queue function the consumer, the schedule functions the timers.
    const timer = (name: string): FunctionSpec => ({
      definition: { name, trigger: { kind: "schedule", everyMinutes: 5 }, capabilities: ["users.listPending"], description: "" },
      settings: { ...base, everyMinutes: 5 },
    });
    const mixed = planAzure(input({ functions: [timer("nightly"), spec("queue-worker", "queue"), timer("hourly"), spec("users-api", "http")] }));
    assert.deepEqual(
      [mixed.httpFunction?.definition.name, mixed.consumer?.definition.name, mixed.scheduled.map((f) => f.definition.name)],
      ["users-api", "queue-worker", ["nightly", "hourly"]],
    );
    const named = planAzure(input({ usersTableName: "customers", eventsQueueName: "signups", protectData: true }));
    assert.deepEqual([named.usersTable, named.eventsQueue, named.poisonQueue], ["customers", "signups", "signups-poison"]);
    assert.deepEqual([plan.protectData, named.protectData], [false, true]);
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

  it("each refusal is one whole sentence naming the value, the rule and what to do; the limits pass exactly and fail one past", () => {
    const refusal = (extra: Partial<AzurePlanInput>) => {
      try {
        planAzure(input(extra));
      } catch (error) {
        assert.ok(error instanceof Error);
        return error.message;
      }
      return "accepted";
    };
    const prefix = 'AzureFunctions "parity-dev": ';
    assert.equal(
      refusal({ functions: [spec("Users_API", "http")] }),
      `${prefix}function name "Users_API" gives the package container "deploy-Users_API", which must be lowercase letters, digits and single hyphens (at most 63); rename the function.`,
    );
    // The app prefix "parity-dev-c751b68a" is 19 characters: a 40-character function name makes 60.
    assert.equal(refusal({ functions: [spec("f".repeat(40), "http")] }), "accepted");
    assert.equal(
      refusal({ functions: [spec("f".repeat(41), "http")] }),
      `${prefix}Function App name "parity-dev-c751b68a-${"f".repeat(41)}" must be at most 60 letters, digits or inner hyphens; use a shorter component or function name.`,
    );
    assert.equal(refusal({ usersTableName: "abc" }), "accepted");
    assert.equal(refusal({ usersTableName: "ab" }), `${prefix}\`usersTableName\` "ab" must be 3 to 63 letters and digits, starting with a letter.`);
    // The queue itself must fit too, not only its poison queue: "ab-poison" is a valid name, "ab" is not.
    assert.equal(refusal({ eventsQueueName: "abc" }), "accepted");
    assert.equal(refusal({ eventsQueueName: "ab" }), `${prefix}\`eventsQueueName\` "ab" must be lowercase letters, digits and single hyphens, at most 56 long (the host adds "-poison").`);
    assert.equal(refusal({ eventsQueueName: "q".repeat(56) }), "accepted");
    assert.match(refusal({ eventsQueueName: "q".repeat(57) }), /`eventsQueueName` "q{57}" must be/);
    assert.equal(refusal({ logRetentionDays: 1 }), "accepted");
    assert.equal(refusal({ logRetentionDays: 0 }), `${prefix}\`logRetentionDays\` must be a whole number of days ≥ 1; got 0.`);
    assert.equal(refusal({ logRetentionDays: 2.5 }), `${prefix}\`logRetentionDays\` must be a whole number of days ≥ 1; got 2.5.`);
  });

  it("refuses two functions whose host ids collide: the same first 23 characters and the same hash would share one host's leases and timers", () => {
    // Found by search: both names cut to "reconcile-pending-users", and both hashes are a85dbf32 in parity/dev/parity-dev.
    const [first, second] = ["reconcile-pending-users-wl23c1yz", "reconcile-pending-users-0hmfkxaz"];
    const names = resourceNames("parity-dev", "parity", "dev");
    assert.equal(hostIdFor(names, first), "reconcile-pending-users-a85dbf32");
    assert.equal(hostIdFor(names, second), hostIdFor(names, first));
    const scheduled = (name: string): FunctionSpec => ({
      definition: { name, trigger: { kind: "schedule", everyMinutes: 5 }, capabilities: ["users.listPending"], description: "" },
      settings: { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 1, warmInstances: 0, everyMinutes: 5 },
    });
    assert.equal(planAzure(input({ functions: [scheduled(first), scheduled("reconcile-pending-users-other")] })).scheduled.length, 2);
    assert.throws(
      () => planAzure(input({ functions: [scheduled(first), scheduled(second)] })),
      (error: Error) =>
        error.message ===
        `AzureFunctions "parity-dev": function name "${second}" gives the host id "reconcile-pending-users-a85dbf32", which must be 1 to 32 lowercase letters, digits and single dashes and differ from every other app's; rename the function.`,
    );
  });
});

describe("Azure rules: what Flex Consumption refuses", () => {
  it("the lowest maximumInstanceCount: 1 where counts under 40 are enabled, 40 elsewhere, none when the region is unknown", () => {
    for (const region of ["westeurope", "West Europe", "australiaeast", "westus2"]) assert.equal(maximumInstanceFloorFor(region), 1, region);
    for (const region of ["brazilsouth", "eastus", "westus3"]) assert.equal(maximumInstanceFloorFor(region), 40, region);
    assert.equal(maximumInstanceFloorFor(undefined), undefined);
  });

  it("drops the site configuration properties Flex refuses and keeps the rest", () => {
    assert.deepEqual([...FLEX_REJECTED_SITE_CONFIG], ["netFrameworkVersion", "linuxFxVersion"]);
    assert.deepEqual(withoutFlexRejectedSiteConfig({ netFrameworkVersion: "v4.6", linuxFxVersion: "Node|22", http20Enabled: true, appSettings: [] }), { http20Enabled: true, appSettings: [] });
    assert.equal(withoutFlexRejectedSiteConfig(undefined), undefined);
  });
});
