/** Conversions between the @azure/functions v4 HTTP shapes and web-standard Request/Response. */
import type { HttpRequest, HttpResponseInit } from "@azure/functions";

const bodyless = new Set(["GET", "HEAD"]);

/**
 * The body stays a stream: with HTTP streaming on (./driver.ts, `app.setup({ enableHttpStream: true })`)
 * it is the host's proxied request as it arrives
 * (https://learn.microsoft.com/azure/azure-functions/functions-reference-node#http-streams), so the
 * core reads at most 16 KiB of it, after the key check, instead of the whole body up to the
 * platform's 100 MB limit before it (https://learn.microsoft.com/azure/azure-functions/functions-scale#service-limits).
 */
export function toWebRequest(request: HttpRequest): Request {
  const method = request.method.toUpperCase();
  const body = bodyless.has(method) ? undefined : (request.body ?? undefined);
  return new Request(request.url, { method, headers: request.headers, body, duplex: "half" } as RequestInit);
}

export async function toHttpResponseInit(response: Response): Promise<HttpResponseInit> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  const body = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers, body: body.byteLength > 0 ? body : undefined };
}
