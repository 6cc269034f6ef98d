/**
 * The users API as a web-standard `fetch(Request) -> Response`. Platform drivers only
 * convert their event to a Request and the Response back.
 */
import { Hono, type Context } from "hono";
import { constantTimeEqual, presentedApiKey } from "./auth";
import { errorResponse } from "./errors";
import type { Logger } from "./log";
import { EmailTakenError, userCreatedEvent, type ApiKeySource, type EventPublisher, type User, type UserStore } from "./ports";
import { isUserId, validateNewUser } from "./validation";

/**
 * Requests with a larger body are refused with 413 before the body is parsed: the bytes received
 * are counted as they arrive and reading stops one chunk past the limit; a declared
 * `content-length` above it is refused without reading, but a smaller one is never trusted.
 */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Only an uncompressed body is read (`content-encoding` absent or `identity`). An inflated body is
 * not bounded by the bytes sent (a 244-byte brotli body inflates to 150 MiB), and a server need
 * not accept any coding: 415 is the answer RFC 9110 §15.5.16 names for it
 * (https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16).
 */
export function isIdentityEncoding(contentEncoding: string | null): boolean {
  return contentEncoding === null || /^\s*(identity\s*)?$/i.test(contentEncoding);
}

/**
 * The body's bytes, or "too-large" as soon as more than `maxBytes` have arrived (the rest is never
 * read), or "incomplete" when the body stream fails before its end: the client closed or reset
 * the connection before sending all it declared (RFC 9112 §8: an incomplete message). That is the
 * client's doing, a 400, never a 500 (workerd hands the function such a stream, issue 26).
 */
export async function readBodyWithin(request: Request, maxBytes: number): Promise<Uint8Array | "too-large" | "incomplete"> {
  // A chunked body's length is its chunks' (RFC 9112 §6.3: Transfer-Encoding overrides
  // Content-Length); workerd hands on both headers, so a lying length must not decide then.
  const declared = request.headers.has("transfer-encoding") ? null : request.headers.get("content-length");
  // A declared length over the limit is refused without reading; a smaller one proves nothing.
  if (declared !== null && Number(declared) > maxBytes) return "too-large";
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await reader.read();
    } catch {
      return "incomplete";
    }
    const { done, value } = read;
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      // Stop the sender: the runtime may discard the rest; nothing more is buffered here.
      await reader.cancel().catch(() => undefined);
      return "too-large";
    }
    chunks.push(value);
  }
  const body = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * `application/json`, with no charset or `utf-8`: JSON exchanged between systems is UTF-8
 * (RFC 8259 §8.1, https://www.rfc-editor.org/rfc/rfc8259#section-8.1). Another charset is a
 * 415 everywhere, as the Functions Framework's body-parser already answers it on Cloud Functions.
 */
export function isJsonContentType(contentType: string): boolean {
  const match = /^application\/json\s*(?:;(.*))?$/i.exec(contentType.trim());
  if (!match) return false;
  // Stryker disable next-line StringLiteral: with no parameters any text without "charset=" finds no charset, as "" does.
  const charset = /(?:^|;)\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(match[1] ?? "")?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset);
}

export interface UsersApiDeps {
  store: UserStore;
  publisher: EventPublisher;
  apiKey: ApiKeySource;
  /** The function instance's logger; one child per request is derived from it. */
  logger: Logger;
  /** Injected for tests; defaults to `crypto.randomUUID`. */
  newId?: () => string;
  /** Injected for tests; defaults to the wall clock. */
  now?: () => Date;
}

/** What a driver passes along with each request. */
export interface Invocation {
  /** The platform's request id (Lambda request id, Cloud Run trace, Azure invocation id, CF-Ray). */
  requestId?: string;
}

export interface UsersApi {
  fetch(request: Request, invocation?: Invocation): Promise<Response>;
}

/**
 * Instance identity, so a cold-start measurement can tell a new instance from a reused one: an id
 * per API object (every driver makes one per instance) and whether this is the instance's first
 * request. Only on an answer to a request that asks for it (INSTANCE_PROBE_HEADER) and presented
 * the valid API key: to anyone else, an instance id is a map of the platform's scaling.
 */
export const INSTANCE_HEADER = "x-parity-instance";
export const COLD_HEADER = "x-parity-cold";
/** What a comparison's probe sends to be told its instance: `x-parity-probe: instance`. */
export const INSTANCE_PROBE_HEADER = "x-parity-probe";

type Env = { Bindings: { log: Logger; authenticated: { ok: boolean } }; Variables: Record<string, never> };

