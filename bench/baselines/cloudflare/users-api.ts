/** Baseline: users-api written for Workers only, on D1 and a Queues producer. */
import { answer, createdEvent, type BaselineDeps, type User } from "../rules";

interface Env {
  USERS_DB: { prepare(sql: string): { bind(...values: unknown[]): { first<T>(): Promise<T | null>; run(): Promise<unknown> } }; batch(statements: unknown[]): Promise<unknown> };
  EVENTS: { send(body: unknown): Promise<void> };
  API_KEY: string;
}

/** The handler over any store: the bench's warm path feeds it an in-memory one. */
export function createHandler(deps: BaselineDeps) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const result = await answer(deps, request.method, url.pathname, (name) => request.headers.get(name) ?? undefined, () => request.text());
    return new Response(result.body, { status: result.status, headers: result.headers });
  };
}

const columns = "id, email, name, created_at AS createdAt, welcomed_at AS welcomedAt";

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return createHandler({
      get: async (id) => (await env.USERS_DB.prepare(`SELECT ${columns} FROM users WHERE id = ?1`).bind(id).first<User>()) ?? undefined,
      async create(user) {
        try {
          await env.USERS_DB.prepare("INSERT INTO users (id, email, name, created_at) VALUES (?1, ?2, ?3, ?4)").bind(user.id, user.email, user.name, user.createdAt).run();
          return true;
        } catch (error) {
          if (String(error).includes("UNIQUE")) return false;
          throw error;
        }
      },
      publish: (user) => env.EVENTS.send(createdEvent(user)),
      apiKey: async () => env.API_KEY,
    })(request);
  },
};
