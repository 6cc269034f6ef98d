/**
 * users-api on Azure Functions (Node.js v4 programming model): one catch-all HTTP trigger
 * hands every request to the core users API. With host.json `extensions.http.routePrefix: ""`
 * the routes are `/users…`, as on the other platforms.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { createLogger, createUsersApi, once, type UsersApi } from "../core";
import { azureEnv, requireSetting } from "./contract";
import { toHttpResponseInit, toWebRequest } from "./http";
import { createQueuePublisher, eventsQueueClient } from "./publisher";
import { createTableUserStore, usersTableClient } from "./store";

const logger = createLogger({ platform: "azure", function: "users-api" });

const usersApi = once(async (): Promise<UsersApi> => {
  const table = usersTableClient();
  const queue = eventsQueueClient();
  return createUsersApi({
    store: createTableUserStore(async () => table),
    publisher: createQueuePublisher(async () => queue),
    // A Key Vault reference the platform resolves into the environment before start-up.
    apiKey: async () => requireSetting(process.env, azureEnv.apiKey),
    logger,
  });
});

/** The HTTP trigger's handler; exported so tests call it with real HttpRequest/InvocationContext. */
export async function handler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const api = await usersApi();
  const response = await api.fetch(await toWebRequest(request), { requestId: context.invocationId });
  return toHttpResponseInit(response);
}

app.http("users-api", {
  route: "{*path}",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
  // The API checks its own key; the platform's function keys would be a second, different key.
  authLevel: "anonymous",
  handler,
});
