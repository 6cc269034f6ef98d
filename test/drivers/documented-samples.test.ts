/**
 * Every header and event field a driver (functions/<platform>/driver.ts and its mapping modules)
 * reads, sent by at least one fixture taken from the platform's documented samples (issue 30: a
 * header no test sent let any parsing mistake in it pass). Each fixture names the page it comes
 * from; where a sample was trimmed or a value changed, the comment beside it says so. The
 * handlers below record what the driver handed them, so each test checks what the platform's
 * input becomes: the Request, the messages and their attempts, the request id, the scheduled time.
 *
 * Fields read, per driver (grep `headers.get\|header(\|triggerMetadata\|requestContext` functions/):
 * - AWS: the HTTP API 2.0 event (headers, cookies, rawPath, rawQueryString, requestContext.domainName
 *   when no Host header, requestContext.http.method, requestContext.requestId, body, isBase64Encoded),
 *   the SQS record (messageId, body, attributes.ApproximateReceiveCount), Scheduler's input
 *   (scheduledTime, executionId);
 * - Google Cloud: Host, X-Forwarded-Proto, X-Cloud-Trace-Context, the push envelope (message.data,
 *   messageId / message_id, subscription, deliveryAttempt), X-CloudScheduler,
 *   X-CloudScheduler-ScheduleTime, X-CloudScheduler-JobName, User-Agent;
 * - Azure: the HttpRequest (method, url, headers, body), invocationId, triggerMetadata.id and
 *   .dequeueCount, the timer's isPastDue and scheduleStatus.next;
 * - Cloudflare: CF-Ray, the queue Message (id, body, attempts), the ScheduledController (cron, scheduledTime).
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { request as httpRequest, type Server } from "node:http";
import { HttpRequest, InvocationContext, type Timer } from "@azure/functions";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import * as awsDriver from "../../functions/aws/driver";
import type { HttpApiEvent } from "../../functions/aws/http-api";
import type { SqsEvent } from "../../functions/aws/sqs-event";
import * as azureDriver from "../../functions/azure/driver";
import * as cloudflareDriver from "../../functions/cloudflare/driver";
import type { MessageBatch } from "../../functions/cloudflare/bindings";
import * as gcpDriver from "../../functions/gcp/driver";
import { entryPointName } from "../../functions/gcp/contract";
import type { HandlerContext, QueueMessage, QueueOutcome } from "../../functions/handler";

/** Handlers that record what the driver gave them. */
function recorders(outcome: (message: QueueMessage) => QueueOutcome = (m) => ({ id: m.id, status: "done" })) {
  const seen = { requests: [] as Array<{ method: string; url: string; headers: Record<string, string>; body: string; ctx: HandlerContext }>, batches: [] as Array<{ messages: QueueMessage[]; ctx: HandlerContext }>, runs: [] as Array<HandlerContext & { scheduledTime: Date }> };
  return {
    seen,
    http: {
      async fetch(request: Request, ctx: HandlerContext) {
        seen.requests.push({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body: await request.text(), ctx });
        return new Response(JSON.stringify({ ok: true }), { status: 200, headers: { "content-type": "application/json" } });
      },
    },
    queue: {
      async queue(messages: QueueMessage[], ctx: HandlerContext) {
        seen.batches.push({ messages, ctx });
        return messages.map(outcome);
      },
    },
    schedule: async (ctx: HandlerContext & { scheduledTime: Date }) => void seen.runs.push(ctx),
  };
}

