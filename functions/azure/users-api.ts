/**
 * users-api on Azure Functions: parity's own fetch handler with the Azure ports (Table Storage,
 * the Storage Queue, a Key Vault reference). The generic driver (./driver.ts `http`) registers
 * it as one catch-all HTTP trigger, as it does any team's fetch handler.
 */
import { createLogger, createUsersApi, once, type UsersApi } from "../core";
import type { FetchHandler } from "../handler";
import { azureEnv, requireSetting, type Env } from "./contract";
import { createQueuePublisher, eventsQueueClient } from "./publisher";
import { createTableUserStore, usersTableClient } from "./store";

const logger = createLogger({ platform: "azure", function: "users-api" });

const usersApi = once(async (): Promise<UsersApi> => {
  const table = usersTableClient();
  const queue = eventsQueueClient();
  return createUsersApi({
    store: createTableUserStore(async () => table),
    publisher: createQueuePublisher(async () => queue),
    apiKey: async () => apiKeyFromSettings(process.env),
    logger,
  });
});

/** How App Service writes a Key Vault reference into an app setting. */
export const KEY_VAULT_REFERENCE_PREFIX = "@Microsoft.KeyVault(";

/**
 * The API key: a Key Vault reference the platform resolves into the app setting before start-up.
 * An unresolved reference stays in the setting as its literal text ("If a reference isn't
 * resolved properly, the reference string is used instead":
 * https://learn.microsoft.com/azure/app-service/app-service-key-vault-references), and a key
 * anyone can read in the app's configuration must never authorize a request: this throws, so
 * every request presenting a key answers 500 internal_error and the core logs the cause at
 * error level.
 */
export function apiKeyFromSettings(env: Env): string {
  const key = requireSetting(env, azureEnv.apiKey);
  if (key.trimStart().startsWith(KEY_VAULT_REFERENCE_PREFIX)) {
    throw new Error(
      `app setting ${azureEnv.apiKey} holds an unresolved Key Vault reference; check that the app's key vault reference identity can read the secret (the platform logs the reason), then restart the app`,
    );
  }
  return key;
}

export default {
  fetch: async (request, ctx) => (await usersApi()).fetch(request, { requestId: ctx.requestId }),
} satisfies FetchHandler;
