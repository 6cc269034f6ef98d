/**
 * What every answer must satisfy, and when two platforms' answers count as the same. Pure
 * functions over observed responses: the fuzzer, the tests and the report share them.
 */
import { errorStatus, type ErrorCode } from "../functions/core/errors";
import type { FuzzRequest } from "./generators";

/** One answer as seen by the client, or the connection failure instead of one. */
export interface Observed {
  status: number;
  contentType: string;
  text: string;
  /** Set when no HTTP answer arrived (reset, refused, timeout). */
  connectionError?: string;
}

/** `201`, `404 user_not_found`, `400 (runtime)`: what the differential comparison compares. */
export function outcome(observed: Observed): string {
  if (observed.connectionError !== undefined) return "no answer";
  const code = errorCodeOf(observed);
  if (observed.status < 300) return String(observed.status);
  return code ? `${observed.status} ${code}` : `${observed.status} (not a parity error body)`;
}

export function errorCodeOf(observed: Observed): string | undefined {
  try {
    const body = JSON.parse(observed.text) as { error?: { code?: unknown } };
    // Stryker disable next-line OptionalChaining: without either `?.` a JSON `null` or a body without `error` throws here, and the catch below gives the same undefined
    return typeof body?.error?.code === "string" ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}

const STACK_TRACE = /\s+at\s+\S+\s+\(|node_modules|\.ts:\d+:\d+/;

/**
 * The per-answer invariants: an answer arrived, no 5xx, no stack trace, and every non-2xx is
 * JSON `{"error":{"code","message"}}` with a documented code whose status it carries. HEAD
 * answers have no body to check.
 */
export function violations(request: Pick<FuzzRequest, "method">, observed: Observed): string[] {
  if (observed.connectionError !== undefined) return [`no answer: ${observed.connectionError}`];
  const found: string[] = [];
  if (observed.status >= 500) found.push(`status ${observed.status}`);
  if (STACK_TRACE.test(observed.text)) found.push("a stack trace in the body");
  if (observed.status < 300 || request.method === "HEAD") return found;
  if (!/^application\/json\b/i.test(observed.contentType)) found.push(`content-type ${JSON.stringify(observed.contentType)} is not JSON`);
  let body: { error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    body = JSON.parse(observed.text);
  } catch {
    found.push("the body is not JSON");
    return found;
  }
  const code = body?.error?.code;
  if (typeof code !== "string" || !(code in errorStatus)) found.push(`error.code ${JSON.stringify(code)} is not a documented code`);
  else if (errorStatus[code as ErrorCode] !== observed.status) found.push(`error.code ${code} is documented as ${errorStatus[code as ErrorCode]}, answered ${observed.status}`);
  if (typeof body?.error?.message !== "string") found.push("error.message is not a string");
  return found;
}

/**
 * A difference a platform's own runtime makes before parity's code runs: listed, with its
 * reason, in docs/reliability.md's known-deviation table. Anything not matched here must be equal.
 */
export interface KnownDeviation {
  id: string;
  platform: string;
  /** What differs, for the table. */
  what: string;
  why: string;
  /** Whether this deviation explains `observed` where the reference answered `expected`. */
  explains(request: FuzzRequest, observed: Observed, expected: Observed): boolean;
}

/** The runtime's own answer: this status, without parity's JSON error body. */
const runtimeAnswer = (observed: Observed, status: number) => observed.status === status && errorCodeOf(observed) === undefined;

/** Whether Express can decode every path segment (it answers 400 when it cannot). */
function hasBadEscape(path: string): boolean {
  try {
    decodeURIComponent(path.split(/[?#]/)[0]);
    return false;
  } catch {
    return true;
  }
}

/**
 * The Functions Framework (what Cloud Functions gen2 runs, deployed and local alike) puts
 * Express in front of the function:
 * https://github.com/GoogleCloudPlatform/functions-framework-nodejs/blob/main/src/server.ts
 * (the function on `/*`). Its body parsers are kept from reading (functions/gcp/unread-bodies.ts),
 * so the two deviations they made (their own 400 for JSON that is not an object or array, their
 * own 415 for a charset) are gone: the fuzzer holds Cloud Functions to the core's answer there.
 */
const FUNCTIONS_FRAMEWORK = "the Functions Framework (what Cloud Functions gen2 runs, deployed and local alike) puts Express in front of the function";

/**
 * Whether a request's framing lies about its length (generators.ts `Framing`): chunked with a
 * content-length as well, or a content-length shorter or longer than the bytes sent.
 */
const lyingLength = (request: FuzzRequest) => request.framing?.lengthDelta !== undefined;

/**
 * Node's HTTP server (llhttp) answers a lying length itself, before any handler sees the
 * request: chunked with a content-length is refused (HPE_UNEXPECTED_CONTENT_LENGTH; RFC 9112
 * §6.1 lets a server reject it or process it by the chunks, as workerd does); bytes past the
 * content-length are parsed as the next request and refused; a connection closed before the
 * declared length arrived ends the request. Each is a bare `400 Bad Request` and the connection
 * is closed (measured on the local cloud, docs/reliability.md). Deployed, the platform's front
 * (API Gateway, Google's front end, Azure's front end) answers such a request in its own way.
 */
const NODE_HTTP_SERVER = "Node's HTTP server (llhttp) answers a lying length itself with a bare 400 and closes the connection: chunked with a content-length (RFC 9112 §6.1 allows refusing it), bytes past the content-length (parsed as a next request), or a close before the declared length";

const framingDeviation = (platform: string, server: string): KnownDeviation => ({
  id: `${platform}-http-server-lying-length-400`,
  platform,
  what: "a body whose length lies (chunked with a content-length, or a content-length shorter or longer than the bytes sent) gets the HTTP server's own 400 (no body); workerd and the core take the chunks, or the declared bytes, and answer with parity's code",
  why: `${server}: ${NODE_HTTP_SERVER}`,
  explains: (request, observed) => runtimeAnswer(observed, 400) && lyingLength(request),
});

export const knownDeviations: KnownDeviation[] = [
  framingDeviation("aws", "the local API Gateway front is a Node HTTP server (local/front.ts)"),
  framingDeviation("gcp", "the Functions Framework is a Node HTTP server (deployed, Google's front end re-frames the request before it)"),
  framingDeviation("azure", "the local Azure Functions front is a Node HTTP server (local/front.ts)"),
  {
    id: "gcp-runtime-bad-escape-400",
    platform: "gcp",
    what: "a path with an invalid percent-escape (`/users/%`, `/users/%zz`) gets the runtime's own 400 (HTML); parity answers 404 (route_not_found or user_not_found)",
    why: `${FUNCTIONS_FRAMEWORK}; Express decodes path parameters and answers 400 when it cannot`,
    explains: (request, observed) => runtimeAnswer(observed, 400) && hasBadEscape(request.path),
  },
];

/** The deviation that explains a difference, if one does. */
export function explainedBy(platform: string, request: FuzzRequest, observed: Observed, expected: Observed): KnownDeviation | undefined {
  return knownDeviations.find((d) => d.platform === platform && d.explains(request, observed, expected));
}
