/**
 * The local Azure: Azurite Tables and Queues as the store and queue, and the real bundles, each
 * in its own Function App host stand-in (./azure-functions-runtime.ts) with the app settings the
 * component would give it, with the two things the Functions host does played on loopback:
 * - an HTTP front (the shared `serveFetch`) that turns each web Request into an
 *   @azure/functions `HttpRequest` for the HTTP function and its `HttpResponse` back;
 * - a queue listener that polls the events queue as the host does: batchSize messages per poll,
 *   one invocation per message, a failed message made visible again, and moved to
 *   `<queue>-poison` once its dequeueCount reaches maxDequeueCount;
 * - the timer: a local schedule per timer function, its fire times computed from the very
 *   NCRONTAB expression the app setting holds, each tick invoking the handler with a `Timer`.
 */
import { TableClient } from "@azure/data-tables";
import type { Timer } from "@azure/functions";
import { QueueClient, type DequeuedMessageItem } from "@azure/storage-queue";
import type { Capability } from "../components/catalog";
import { azureNativeSummary, azureScheduleFor, planAzure, type AzurePlan, type AzurePlannedFunction } from "../components/azure/rules";
import type { FunctionDeployment, FunctionSpec } from "../components/platform";
import { cronerPattern } from "../components/schedule";
import { azureDeadlineEnvironment, azureEnv, azureEnvironment, azureScheduleEnvironment } from "../functions/azure/contract";
import { startAzureFunctionRuntime, type AzureFunctionRuntime, type QueueTriggerMetadata } from "./azure-functions-runtime";
import { startAzurite, type Azurite } from "./emulators/azurite";
import { serveFetch } from "./front";
import { startLocalSchedule, type LocalSchedule } from "./scheduler";
import { Teardown } from "./teardown";
import type { Launcher, LaunchOptions, LocalPlatform } from "./types";

export interface AzureBackendsOptions {
  apiKey: string;
  /** Table, queue and poison queue names, as the plan decides them. */
  names: Pick<AzurePlan, "usersTable" | "eventsQueue" | "poisonQueue">;
  log?: (line: string) => void;
}

/** Azurite with what the component creates in Azure: the users table, the events queue and its poison queue. */
export interface AzureBackends {
  azurite: Azurite;
  table: TableClient;
  eventsQueue: QueueClient;
  poisonQueue: QueueClient;
  /** The app settings the component gives an app with these capabilities (../functions/azure/contract.ts), with the Azurite connection string instead of an identity. */
  environmentFor(capabilities: readonly Capability[]): Record<string, string>;
  stop(): Promise<void>;
}

export async function startAzureBackends(options: AzureBackendsOptions): Promise<AzureBackends> {
  const azurite = await startAzurite({ log: options.log });
  try {
    const { connectionString } = azurite;
    const table = TableClient.fromConnectionString(connectionString, options.names.usersTable, { allowInsecureConnection: true });
    const eventsQueue = new QueueClient(connectionString, options.names.eventsQueue);
    const poisonQueue = new QueueClient(connectionString, options.names.poisonQueue);
    await Promise.all([table.createTable(), eventsQueue.createIfNotExists(), poisonQueue.createIfNotExists()]);
    return {
      azurite,
      table,
      eventsQueue,
      poisonQueue,
      environmentFor(capabilities) {
        return {
          ...azureEnvironment(capabilities, {
            usersTable: options.names.usersTable,
            tableServiceUri: azurite.tableEndpoint,
            eventsQueue: options.names.eventsQueue,
            queueServiceUri: azurite.queueEndpoint,
            apiKey: options.apiKey,
          }),
          [azureEnv.localConnectionString]: connectionString,
        };
      },
      stop: () => azurite.stop(),
    };
  } catch (error) {
    await azurite.stop();
    throw error;
  }
}

/**
 * Starts one function's bundle in its own host, with the settings its capabilities bring, a
 * timer function's schedule settings and a planned function's store deadline; `env` adds to (or
 * replaces) them.
 */
