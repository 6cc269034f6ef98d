/**
 * The reconciler on Workers: parity's own schedule handler over D1 and a Queues producer,
 * run once per Cron Trigger by the generic driver (./driver.ts `schedule`).
 * Bindings (`ctx.env`): USERS_DB (D1), EVENTS (queue producer), RECONCILE_GRACE_SECONDS and
 * RECONCILE_TIME_BUDGET_SECONDS (plain text), PARITY_PLATFORM.
 */
import { createLogger, createReconciler, reconcilerSettingsFrom, type Logger } from "../core";
import type { ScheduleHandler } from "../handler";
import type { ReconcilerEnv } from "./bindings";
import { cloudflareEnv } from "./contract";
import { createQueuePublisher } from "./publisher";
import { createD1UserStore } from "./store";

let logger: Logger | undefined;

const reconcile: ScheduleHandler = async (ctx) => {
  const env = ctx.env as unknown as ReconcilerEnv;
  logger ??= createLogger({ platform: env[cloudflareEnv.platform] ?? "cloudflare", function: "reconciler" });
  const settings = reconcilerSettingsFrom((name) => ctx.env[name] as string | undefined);
  const reconciler = createReconciler({
    store: createD1UserStore(env[cloudflareEnv.usersDb]),
    publisher: createQueuePublisher(env[cloudflareEnv.events]),
    logger,
    graceSeconds: settings.graceSeconds,
  });
  await reconciler.run({ requestId: ctx.requestId, timeBudgetMs: settings.timeBudgetMs });
};
export default reconcile;
