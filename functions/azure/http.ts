/** Conversions between the @azure/functions v4 HTTP shapes and web-standard Request/Response. */
import type { HttpRequest, HttpResponseInit } from "@azure/functions";

const bodyless = new Set(["GET", "HEAD"]);

export async function toWebRequest(request: HttpRequest): Promise<Request> {
  const method = request.method.toUpperCase();
  const body = bodyless.has(method) ? undefined : await request.arrayBuffer();
  return new Request(request.url, {
    method,
    headers: request.headers,
    body: body && body.byteLength > 0 ? body : undefined,
  });
}

export async function toHttpResponseInit(response: Response): Promise<HttpResponseInit> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  const body = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers, body: body.byteLength > 0 ? body : undefined };
}
