/**
 * The local Cloudflare: every catalog function's real Worker bundle on workerd (Miniflare),
 * D1 and Queues in memory, users-api over HTTP on 127.0.0.1. Queues delivers to queue-worker
 * by itself, honouring batchSize, maxAttempts (max_retries = maxAttempts − 1) and the
 * dead-letter queue, as the deployed consumer does.
 */
import { bundleFunction } from "../components/bundle";
import { catalog } from "../components/catalog";
import type { FunctionDeployment } from "../components/deployment";
import { DEAD_LETTER_QUEUE, startMiniflareCloud } from "./emulators/miniflare";
import type { LocalPlatform, StartLocal } from "./types";

export const startLocal: StartLocal = async (options): Promise<LocalPlatform> => {
  const log = options.log ?? (() => {});
  const functions: FunctionDeployment[] = catalog.map((definition) => {
    const settings = options.settings[definition.name];
    if (!settings) throw new Error(`local Cloudflare needs settings for ${definition.name}`);
    return { definition, bundle: bundleFunction(definition, "cloudflare"), settings };
  });
  const started = Date.now();
  const cloud = await startMiniflareCloud({
    functions,
    apiKey: options.apiKey,
    delivery: "deliver",
    onLog: (line) => {
      if (/"level":"error"/.test(line)) log(`[cloudflare] ${line}`);
    },
  });
  log(`Cloudflare: workerd + D1 + Queues ready in ${((Date.now() - started) / 1000).toFixed(1)} s; users-api on ${cloud.url}`);

  return {
    platform: "cloudflare",
    url: cloud.url,
    description: "Worker bundles on workerd (Miniflare 4) + D1 + Queues, in memory",
    async queueDepth() {
      // Miniflare has no queue-depth API. Every stored user has exactly one user.created
      // event, and the worker sets welcomedAt when it consumes it, so users not yet welcomed
      // are the events still waiting (or being retried).
      const db = await cloud.usersDb();
      const waiting = await db.prepare("SELECT COUNT(*) AS n FROM users WHERE welcomed_at IS NULL").first<{ n: number }>();
      const deadLettered = await cloud.recorded(DEAD_LETTER_QUEUE, { peek: true });
      return { pending: waiting?.n ?? 0, deadLettered: deadLettered.length };
    },
    stop: () => cloud.stop(),
  };
};
