/**
 * The generic Azure Functions driver (Node.js v4 programming model, `@azure/functions`): adapts a
 * portable handler (functions/handler.ts) to one trigger registered on the app under the
 * function's name, and returns the registered handler, which the bundle exports as `handler`
 * (AZURE_HANDLER_EXPORT) so tests and the local host call it. One adapter per trigger kind:
 * - http: one catch-all route; with host.json `extensions.http.routePrefix: ""` the paths are as
 *   on the other platforms. The handler checks its own credentials: `authLevel: "anonymous"`;
 * - queue: a Storage Queue trigger. The host invokes once per message (host.json `batchSize` of them
 *   in parallel); a failed message throws, so the host makes it visible again and, after
 *   `maxDequeueCount` deliveries, moves it to `<queue>-poison`
 *   (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#poison-messages);
 * - schedule: a timer trigger whose schedule is an app setting (./contract.ts AZURE_TIMER_TRIGGER).
 *   Across scaled-out instances the host runs one instance of the timer function (a storage lock);
 *   a failed run is not retried, the next tick is the retry
 *   (https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer: Usage, Scale-out, Retry behavior).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext, type Timer } from "@azure/functions";
import { createLogger } from "../core";
import { fetchHandlerOf, handlerContext, isFailedOutcome, outcomesInOrder, queueHandlerOf, scheduleHandlerOf, type HandlerContext } from "../handler";
import { AZURE_QUEUE_TRIGGER, AZURE_TIMER_TRIGGER } from "./contract";
import { toHttpResponseInit, toWebRequest } from "./http";

const contextOf = (name: string, context: InvocationContext): HandlerContext => handlerContext("azure", name, process.env, context.invocationId);

/** The HTTP adapter alone, not registered: for tests that call a fetch handler as the host would. */
export function httpHandler(name: string, exported: unknown): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  const fetchApp = fetchHandlerOf(name, exported);
  return async (request, context) => toHttpResponseInit(await fetchApp.fetch(toWebRequest(request), contextOf(name, context)));
}

/**
 * HTTP streaming on: the host proxies the request to the worker as it arrives, instead of handing
 * over the whole body, read before the function runs, over gRPC
 * (https://learn.microsoft.com/azure/azure-functions/functions-reference-node#http-streams; needs
 * host 4.28+, which Flex Consumption runs). Set before the app's startup completes, as setup()
 * requires, by every app that registers an HTTP function.
 */
export function http(name: string, exported: unknown): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  app.setup({ enableHttpStream: true });
  const handler = httpHandler(name, exported);
  app.http(name, { route: "{*path}", methods: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], authLevel: "anonymous", handler });
  return handler;
}

export function queue(name: string, exported: unknown): (queueEntry: unknown, context: InvocationContext) => Promise<void> {
  const queueApp = queueHandlerOf(name, exported);
  const handler = async (queueEntry: unknown, context: InvocationContext): Promise<void> => {
    const message = {
      id: String(context.triggerMetadata?.id ?? context.invocationId),
      body: messageText(queueEntry),
      attempt: numberOrUndefined(context.triggerMetadata?.dequeueCount),
    };
    const [outcome] = outcomesInOrder([message], await queueApp.queue([message], contextOf(name, context)));
    if (isFailedOutcome(outcome)) throw new Error(`message ${outcome.id} failed: ${(outcome as { reason: string }).reason}`);
  };
  // The queue named by EVENTS_QUEUE, over the identity-based host storage connection (no key).
  app.storageQueue(name, { ...AZURE_QUEUE_TRIGGER, handler });
  return handler;
}

export function schedule(name: string, exported: unknown): (timer: Timer, context: InvocationContext) => Promise<void> {
  const run = scheduleHandlerOf(name, exported);
  const logger = createLogger({ platform: "azure", function: name });
  const handler = async (timer: Timer, context: InvocationContext): Promise<void> => {
    // scheduleStatus is absent when the host does not monitor the schedule (useMonitor false).
    logger.forInvocation(context.invocationId).info("timer fired", { isPastDue: timer.isPastDue, scheduleStatus: timer.scheduleStatus ?? null });
    // With schedule monitoring on, `next` is the occurrence being run (https://learn.microsoft.com/javascript/api/@azure/functions/timer).
    const occurrence = timer.scheduleStatus?.next;
    await run({ ...contextOf(name, context), scheduledTime: occurrence ? new Date(occurrence) : new Date() });
  };
  app.timer(name, { ...AZURE_TIMER_TRIGGER, handler });
  return handler;
}

/** The host hands a JSON message over already parsed, anything else as text; handlers get the raw text back. */
export function messageText(entry: unknown): string {
  if (typeof entry === "string") return entry;
  if (entry instanceof Uint8Array) return Buffer.from(entry).toString("utf8");
  return JSON.stringify(entry);
}

function numberOrUndefined(value: unknown): number | undefined {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}
