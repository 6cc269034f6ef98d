/** The AWS event translations, both sides, with the shapes API Gateway, SQS and EventBridge Scheduler document. */
import assert from "node:assert/strict";
import { httpApiResultFromResponse, requestFromHttpApiEvent, type HttpApiEvent } from "../../functions/aws/http-api";
import { REMAINING_TIME_MARGIN_MS, timeBudgetWithin } from "../../functions/aws/lambda-context";
import { SCHEDULER_INPUT_TEMPLATE, schedulerEventFor } from "../../functions/aws/scheduler-event";
import { queueMessagesFromSqsEvent, sqsBatchResponseFromOutcomes } from "../../functions/aws/sqs-event";
import { httpApiEventFromRequest, responseFromHttpApiResult, sqsEventFromMessages } from "../../local/aws-events";

/** The documented 2.0 example, trimmed: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html */
const documentedEvent = (): HttpApiEvent => ({
  version: "2.0",
  routeKey: "$default",
  rawPath: "/my/path",
  rawQueryString: "parameter1=value1&parameter1=value2&parameter2=value",
  cookies: ["cookie1=a", "cookie2=b"],
  headers: { header1: "value1", header2: "value1,value2", host: "id.execute-api.us-east-1.amazonaws.com" },
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
  body: Buffer.from("Hello from Lambda").toString("base64"),
  isBase64Encoded: true,
});

