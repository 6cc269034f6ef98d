/**
 * `local/gcp.ts` end to end over real HTTP: the Functions Framework serving whatever catalog
 * it is given, and the push dispatcher delivering to the queue function with dead-lettering.
 */
import assert from "node:assert/strict";
import { bundleFunction } from "../../components/bundle";
import { gcloudEmulatorsMissing, startGcpLocal, type GcpLocalPlatform } from "../../local/gcp";
import { helloDefinition, helloAnswer } from "../fixtures/hello/catalog";
import { gcpTestFunctions, TEST_API_KEY } from "./target";

const missing = gcloudEmulatorsMissing();

describe("local GCP (npm start)", function () {
  this.timeout(90_000);

  before(function () {
    if (!missing) return;
    if (process.env.CI === "true") throw new Error(`${missing}; the local GCP tests cannot run under CI=true`);
    console.warn(`\n  !!! SKIPPING the local GCP tests: ${missing} !!!\n`);
    this.skip();
  });

  const waitUntil = async <T>(probe: () => Promise<T | undefined>, what: string, logLines: string[], timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}; launcher log:\n${logLines.join("\n")}`);
  };

  describe("the project's catalog", () => {
    let local: GcpLocalPlatform;
    const logLines: string[] = [];
    const functionLogs: [string, string][] = [];

    before(async function () {
      this.timeout(180_000);
      // maxAttempts 2 is below Pub/Sub's minimum: the plan makes it 5, as a deploy would. 20
      // instances drain the reconciler's burst of 100 within those 5 attempts.
      const functions = gcpTestFunctions({ "queue-worker": { timeoutSeconds: 5, maxAttempts: 2, reservedConcurrency: 20 } });
      local = await startGcpLocal({
        apiKey: TEST_API_KEY,
        functions: Object.values(functions),
        log: (line) => logLines.push(line),
        onFunctionLog: (fn, line) => functionLogs.push([fn, line]),
      });
    });
    after(async () => {
      if (!local) return;
      const groups = [local.backends.firestore.pid, local.backends.pubsub.pid, ...Object.values(local.functions).map((fn) => fn.pid)];
      await local.stop();
      // Killed members linger until their new parent reaps them; give that a moment.
      const alive = () => groups.filter((pid) => {
        try {
          process.kill(-pid, 0);
          return true;
        } catch {
          return false;
        }
      });
      const deadline = Date.now() + 5_000;
      while (alive().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(alive(), [], `process groups of ${JSON.stringify({ firestore: groups[0], pubsub: groups[1], functions: groups.slice(2) })} are gone after stop()`);
    });

    it("serves the HTTP function on loopback and reports the plan's native settings and warnings", async () => {
      assert.match(local.url!, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(local.url, local.functions["users-api"].url);
      assert.equal(local.platform, "gcp");
      const health = await fetch(`${local.url}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      assert.equal((await fetch(`${local.url}/users/00000000-0000-4000-8000-000000000000`)).status, 401);
      assert.equal(local.nativeSettings["queue-worker"].maxDeliveryAttempts, 5);
      assert.equal(local.nativeSettings["queue-worker"].ackDeadlineSeconds, 10);
      assert.ok(local.warnings.some((w) => w.function === "queue-worker" && w.setting === "maxAttempts" && w.asked === 2 && w.applied === 5));
    });

    it("gives a function the environment of its capabilities only, the API key as the secret variable's value", () => {
      const publishes = local.backends.environmentFor(["events.publish"]);
      assert.equal(publishes.EVENTS_TOPIC, "parity-events");
      assert.equal(publishes.API_KEY, undefined);
      assert.equal(local.backends.environmentFor(["apiKey.read"]).API_KEY, TEST_API_KEY);
      assert.equal(local.backends.environmentFor([]).FIRESTORE_DATABASE, undefined);
    });

    it("a POST is welcomed by the worker through the push dispatcher", async () => {
      const response = await fetch(`${local.url}/users`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": TEST_API_KEY },
        body: JSON.stringify({ email: `local${Date.now()}@example.com`, name: "Local" }),
      });
      assert.equal(response.status, 201);
      const { id } = (await response.json()) as { id: string };
      const welcomedAt = await waitUntil(
        async () => {
          const user = (await (await fetch(`${local.url}/users/${id}`, { headers: { "x-api-key": TEST_API_KEY } })).json()) as { welcomedAt: string | null };
          return user.welcomedAt ?? undefined;
        },
        "welcomedAt",
        logLines,
      );
      assert.ok(!Number.isNaN(Date.parse(welcomedAt)));
    });

    it("a message that keeps failing is dead-lettered after the plan's maxDeliveryAttempts", async () => {
      const before = await local.queueDepth();
      // Published straight to the topic, as a corrupted event would arrive.
      await local.backends.eventsTopic.publishMessage({ data: Buffer.from("{not json") });
      const depth = await waitUntil(
        async () => {
          const now = await local.queueDepth();
          return now.deadLettered > before.deadLettered ? now : undefined;
        },
        "the poison message on the dead-letter topic",
        logLines,
      );
      assert.equal(depth.deadLettered, before.deadLettered + 1);
      assert.equal(depth.pending, 0);
      assert.ok(logLines.some((line) => /dead-lettered message .* after 5 attempts/.test(line)));
    });

    it("schedules the reconciler at its unix-cron expression's times, in UTC, and fires it as Cloud Scheduler does", async () => {
      const schedule = local.schedules.reconciler;
      assert.equal(schedule.expression, "*/5 * * * *");
      assert.deepEqual(schedule.next(3, new Date("2026-01-01T10:02:30Z")), ["2026-01-01T10:05:00.000Z", "2026-01-01T10:10:00.000Z", "2026-01-01T10:15:00.000Z"]);
      await schedule.fireNow(new Date("2026-01-01T10:05:00Z"));
      // The run's request id is its scheduled time (no trace header locally), which tells it apart
      // from a real */5 tick that may land while the suite runs.
      const reconciled = functionLogs
        .filter(([fn, line]) => fn === "reconciler" && line.includes('"reconciled"'))
        .map(([, line]) => JSON.parse(line))
        .filter((record) => record.requestId === "2026-01-01T10:05:00.000Z");
      assert.equal(reconciled.length, 1, "one run, its report forwarded to onFunctionLog");
      const [report] = reconciled;
      assert.equal(report.platform, "gcp");
      assert.equal(report.errors, 0);
      assert.ok(functionLogs.some(([fn]) => fn === "users-api"), "every function's lines are forwarded");
    });
  });

  describe("another catalog: hello", () => {
    it("serves a function that is not the project's own under its entry point", async function () {
      this.timeout(180_000);
      const hello = { definition: helloDefinition, bundle: bundleFunction(helloDefinition, "gcp"), settings: { memoryMb: 256, timeoutSeconds: 5, reservedConcurrency: 2, warmInstances: 0 } };
      const local = await startGcpLocal({ apiKey: TEST_API_KEY, functions: [hello] });
      try {
        assert.deepEqual(Object.keys(local.functions), ["hello"]);
        const response = await fetch(`${local.url}/greet`);
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), helloAnswer("/greet"));
        assert.deepEqual(await local.queueDepth(), { pending: 0, deadLettered: 0 });
      } finally {
        await local.stop();
      }
    });
  });
});
