/**
 * How the Azure driver reaches its storage account: Azurite by connection string locally,
 * the Function App's managed identity (DefaultAzureCredential) on the contract's service
 * URIs in Azure. The setting names are in ./contract.ts.
 */
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { azureEnv, requireSetting, type Env } from "./contract";

let credential: TokenCredential | undefined;
/** The app's managed identity (one credential per instance; it caches tokens). */
export const managedIdentity = () => (credential ??= new DefaultAzureCredential());

/** The service URI from the explicit setting, or the public-cloud URI of `__accountName`. */
export function serviceUri(env: Env, service: "table" | "queue"): string {
  const explicit = env[service === "table" ? azureEnv.tableServiceUri : azureEnv.queueServiceUri];
  if (explicit) return explicit.replace(/\/$/, "");
  const account = requireSetting(env, azureEnv.accountName);
  return `https://${account}.${service}.core.windows.net`;
}
