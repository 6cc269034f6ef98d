/** Baseline: queue-worker written for Azure Functions + Storage Queues only, on the same Tables and identity clients. */
import { app } from "@azure/functions";
import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import { userIdOf } from "../rules";

const local = process.env.PARITY_STORAGE_CONNECTION_STRING;
const table = local
  ? TableClient.fromConnectionString(local, process.env.USERS_TABLE!, { allowInsecureConnection: true })
  : new TableClient(`https://${process.env.PARITY_STORAGE__accountName}.table.core.windows.net`, process.env.USERS_TABLE!, new DefaultAzureCredential());

app.storageQueue("queue-worker", {
  queueName: "%EVENTS_QUEUE%",
  connection: "AzureWebJobsStorage",
  async handler(entry) {
    const id = userIdOf(typeof entry === "string" ? entry : JSON.stringify(entry));
    if (!id) return; // poison: dropped
    try {
      const user = await table.getEntity<{ welcomedAt?: string }>("users", `user:${id}`);
      if (!user.welcomedAt) await table.updateEntity({ partitionKey: "users", rowKey: `user:${id}`, welcomedAt: new Date().toISOString() }, "Merge", { etag: user.etag });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  },
});
