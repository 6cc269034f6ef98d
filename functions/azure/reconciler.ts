/**
 * reconciler on Azure Functions: a timer trigger on its own Flex app runs the core reconciler
 * once per tick. The schedule is the app setting RECONCILE_SCHEDULE (6-field NCRONTAB, seconds
 * first), resolved by the host as `%RECONCILE_SCHEDULE%`; `runOnStartup` stays off
 * (./contract.ts). Across scaled-out instances the host runs one instance of the timer function
 * (a storage lock); it passes a `Timer` whose `isPastDue` says the tick is later than scheduled;
 * a failed run is not retried, the next tick is the retry
 * (https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer: Usage, Scale-out,
 * Retry behavior).
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { createLogger, createReconciler, once, reconcilerSettingsFrom } from "../core";
import { AZURE_TIMER_TRIGGER } from "./contract";
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

/** The timer trigger's handler; exported so tests and the local cloud call it with a `Timer`. */
export async function handler(timer: Timer, context: InvocationContext): Promise<void> {
  const { timeBudgetMs } = await settings();
  // scheduleStatus is absent when the host does not monitor the schedule (useMonitor false).
  logger.forInvocation(context.invocationId).info("timer fired", {
    isPastDue: timer.isPastDue,
    scheduleStatus: timer.scheduleStatus ?? null,
  });
  await (await reconciler()).run({ requestId: context.invocationId, timeBudgetMs });
}

app.timer("reconciler", { ...AZURE_TIMER_TRIGGER, handler });
