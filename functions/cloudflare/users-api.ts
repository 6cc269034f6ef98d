/**
 * users-api on Workers (module syntax): `fetch` hands the request to the core users API.
 * Bindings: USERS_DB (D1), EVENTS (queue producer), API_KEY (secret), PARITY_PLATFORM.
 */
import { createLogger, createUsersApi, type Logger, type UsersApi } from "../core";
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
  async fetch(request: Request, env: UsersApiEnv): Promise<Response> {
    return apiFor(env).fetch(request, { requestId: request.headers.get("cf-ray") ?? undefined });
  },
};
