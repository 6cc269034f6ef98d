/**
 * The reference answer: the core users API itself, in this process, over a store that keeps
 * users in a Map. Every platform must answer a request as the core does (outside the
 * known deviations), so each platform is compared with one oracle rather than pairwise.
 * Only the status and error code are compared: the store here decides nothing the core
 * does not (uniqueness by normalised email, as the ports demand).
 */
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { createLogger } from "../functions/core/log";
import { EmailTakenError, type User, type UserStore } from "../functions/core/ports";
import { createUsersApi } from "../functions/core/users-api";
import type { FuzzRequest } from "./generators";
import type { Observed } from "./invariants";

export const REFERENCE_BASE = "http://parity.test";

class MapUserStore implements UserStore {
  private readonly byId = new Map<string, User>();
  private readonly emails = new Set<string>();
  async get(id: string) {
    return this.byId.get(id);
  }
  async create(user: User) {
    if (this.emails.has(user.email)) throw new EmailTakenError(user.email);
    this.emails.add(user.email);
    this.byId.set(user.id, { ...user });
  }
  async markWelcomed() {
    return "not-found" as const;
  }
}

/** The core's answer to a request whose slots are filled (see `materialize`). */
export function createReference(apiKey: string): (request: FuzzRequest) => Promise<Observed> {
  const api = createUsersApi({
    store: new MapUserStore(),
    publisher: { publish: async () => undefined },
    apiKey: async () => apiKey,
    // Stryker disable next-line StringLiteral: the sink drops every line, so the labels are never read
    logger: createLogger({ platform: "reference", function: "users-api" }, { sink: () => undefined }),
  });
  return async (request) => observe(await api.fetch(toWebRequest(REFERENCE_BASE, request)));
}

/** The body's bytes as they go on the wire: UTF-8, compressed when the request says so. */
export function wireBody(request: FuzzRequest): Uint8Array<ArrayBuffer> | undefined {
  if (request.body === undefined) return undefined;
  const text = Buffer.from(request.body, "utf8");
  switch (request.coding) {
    case undefined:
      return new Uint8Array(text);
    case "gzip":
      return new Uint8Array(gzipSync(text));
    case "br":
      return new Uint8Array(brotliCompressSync(text));
    case "deflate":
      // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2), not raw deflate.
      return new Uint8Array(deflateSync(text));
  }
}

/**
 * The web Request a generated request stands for, against `base`: what a function is handed
 * once an HTTP server that follows RFC 9112 has read it off the wire. A chunked body arrives as
 * a stream without a length, whatever content-length came with it (§6.3: Transfer-Encoding
 * overrides Content-Length); a content-length shorter than the bytes sent delimits the body (the
 * rest is the connection's next request); one longer than the bytes sent ends in an error once
 * the client closes (the body is incomplete, §8).
 */
export function toWebRequest(base: string, request: FuzzRequest): Request {
  const bytes = wireBody(request);
  let body: BodyInit | undefined = bytes;
  const headers = new Headers(request.headers);
  if (bytes && request.framing) {
    const { chunked, lengthDelta } = request.framing;
    if (chunked || (lengthDelta ?? 0) > 0) {
      const failAtEnd = !chunked;
      body = new ReadableStream<Uint8Array>({
        start(controller) {
          if (bytes.byteLength > 0) controller.enqueue(bytes);
          if (failAtEnd) controller.error(new Error(`the client closed after ${bytes.byteLength} of ${bytes.byteLength + lengthDelta!} declared bytes`));
          else controller.close();
        },
      });
      if (!chunked) headers.set("content-length", String(bytes.byteLength + lengthDelta!));
    } else {
      body = bytes.subarray(0, Math.max(0, bytes.byteLength + lengthDelta!));
    }
  }
  // Concatenated, not resolved: `//users` is a path here, not a host.
  return new Request(base + request.path, {
    method: request.method,
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

export async function observe(response: Response): Promise<Observed> {
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", text: await response.text() };
}
