/**
 * How the Azure driver reaches its storage account. Deployed, it authenticates with the
 * Function App's managed identity (DefaultAzureCredential) against the service URIs the
 * component puts in `PARITY_STORAGE__tableServiceUri` / `PARITY_STORAGE__queueServiceUri`
 * (the Functions naming for identity-based connections, so a binding could reuse the
 * prefix). No key or connection string is ever set by the component.
 *
 * `PARITY_STORAGE_CONNECTION_STRING` exists only for Azurite (local cloud and tests); it
 * is used when set and is never set in Azure.
 */
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";

export const storageSettings = {
  tableServiceUri: "PARITY_STORAGE__tableServiceUri",
  queueServiceUri: "PARITY_STORAGE__queueServiceUri",
  accountName: "PARITY_STORAGE__accountName",
  localConnectionString: "PARITY_STORAGE_CONNECTION_STRING",
  usersTable: "USERS_TABLE",
  eventsQueue: "EVENTS_QUEUE",
  apiKey: "API_KEY",
} as const;

export type Env = Record<string, string | undefined>;

export function requireSetting(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`app setting ${name} is not set`);
  return value;
}

let credential: TokenCredential | undefined;
/** The app's managed identity (one credential per instance; it caches tokens). */
export const managedIdentity = () => (credential ??= new DefaultAzureCredential());

/** The service URI from the explicit setting, or the public-cloud URI of `__accountName`. */
export function serviceUri(env: Env, service: "table" | "queue"): string {
  const explicit = env[service === "table" ? storageSettings.tableServiceUri : storageSettings.queueServiceUri];
  if (explicit) return explicit.replace(/\/$/, "");
  const account = requireSetting(env, storageSettings.accountName);
  return `https://${account}.${service}.core.windows.net`;
}
