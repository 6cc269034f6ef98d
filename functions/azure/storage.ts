/**
 * How the Azure driver reaches its storage account: Azurite by connection string locally,
 * the Function App's managed identity on the contract's service URIs in Azure. The setting
 * names are in ./contract.ts.
 */
import { ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { azureEnv, requireSetting, type Env } from "./contract";

let credential: TokenCredential | undefined;
/**
 * The app's user-assigned identity, by the client id the component sets in `AZURE_CLIENT_ID`
 * (one credential per instance; it caches tokens). Only the managed identity, not the
 * DefaultAzureCredential chain: nothing else exists on Flex, and the narrower credential is the
 * smaller bundle and the faster load (`npm run bench`, docs/how-it-works.md "Azure: the managed identity only").
 * https://learn.microsoft.com/javascript/api/@azure/identity/managedidentitycredential
 */
export function managedIdentity(env: NodeJS.ProcessEnv = process.env): TokenCredential {
  const clientId = env.AZURE_CLIENT_ID;
  return (credential ??= clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential());
}

/** The service URI from the explicit setting, or the public-cloud URI of `__accountName`. */
export function serviceUri(env: Env, service: "table" | "queue"): string {
  const explicit = env[service === "table" ? azureEnv.tableServiceUri : azureEnv.queueServiceUri];
  if (explicit) return explicit.replace(/\/$/, "");
  const account = requireSetting(env, azureEnv.accountName);
  return `https://${account}.${service}.core.windows.net`;
}