export function startAzureFunction(
  backends: AzureBackends,
  fn: Pick<FunctionDeployment, "definition" | "bundle" | "settings"> & { native?: { storeTimeoutMs?: number } },
  options: { onLog?: (line: string) => void; env?: Record<string, string> } = {},
): AzureFunctionRuntime {
  return startAzureFunctionRuntime({
    bundleFile: fn.bundle.file,
    functionName: fn.definition.name,
    env: {
      ...backends.environmentFor(fn.definition.capabilities),
      ...(fn.definition.trigger.kind === "schedule" ? azureScheduleSettings(fn) : {}),
      // A planned function's store deadline, as the component sets it.
      ...(fn.native ? azureDeadlineEnvironment(fn.native) : {}),
      ...options.env,
    },
    onLog: options.onLog,
  });
}

/** Minutes between a schedule function's ticks: the stack's setting, else the catalog's. */
export function everyMinutesOf(fn: Pick<FunctionSpec, "definition" | "settings">): number {
  const { trigger } = fn.definition;
  if (trigger.kind !== "schedule") throw new Error(`${fn.definition.name} is not a schedule function`);
  return fn.settings.everyMinutes ?? trigger.everyMinutes;
}

/**
 * A timer function's schedule settings as the component sets them (functions/azure/contract.ts
 * `azureScheduleEnvironment`). The expression is parsed back as the local scheduler reads it, so
 * a 5-field expression, which the local scheduler could run but the Azure host would not fire as
 * parity means it, is refused before anything starts.
 */
export function azureScheduleSettings(fn: Pick<FunctionSpec, "definition" | "settings">): Record<string, string> {
  const settings = azureScheduleEnvironment(azureScheduleFor(everyMinutesOf(fn), fn.settings.timeoutSeconds));
  assertNcrontab(settings[azureEnv.reconcileSchedule]);
  return settings;
}

/**
 * Refuses anything but 6 fields, seconds first. The timer extension (and so a local host) also
 * runs 5 fields, but the scale controller that wakes a scaled-to-zero app parses with seconds
 * only, so a 5-field schedule silently stops firing in Azure
 * (https://github.com/Azure/azure-functions-host/issues/7123, maintainer's comment;
 * https://github.com/MicrosoftDocs/azure-docs/issues/119048).
 */
export function assertNcrontab(expression: string): void {
  cronerPattern("ncrontab", expression);
}

/**
 * The `Timer` the host passes for a tick scheduled at `scheduledTime` of a schedule firing every
 * `everyMinutes` (clock-aligned, so the previous occurrence is one interval earlier), shaped as
 * @azure/functions' `Timer`
 * (https://learn.microsoft.com/javascript/api/@azure/functions/timer): with schedule monitoring
 * on (the default above one tick a minute), `scheduleStatus.next` is the occurrence being run,
 * `last` the one before; `isPastDue` is true when the invocation is later than scheduled
 * (https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#usage). NCRONTAB
 * schedules report `adjustForDST: true` (CronSchedule in azure-webjobs-sdk-extensions).
 */
export function azureTimer(scheduledTime: Date, everyMinutes: number, now = new Date()): Timer {
  const last = new Date(scheduledTime.getTime() - everyMinutes * 60_000).toISOString();
  return {
    isPastDue: now.getTime() - scheduledTime.getTime() > PAST_DUE_AFTER_MS,
    schedule: { adjustForDST: true },
    scheduleStatus: { last, next: scheduledTime.toISOString(), lastUpdated: last },
  };
}
/** A local tick starts within milliseconds; one a second late was missed, as the host would say. */
const PAST_DUE_AFTER_MS = 1_000;

