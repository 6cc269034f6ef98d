/** Baseline: queue-worker written for Workers + Queues only, on D1. */
import { userIdOf } from "../rules";

interface Env {
  USERS_DB: { prepare(sql: string): { bind(...values: unknown[]): { run(): Promise<unknown> } } };
}

export default {
  async queue(batch: { messages: { body: unknown; ack(): void; retry(): void }[] }, env: Env): Promise<void> {
    for (const message of batch.messages) {
      const id = userIdOf(typeof message.body === "string" ? message.body : JSON.stringify(message.body));
      if (!id) {
        message.ack(); // poison: dropped
        continue;
      }
      try {
        await env.USERS_DB.prepare("UPDATE users SET welcomed_at = ?2 WHERE id = ?1 AND welcomed_at IS NULL").bind(id, new Date().toISOString()).run();
        message.ack();
      } catch {
        message.retry();
      }
    }
  },
};