describe("aws: API Gateway HTTP API 2.0 translation", () => {
  it("turns the documented event into a Request: URL, query, headers, cookies, decoded body", async () => {
    const request = requestFromHttpApiEvent(documentedEvent());
    assert.equal(request.method, "POST");
    assert.equal(request.url, "https://id.execute-api.us-east-1.amazonaws.com/my/path?parameter1=value1&parameter1=value2&parameter2=value");
    assert.equal(request.headers.get("header2"), "value1,value2");
    assert.equal(request.headers.get("cookie"), "cookie1=a; cookie2=b");
    assert.equal(await request.text(), "Hello from Lambda");
  });

  it("builds the URL from API Gateway's domainName, never the caller's Host: `Host: evil.example/health?` keeps the path", () => {
    const event = documentedEvent();
    event.headers.host = "evil.example/health?";
    const request = requestFromHttpApiEvent(event);
    assert.equal(new URL(request.url).host, "id.execute-api.us-east-1.amazonaws.com");
    assert.equal(new URL(request.url).pathname, "/my/path");
  });

  it("drops a body on GET, as fetch requires", () => {
    const event = { ...documentedEvent(), body: "ignored", isBase64Encoded: false };
    event.requestContext.http.method = "GET";
    assert.equal(requestFromHttpApiEvent(event).body, null);
  });

  it("turns a Response into the 2.0 result: Set-Cookie into cookies, text stays text, bytes go base64", async () => {
    const headers = new Headers({ "content-type": "application/json; charset=utf-8", location: "/users/1" });
    headers.append("set-cookie", "a=1; Path=/");
    headers.append("set-cookie", "b=2; Path=/");
    const json = await httpApiResultFromResponse(new Response('{"ok":true}', { status: 201, headers }));
    assert.deepEqual(json, {
      statusCode: 201,
      headers: { "content-type": "application/json; charset=utf-8", location: "/users/1" },
      cookies: ["a=1; Path=/", "b=2; Path=/"],
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
    const png = await httpApiResultFromResponse(new Response(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), { headers: { "content-type": "image/png" } }));
    assert.equal(png.isBase64Encoded, true);
    assert.equal(png.body, "iVBORw==");
  });

  it("the local front and the driver round-trip a binary body, query and cookies unchanged", async () => {
    const bytes = new Uint8Array([0, 255, 1, 254]);
    const original = new Request("http://127.0.0.1:8080/upload?a=1&a=2&b=x", {
      method: "PUT",
      headers: { "content-type": "application/octet-stream", cookie: "s=1; t=2", "X-Custom": "Yes" },
      body: bytes,
    });
    const event = await httpApiEventFromRequest(original);
    assert.equal(event.isBase64Encoded, true);
    assert.deepEqual(event.cookies, ["s=1", "t=2"]);
    assert.equal(event.headers["x-custom"], "Yes");
    assert.deepEqual(event.queryStringParameters, { a: "1,2", b: "x" });
    assert.equal(event.rawQueryString, "a=1&a=2&b=x");
    const rebuilt = requestFromHttpApiEvent(event);
    assert.equal(new URL(rebuilt.url).pathname + new URL(rebuilt.url).search, "/upload?a=1&a=2&b=x");
    assert.deepEqual(new Uint8Array(await rebuilt.arrayBuffer()), bytes);

    const response = responseFromHttpApiResult({ statusCode: 200, headers: { "content-type": "text/plain" }, cookies: ["c=3"], body: "hi", isBase64Encoded: false });
    assert.equal(response.headers.get("set-cookie"), "c=3");
    assert.equal(await response.text(), "hi");
  });
});

describe("aws: SQS event translation", () => {
  it("reads attempts from ApproximateReceiveCount and reports only failures as batchItemFailures", () => {
    const event = sqsEventFromMessages(
      [
        { MessageId: "m1", ReceiptHandle: "r1", Body: "a", Attributes: { ApproximateReceiveCount: "3" } },
        { MessageId: "m2", ReceiptHandle: "r2", Body: "b" },
      ],
      "arn:aws:sqs:eu-west-1:123456789012:events",
    );
    assert.equal(event.Records[0].eventSource, "aws:sqs");
    assert.equal(event.Records[0].eventSourceARN, "arn:aws:sqs:eu-west-1:123456789012:events");
    assert.equal(event.Records[0].awsRegion, "eu-west-1");
    assert.equal(event.Records[1].md5OfBody, "92eb5ffee6ae2fec3ad71c777531578f");
    assert.deepEqual(queueMessagesFromSqsEvent(event), [
      { id: "m1", body: "a", attempt: 3 },
      { id: "m2", body: "b", attempt: 1 },
    ]);
    assert.deepEqual(
      sqsBatchResponseFromOutcomes([
        { id: "m1", status: "welcomed" },
        { id: "m2", status: "poison", reason: "x" },
        { id: "m3", status: "duplicate" },
        { id: "m4", status: "retry", reason: "y" },
      ]),
      { batchItemFailures: [{ itemIdentifier: "m2" }, { itemIdentifier: "m4" }] },
    );
  });
});

describe("aws: EventBridge Scheduler input and the run's time budget", () => {
  it("the target input is well-formed JSON carrying Scheduler's four context attributes, each replaced per run", () => {
    // A templated Lambda target's Input must be well-formed JSON (API_Target, Input).
    assert.deepEqual(JSON.parse(SCHEDULER_INPUT_TEMPLATE), {
      source: "aws.scheduler",
      scheduleArn: "<aws.scheduler.schedule-arn>",
      scheduledTime: "<aws.scheduler.scheduled-time>",
      executionId: "<aws.scheduler.execution-id>",
      attemptNumber: "<aws.scheduler.attempt-number>",
    });
    const values = { scheduleArn: "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/s", scheduledTime: "2022-03-22T18:59:43Z", executionId: "d32c5kddcf5bb8c3", attemptNumber: "1" };
    assert.deepEqual(schedulerEventFor(values), { source: "aws.scheduler", ...values });
  });

  it("a run's budget is the configured one, cut to Lambda's remaining time minus the margin, never negative", () => {
    const remaining = (ms: number) => ({ awsRequestId: "r", getRemainingTimeInMillis: () => ms });
    assert.equal(timeBudgetWithin(48_000, undefined), 48_000);
    assert.equal(timeBudgetWithin(48_000, remaining(60_000)), 48_000);
    assert.equal(timeBudgetWithin(48_000, remaining(48_000 + REMAINING_TIME_MARGIN_MS)), 48_000);
    assert.equal(timeBudgetWithin(48_000, remaining(48_000 + REMAINING_TIME_MARGIN_MS - 1)), 47_999);
    assert.equal(timeBudgetWithin(48_000, remaining(REMAINING_TIME_MARGIN_MS - 1)), 0);
  });
});
