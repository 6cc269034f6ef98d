/**
 * The Azure environment contract, written once: the app settings the component sets on each
 * Function App, the driver reads and the local launcher sets, and which capability brings
 * which. A function only learns of the resources it may use.
 *
 * Deployed, the driver authenticates with the app's managed identity against the service URIs
 * in `PARITY_STORAGE__tableServiceUri` / `PARITY_STORAGE__queueServiceUri` (the Functions
 * naming for identity-based connections, so a binding could reuse the prefix). No key or
 * connection string is ever set by the component. `PARITY_STORAGE_CONNECTION_STRING` exists
 * only for Azurite (the local cloud and tests); it wins when set and is never set in Azure.
 */
import type { Capability } from "../../components/catalog";
import { reconcilerEnv } from "../core/reconciler";

export const azureEnv = {
  platform: "PARITY_PLATFORM",
  usersTable: "USERS_TABLE",
  tableServiceUri: "PARITY_STORAGE__tableServiceUri",
  eventsQueue: "EVENTS_QUEUE",
  queueServiceUri: "PARITY_STORAGE__queueServiceUri",
  /** Fallback for both service URIs: the account's public-cloud endpoints. */
  accountName: "PARITY_STORAGE__accountName",
  /** A Key Vault reference deployed (the platform resolves it before start-up); the key itself locally. */
  apiKey: "API_KEY",
  /** Azurite only. */
  localConnectionString: "PARITY_STORAGE_CONNECTION_STRING",
  /** The reconciler's timer schedule, 6-field NCRONTAB (components/schedule.ts `ncrontab`); the trigger reads it as `%RECONCILE_SCHEDULE%`. */
  reconcileSchedule: "RECONCILE_SCHEDULE",
  /** How long one users-table operation may take, retries included (functions/azure/store.ts); 40 % of the function's timeout. */
  storeTimeoutMs: "STORE_TIMEOUT_MS",
} as const;
export type AzureEnvName = (typeof azureEnv)[keyof typeof azureEnv];

/** Every Azure entry exports its registered handler under this name, so tests and the local cloud can call it. */
export const AZURE_HANDLER_EXPORT = "handler";

/**
 * The queue trigger's binding: the queue name is resolved from the app setting at run time
 * (`%NAME%`), and the connection is `PARITY_STORAGE`, the identity-based connection whose
 * `__queueServiceUri` the driver reads too: the events queue is in the shared account, while
 * `AzureWebJobsStorage` is each app's own host storage account.
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#configuration
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#identity-based-connections
 */
export const AZURE_QUEUE_TRIGGER = { queueName: `%${azureEnv.eventsQueue}%`, connection: "PARITY_STORAGE" } as const;

/**
 * The settings that make `PARITY_STORAGE` an identity-based connection for the trigger with the
 * app's user-assigned identity (its `__queueServiceUri` is `azureEnv.queueServiceUri`).
 * https://learn.microsoft.com/azure/azure-functions/functions-reference#common-properties-for-identity-based-connections
 */
export const azureQueueConnection = {
  credential: `${AZURE_QUEUE_TRIGGER.connection}__credential`,
  clientId: `${AZURE_QUEUE_TRIGGER.connection}__clientId`,
} as const;

/**
 * The reconciler's timer trigger: the schedule is an app setting resolved at start-up, so a stack
 * changes it without a new bundle; `runOnStartup` stays off (it would fire on every scale-out).
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#configuration
 */
export const AZURE_TIMER_TRIGGER = { schedule: `%${azureEnv.reconcileSchedule}%`, runOnStartup: false } as const;

/**
 * The app settings a schedule function's app gets besides its capabilities': the schedule as the
 * 6-field NCRONTAB the timer reads through `%RECONCILE_SCHEDULE%`, and, for a function that
 * reconciles the users store (components/platform.ts `runsReconciler`), the reconciler's run
 * settings derived from the interval and the timeout. One function for the component and the
 * local launcher, so the two cannot drift.
 */
export function azureScheduleEnvironment(schedule: { expression: string; graceSeconds: number; timeBudgetSeconds: number }, reconciler = true): Record<string, string> {
  return {
    [azureEnv.reconcileSchedule]: schedule.expression,
    ...(reconciler ? { [reconcilerEnv.graceSeconds]: String(schedule.graceSeconds), [reconcilerEnv.timeBudgetSeconds]: String(schedule.timeBudgetSeconds) } : {}),
  };
}

/** The store deadline the plan decided (absent without a users.* capability), as the component and the local launcher set it. */
export function azureDeadlineEnvironment(native: { storeTimeoutMs?: number }): Record<string, string> {
  return native.storeTimeoutMs ? { [azureEnv.storeTimeoutMs]: String(native.storeTimeoutMs) } : {};
}

/** The values behind the settings (Outputs in the component, strings locally). */
export interface AzureEnvValues<T> {
  usersTable: T;
  tableServiceUri: T;
  eventsQueue: T;
  queueServiceUri: T;
  apiKey: T;
}

/** Which values each capability needs. */
export const azureCapabilityEnv: Record<Capability, readonly (keyof AzureEnvValues<unknown>)[]> = {
  "users.read": ["usersTable", "tableServiceUri"],
  "users.create": ["usersTable", "tableServiceUri"],
  "users.update": ["usersTable", "tableServiceUri"],
  // The pending index is entities in the users table (functions/azure/store.ts).
  "users.listPending": ["usersTable", "tableServiceUri"],
  "events.publish": ["eventsQueue", "queueServiceUri"],
  // The trigger resolves %EVENTS_QUEUE%.
  "events.consume": ["eventsQueue", "queueServiceUri"],
  "apiKey.read": ["apiKey"],
};

/** The app settings a function with these capabilities gets from the contract. */
export function azureEnvironment<T>(capabilities: readonly Capability[], values: AzureEnvValues<T>): Record<string, T | string> {
  const env: Record<string, T | string> = { [azureEnv.platform]: "azure" };
  for (const capability of capabilities) for (const key of azureCapabilityEnv[capability]) env[azureEnv[key]] = values[key];
  return env;
}

export type Env = Record<string, string | undefined>;

/** The store deadline the component set, or undefined for none (the client's retries alone). */
export const storeTimeoutMs = (env: Env = process.env) => (env[azureEnv.storeTimeoutMs] ? Number(env[azureEnv.storeTimeoutMs]) : undefined);

/** Reads a setting the component sets on every app that may use it; a missing one is a deployment defect. */
export function requireSetting(env: Env, name: AzureEnvName): string {
  const value = env[name];
  if (!value) throw new Error(`app setting ${name} is not set; the Azure component sets it on each Function App that declares the capability`);
  return value;
}