/** A web Request through the HTTP function's handler, as the host serves it; the handler's HttpResponse as a web Response. */
export async function invokeAzureHttp(runtime: AzureFunctionRuntime, request: Request): Promise<Response> {
  // The body as a stream, as the host proxies it with HTTP streaming on: the function pulls what it reads.
  const response = await runtime.invokeHttp({ method: request.method, url: request.url, headers: [...request.headers], body: request.body ?? undefined });
  return new Response(response.body.byteLength > 0 ? new Uint8Array(response.body) : null, { status: response.status, headers: response.headers });
}

/** As the host hands a queue message over: JSON parsed, anything else as text. */
export function queueEntryOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The trigger metadata the host passes with a queue message. */
export function queueTriggerMetadata(item: Pick<DequeuedMessageItem, "messageId" | "dequeueCount" | "popReceipt" | "insertedOn" | "expiresOn" | "nextVisibleOn">): QueueTriggerMetadata {
  return {
    id: item.messageId,
    dequeueCount: item.dequeueCount,
    popReceipt: item.popReceipt,
    insertionTime: item.insertedOn.toISOString(),
    expirationTime: item.expiresOn.toISOString(),
    nextVisibleTime: item.nextVisibleOn.toISOString(),
  };
}

export interface QueueDeliveryOptions {
  queue: QueueClient;
  poisonQueue: QueueClient;
  invoke(entry: unknown, triggerMetadata: QueueTriggerMetadata): Promise<void>;
  /** host.json queues.batchSize. */
  batchSize: number;
  /** host.json queues.maxDequeueCount. */
  maxDequeueCount: number;
  /** Seconds a message stays invisible while it is processed. @default 30 */
  processingVisibilitySeconds?: number;
  maxPollingIntervalMs?: number;
  onError?: (error: Error) => void;
}

/**
 * Polls the events queue like the Functions host's queue listener. Defaults follow host.json:
 * visibilityTimeout 0 (a failed message is retried at once), maxPollingInterval capped here at
 * 1 s instead of 1 min to keep the local cloud responsive
 * (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json).
 */
