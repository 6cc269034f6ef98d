/**
 * `local/cloudflare.ts` end to end: the launcher starts whatever functions it is given by
 * trigger kind, delivers by itself with the plan's consumer settings, reports queue depth,
 * fires the reconciler from its Cron Trigger expression through `scheduled()`, forwards every
 * function log line, runs another catalog, and loads no Pulumi package.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { bundleFunction, projectRoot } from "../../components/bundle";
import { helloCatalog, helloAnswer } from "../fixtures/hello/catalog";
import { functionOfLogLine, startCloudflareLocal, type CloudflareLocalPlatform } from "../../local/cloudflare";
import { launchers } from "../../local/launchers";
import type { LocalPlatform } from "../../local/types";
import { TEST_API_KEY } from "../infra/harness";
import { cloudflareTestFunctions, eventually, workerdOrSkip } from "./target";

const run = workerdOrSkip("local cloudflare (npm start)");

(run ? describe : describe.skip)("local cloudflare (npm start)", function () {
  this.timeout(90_000);
  let local: CloudflareLocalPlatform;
  const lines: string[] = [];
  const functionLogs: [string, string][] = [];
  before(async () => {
    const functions = cloudflareTestFunctions({ "queue-worker": { maxAttempts: 2, batchSize: 10 } });
    local = await startCloudflareLocal({
      functions: Object.values(functions),
      apiKey: TEST_API_KEY,
      log: (line) => lines.push(line),
      onFunctionLog: (fn, line) => functionLogs.push([fn, line]),
    });
  });
  after(async () => local?.stop());

  const waitUntil = <T>(probe: () => Promise<T | undefined>, what: string) => eventually(probe, 10_000, what, () => `launcher log:\n${lines.join("\n")}`);

  it("reports the plan's native settings and warnings, as a deploy decides them", () => {
    assert.equal(local.platform, "cloudflare");
    assert.match(local.description, /workerd \d+\.\d+\.\d+/);
    const worker = local.nativeSettings["queue-worker"];
    assert.deepEqual([worker.memoryMb, worker.batchSize, worker.maxRetries], [128, 10, 1]);
    assert.equal(local.nativeSettings["users-api"].batchSize, undefined);
    assert.ok(local.warnings.some((w) => w.function === "*" && w.setting === "logRetentionDays"));
  });

  it("serves users-api on 127.0.0.1 and welcomes a new user without being driven", async () => {
    assert.match(local.url!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(lines.some((l) => l.includes(local.url!)), "the URL is printed");
    const response = await fetch(`${local.url}/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: `local${Date.now()}@example.com`, name: "Local" }),
    });
    assert.equal(response.status, 201);
    const { id } = (await response.json()) as { id: string };
    const welcomedAt = await waitUntil(async () => {
      const user = (await (await fetch(`${local.url}/users/${id}`, { headers: { "x-api-key": TEST_API_KEY } })).json()) as { welcomedAt: string | null };
      return user.welcomedAt ?? undefined;
    }, "delivered by Queues and welcomed");
    assert.ok(!Number.isNaN(Date.parse(welcomedAt)));
    assert.deepEqual(await local.queueDepth(), { pending: 0, deadLettered: 0 });
  });

  it("schedules the reconciler from its Cron Trigger expression (UTC, on the 5-minute marks) and fires it through scheduled()", async () => {
    const schedule = local.schedules.reconciler;
    assert.deepEqual(Object.keys(local.schedules), ["reconciler"]);
    assert.equal(schedule.expression, "*/5 * * * *");
    assert.equal(local.nativeSettings.reconciler.cron, "*/5 * * * *");
    assert.deepEqual(schedule.next(3, new Date("2026-11-30T05:31:10Z")), ["2026-11-30T05:35:00.000Z", "2026-11-30T05:40:00.000Z", "2026-11-30T05:45:00.000Z"]);
    const before = functionLogs.length;
    await schedule.fireNow();
    // The run's one JSON line, written by the Worker and forwarded with its function's name.
    const reconciled = await waitUntil(async () => functionLogs.slice(before).find(([, line]) => line.includes('"message":"reconciled"')), "the reconciled log line");
    assert.equal(reconciled[0], "reconciler");
    const report = JSON.parse(reconciled[1].slice(reconciled[1].indexOf("{"))) as { function: string; scanned: number; republished: number; errors: number };
    assert.deepEqual([report.function, report.errors], ["reconciler", 0]);
    assert.ok(functionLogs.some(([fn]) => fn === "users-api"), "users-api's lines are forwarded too, by name");
  });

  it("a message that keeps failing is dead-lettered after maxAttempts deliveries", async () => {
    const before = await local.queueDepth();
    // Sent straight to the queue, as a corrupted event would arrive.
    const producer = await local.cloud.miniflare.getQueueProducer<string>("EVENTS", "users-api");
    const linesBefore = functionLogs.length;
    await producer.send("{not json", { contentType: "text" });
    const depth = await waitUntil(async () => {
      const now = await local.queueDepth();
      return now.deadLettered > before.deadLettered ? now : undefined;
    }, "the poison message in the DLQ");
    assert.equal(depth.deadLettered, before.deadLettered + 1);
    assert.equal(depth.pending, 0);
    // Delivered exactly maxAttempts (2) times, counted by the worker's line per failed delivery, not
    // by how soon it reached the DLQ (issue 30); the earlier tests' messages were all welcomed.
    const attempts = functionLogs
      .slice(linesBefore)
      .filter(([fn, line]) => fn === "queue-worker" && line.includes('"message failed"'))
      .map(([, line]) => JSON.parse(line.slice(line.indexOf("{"))) as { messageId: string; attempt: number });
    assert.deepEqual(attempts.map((a) => a.attempt), [1, 2]);
    assert.equal(new Set(attempts.map((a) => a.messageId)).size, 1, "one message");
  });
});

