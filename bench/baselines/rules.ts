/**
 * What a team writing for one platform would write once: the same validation, the same
 * answers, no router, no ports, no portable logging. Every baseline uses it, so a ratio
 * against parity shows what the portable core (Hono, ports, structured logs) costs.
 */
// The same stored user as the core's: a type import, so no core code reaches a baseline bundle.
import type { User } from "../../functions/core/ports";
export type { User };

/** What a baseline handler needs: the store and queue calls, in the platform's own SDK. */
export interface BaselineDeps {
  get(id: string): Promise<User | undefined>;
  /** Resolves false when the email is taken (decided atomically by the store). */
  create(user: User): Promise<boolean>;
  publish(user: User): Promise<void>;
  apiKey(): Promise<string>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_BODY_BYTES = 16 * 1024;

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(value),
});
const error = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) => json(status, { error: { code, message, ...extra } });

/** Constant time, as parity's: both hashed (Web Crypto runs on every platform), then compared whole. */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([a, b].map(async (v) => new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(v)))));
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i];
  return difference === 0 && b.length > 0;
}

/** The users API by hand: method + path in, status + headers + body out. */
export async function answer(deps: BaselineDeps, method: string, path: string, header: (name: string) => string | undefined, body: () => Promise<string>): Promise<Answer> {
  if (path === "/health") return method === "GET" ? json(200, { status: "ok" }) : error(405, "method_not_allowed", "use GET");
  if (path !== "/users" && !path.startsWith("/users/")) return error(404, "route_not_found", `no route for ${method} ${path}`);
  const auth = header("authorization");
  const presented = header("x-api-key") ?? (auth?.startsWith("Bearer ") ? auth.slice(7) : undefined);
  if (!presented || !(await sameSecret(presented, await deps.apiKey()))) return error(401, "unauthorized", "a valid API key is required");
  if (path === "/users") {
    if (method !== "POST") return error(405, "method_not_allowed", "use POST");
    if (!/^application\/json\s*(;|$)/i.test(header("content-type") ?? "")) return error(415, "unsupported_media_type", "the body must be JSON");
    const text = await body();
    if (text.length > MAX_BODY_BYTES) return error(413, "payload_too_large", "the body is too large");
    let input: { email?: unknown; name?: unknown };
    try {
      input = JSON.parse(text);
    } catch {
      return error(400, "malformed_json", "the body is not valid JSON");
    }
    const email = typeof input?.email === "string" ? input.email.trim().toLowerCase() : "";
    const name = typeof input?.name === "string" ? input.name.trim() : "";
    if (!EMAIL.test(email) || email.length > 254 || !name || name.length > 100) return error(422, "validation_failed", "the user is not valid");
    const user: User = { id: crypto.randomUUID(), email, name, createdAt: new Date().toISOString(), welcomedAt: null };
    if (!(await deps.create(user))) return error(409, "email_taken", "a user with this email already exists");
    try {
      await deps.publish(user);
    } catch (cause) {
      console.error(JSON.stringify({ level: "error", message: "publish failed", userId: user.id, error: String(cause) }));
    }
    return json(201, user, { location: `/users/${user.id}` });
  }
  if (method !== "GET") return error(405, "method_not_allowed", "use GET");
  const id = path.slice("/users/".length);
  const user = UUID.test(id) ? await deps.get(id) : undefined;
  return user ? json(200, user) : error(404, "user_not_found", `no user with id ${JSON.stringify(id)}`);
}

/** The queue worker by hand: the event's user id, or undefined for a poison message. */
export function userIdOf(text: string): string | undefined {
  try {
    const event = JSON.parse(text) as { type?: unknown; userId?: unknown };
    return event?.type === "user.created" && typeof event.userId === "string" && UUID.test(event.userId) ? event.userId : undefined;
  } catch {
    return undefined;
  }
}

/** The `user.created` event, as parity publishes it. */
export function createdEvent(user: Pick<User, "id" | "email" | "createdAt">): string {
  return JSON.stringify({ type: "user.created", eventId: `user.created:${user.id}`, userId: user.id, email: user.email, occurredAt: user.createdAt });
}

/** The reconciler by hand: pending users older than the grace period, each claimed, then re-published. */
export interface PendingDeps {
  listPending(createdBefore: string, limit: number): Promise<{ id: string; email: string; createdAt: string }[]>;
  claim(id: string, at: string, claimableBefore: string): Promise<boolean>;
  publish(user: { id: string; email: string; createdAt: string }): Promise<void>;
}

export async function reconcile(deps: PendingDeps, graceSeconds: number, limit = 100): Promise<{ republished: number }> {
  const now = Date.now();
  const before = new Date(now - graceSeconds * 1000).toISOString();
  let republished = 0;
  for (const user of await deps.listPending(before, limit)) {
    if (!(await deps.claim(user.id, new Date(now).toISOString(), before))) continue;
    await deps.publish(user);
    republished++;
  }
  return { republished };
}

export const graceSeconds = () => Number(process.env.RECONCILE_GRACE_SECONDS ?? 300);
