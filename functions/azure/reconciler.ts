/**
 * The reconciler on Azure Functions: parity's own schedule handler over Table Storage and the
 * Storage Queue. The generic driver (./driver.ts `schedule`) registers it as a timer trigger on
 * its own Flex app; the schedule is the app setting RECONCILE_SCHEDULE (6-field NCRONTAB,
 * seconds first), resolved by the host as `%RECONCILE_SCHEDULE%`; `runOnStartup` stays off
 * (./contract.ts).
 */
import { createLogger, createReconciler, once, reconcilerSettingsFrom } from "../core";
import type { ScheduleHandler } from "../handler";
import { createQueuePublisher, eventsQueueClient } from "./publisher";
import { createTableUserStore, usersTableClient } from "./store";

const logger = createLogger({ platform: "azure", function: "reconciler" });

const settings = once(async () => reconcilerSettingsFrom((name) => process.env[name]));

const reconciler = once(async () => {
  const table = usersTableClient();
  const queue = eventsQueueClient();
  return createReconciler({
    store: createTableUserStore(async () => table),
    publisher: createQueuePublisher(async () => queue),
    logger,
    graceSeconds: (await settings()).graceSeconds,
  });
});

const reconcile: ScheduleHandler = async (ctx) => {
  const { timeBudgetMs } = await settings();
  await (await reconciler()).run({ requestId: ctx.requestId, timeBudgetMs });
};
export default reconcile;
