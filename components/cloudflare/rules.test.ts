/** The Cloudflare rules and environment contract on their own: pure functions, no Pulumi, no cloud. */
import assert from "node:assert/strict";
import type { FunctionSettings } from "../config";
import { Decisions, type FunctionSpec } from "../platform";
import { workerBindings } from "../../functions/cloudflare/contract";
import {
  capabilitiesAnnotation,
  capabilitiesOfAnnotation,
  cloudflareLogRetention,
  cloudflareNativeSummary,
  cloudflareSettingsFor,
  compileCloudflareGrants,
  grantResourceNames,
  planCloudflare,
  WORKERS_COMPATIBILITY_DATE,
} from "./rules";

describe("Cloudflare rules", () => {
  const queueFn = { name: "w", trigger: { kind: "queue" } } as const;
  const base: FunctionSettings = { memoryMb: 128, timeoutSeconds: 30, reservedConcurrency: 5, warmInstances: 0, batchSize: 10, maxAttempts: 5 };
  const knobs = (settings: Partial<FunctionSettings>, fn: { name: string; trigger: { kind: "http" | "queue" } } = queueFn) => {
    const decisions = new Decisions("cloudflare");
    return { native: cloudflareSettingsFor("c", fn, { ...base, ...settings }, decisions), warnings: decisions.warnings };
  };

  it("maxAttempts 1 means no retry; the consumer settings follow the portable ones", () => {
    assert.deepEqual(knobs({ maxAttempts: 1 }).native, { scriptName: "c-w", cpuMs: 30_000, memoryMb: 128, consumer: { batchSize: 10, maxRetries: 0, maxConcurrency: 5 } });
  });

  it("clamps to the Queues limits (batch 100, 100 retries, 250 consumers) and says so", () => {
    const { native, warnings } = knobs({ maxAttempts: 100, batchSize: 100, reservedConcurrency: 1000 });
    assert.deepEqual(native.consumer, { batchSize: 100, maxRetries: 99, maxConcurrency: 250 });
    const concurrency = warnings.find((w) => w.setting === "reservedConcurrency")!;
    assert.deepEqual([concurrency.asked, concurrency.applied], [1000, 250]);
  });

  it("maxAttempts: 101 is 100 retries, exactly Queues' limit, unwarned; 102 is cut to 101 attempts and warned", () => {
    const at = (maxAttempts: number) => knobs({ maxAttempts });
    assert.equal(at(101).native.consumer?.maxRetries, 100);
    assert.deepEqual(at(101).warnings.filter((w) => w.setting === "maxAttempts"), []);
    assert.equal(at(102).native.consumer?.maxRetries, 100);
    assert.deepEqual(
      at(102).warnings.filter((w) => w.setting === "maxAttempts").map((w) => [w.function, w.asked, w.applied, w.reason]),
      [["w", 102, 101, "Queues retries a message at most 100 times (https://developers.cloudflare.com/queues/platform/limits/)"]],
    );
  });

  it("every warning of a queue and an HTTP function, in full: what Workers cannot express, and why, with the limit's source", () => {
    const row = (w: { platform: string; function: string; setting: string; asked: string | number; applied: string | number; reason: string }) => [w.platform, w.function, w.setting, w.asked, w.applied, w.reason];
    // The portable defaults a queue function gets here: 128 MB, no warm instances, within every Queues limit.
    assert.deepEqual(knobs({}).warnings.map(row), [
      ["cloudflare", "w", "timeoutSeconds", 30, "cpuMs 30000", "Workers limit CPU time per invocation, not wall-clock time; at most 300,000 ms (https://developers.cloudflare.com/workers/platform/limits/#cpu-time)"],
    ]);
    assert.deepEqual(knobs({ memoryMb: 256, warmInstances: 1, batchSize: 101, reservedConcurrency: 0 }).warnings.map(row), [
      ["cloudflare", "w", "memoryMb", 256, 128, "Workers memory is fixed at 128 MB per isolate (https://developers.cloudflare.com/workers/platform/limits/#memory)"],
      ["cloudflare", "w", "warmInstances", 1, 0, "Workers has no warm-instance knob: isolates start in milliseconds (https://developers.cloudflare.com/workers/reference/how-workers-works/)"],
      ["cloudflare", "w", "timeoutSeconds", 30, "cpuMs 30000", "Workers limit CPU time per invocation, not wall-clock time; at most 300,000 ms (https://developers.cloudflare.com/workers/platform/limits/#cpu-time)"],
      ["cloudflare", "w", "batchSize", 101, 100, "Queues consumer batches hold at most 100 messages (https://developers.cloudflare.com/queues/platform/limits/)"],
      ["cloudflare", "w", "reservedConcurrency", 0, 1, "Queues runs at most 250 concurrent consumer invocations (https://developers.cloudflare.com/queues/platform/limits/)"],
    ]);
    assert.deepEqual(knobs({}, { name: "api", trigger: { kind: "http" } }).warnings.map(row), [
      ["cloudflare", "api", "timeoutSeconds", 30, "cpuMs 30000", "Workers limit CPU time per invocation, not wall-clock time; at most 300,000 ms (https://developers.cloudflare.com/workers/platform/limits/#cpu-time)"],
      ["cloudflare", "api", "reservedConcurrency", 5, "unlimited", "Workers has no per-script concurrency cap for HTTP requests; isolates scale with traffic (https://developers.cloudflare.com/workers/platform/limits/)"],
    ]);
    const decisions = new Decisions("cloudflare");
    cloudflareLogRetention(30, decisions);
    assert.deepEqual(decisions.warnings.map(row), [
      ["cloudflare", "*", "logRetentionDays", 30, "plan default", "Workers Logs retention is fixed by the account's plan, not per Worker (https://developers.cloudflare.com/workers/observability/logs/workers-logs/)"],
    ]);
  });

  it("caps CPU time at 300,000 ms and reports the wall-clock/CPU difference", () => {
    const { native, warnings } = knobs({ timeoutSeconds: 900 });
    assert.equal(native.cpuMs, 300_000);
    assert.equal(warnings.find((w) => w.setting === "timeoutSeconds")!.applied, "cpuMs 300000");
  });

  it("warm instances and memory have no knob: warned, applied 0 and 128", () => {
    const { native, warnings } = knobs({ warmInstances: 2, memoryMb: 1024 }, { name: "api", trigger: { kind: "http" } });
    const bySetting = Object.fromEntries(warnings.map((w) => [w.setting, w.applied]));
    assert.equal(bySetting.warmInstances, 0);
    assert.equal(bySetting.memoryMb, 128);
    assert.equal(bySetting.reservedConcurrency, "unlimited");
    assert.equal(native.consumer, undefined);
    assert.ok(warnings.every((w) => w.platform === "cloudflare" && w.function === "api"));
  });

  it("bindings: capabilities sharing one binding give it once; events.consume gives none", () => {
    const values = { usersDatabaseId: "db-uuid", eventsQueueName: "events", apiKey: "key" };
    assert.deepEqual(workerBindings(["users.read", "users.create", "users.update"], values).map((b) => b.name), ["USERS_DB", "PARITY_PLATFORM"]);
    assert.deepEqual(workerBindings(["events.consume"], values).map((b) => b.name), ["PARITY_PLATFORM"]);
    assert.deepEqual(workerBindings(["apiKey.read", "events.publish"], values), [
      { kind: "secret_text", name: "API_KEY", text: "key" },
      { kind: "queue", name: "EVENTS", queueName: "events" },
      { kind: "plain_text", name: "PARITY_PLATFORM", text: "cloudflare" },
    ]);
    assert.deepEqual(workerBindings(["users.update"], values)[0], { kind: "d1", name: "USERS_DB", databaseId: "db-uuid" });
  });

  it("grants: one per capability, on the exact resource", () => {
    const grants = compileCloudflareGrants(["users.update", "events.consume", "apiKey.read"], { usersDatabase: "d1:db", eventsQueue: "queue:q", apiKeySecret: "secret:s/API_KEY" });
    assert.deepEqual(
      grants.map((g) => [g.capability, g.permissions, g.resource]),
      [
        ["users.update", ["d1 binding USERS_DB"], "d1:db"],
        ["events.consume", ["queue consumer"], "queue:q"],
        ["apiKey.read", ["secret_text binding API_KEY"], "secret:s/API_KEY"],
      ],
    );
    assert.deepEqual(compileCloudflareGrants(["events.publish"], { usersDatabase: "", eventsQueue: "queue:q", apiKeySecret: "" }), [{ capability: "events.publish", permissions: ["queue binding EVENTS"], resource: "queue:q" }]);
  });

  it("the version message declares the capabilities, and reads back exactly; any other message declares none", () => {
    assert.equal(capabilitiesAnnotation(["users.read", "apiKey.read"]), "parity:capabilities: users.read apiKey.read");
    assert.deepEqual(capabilitiesOfAnnotation(capabilitiesAnnotation(["users.read", "apiKey.read"])), ["users.read", "apiKey.read"]);
    assert.equal(capabilitiesAnnotation([]), "parity:capabilities: ");
    assert.deepEqual(capabilitiesOfAnnotation(capabilitiesAnnotation([])), [], "no capabilities is an empty list, not one empty name");
    assert.deepEqual(capabilitiesOfAnnotation("parity:capabilities:events.publish"), ["events.publish"]);
    for (const other of [undefined, 42, ["parity:capabilities: users.read"], "", "parity:capabilities", "parity:capabilitie: users.read", " parity:capabilities: users.read", "deployed by hand"]) {
      assert.equal(capabilitiesOfAnnotation(other), undefined, JSON.stringify(other));
    }
  });

  it("the compatibility date is pinned, a real calendar date (a change must be deliberate: it changes the runtime of every deployed Worker)", () => {
    assert.equal(WORKERS_COMPATIBILITY_DATE, "2026-04-01");
    assert.equal(new Date(`${WORKERS_COMPATIBILITY_DATE}T00:00:00Z`).toISOString().slice(0, 10), WORKERS_COMPATIBILITY_DATE);
  });

  it("grants name their resources as d1:<database>, queue:<queue> and secret:<script>/API_KEY", () => {
    assert.equal(grantResourceNames.usersDatabase("c-users"), "d1:c-users");
    assert.equal(grantResourceNames.eventsQueue("c-events"), "queue:c-events");
    assert.equal(grantResourceNames.apiKeySecret("c-api"), "secret:c-api/API_KEY");
  });

  const spec = (name: string, kind: "http" | "queue", settings: Partial<FunctionSettings> = {}): FunctionSpec => ({
    definition: { name, trigger: { kind }, capabilities: kind === "queue" ? ["events.consume", "users.update"] : ["users.read"], description: "" },
    settings: { ...base, ...settings },
  });

  it("plans names, the HTTP function and the consumer, with the log retention warning first", () => {
    const plan = planCloudflare({ name: "c", functions: [spec("api", "http"), spec("worker", "queue", { maxAttempts: 3 })], logRetentionDays: 30, protectData: true });
    assert.deepEqual(plan.names, { usersDatabase: "c-users", eventsQueue: "c-events", eventsDeadLetterQueue: "c-events-dlq" });
    assert.equal(plan.httpFunction?.native.scriptName, "c-api");
    assert.equal(plan.consumer?.native.scriptName, "c-worker");
    assert.deepEqual(plan.consumer?.native.consumer, { batchSize: 10, maxRetries: 2, maxConcurrency: 5 });
    assert.equal(plan.protectData, true);
    assert.deepEqual(plan.scheduled, [], "no schedule function, no Cron Trigger");
    assert.deepEqual([plan.warnings[0].function, plan.warnings[0].setting, plan.warnings[0].asked, plan.warnings[0].applied], ["*", "logRetentionDays", 30, "plan default"]);
    assert.deepEqual(cloudflareNativeSummary(plan.consumer!), { cpuMs: 30_000, memoryMb: 128, batchSize: 10, maxRetries: 2, maxConcurrency: 5 });
    assert.deepEqual(cloudflareNativeSummary(plan.httpFunction!), { cpuMs: 30_000, memoryMb: 128 });
  });

  it("rejects what Workers cannot deploy, naming the component", () => {
    assert.throws(() => planCloudflare({ name: "c", functions: [], logRetentionDays: 7, protectData: false }), /^ComponentArgsError: CloudflareFunctions "c": `functions` is empty/);
    assert.throws(
      () => planCloudflare({ name: "Parity", functions: [spec("api", "http")], logRetentionDays: 7, protectData: false }),
      /CloudflareFunctions "Parity": Worker name "Parity-api" must be at most 63 lower-case/,
    );
    assert.throws(() => planCloudflare({ name: "x".repeat(60), functions: [spec("api", "http")], logRetentionDays: 7, protectData: false }), /Worker name .* must be at most 63/);
    // The longest queue name is `<component>-events-dlq`: 52 + 11 = 63 characters, exactly the limit.
    assert.doesNotThrow(() => planCloudflare({ name: "x".repeat(52), functions: [spec("api", "http")], logRetentionDays: 7, protectData: false }));
    assert.throws(
      () => planCloudflare({ name: "x".repeat(53), functions: [spec("api", "http")], logRetentionDays: 7, protectData: false }),
      /Queue name "x{53}-events-dlq" must be at most 63 lower-case letters, digits or "-"/,
    );
    assert.throws(() => planCloudflare({ name: "_c", functions: [spec("api", "http")], logRetentionDays: 7, protectData: false }), /D1 database name "_c-users"/);
  });

  it("a Worker name of exactly 63 characters passes; 64 is refused, in a whole sentence", () => {
    const component = "x".repeat(52);
    assert.doesNotThrow(() => planCloudflare({ name: component, functions: [spec("y".repeat(10), "http")], logRetentionDays: 7, protectData: false }));
    assert.throws(
      () => planCloudflare({ name: component, functions: [spec("y".repeat(11), "http")], logRetentionDays: 7, protectData: false }),
      (error: Error) =>
        error.message ===
        `CloudflareFunctions "${component}": Worker name "${component}-${"y".repeat(11)}" must be at most 63 lower-case letters, digits, "-" or "_"; use a shorter or lower-case component or function name.`,
    );
    assert.throws(
      () => planCloudflare({ name: "_c", functions: [spec("api", "http")], logRetentionDays: 7, protectData: false }),
      (error: Error) => error.message === `CloudflareFunctions "_c": D1 database name "_c-users" must be lower-case letters, digits, "-" or "_", starting with a letter or digit; use a lower-case component name.`,
    );
    assert.throws(
      () => planCloudflare({ name: "x".repeat(53), functions: [spec("api", "http")], logRetentionDays: 7, protectData: false }),
      (error: Error) =>
        error.message ===
        `CloudflareFunctions "${"x".repeat(53)}": Queue name "${"x".repeat(53)}-events-dlq" must be at most 63 lower-case letters, digits or "-", not starting or ending with "-"; use a shorter or lower-case component name.`,
    );
  });

  describe("schedule functions", () => {
    const scheduled = (name: string, settings: Partial<FunctionSettings> = {}): FunctionSpec => ({
      definition: { name, trigger: { kind: "schedule", everyMinutes: 5 }, capabilities: ["users.listPending", "users.update", "events.publish"], description: "" },
      settings: { memoryMb: 128, timeoutSeconds: 60, reservedConcurrency: 1, warmInstances: 0, everyMinutes: 5, ...settings },
    });
    const plan = (functions: FunctionSpec[], workersPlan?: "free" | "paid") => planCloudflare({ name: "c", functions, logRetentionDays: 7, protectData: false, workersPlan });

    it("every 5 minutes: the Cron Trigger */5 * * * *, CPU capped at 30 s, the timeout as the run's budget, grace twice the interval", () => {
      const p = plan([scheduled("reconciler")]);
      assert.deepEqual([p.httpFunction, p.consumer], [undefined, undefined], "a schedule function is neither the endpoint nor the consumer");
      const mixed = plan([spec("worker", "queue"), scheduled("nightly"), spec("api", "http"), scheduled("hourly")]);
      assert.deepEqual(
        [mixed.httpFunction?.native.scriptName, mixed.consumer?.native.scriptName, mixed.scheduled.map((f) => f.native.scriptName)],
        ["c-api", "c-worker", ["c-nightly", "c-hourly"]],
      );
      assert.deepEqual(p.scheduled.map((f) => f.native), [
        { scriptName: "c-reconciler", cpuMs: 30_000, memoryMb: 128, schedule: { cron: "*/5 * * * *", graceSeconds: 600, timeBudgetSeconds: 48 } },
      ]);
      assert.deepEqual(cloudflareNativeSummary(p.scheduled[0]), { cpuMs: 30_000, memoryMb: 128, cron: "*/5 * * * *", graceSeconds: 600, timeBudgetSeconds: 48 });
      const warned = Object.fromEntries(p.warnings.filter((w) => w.function === "reconciler").map((w) => [w.setting, w.applied]));
      assert.deepEqual(warned, { timeoutSeconds: "run budget 48 s wall clock (of at most 900), cpuMs 30000", reservedConcurrency: "none" });
      assert.deepEqual(
        p.warnings.filter((w) => w.function === "reconciler").map((w) => [w.platform, w.setting, w.asked, w.reason]),
        [
          [
            "cloudflare",
            "timeoutSeconds",
            60,
            "Workers have no wall-clock timeout: the reconciler stops itself within its budget; a Cron Trigger may run 15 min, and at most 30 s of CPU when it fires more often than hourly (https://developers.cloudflare.com/workers/platform/limits/#cpu-time)",
          ],
          [
            "cloudflare",
            "reservedConcurrency",
            1,
            "Workers have no concurrency cap for Cron Triggers; a run that outlasts the interval overlaps the next, and the reconciler's claim keeps overlapping runs from re-publishing a user twice (https://developers.cloudflare.com/workers/platform/limits/)",
          ],
        ],
      );
    });

    it("hourly or slower may use more CPU; a timeout past the 15-minute Cron Trigger limit is cut to it", () => {
      const hourly = plan([scheduled("r", { everyMinutes: 60, timeoutSeconds: 900 })]).scheduled[0].native;
      assert.deepEqual([hourly.cpuMs, hourly.schedule.cron, hourly.schedule.timeBudgetSeconds], [300_000, "0 * * * *", 720]);
      const tooLong = plan([scheduled("r", { everyMinutes: 60, timeoutSeconds: 901 })]);
      assert.equal(tooLong.scheduled[0].native.schedule.timeBudgetSeconds, 720, "901 s asked, 900 s applied");
      assert.equal(tooLong.warnings.find((w) => w.setting === "timeoutSeconds")!.asked, 901);
    });

    it("Cron Triggers per account: exactly the plan's limit passes, one more is refused (Free 5, Paid 250)", () => {
      const many = (n: number) => Array.from({ length: n }, (_, i) => scheduled(`s${i}`));
      assert.equal(plan(many(5), "free").scheduled.length, 5);
      assert.throws(() => plan(many(6), "free"), /6 schedule functions need 6 Cron Triggers, but a Workers Free account holds at most 5 .* or use Workers Paid/);
      assert.equal(plan(many(250)).scheduled.length, 250, "Paid is the default");
      assert.throws(() => plan(many(251)), /251 schedule functions need 251 Cron Triggers, but a Workers Paid account/, "Paid is the default");
      // Only schedule functions hold Cron Triggers: an HTTP and a queue function beside five is still five.
      assert.equal(plan([spec("api", "http"), ...many(5), spec("worker", "queue")], "free").scheduled.length, 5);
      assert.throws(
        () => plan(many(251), "paid"),
        (error: Error) =>
          error.message ===
          'CloudflareFunctions "c": 251 schedule functions need 251 Cron Triggers, but a Workers Paid account holds at most 250 (https://developers.cloudflare.com/workers/platform/limits/#account-plan-limits); deploy fewer schedule functions.',
      );
      assert.throws(
        () => plan(many(6), "free"),
        (error: Error) =>
          error.message ===
          'CloudflareFunctions "c": 6 schedule functions need 6 Cron Triggers, but a Workers Free account holds at most 5 (https://developers.cloudflare.com/workers/platform/limits/#account-plan-limits); deploy fewer schedule functions or use Workers Paid.',
      );
    });

    it("bindings: the run settings are plain text beside the capabilities' bindings", () => {
      const values = { usersDatabaseId: "db", eventsQueueName: "events", apiKey: "key" };
      assert.deepEqual(workerBindings(["users.listPending", "users.update", "events.publish"], values, { graceSeconds: 600, timeBudgetSeconds: 48 }), [
        { kind: "d1", name: "USERS_DB", databaseId: "db" },
        { kind: "queue", name: "EVENTS", queueName: "events" },
        { kind: "plain_text", name: "PARITY_PLATFORM", text: "cloudflare" },
        { kind: "plain_text", name: "RECONCILE_GRACE_SECONDS", text: "600" },
        { kind: "plain_text", name: "RECONCILE_TIME_BUDGET_SECONDS", text: "48" },
      ]);
    });
  });
});
