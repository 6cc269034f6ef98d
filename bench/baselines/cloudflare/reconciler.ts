/** Baseline: the reconciler written for Workers (cron trigger) only, on D1 and a Queues producer. */
import { createdEvent, reconcile } from "../rules";

interface Env {
  USERS_DB: { prepare(sql: string): { bind(...values: unknown[]): { all<T>(): Promise<{ results: T[] }>; run(): Promise<{ meta: { changes: number } }> } } };
  EVENTS: { send(body: unknown): Promise<void> };
  RECONCILE_GRACE_SECONDS?: string;
}

export default {
  async scheduled(_controller: unknown, env: Env): Promise<void> {
    await reconcile(
      {
        async listPending(before, limit) {
          const { results } = await env.USERS_DB.prepare("SELECT id, email, created_at AS createdAt FROM users WHERE welcomed_at IS NULL AND created_at < ?1 ORDER BY created_at, id LIMIT ?2")
            .bind(before, limit)
            .all<{ id: string; email: string; createdAt: string }>();
          return results;
        },
        async claim(id, at, claimableBefore) {
          const { meta } = await env.USERS_DB.prepare(
            "UPDATE users SET last_republish_at = ?2, republish_count = republish_count + 1 WHERE id = ?1 AND welcomed_at IS NULL AND (last_republish_at IS NULL OR last_republish_at < ?3)",
          )
            .bind(id, at, claimableBefore)
            .run();
          return meta.changes === 1;
        },
        publish: (user) => env.EVENTS.send(createdEvent(user)),
      },
      Number(env.RECONCILE_GRACE_SECONDS ?? 300),
    );
  },
};
