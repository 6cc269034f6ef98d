/**
 * API Gateway HTTP API, payload format 2.0, on the Lambda side: the event becomes a web
 * Request and the core's Response becomes the integration result. Only shapes change here.
 * Event and result format: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */

/** The event API Gateway sends with `payloadFormatVersion: "2.0"` (the fields this driver reads or the local front fills). */
export interface HttpApiEvent {
  version: "2.0";
  routeKey: string;
  rawPath: string;
  /** Without the leading `?`; "" when there is none. */
  rawQueryString: string;
  /** Every Cookie header's cookies; API Gateway moves them out of `headers`. */
  cookies?: string[];
  /** Lower-cased names; repeated headers are joined with commas. */
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: string;
    stage: string;
    time: string;
    timeEpoch: number;
  };
  body?: string;
  isBase64Encoded: boolean;
  pathParameters?: Record<string, string>;
  stageVariables?: Record<string, string>;
}

/** The structured result a 2.0 integration returns; each entry of `cookies` becomes one Set-Cookie. */
export interface HttpApiResult {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

/** Builds the web Request the core expects from a 2.0 event. */
export function requestFromHttpApiEvent(event: HttpApiEvent): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name, value);
  }
  if (event.cookies && event.cookies.length > 0) headers.set("cookie", event.cookies.join("; "));

  // The API's own domain, from API Gateway's context: a caller's Host header
  // (`evil.example/health?`) would otherwise rewrite the path the core routes on.
  const host = event.requestContext.domainName;
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  const url = `https://${host}${event.rawPath}${query}`;
  const method = event.requestContext.http.method.toUpperCase();
  const hasBody = event.body !== undefined && event.body !== null && method !== "GET" && method !== "HEAD";
  const body = hasBody ? (event.isBase64Encoded ? Buffer.from(event.body!, "base64") : event.body) : undefined;
  return new Request(url, { method, headers, body });
}

/**
 * Converts the core's Response into the 2.0 result. Text bodies stay text; anything else is
 * base64 with `isBase64Encoded`, which API Gateway decodes before answering.
 */
export async function httpApiResultFromResponse(response: Response): Promise<HttpApiResult> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  const contentType = response.headers.get("content-type") ?? "";
  const bytes = Buffer.from(await response.arrayBuffer());
  const isText = bytes.length === 0 || isTextContentType(contentType);
  return {
    statusCode: response.status,
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    body: isText ? bytes.toString("utf8") : bytes.toString("base64"),
    isBase64Encoded: !isText,
  };
}

export function isTextContentType(contentType: string): boolean {
  return /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i.test(contentType.trim());
}