describe("drivers: the platforms' documented samples, every field a driver reads", () => {
  describe("AWS", () => {
    /**
     * The payload format 2.0 example of
     * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html,
     * as documented: no Host header (the driver then takes requestContext.domainName), header
     * names as API Gateway sends them (lower-case; the page shows "header1").
     */
    const documentedHttpEvent = (): HttpApiEvent => ({
      version: "2.0",
      routeKey: "$default",
      rawPath: "/my/path",
      rawQueryString: "parameter1=value1&parameter1=value2&parameter2=value",
      cookies: ["cookie1", "cookie2"],
      headers: { header1: "value1", header2: "value1,value2" },
      queryStringParameters: { parameter1: "value1,value2", parameter2: "value" },
      requestContext: {
        accountId: "123456789012",
        apiId: "api-id",
        domainName: "id.execute-api.us-east-1.amazonaws.com",
        domainPrefix: "id",
        http: { method: "POST", path: "/my/path", protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "agent" },
        requestId: "id",
        routeKey: "$default",
        stage: "$default",
        time: "12/Mar/2020:19:03:58 +0000",
        timeEpoch: 1583348638390,
      },
      body: "Hello from Lambda",
      pathParameters: { parameter1: "value1" },
      isBase64Encoded: false,
      stageVariables: { stageVariable1: "value1", stageVariable2: "value2" },
    });

    it("HTTP API 2.0: the URL from domainName (no Host header), query, headers, cookies, body, method; the request id from requestContext without a Lambda context", async () => {
      const r = recorders();
      const handler = awsDriver.http("users-api", r.http);
      const result = await handler(documentedHttpEvent());
      assert.equal(result.statusCode, 200);
      const [seen] = r.seen.requests;
      assert.equal(seen.method, "POST");
      assert.equal(seen.url, "https://id.execute-api.us-east-1.amazonaws.com/my/path?parameter1=value1&parameter1=value2&parameter2=value");
      assert.equal(seen.headers.header2, "value1,value2");
      assert.equal(seen.headers.cookie, "cookie1; cookie2");
      assert.equal(seen.body, "Hello from Lambda");
      assert.equal(seen.ctx.requestId, "id", "requestContext.requestId");
      // With a Lambda context its awsRequestId wins (the id Lambda logs the invocation under).
      await handler(documentedHttpEvent(), { awsRequestId: "8476a536-e9f4-11e8-9739-2dfe598c3fcd", getRemainingTimeInMillis: () => 3000 });
      assert.equal(r.seen.requests[1].ctx.requestId, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
      assert.equal(r.seen.requests[1].ctx.remainingMs(), 3000);
      // A base64 body, as API Gateway sends a binary one.
      await handler({ ...documentedHttpEvent(), body: Buffer.from("Hello from Lambda").toString("base64"), isBase64Encoded: true });
      assert.equal(r.seen.requests[2].body, "Hello from Lambda");
    });

    /** The standard-queue example of https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html; the second record's ApproximateReceiveCount raised to 3 (a redelivery). */
    const documentedSqsEvent = (): SqsEvent => ({
      Records: [
        {
          messageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
          receiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
          body: "Test message.",
          attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1545082649183", SenderId: "AIDAIENQZJOLO23YVJ4VO", ApproximateFirstReceiveTimestamp: "1545082649185" },
          messageAttributes: {},
          md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-2:123456789012:my-queue",
          awsRegion: "us-east-2",
        },
        {
          messageId: "2e1424d4-f796-459a-8184-9c92662be6da",
          receiptHandle: "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
          body: "Test message.",
          attributes: { ApproximateReceiveCount: "3", SentTimestamp: "1545082650636", SenderId: "AIDAIENQZJOLO23YVJ4VO", ApproximateFirstReceiveTimestamp: "1545082650649" },
          messageAttributes: {},
          md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-2:123456789012:my-queue",
          awsRegion: "us-east-2",
        },
      ],
    });

    it("SQS: each record's messageId, body and ApproximateReceiveCount reach the handler; a failure is reported by its messageId", async () => {
      const r = recorders((m) => (m.attempt === 3 ? { id: m.id, status: "retry", reason: "not yet" } : { id: m.id, status: "done" }));
      const response = await awsDriver.queue("queue-worker", r.queue)(documentedSqsEvent(), { awsRequestId: "c8a2b5f0-0000-4000-8000-000000000000" });
      assert.deepEqual(r.seen.batches[0].messages, [
        { id: "059f36b4-87a3-44ab-83d2-661975830a7d", body: "Test message.", attempt: 1 },
        { id: "2e1424d4-f796-459a-8184-9c92662be6da", body: "Test message.", attempt: 3 },
      ]);
      assert.equal(r.seen.batches[0].ctx.requestId, "c8a2b5f0-0000-4000-8000-000000000000");
      assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: "2e1424d4-f796-459a-8184-9c92662be6da" }] });
    });

    it("EventBridge Scheduler: scheduledTime is the run's time and executionId its id without a Lambda context", async () => {
      // The context attributes' example values: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
      const event = { source: "aws.scheduler", scheduleArn: "arn:aws:scheduler:us-east-1:123456789012:schedule/myScheduleGroup/mySchedule", scheduledTime: "2022-03-22T18:59:43Z", executionId: "d32c5kddcf5bb8c3", attemptNumber: "1" } as const;
      const r = recorders();
      await awsDriver.schedule("reconciler", r.schedule)(event);
      assert.equal(r.seen.runs[0].scheduledTime.toISOString(), "2022-03-22T18:59:43.000Z");
      assert.equal(r.seen.runs[0].requestId, "d32c5kddcf5bb8c3");
    });
  });

  describe("Google Cloud", () => {
    const servers: Server[] = [];
    after(async () => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));
    /** The function registered under its entry point, behind the Functions Framework's own Express server. */
    const serve = async (name: string): Promise<string> => {
      const server = getTestServer(entryPointName(name));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };

    /** fetch may not set Host; node:http may. */
    const send = (url: string, method: string, headers: Record<string, string>, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(url, { method, headers }, (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode!));
        });
        request.on("error", reject);
        request.end(body);
      });

    // The HTTP case last: an HTTP function's driver keeps the framework's body parsers from reading
    // bodies, process-wide (functions/gcp/unread-bodies.ts); in Cloud Functions each function has its
    // own process, so the push and scheduler cases run first, with the parsers as their functions get them.
    it("Pub/Sub push: the documented envelope's data, messageId and (with a dead-letter policy) deliveryAttempt; message_id alone is read too", async () => {
      const r = recorders((m) => (m.attempt === 5 ? { id: m.id, status: "poison", reason: "bad" } : { id: m.id, status: "done" }));
      gcpDriver.queue("sample-queue", r.queue);
      const url = await serve("sample-queue");
      // The push request body of https://cloud.google.com/pubsub/docs/push ("Receive messages").
      const documented = {
        message: {
          attributes: { key: "value" },
          data: "SGVsbG8gQ2xvdWQgUHViL1N1YiEgSGVyZSBpcyBteSBtZXNzYWdlIQ==",
          messageId: "2070443601311540",
          message_id: "2070443601311540",
          publishTime: "2021-02-26T19:13:55.749Z",
          publish_time: "2021-02-26T19:13:55.749Z",
        },
        subscription: "projects/myproject/subscriptions/mysubscription",
      };
      const post = (body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal((await post(documented)).status, 204);
      assert.deepEqual(r.seen.batches[0].messages, [{ id: "2070443601311540", body: "Hello Cloud Pub/Sub! Here is my message!", attempt: undefined }]);
      // deliveryAttempt is added when the subscription has a dead-letter policy
      // (https://cloud.google.com/pubsub/docs/handling-failures#track-delivery-attempts).
      assert.equal((await post({ ...documented, deliveryAttempt: 5 })).status, 400, "poison with a dead-letter policy: nacked");
      assert.equal(r.seen.batches[1].messages[0].attempt, 5);
      const { messageId: _dropped, ...snakeOnly } = documented.message;
      assert.equal((await post({ ...documented, message: snakeOnly })).status, 204);
      assert.equal(r.seen.batches[2].messages[0].id, "2070443601311540");
    });

    it("Cloud Scheduler: X-CloudScheduler-ScheduleTime is the run's time; without X-CloudScheduler the run is logged with the User-Agent", async () => {
      const r = recorders();
      gcpDriver.schedule("sample-schedule", r.schedule);
      const url = await serve("sample-schedule");
      // The headers of an HTTP target: https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#HttpTarget
      const headers = {
        "x-cloudscheduler": "true",
        "x-cloudscheduler-jobname": "reconciler-every-5",
        "x-cloudscheduler-scheduletime": "2026-01-02T00:05:00.000Z",
        "user-agent": "Google-Cloud-Scheduler",
        "x-cloud-trace-context": "105445aa7843bc8bf206b12000100000/1;o=1",
      };
      assert.equal((await fetch(url, { method: "POST", headers })).status, 200);
      assert.equal(r.seen.runs[0].scheduledTime.toISOString(), "2026-01-02T00:05:00.000Z");
      assert.equal(r.seen.runs[0].requestId, "105445aa7843bc8bf206b12000100000");
      // No trace header: the schedule time names the run.
      const { "x-cloud-trace-context": _trace, ...untraced } = headers;
      await fetch(url, { method: "POST", headers: untraced });
      assert.equal(r.seen.runs[1].requestId, "2026-01-02T00:05:00.000Z");
      const lines: string[] = [];
      const write = console.warn;
      const log = console.log;
      console.warn = console.log = (line: unknown) => void lines.push(String(line));
      try {
        await fetch(url, { method: "POST", headers: { "user-agent": "curl/8.5.0" } });
      } finally {
        console.warn = write;
        console.log = log;
      }
      assert.ok(lines.some((line) => line.includes("without the Cloud Scheduler headers") && line.includes("curl/8.5.0")), lines.join("\n"));
      assert.equal(r.seen.runs.length, 3, "still run: IAM, not the header, decides who may invoke");
    });

    it("HTTP: X-Forwarded-Proto and Host make the URL, X-Cloud-Trace-Context is not the request id (a caller could choose it)", async () => {
      const r = recorders();
      gcpDriver.http("sample-http", r.http);
      const url = await serve("sample-http");
      // The headers Cloud Functions adds to every request, with the page's example values:
      // https://cloud.google.com/functions/docs/reference/headers ("Headers added for your use").
      const status = await send(`${url}/users?limit=2`, "POST", {
        host: "europe-west1-myproject.cloudfunctions.net",
        "x-cloud-trace-context": "65011637f09e0a5179677a7429456db7/1027871334010811884;o=1",
        "x-forwarded-for": "203.0.113.7, 198.51.100.2",
        "x-forwarded-proto": "https",
        "content-type": "application/json",
      }, '{"name":"Ada"}');
      assert.equal(status, 200);
      const [seen] = r.seen.requests;
      assert.equal(seen.url, "https://europe-west1-myproject.cloudfunctions.net/users?limit=2");
      // The caller's trace header does not choose the log's request id (issue 26 #9): the core makes one.
      assert.equal(seen.ctx.requestId, undefined);
      assert.equal(seen.body, '{"name":"Ada"}');
      assert.equal(seen.headers["x-forwarded-for"], "203.0.113.7, 198.51.100.2");
      // Without X-Forwarded-Proto (a direct call, as the local front makes) the URL is http.
      await send(`${url}/health`, "GET", { host: "127.0.0.1:8080" });
      assert.equal(r.seen.requests[1].url, "http://127.0.0.1:8080/health");
      assert.equal(r.seen.requests[1].ctx.requestId, undefined);
    });
  });

  describe("Azure", () => {
    /** An invocation as the host hands it over (@azure/functions InvocationContext, the real class). */
    const context = (invocationId: string, triggerMetadata?: Record<string, unknown>) => new InvocationContext({ invocationId, functionName: "f", triggerMetadata, logHandler: () => undefined });

    it("HTTP trigger: method, URL, headers and body of the HttpRequest; the invocation id is the request id", async () => {
      const r = recorders();
      const handler = azureDriver.httpHandler("users-api", r.http);
      // An HTTP-triggered request as https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger describes it
      // (route prefix removed by host.json routePrefix ""; the URL is the app's default host name).
      const request = new HttpRequest({
        method: "POST",
        url: "https://parity-users.azurewebsites.net/users?code=ignored",
        headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.7:52110", "x-arr-ssl": "2048|256|CN=Microsoft Azure RSA TLS Issuing CA 03" },
        body: { string: '{"name":"Ada"}' },
      });
      const response = await handler(request, context("e3b0c442-98fc-1c14-9afb-f4c8996fb924"));
      assert.equal(response.status, 200);
      const [seen] = r.seen.requests;
      assert.deepEqual([seen.method, seen.url, seen.body], ["POST", "https://parity-users.azurewebsites.net/users?code=ignored", '{"name":"Ada"}']);
      assert.equal(seen.headers["x-forwarded-for"], "203.0.113.7:52110");
      assert.equal(seen.ctx.requestId, "e3b0c442-98fc-1c14-9afb-f4c8996fb924");
    });

    it("queue trigger: the message id and dequeueCount of the trigger metadata; a failure throws so the host redelivers", async () => {
      // The metadata of https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#message-metadata
      // (id, dequeueCount, insertionTime, expirationTime, nextVisibleTime, popReceipt), camelCase as the v4 Node.js model passes them.
      const metadata = (dequeueCount: number | string) => ({
        id: "5c9a2f25-4d1b-4bd4-8c0f-2d3f0ac1d9b7",
        dequeueCount,
        insertionTime: "2026-01-02T00:00:00+00:00",
        expirationTime: "2026-01-09T00:00:00+00:00",
        nextVisibleTime: "2026-01-02T00:10:00+00:00",
        popReceipt: "AgAAAAMAAAAAAAAA",
      });
      const r = recorders((m) => (m.attempt === 5 ? { id: m.id, status: "poison", reason: "bad" } : { id: m.id, status: "done" }));
      const handler = azureDriver.queue("queue-worker-sample", r.queue);
      await handler({ type: "user.created" }, context("inv-1", metadata(1)));
      assert.deepEqual(r.seen.batches[0].messages, [{ id: "5c9a2f25-4d1b-4bd4-8c0f-2d3f0ac1d9b7", body: '{"type":"user.created"}', attempt: 1 }]);
      assert.equal(r.seen.batches[0].ctx.requestId, "inv-1");
      // dequeueCount as text (older extension bundles pass strings) is read the same.
      await assert.rejects(handler("text body", context("inv-2", metadata("5"))), /message 5c9a2f25-4d1b-4bd4-8c0f-2d3f0ac1d9b7 failed: bad/);
      assert.deepEqual(r.seen.batches[1].messages, [{ id: "5c9a2f25-4d1b-4bd4-8c0f-2d3f0ac1d9b7", body: "text body", attempt: 5 }]);
    });

    it("timer trigger: scheduleStatus.next is the occurrence being run; without schedule monitoring, now", async () => {
      // The timer object of https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#usage,
      // camelCase as https://learn.microsoft.com/javascript/api/@azure/functions/timer names it.
      const timer: Timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: "2016-10-04T10:15:00+00:00", lastUpdated: "2016-10-04T10:16:00+00:00", next: "2016-10-04T10:20:00+00:00" } };
      const r = recorders();
      const handler = azureDriver.schedule("reconciler-sample", r.schedule);
      const lines: string[] = [];
      const log = console.log;
      console.log = (line: unknown) => void lines.push(String(line));
      try {
        await handler(timer, context("inv-t"));
        const before = Date.now();
        await handler({ isPastDue: true, schedule: { adjustForDST: true } } as Timer, context("inv-u"));
        assert.ok(r.seen.runs[1].scheduledTime.getTime() >= before, "no scheduleStatus: the run is now");
      } finally {
        console.log = log;
      }
      assert.equal(r.seen.runs[0].scheduledTime.toISOString(), "2016-10-04T10:20:00.000Z");
      assert.equal(r.seen.runs[0].requestId, "inv-t");
      const fired = lines.filter((line) => line.includes('"timer fired"')).map((line) => JSON.parse(line.slice(line.indexOf("{"))) as { isPastDue: boolean; scheduleStatus: unknown });
      assert.deepEqual(fired.map((f) => f.isPastDue), [false, true]);
      assert.deepEqual(fired[1].scheduleStatus, null);
    });
  });

  describe("Cloudflare", () => {
    it("fetch: CF-Ray is the request id", async () => {
      const r = recorders();
      // The header's example: https://developers.cloudflare.com/fundamentals/reference/http-headers/#cf-ray
      const request = new Request("https://parity.example.workers.dev/users", { headers: { "cf-ray": "230b030023ae2822-SJC", "cf-connecting-ip": "203.0.113.7" } });
      await cloudflareDriver.http("users-api", r.http).fetch(request, { API_KEY: "k" });
      assert.equal(r.seen.requests[0].ctx.requestId, "230b030023ae2822-SJC");
      assert.deepEqual(r.seen.requests[0].ctx.env, { API_KEY: "k" });
    });

    it("queue: each Message's id, body and attempts; ack() for the settled, retry() for the failed", async () => {
      // The Message interface of https://developers.cloudflare.com/queues/configuration/javascript-apis/#message (id, timestamp, body, attempts, ack, retry).
      const settled: string[] = [];
      const message = (id: string, body: unknown, attempts: number) => ({ id, timestamp: new Date("2026-01-02T00:00:00Z"), body, attempts, ack: () => void settled.push(`ack ${id}`), retry: () => void settled.push(`retry ${id}`) });
      const batch = { queue: "user-events", messages: [message("m-1", '{"type":"user.created"}', 1), message("m-2", { type: "user.created" }, 3)], ackAll() {}, retryAll() {} } as unknown as MessageBatch;
      const r = recorders((m) => (m.attempt === 3 ? { id: m.id, status: "retry", reason: "not yet" } : { id: m.id, status: "done" }));
      await cloudflareDriver.queue("queue-worker", r.queue).queue(batch, {});
      assert.deepEqual(r.seen.batches[0].messages, [
        { id: "m-1", body: '{"type":"user.created"}', attempt: 1 },
        { id: "m-2", body: '{"type":"user.created"}', attempt: 3 },
      ]);
      assert.deepEqual(settled, ["ack m-1", "retry m-2"]);
    });

    it("scheduled: the controller's scheduledTime is the run's time, its cron and time the run's id", async () => {
      // The ScheduledController of https://developers.cloudflare.com/workers/runtime-apis/handlers/scheduled/ (cron, type, scheduledTime in ms).
      const r = recorders();
      await cloudflareDriver.schedule("reconciler", r.schedule).scheduled({ cron: "*/5 * * * *", type: "scheduled", scheduledTime: Date.parse("2026-01-02T00:05:00Z"), noRetry() {} } as never, {});
      assert.equal(r.seen.runs[0].scheduledTime.toISOString(), "2026-01-02T00:05:00.000Z");
      assert.equal(r.seen.runs[0].requestId, "*/5 * * * *@2026-01-02T00:05:00.000Z");
    });
  });
});
