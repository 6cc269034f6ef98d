/**
 * AWS-specific behaviour of the real bundles on DynamoDB Local and fauxqs: what the shared
 * conformance cases cannot see (stored items, logs, secret fetches, real SQS redelivery).
 */
import assert from "node:assert/strict";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { httpApiEventFromRequest, responseFromHttpApiResult, sqsEventFromMessages } from "../../local/aws-events";
import { startAwsFunction } from "../../local/aws";
import type { LambdaFunction } from "../../local/aws-lambda-runtime";
import type { HttpApiResult } from "../../functions/aws/http-api";
import type { SqsBatchResponse } from "../../functions/aws/sqs-event";
import { awsTestFunctions, requireDynamoDbLocal, sharedAwsTarget, TEST_API_KEY, type AwsTarget } from "./target";

describe("aws driver on DynamoDB Local + fauxqs", function () {
  this.timeout(90_000);
  let target: AwsTarget;
  const extraFunctions: LambdaFunction[] = [];
  let counter = 0;
  const uniqueEmail = () => `aws${Date.now()}${counter++}@example.com`;

  const sharedTarget = sharedAwsTarget();
  before(async function () {
    this.timeout(180_000);
    requireDynamoDbLocal(this);
    target = await sharedTarget.acquire();
  });
  after(async () => {
    await Promise.all(extraFunctions.map((fn) => fn.stop()));
    await sharedTarget.release();
  });

  /** A users-api with its own execution environments (so its instances start cold). */
  const newUsersApi = (env: Record<string, string> = {}) => {
    const lines: { instance: number; record: Record<string, unknown> }[] = [];
    const fn = startAwsFunction(target.backends, awsTestFunctions({ "users-api": { reservedConcurrency: 1 } })["users-api"], {
      env,
      onLog: (line, instance) => {
        try {
          lines.push({ instance, record: JSON.parse(line) });
        } catch {
          // not a structured log line (e.g. an SDK warning)
        }
      },
    });
    extraFunctions.push(fn);
    return { fn, lines };
  };
  /**
   * Log lines travel from the instance's stdout asynchronously: wait until `count` have arrived.
   * The bound only ends a wait for lines that never come; a loaded machine may take seconds.
   */
  const logged = async (lines: { instance: number; record: Record<string, unknown> }[], message: string, count: number) => {
    const deadline = Date.now() + 15_000;
    const matching = () => lines.filter((l) => l.record.message === message);
    while (matching().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return matching();
  };
  const call = async (fn: LambdaFunction, path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("x-api-key")) headers.set("x-api-key", TEST_API_KEY);
    const request = new Request(`https://api.example.com${path}`, { ...init, headers });
    return responseFromHttpApiResult(await fn.invoke<HttpApiResult>(await httpApiEventFromRequest(request)));
  };
  const postUser = (fn: LambdaFunction, email: string) =>
    call(fn, "/users", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, name: "Ada" }) });

  it("20 concurrent POSTs with one email store exactly one user item and one email item", async () => {
    const email = uniqueEmail();
    const responses = await Promise.all(Array.from({ length: 20 }, () => postUser(target.usersApi, email)));
    const created = responses.filter((r) => r.status === 201);
    assert.equal(created.length, 1);
    assert.equal(responses.filter((r) => r.status === 409).length, 19);
    const { id } = (await created[0].json()) as { id: string };

    const { Items = [] } = await target.backends.clients.dynamodb.send(new ScanCommand({ TableName: target.backends.tableName, ConsistentRead: true }));
    const userItems = Items.filter((item) => item.pk.S?.startsWith("user#") && item.email?.S === email);
    const emailItems = Items.filter((item) => item.pk.S === `email#${email}`);
    assert.deepEqual(userItems.map((item) => item.pk.S), [`user#${id}`]);
    assert.deepEqual(emailItems.map((item) => item.userId.S), [id]);
  });

  it("a failed publish still answers 201 and keeps the user; the failure is logged with the user id", async () => {
    const missingQueueUrl = `${target.backends.sqs.endpoint}/000000000000/no-such-queue`;
    const { fn, lines } = newUsersApi({ EVENTS_QUEUE_URL: missingQueueUrl });
    const response = await postUser(fn, uniqueEmail());
    assert.equal(response.status, 201);
    const user = (await response.json()) as { id: string };
    assert.equal((await call(fn, `/users/${user.id}`)).status, 200, "the user is kept");

    await logged(lines, "request", 2);
    const failure = lines.find((l) => l.record.level === "error" && /publish failed/.test(String(l.record.message)));
    assert.ok(failure, `no publish failure logged; got ${JSON.stringify(lines.map((l) => l.record.message))}`);
    assert.equal(failure.record.userId, user.id);
    assert.match(JSON.stringify(failure.record.error), /QueueDoesNotExist|does not exist/i);
  });

  it("an instance missing its environment fails at init, naming the variable", async () => {
    const { fn } = newUsersApi({ EVENTS_QUEUE_URL: "" });
    await assert.rejects(call(fn, "/health"), /EVENTS_QUEUE_URL is not set/);
  });

  it("logs coldStart true on an instance's first invocation only", async () => {
    const first = newUsersApi();
    for (let i = 0; i < 3; i++) assert.equal((await call(first.fn, "/health")).status, 200);
    const requestLines = await logged(first.lines, "request", 3);
    assert.deepEqual(requestLines.map((l) => l.record.coldStart), [true, false, false]);
    assert.ok(requestLines.every((l) => l.record.platform === "aws" && l.record.function === "users-api" && l.instance === 1));

    const second = newUsersApi();
    await call(second.fn, "/health");
    assert.deepEqual((await logged(second.lines, "request", 1)).map((l) => l.record.coldStart), [true]);
  });

  it("fetches the API key from Secrets Manager once per instance, not per invocation", async () => {
    const before = target.backends.secrets.getSecretValueCalls;
    const { fn } = newUsersApi();
    assert.equal((await call(fn, "/health")).status, 200);
    assert.equal(target.backends.secrets.getSecretValueCalls, before, "no fetch before a key is needed");
    for (let i = 0; i < 3; i++) assert.equal((await call(fn, "/users/00000000-0000-4000-8000-000000000000")).status, 404);
    assert.equal((await call(fn, "/users/00000000-0000-4000-8000-000000000000", { headers: { "x-api-key": "wrong-key-wrong-key" } })).status, 401);
    assert.equal(target.backends.secrets.getSecretValueCalls, before + 1, "one fetch for four requests on one instance");

    const { fn: other } = newUsersApi();
    assert.equal((await call(other, "/users/00000000-0000-4000-8000-000000000000")).status, 404);
    assert.equal(target.backends.secrets.getSecretValueCalls, before + 2, "a new instance fetches again");
  });

  it("the worker returns exactly the failed message ids for a batch received from SQS; a redelivery welcomes once", async () => {
    await target.receivePublished({ atLeast: 0, timeoutMs: 0 });
    const good = (await (await postUser(target.usersApi, uniqueEmail())).json()) as { id: string };
    const sqs = target.backends.clients.sqs;
    const queueUrl = target.backends.queue.url;
    const ghost = { type: "user.created", eventId: "e1", userId: "00000000-0000-4000-8000-00000000dead", email: "g@example.com", occurredAt: new Date().toISOString() };
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(ghost) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "{not json" }));

    const receiveAll = async (count: number) => {
      const messages: Message[] = [];
      // Until `count` arrive; the bound only ends a wait for messages that never come.
      const deadline = Date.now() + 15_000;
      while (messages.length < count && Date.now() < deadline) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ["All"] }),
        );
        messages.push(...Messages);
      }
      return messages;
    };
    const batch = await receiveAll(3);
    assert.equal(batch.length, 3);
    const welcome = batch.find((m) => JSON.parse(m.Body!.startsWith("{not") ? "{}" : m.Body!).userId === good.id)!;
    const failedExpected = batch.filter((m) => m !== welcome).map((m) => m.MessageId!).sort();

    const response = await target.queueWorker.invoke<SqsBatchResponse>(sqsEventFromMessages(batch, target.backends.queue.arn));
    assert.deepEqual(response.batchItemFailures.map((f) => f.itemIdentifier).sort(), failedExpected);
    const welcomed = (await (await call(target.usersApi, `/users/${good.id}`)).json()) as { welcomedAt: string };
    assert.ok(welcomed.welcomedAt);

    // SQS redelivers the welcome (as after a lost delete): ApproximateReceiveCount is now 2.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: welcome.ReceiptHandle!, VisibilityTimeout: 0 }));
    const redelivered = (await receiveAll(1)).filter((m) => m.MessageId === welcome.MessageId);
    assert.equal(redelivered.length, 1);
    assert.equal(redelivered[0].Attributes?.ApproximateReceiveCount, "2");
    const again = await target.queueWorker.invoke<SqsBatchResponse>(sqsEventFromMessages(redelivered, target.backends.queue.arn));
    assert.deepEqual(again.batchItemFailures, []);
    const after = (await (await call(target.usersApi, `/users/${good.id}`)).json()) as { welcomedAt: string };
    assert.equal(after.welcomedAt, welcomed.welcomedAt, "welcomed once");
  });
});
