/**
 * reconciler on Workers (module syntax): a Cron Trigger calls `scheduled(controller, env, ctx)`,
 * which runs the core reconciler once and resolves when the run has finished (a thrown error
 * marks the invocation failed in Workers Logs).
 * Bindings: USERS_DB (D1), EVENTS (queue producer), RECONCILE_GRACE_SECONDS and
 * RECONCILE_TIME_BUDGET_SECONDS (plain text), PARITY_PLATFORM.
 * Source: https://developers.cloudflare.com/workers/runtime-apis/handlers/scheduled/
 */
import { createLogger, createReconciler, reconcilerSettingsFrom, type Logger } from "../core";
import type { ExecutionContext, ReconcilerEnv, ScheduledController } from "./bindings";
import { cloudflareEnv } from "./contract";
import { createQueuePublisher } from "./publisher";
import { createD1UserStore } from "./store";

let logger: Logger | undefined;

export default {
  async scheduled(controller: ScheduledController, env: ReconcilerEnv, _ctx: ExecutionContext): Promise<void> {
    logger ??= createLogger({ platform: env[cloudflareEnv.platform] ?? "cloudflare", function: "reconciler" });
    const settings = reconcilerSettingsFrom((name) => (env as unknown as Record<string, string | undefined>)[name]);
    const reconciler = createReconciler({
      store: createD1UserStore(env[cloudflareEnv.usersDb]),
      publisher: createQueuePublisher(env[cloudflareEnv.events]),
      logger,
      graceSeconds: settings.graceSeconds,
    });
    // Awaited, not waitUntil: the invocation's outcome is the run's outcome.
    await reconciler.run({ requestId: `${controller.cron}@${new Date(controller.scheduledTime).toISOString()}`, timeBudgetMs: settings.timeBudgetMs });
  },
};
