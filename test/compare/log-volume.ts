/**
 * The bytes of log parity's core code writes per invocation, measured by running the real
 * users-api, queue worker and reconciler (functions/core) with a capturing sink: what
 * compare/cost.ts `measuredLogBytes` must equal. Shared by the cost test.
 */
import { createLogger, createQueueWorker, createReconciler, createUsersApi, userCreatedEvent, type User } from "../../functions/core";

/** Bytes of every line a sink received, each with its newline. */
export async function measureLogBytes(platform = "azure"): Promise<{ get: number; post: number; message: number; reconcile: number }> {
  const users = new Map<string, User>();
  const store = {
    async create(user: User) {
      users.set(user.id, user);
    },
    async get(id: string) {
      return users.get(id);
    },
    async markWelcomed(id: string, at: string) {
      const user = users.get(id);
      if (!user) return "not-found" as const;
      user.welcomedAt = at;
      return "welcomed" as const;
    },
    async listPending() {
      return { users: [] };
    },
    async claimRepublish() {
      return false;
    },
  };
  let bytes = 0;
  const sink = (line: string) => (bytes += Buffer.byteLength(line) + 1);
  const measure = async (run: () => Promise<unknown>) => {
    bytes = 0;
    await run();
    return bytes;
  };
  const api = createUsersApi({ store, publisher: { publish: async () => undefined }, apiKey: async () => "k", logger: createLogger({ platform, function: "users-api" }, { sink }) });
  const headers = { authorization: "Bearer k", "content-type": "application/json" };
  const post = await measure(() => api.fetch(new Request("https://api.example/users", { method: "POST", headers, body: JSON.stringify({ email: "ada@example.com", name: "Ada" }) }), { requestId: crypto.randomUUID() }));
  const [user] = [...users.values()];
  const get = await measure(() => api.fetch(new Request(`https://api.example/users/${user.id}`, { headers }), { requestId: crypto.randomUUID() }));
  const worker = createQueueWorker({ store, logger: createLogger({ platform, function: "queue-worker" }, { sink }) });
  const message = await measure(() => worker.processBatch([{ id: crypto.randomUUID(), body: JSON.stringify(userCreatedEvent(user)), attempt: 1 }], { requestId: crypto.randomUUID() }));
  const reconciler = createReconciler({ store, publisher: { publish: async () => undefined }, logger: createLogger({ platform, function: "reconciler" }, { sink }), graceSeconds: 1200 });
  const reconcile = await measure(() => reconciler.run({ requestId: crypto.randomUUID(), timeBudgetMs: 96_000 }));
  return { get, post, message, reconcile };
}