export function createUsersApi(deps: UsersApiDeps): UsersApi {
  const newId = deps.newId ?? (() => crypto.randomUUID());
  // Made on the first request, not at creation: workerd refuses random values outside a request
  // ("Some functionality, such as asynchronous I/O, timeouts, and generating random values, can
  // only be performed while handling a request": https://github.com/adamgibbons/ics/issues/256).
  let instanceId: string | undefined;
  const now = deps.now ?? (() => new Date());
  const app = new Hono<Env>();

  const methodNotAllowed = (allowed: string) => (c: Context<Env>) =>
    errorResponse("method_not_allowed", `${c.req.method} is not allowed here; use ${allowed}`, {
      headers: { allow: allowed },
    });

  app.get("/health", (c) => c.json({ status: "ok" }));
  app.all("/health", methodNotAllowed("GET"));

  const requireApiKey = async (c: Context<Env>, next: () => Promise<void>): Promise<Response | undefined> => {
    const presented = presentedApiKey(c.req.raw.headers);
    if (!presented || !(await constantTimeEqual(presented, await deps.apiKey()))) {
      return errorResponse("unauthorized", "a valid API key is required (Authorization: Bearer <key> or x-api-key)", {
        headers: { "www-authenticate": 'Bearer realm="parity"' },
      });
    }
    c.env.authenticated.ok = true;
    await next();
    return undefined;
  };
  // Hono's "/users/*" also matches "/users" itself: one guard covers the collection and its members.
  app.use("/users/*", requireApiKey);

  app.post(
    "/users",
    // The type and the coding before the size: the size is known only once the bytes are read
    // (a declared length is not trusted), so the order must not depend on that header.
    async (c, next) => {
      // Stryker disable next-line StringLiteral: any fallback but a JSON type is refused alike; no header is a 415.
      if (!isJsonContentType(c.req.header("content-type") ?? "")) {
        return errorResponse("unsupported_media_type", "the body must be JSON in UTF-8 (content-type: application/json, charset utf-8 if any)");
      }
      if (!isIdentityEncoding(c.req.header("content-encoding") ?? null)) {
        return errorResponse("unsupported_content_encoding", "the body must not be compressed (no content-encoding, or identity)", {
          headers: { "accept-encoding": "identity" },
        });
      }
      await next();
      return undefined;
    },
    async (c) => {
      const log = c.env.log;
      const bytes = await readBodyWithin(c.req.raw, MAX_BODY_BYTES);
      if (bytes === "too-large") return errorResponse("payload_too_large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
      if (bytes === "incomplete") return errorResponse("incomplete_body", "the body ended before all of it arrived");
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        return errorResponse("malformed_json", "the body is not valid JSON");
      }
      const validation = validateNewUser(body);
      if (!validation.ok) {
        return errorResponse("validation_failed", "the user is not valid", { fields: validation.fields });
      }

      const user: User = {
        id: newId(),
        email: validation.value.email,
        name: validation.value.name,
        createdAt: now().toISOString(),
        welcomedAt: null,
      };
      try {
        await deps.store.create(user);
      } catch (error) {
        if (error instanceof EmailTakenError) {
          return errorResponse("email_taken", "a user with this email already exists");
        }
        throw error;
      }
      log.info("user created", { userId: user.id });

      // The user is the record of truth: a failed publish must not undo or fail the create.
      // The user stays in the store's pending index until welcomed, so the scheduled
      // reconciler re-publishes it (./reconciler.ts).
      const event = userCreatedEvent(user);
      try {
        await deps.publisher.publish(event);
      } catch (error) {
        log.error("user.created publish failed; the user is kept and awaits re-publishing", {
          userId: user.id,
          eventId: event.eventId,
          error,
        });
      }
      return c.json(user, 201, { location: `/users/${user.id}` });
    },
  );
  app.all("/users", methodNotAllowed("POST"));

  app.get("/users/:id", async (c) => {
    const id = c.req.param("id");
    // An id that is not a UUID cannot exist; answering 404 avoids a store round trip.
    const user = isUserId(id) ? await deps.store.get(id) : undefined;
    if (!user) return errorResponse("user_not_found", `no user with id ${JSON.stringify(id)}`);
    return c.json(user);
  });
  app.all("/users/:id", methodNotAllowed("GET"));

  app.notFound((c) => errorResponse("route_not_found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    c.env.log.error("request failed", { method: c.req.method, path: c.req.path, error });
    return errorResponse("internal_error", "the request could not be completed");
  });

  return {
    async fetch(request, invocation = {}) {
      const cold = instanceId === undefined;
      instanceId ??= crypto.randomUUID();
      const log = deps.logger.forInvocation(invocation.requestId ?? newId());
      const started = Date.now();
      const authenticated = { ok: false };
      const response = await app.fetch(request, { log, authenticated });
      log.info("request", {
        method: request.method,
        path: new URL(request.url).pathname,
        status: response.status,
        durationMs: Date.now() - started,
      });
      const probed = authenticated.ok && request.headers.get(INSTANCE_PROBE_HEADER)?.trim().toLowerCase() === "instance";
      return probed ? withInstanceHeaders(response, instanceId, cold) : response;
    },
  };
}

function withInstanceHeaders(response: Response, instanceId: string, cold: boolean): Response {
  // A copy: a response's headers may be immutable (e.g. one that was fetched), and copying costs
  // less than probing for it.
  const answer = new Response(response.body, response);
  answer.headers.set(INSTANCE_HEADER, instanceId);
  answer.headers.set(COLD_HEADER, String(cold));
  return answer;
}
