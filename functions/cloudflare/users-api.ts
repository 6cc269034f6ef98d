/**
 * users-api on Workers: parity's own fetch handler with the Workers ports (D1, a Queues
 * producer, a secret binding), served by the generic driver (./driver.ts `http`).
 * Bindings (`ctx.env`): USERS_DB (D1), EVENTS (queue producer), API_KEY (secret), PARITY_PLATFORM.
 */
import { createLogger, createUsersApi, type Logger, type UsersApi } from "../core";
import type { FetchHandler } from "../handler";
import { secretBindingApiKey } from "./api-key";
import type { UsersApiEnv } from "./bindings";
import { cloudflareEnv } from "./contract";
import { createQueuePublisher } from "./publisher";
import { createD1UserStore } from "./store";

let logger: Logger | undefined;
// One API per env object: Workers passes the same env to every request of an isolate.
const apis = new WeakMap<UsersApiEnv, UsersApi>();

function apiFor(env: UsersApiEnv): UsersApi {
  let api = apis.get(env);
  if (!api) {
    logger ??= createLogger({ platform: env[cloudflareEnv.platform] ?? "cloudflare", function: "users-api" });
    api = createUsersApi({
      store: createD1UserStore(env[cloudflareEnv.usersDb]),
      publisher: createQueuePublisher(env[cloudflareEnv.events]),
      apiKey: secretBindingApiKey(env[cloudflareEnv.apiKey]),
      logger,
    });
    apis.set(env, api);
  }
  return api;
}

export default {
  fetch: (request, ctx) => apiFor(ctx.env as unknown as UsersApiEnv).fetch(request, { requestId: ctx.requestId }),
} satisfies FetchHandler;