(run ? describe : describe.skip)("local cloudflare: another catalog", function () {
  this.timeout(90_000);
  let local: LocalPlatform;
  before(async () => {
    const launch = await launchers.cloudflare();
    local = await launch({
      functions: helloCatalog.map((definition) => ({ definition, bundle: bundleFunction(definition, "cloudflare"), settings: { memoryMb: 128, timeoutSeconds: 5, reservedConcurrency: 2, warmInstances: 0 } })),
      apiKey: TEST_API_KEY,
    });
  });
  after(async () => local?.stop());

  it("serves a lone HTTP function it has never heard of, with no queue consumer", async () => {
    const response = await fetch(`${local.url}/greet`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), helloAnswer("/greet"));
    assert.deepEqual(Object.keys(local.nativeSettings), ["hello"]);
    assert.deepEqual(local.schedules, {}, "no schedule function, no schedule");
    assert.deepEqual(await local.queueDepth(), { pending: 0, deadLettered: 0 });
  });
});

(run ? describe : describe.skip)("local cloudflare: a schedule whose run fails", function () {
  this.timeout(90_000);
  it("fireNow() rejects with the outcome when scheduled() throws (here: a reconciler declared without users.listPending has no USERS_DB)", async () => {
    const reconciler = cloudflareTestFunctions().reconciler;
    const local = await startCloudflareLocal({
      functions: [{ ...reconciler, definition: { ...reconciler.definition, capabilities: ["events.publish"] } }],
      apiKey: TEST_API_KEY,
    });
    try {
      await assert.rejects(local.schedules.reconciler.fireNow(), /reconciler: scheduled\(\) ended with outcome "exception"/);
    } finally {
      await local.stop();
    }
  });
});

describe("local cloudflare: log lines to functions", () => {
  it("a JSON line names its function; anything else is workerd's", () => {
    assert.equal(functionOfLogLine('{"level":"info","message":"reconciled","function":"reconciler"}'), "reconciler");
    assert.equal(functionOfLogLine('prefix {"level":"info","function":"users-api"}'), "users-api");
    assert.equal(functionOfLogLine("workerd/server/server.c++:1234: info: uncaught exception"), "workerd");
    assert.equal(functionOfLogLine("{not json"), "workerd");
  });
});

describe("local cloudflare: loads no Pulumi package", () => {
  it("the launcher and its emulator load without any @pulumi/* module", function () {
    this.timeout(90_000);
    const script = `require("./local/cloudflare"); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => /node_modules[\\\\/]@pulumi[\\\\/]/.test(f))));`;
    const output = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: projectRoot }).toString();
    assert.deepEqual(JSON.parse(output.trim().split("\n").pop()!), []);
  });
});
