/** The Cloudflare rules and environment contract on their own: pure functions, no Pulumi, no cloud. */
import assert from "node:assert/strict";
import type { FunctionSettings } from "../config";
import { Decisions, type FunctionSpec } from "../platform";
import { workerBindings } from "../../functions/cloudflare/contract";
import { cloudflareNativeSummary, cloudflareSettingsFor, compileCloudflareGrants, planCloudflare } from "./rules";

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
    assert.deepEqual(compileCloudflareGrants(["events.publish"], { usersDatabase: "", eventsQueue: "queue:q", apiKeySecret: "" })[0].permissions, ["queue binding EVENTS"]);
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
    assert.throws(() => planCloudflare({ name: "x".repeat(60), functions: [spec("api", "http")], logRetentionDays: 7, protectData: false }), /must be at most 63/);
    assert.doesNotThrow(() => planCloudflare({ name: "x".repeat(59), functions: [spec("api", "http")], logRetentionDays: 7, protectData: false }));
  });
});
