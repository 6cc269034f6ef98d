/** Baseline: users-api written for Azure Functions (v4 model) only, on the same Tables, Queues and identity clients. */
import { app } from "@azure/functions";
import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import { QueueClient } from "@azure/storage-queue";
import { answer, createdEvent } from "../rules";

const local = process.env.PARITY_STORAGE_CONNECTION_STRING;
const credential = local ? undefined : new DefaultAzureCredential();
const account = process.env.PARITY_STORAGE__accountName;
const table = local
  ? TableClient.fromConnectionString(local, process.env.USERS_TABLE!, { allowInsecureConnection: true })
  : new TableClient(`https://${account}.table.core.windows.net`, process.env.USERS_TABLE!, credential!);
const queue = local ? new QueueClient(local, process.env.EVENTS_QUEUE!) : new QueueClient(`https://${account}.queue.core.windows.net/${process.env.EVENTS_QUEUE}`, credential!);

app.http("users-api", {
  route: "{*path}",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "anonymous",
  async handler(request) {
    const result = await answer(
      {
        async get(id) {
          try {
            const e = await table.getEntity<{ id: string; email: string; name: string; createdAt: string; welcomedAt?: string }>("users", `user:${id}`);
            return { id: e.id, email: e.email, name: e.name, createdAt: e.createdAt, welcomedAt: e.welcomedAt ?? null };
          } catch (error) {
            if ((error as { statusCode?: number }).statusCode === 404) return undefined;
            throw error;
          }
        },
        async create(user) {
          try {
            await table.submitTransaction([
              ["create", { partitionKey: "users", rowKey: `user:${user.id}`, id: user.id, email: user.email, name: user.name, createdAt: user.createdAt }],
              ["create", { partitionKey: "users", rowKey: `email:${encodeURIComponent(user.email)}`, userId: user.id }],
            ]);
            return true;
          } catch (error) {
            if ((error as { statusCode?: number }).statusCode === 409) return false;
            throw error;
          }
        },
        async publish(user) {
          await queue.sendMessage(Buffer.from(createdEvent(user)).toString("base64"));
        },
        apiKey: async () => process.env.API_KEY!,
      },
      request.method,
      new URL(request.url).pathname,
      (name) => request.headers.get(name) ?? undefined,
      () => request.text(),
    );
    return { status: result.status, headers: result.headers, body: result.body };
  },
});
