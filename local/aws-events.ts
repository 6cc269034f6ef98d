/**
 * The service side of the two AWS triggers, as the local cloud and the tests play it:
 * API Gateway turning an HTTP request into a payload 2.0 event and the result back into a
 * response, and the SQS event source mapping turning received messages into an SQS event.
 * Shapes: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * and https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
import { createHash, randomUUID } from "node:crypto";
import type { Message } from "@aws-sdk/client-sqs";
import type { HttpApiEvent, HttpApiResult } from "../functions/aws/http-api";
import { isTextContentType } from "../functions/aws/http-api";
import type { SqsEvent, SqsRecord } from "../functions/aws/sqs-event";

export const LOCAL_ACCOUNT_ID = "000000000000";

/** Builds the event API Gateway would send for `request` (route `$default`, stage `$default`). */
export async function httpApiEventFromRequest(request: Request, options: { sourceIp?: string } = {}): Promise<HttpApiEvent> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  request.headers.forEach((value, name) => {
    // Headers iterate lower-cased and already comma-joined, as API Gateway presents them.
    if (name === "cookie") cookies = value.split(/;\s*/).filter(Boolean);
    else headers[name] = value;
  });
  headers.host ??= url.host;
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const bytes = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
  const isText = !bytes || isTextContentType(request.headers.get("content-type") ?? "");
  const now = new Date();
  const apiId = "local";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId,
      domainName: url.host,
      domainPrefix: url.hostname.split(".")[0],
      http: {
        method: request.method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: options.sourceIp ?? "127.0.0.1",
        userAgent: request.headers.get("user-agent") ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(bytes ? { body: isText ? bytes.toString("utf8") : bytes.toString("base64") } : {}),
    isBase64Encoded: !isText,
  };
}

/** What API Gateway answers the client for a 2.0 integration result. */
export function responseFromHttpApiResult(result: HttpApiResult): Response {
  const headers = new Headers(result.headers);
  for (const cookie of result.cookies ?? []) headers.append("set-cookie", cookie);
  const body = result.isBase64Encoded ? Buffer.from(result.body, "base64") : result.body;
  const noBody = result.statusCode === 204 || result.statusCode === 304;
  return new Response(noBody ? null : body, { status: result.statusCode, headers });
}

/** API Gateway's answer when the integration itself failed (error, timeout). */
export function integrationFailureResponse(): Response {
  return new Response(JSON.stringify({ message: "Internal Server Error" }), {
    status: 500,
    headers: { "content-type": "application/json" },
  });
}

/** The SQS event the event source mapping would send for messages received from `queueArn`. */
export function sqsEventFromMessages(messages: Message[], queueArn: string): SqsEvent {
  const region = queueArn.split(":")[3] ?? "us-east-1";
  return { Records: messages.map((message) => sqsRecordFromMessage(message, queueArn, region)) };
}

function sqsRecordFromMessage(message: Message, queueArn: string, region: string): SqsRecord {
  const body = message.Body ?? "";
  const attributes = message.Attributes ?? {};
  const now = String(Date.now());
  return {
    messageId: message.MessageId ?? randomUUID(),
    receiptHandle: message.ReceiptHandle ?? randomUUID(),
    body,
    attributes: {
      ...attributes,
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? now,
      SenderId: attributes.SenderId ?? LOCAL_ACCOUNT_ID,
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? now,
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        // The event spells attribute values in camelCase, unlike the ReceiveMessage API.
        {
          stringValue: value.StringValue,
          binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString("base64") : undefined,
          stringListValues: [],
          binaryListValues: [],
          dataType: value.DataType,
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? createHash("md5").update(body).digest("hex"),
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** `12/Mar/2020:19:03:58 +0000`, the format of requestContext.time. */
function apiGatewayTime(date: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
