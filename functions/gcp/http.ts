/**
 * Converts the Functions Framework's Express request into a web `Request` and a web
 * `Response` back: the only HTTP translation the GCP driver does.
 */
import { Readable } from "node:stream";
import type { Request as FrameworkRequest, Response as FrameworkResponse } from "@google-cloud/functions-framework";
import { BODY_LEFT_UNREAD } from "./unread-bodies";

/**
 * A host as RFC 3986 §3.2.2 allows one (a reg-name or IPv4, or an IPv6 literal, with an optional
 * port). Anything else in `Host` (`evil.example/health?`) would rewrite the path the core routes on.
 */
const HOST = /^(?:[A-Za-z0-9._~!$&'()*+,;=-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The request's origin: its Host when that is a host, else a placeholder the core never routes on. */
export function originOf(hostHeader: string | undefined, forwardedProto: string | undefined): string {
  const host = hostHeader !== undefined && HOST.test(hostHeader) ? hostHeader : "localhost";
  return `${forwardedProto === "https" ? "https" : "http"}://${host}`;
}

/**
 * Builds a web Request from the framework's request. The body is the request stream as it
 * arrived, unread (./unread-bodies.ts), so the core counts the bytes received and sees the
 * client's content-encoding on the bytes it names. Should a framework version parse the body
 * anyway, the saved bytes are the inflated ones: then the coding and length headers, which
 * described other bytes, are dropped, and the core still counts what it gets.
 */
export function toWebRequest(req: FrameworkRequest): Request {
  const leftUnread = (req as unknown as Record<symbol, boolean>)[BODY_LEFT_UNREAD] === true;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (!leftUnread && (name === "content-length" || name === "content-encoding")) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const path = req.originalUrl ?? req.url;
  const url = `${originOf(req.headers.host, req.header("x-forwarded-proto"))}${path.startsWith("/") ? path : `/${path}`}`;
  if (!hasBody) return new Request(url, { method: req.method, headers });
  if (leftUnread) {
    return new Request(url, { method: req.method, headers, body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } as RequestInit);
  }
  const body = req.rawBody ?? bodyFallback(req.body);
  return new Request(url, { method: req.method, headers, body: body && body.length > 0 ? new Uint8Array(body) : undefined });
}

function bodyFallback(parsed: unknown): Buffer | undefined {
  if (parsed === undefined || parsed === null) return undefined;
  if (Buffer.isBuffer(parsed)) return parsed;
  if (typeof parsed === "string") return Buffer.from(parsed);
  if (typeof parsed === "object" && Object.keys(parsed as object).length === 0) return undefined;
  return Buffer.from(JSON.stringify(parsed));
}

/** Writes a web Response to the framework's response. */
export async function sendWebResponse(response: Response, res: FrameworkResponse): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => {
    // Express computes content-length itself from the buffer it sends.
    if (name !== "content-length") res.setHeader(name, value);
  });
  res.send(Buffer.from(await response.arrayBuffer()));
}

/**
 * The trace id of `X-Cloud-Trace-Context`, for the functions only Pub/Sub and Cloud Scheduler may
 * invoke (OIDC, checked by Cloud Run). Not for a public HTTP function: a caller sets that header
 * itself (Cloud Run keeps an incoming trace context), so it would choose its own log request id;
 * there the core makes one.
 */
export function requestIdOf(req: FrameworkRequest): string | undefined {
  const trace = req.header("x-cloud-trace-context");
  return trace ? trace.split("/")[0] : undefined;
}