export function startQueueDelivery(options: QueueDeliveryOptions): { stop(): Promise<void> } {
  let running = true;
  let idleMs = 50;
  const maxIdleMs = options.maxPollingIntervalMs ?? 1_000;
  const loop = (async () => {
    while (running) {
      let received = 0;
      try {
        const { receivedMessageItems } = await options.queue.receiveMessages({
          // The Storage Queue service returns at most 32 per call, the host's batchSize maximum.
          numberOfMessages: Math.min(32, options.batchSize),
          visibilityTimeout: options.processingVisibilitySeconds ?? 30,
        });
        received = receivedMessageItems.length;
        await Promise.all(
          receivedMessageItems.map(async (item) => {
            const text = Buffer.from(item.messageText, "base64").toString("utf8");
            try {
              await options.invoke(queueEntryOf(text), queueTriggerMetadata(item));
              await options.queue.deleteMessage(item.messageId, item.popReceipt);
            } catch (error) {
              options.onError?.(error as Error);
              if (item.dequeueCount >= options.maxDequeueCount) {
                await options.poisonQueue.sendMessage(item.messageText);
                await options.queue.deleteMessage(item.messageId, item.popReceipt);
              } else {
                await options.queue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
              }
            }
          }),
        );
      } catch {
        // Azurite stopping under a running loop ends here; keep polling until stopped.
      }
      idleMs = received > 0 ? 50 : Math.min(maxIdleMs, idleMs * 2);
      if (running && received === 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** The local Azure, with its emulated services reachable for tests and tools. */
export interface AzureLocalPlatform extends LocalPlatform {
  backends: AzureBackends;
  plan: AzurePlan;
}

/**
 * Starts the functions by trigger kind, with the native settings `planAzure` decides for a
 * deploy: the same table and queue names, the app settings of each function's capabilities,
 * and host.json's batchSize and maxDequeueCount for the queue listener. One host per app,
 * serving invocations concurrently: maximumInstanceCount and per-instance concurrency are not
 * enforced locally.
 */
export const launchAzure: Launcher = (options) => startAzureLocal(options);

export async function startAzureLocal(options: LaunchOptions): Promise<AzureLocalPlatform> {
  const log = options.log ?? (() => {});
  const plan = planAzure({ name: "parity-local", project: "parity", stack: "local", functions: options.functions, logRetentionDays: 7, protectData: false });
  const bundles = new Map(options.functions.map((fn) => [fn.definition.name, fn.bundle]));
  const teardown = new Teardown();
  return teardown.guard(async () => {
    const backends = await startAzureBackends({ apiKey: options.apiKey, names: plan, log });
    teardown.add(() => backends.stop());

    const runtimes: Record<string, AzureFunctionRuntime> = {};
    const startRuntimes = () => {
      for (const fn of plan.functions) {
        const name = fn.definition.name;
        runtimes[name] = startAzureFunction(backends, { ...fn, bundle: bundles.get(name)! }, {
          onLog: (line) => {
            options.onFunctionLog?.(name, line);
            if (/"level":"error"/.test(line)) log(`[azure ${name}] ${line}`);
          },
        });
      }
    };
    const stopRuntimes = () => Promise.all(Object.values(runtimes).map((runtime) => runtime.stop()));
    startRuntimes();
    teardown.add(stopRuntimes);

    let url: string | undefined;
    const http = plan.httpFunction;
    if (http) {
      // Looked up per request, so a restart() swaps the host behind the same URL.
      const front = await serveFetch((request) => invokeAzureHttp(runtimes[http.definition.name], request));
      teardown.add(() => front.stop());
      url = front.url;
      log(`Azure: ${http.definition.name} on ${url}`);
    }
    const consumer: AzurePlannedFunction | undefined = plan.consumer;
    if (consumer?.native.queues) {
      const delivery = startQueueDelivery({
        queue: backends.eventsQueue,
        poisonQueue: backends.poisonQueue,
        invoke: (entry, metadata) => runtimes[consumer.definition.name].invokeQueue(entry, metadata),
        batchSize: consumer.native.queues.batchSize,
        maxDequeueCount: consumer.native.queues.maxDequeueCount,
      });
      teardown.add(() => delivery.stop());
    }

    const schedules: Record<string, LocalSchedule> = {};
    for (const fn of plan.functions.filter((f) => f.definition.trigger.kind === "schedule")) {
      const name = fn.definition.name;
      const everyMinutes = everyMinutesOf(fn);
      schedules[name] = startLocalSchedule({
        function: name,
        dialect: "ncrontab",
        // The very setting the host resolves for %RECONCILE_SCHEDULE%.
        expression: azureScheduleSettings(fn)[azureEnv.reconcileSchedule],
        // Looked up per tick, so a restart() swaps the host behind the schedule.
        fire: (scheduledTime) => runtimes[name].invokeTimer(azureTimer(scheduledTime, everyMinutes)),
        onError: (error) => log(`[azure ${name}] timer run failed: ${error.message}`),
      });
      teardown.add(() => schedules[name].stop());
      log(`Azure: ${name} on NCRONTAB ${schedules[name].expression} (UTC)`);
    }

    return {
      platform: "azure",
      backends,
      plan,
      url,
      nativeSettings: Object.fromEntries(plan.functions.map((fn) => [fn.definition.name, azureNativeSummary(fn)])),
      warnings: plan.warnings,
      schedules,
      description: "@azure/functions v4 handlers (real bundles, a worker-thread host per app) + Azurite 3.35 Tables/Queues",
      async queueDepth() {
        const [pending, deadLettered] = await Promise.all([backends.eventsQueue.getProperties(), backends.poisonQueue.getProperties()]);
        return { pending: pending.approximateMessagesCount ?? 0, deadLettered: deadLettered.approximateMessagesCount ?? 0 };
      },
      async restart() {
        await stopRuntimes();
        startRuntimes();
      },
      stop: () => teardown.run(),
    };
  });
}
