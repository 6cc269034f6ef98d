/**
 * Converts the Functions Framework's Express request into a web `Request` and a web
 * `Response` back: the only HTTP translation the GCP driver does.
 */
import type { Request as FrameworkRequest, Response as FrameworkResponse } from "@google-cloud/functions-framework";

/** Builds a web Request from the framework's request; the body is the raw bytes it saved. */
export function toWebRequest(req: FrameworkRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const host = req.headers.host ?? "localhost";
  const protocol = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  // The framework's body parsers keep the exact bytes in rawBody (its `verify` hook).
  const body = hasBody ? (req.rawBody ?? bodyFallback(req.body)) : undefined;
  return new Request(`${protocol}://${host}${req.originalUrl ?? req.url}`, {
    method: req.method,
    headers,
    body: body && body.length > 0 ? new Uint8Array(body) : undefined,
  });
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

/** The request id Cloud Run gives each request: the trace id of `X-Cloud-Trace-Context`. */
export function requestIdOf(req: FrameworkRequest): string | undefined {
  const trace = req.header("x-cloud-trace-context");
  return trace ? trace.split("/")[0] : undefined;
}
