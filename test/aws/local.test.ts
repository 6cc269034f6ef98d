/**
 * `local/aws.ts` end to end over real HTTP: the API Gateway front, the Lambda bundles, and
 * the SQS event source mapping with partial batch responses and redrive to the DLQ, and the
 * reconciler on a local EventBridge Scheduler that reads the deploy's own expression.
 */
import assert from "node:assert/strict";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { startAwsLocal, type AwsLocalPlatform } from "../../local/aws";
import { awsTestFunctions, requireDynamoDbLocal, TEST_API_KEY } from "./target";

describe("local AWS (npm start)", function () {
  this.timeout(90_000);
  let local: AwsLocalPlatform;
  const logLines: string[] = [];
  const functionLines: { fn: string; line: string }[] = [];

  before(async function () {
    this.timeout(180_000);
    requireDynamoDbLocal(this);
    const functions = awsTestFunctions({
      "users-api": { reservedConcurrency: 2 },
      // One-second visibility and two attempts, so a poison message reaches the DLQ in seconds.
      "queue-worker": { reservedConcurrency: 1, timeoutSeconds: 1, maxAttempts: 2, batchSize: 10 },
    });
    local = await startAwsLocal({
      apiKey: TEST_API_KEY,
      functions: Object.values(functions),
      log: (line) => logLines.push(line),
      onFunctionLog: (fn, line) => functionLines.push({ fn, line }),
    });
  });
  after(async () => {
    if (!local) return;
    const javaPid = local.backends.dynamodb.pid;
    await local.stop();
    assert.throws(() => process.kill(javaPid, 0), /ESRCH/, "DynamoDB Local's JVM is gone after stop()");
  });

  const waitUntil = async <T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}; launcher log:\n${logLines.join("\n")}`);
  };

  it("serves users-api on loopback and reports what runs", async () => {
    assert.match(local.url!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(local.platform, "aws");
    assert.match(local.description, /DynamoDB Local \(\d{4}-\d{2}-\d{2}\) \+ fauxqs \d+\.\d+\.\d+/);
    const health = await fetch(`${local.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    const unauthorized = await fetch(`${local.url}/users/00000000-0000-4000-8000-000000000000`);
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get("www-authenticate"), 'Bearer realm="parity"');
  });

  it("a POST is welcomed by the worker through the event source mapping; the queue drains", async () => {
    const response = await fetch(`${local.url}/users`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": TEST_API_KEY },
      body: JSON.stringify({ email: `local${Date.now()}@example.com`, name: "Local" }),
    });
    assert.equal(response.status, 201);
    const { id } = (await response.json()) as { id: string };
    assert.equal(response.headers.get("location"), `/users/${id}`);
    const welcomedAt = await waitUntil(async () => {
      const user = (await (await fetch(`${local.url}/users/${id}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } })).json()) as {
        welcomedAt: string | null;
      };
      return user.welcomedAt ?? undefined;
    }, "welcomedAt");
    assert.ok(!Number.isNaN(Date.parse(welcomedAt)));
    await waitUntil(async () => ((await local.queueDepth()).pending === 0 ? true : undefined), "an empty queue");
  });

  it("a message that keeps failing is dead-lettered after maxAttempts deliveries", async () => {
    const before = await local.queueDepth();
    // Sent straight to the queue, as a corrupted event would arrive.
    const sent = await local.backends.clients.sqs.send(new SendMessageCommand({ QueueUrl: local.backends.queue.url, MessageBody: "{not json" }));
    // Redrive and the source queue's count settle separately; wait until both show the move.
    const depth = await waitUntil(async () => {
      const now = await local.queueDepth();
      return now.deadLettered > before.deadLettered && now.pending === 0 ? now : undefined;
    }, "the poison message in the DLQ and none left pending");
    assert.equal(depth.deadLettered, before.deadLettered + 1);
    // Delivered exactly maxAttempts (2) times, counted by the worker's own line per failed delivery
    // of this message, not by how soon it reached the DLQ (issue 30).
    const attempts = functionLines
      .filter((l) => l.fn === "queue-worker" && l.line.includes('"message failed"') && l.line.includes(sent.MessageId!))
      .map((l) => (JSON.parse(l.line.slice(l.line.indexOf("{"))) as { attempt: number }).attempt);
    assert.deepEqual(attempts, [1, 2]);
  });

  it("schedules the reconciler on the deploy's own expression in UTC, and a run is the bundle invoked as Scheduler invokes it", async () => {
    const schedule = local.schedules.reconciler;
    assert.deepEqual(Object.keys(local.schedules), ["reconciler"]);
    assert.equal(schedule.expression, "cron(0/5 * * * ? *)");
    assert.deepEqual(schedule.next(3, new Date("2026-01-01T23:56:30Z")), ["2026-01-02T00:00:00.000Z", "2026-01-02T00:05:00.000Z", "2026-01-02T00:10:00.000Z"]);
    assert.ok(logLines.includes("AWS: reconciler on cron(0/5 * * * ? *) (UTC)"));
    await schedule.fireNow(new Date("2026-01-02T00:05:00Z"));
    const report = await waitUntil(async () => {
      const line = functionLines.find((l) => l.fn === "reconciler" && l.line.includes('"reconciled"'));
      return line && (JSON.parse(line.line) as Record<string, unknown>);
    }, "the reconciler's report line");
    // The stack's grace (10 minutes) keeps this test's fresh users out: nothing to re-publish.
    assert.equal(report.republished, 0);
    assert.equal(report.errors, 0);
    assert.deepEqual(new Set(functionLines.map((l) => l.fn)), new Set(["users-api", "queue-worker", "reconciler"]), "every function's lines reach onFunctionLog");
  });
});
