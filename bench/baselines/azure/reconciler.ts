/** Baseline: the reconciler written for Azure Functions (timer trigger) only, on the same Tables, Queues and identity clients. */
import { app } from "@azure/functions";
import { odata, TableClient } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import { QueueClient } from "@azure/storage-queue";
import { createdEvent, graceSeconds, reconcile } from "../rules";

const local = process.env.PARITY_STORAGE_CONNECTION_STRING;
const credential = local ? undefined : new DefaultAzureCredential();
const account = process.env.PARITY_STORAGE__accountName;
const table = local
  ? TableClient.fromConnectionString(local, process.env.USERS_TABLE!, { allowInsecureConnection: true })
  : new TableClient(`https://${account}.table.core.windows.net`, process.env.USERS_TABLE!, credential!);
const queue = local ? new QueueClient(local, process.env.EVENTS_QUEUE!) : new QueueClient(`https://${account}.queue.core.windows.net/${process.env.EVENTS_QUEUE}`, credential!);

app.timer("reconciler", {
  schedule: "%RECONCILE_SCHEDULE%",
  async handler() {
    await reconcile(
      {
        async listPending(before, limit) {
          const found: { id: string; email: string; createdAt: string }[] = [];
          const pages = table.listEntities<{ id: string; email: string; createdAt: string }>({
            queryOptions: { filter: odata`PartitionKey eq 'users' and RowKey ge 'pending:' and RowKey lt ${`pending:${before}`}` },
          });
          for await (const entity of pages) {
            found.push({ id: entity.id, email: entity.email, createdAt: entity.createdAt });
            if (found.length >= limit) break;
          }
          return found;
        },
        async claim(id, at, claimableBefore) {
          const user = await table.getEntity<{ lastRepublishAt?: string; republishCount?: number; welcomedAt?: string }>("users", `user:${id}`);
          if (user.welcomedAt || (user.lastRepublishAt !== undefined && user.lastRepublishAt >= claimableBefore)) return false;
          try {
            await table.updateEntity({ partitionKey: "users", rowKey: `user:${id}`, lastRepublishAt: at, republishCount: (user.republishCount ?? 0) + 1 }, "Merge", { etag: user.etag });
            return true;
          } catch (error) {
            if ((error as { statusCode?: number }).statusCode === 412) return false;
            throw error;
          }
        },
        async publish(user) {
          await queue.sendMessage(Buffer.from(createdEvent(user)).toString("base64"));
        },
      },
      graceSeconds(),
    );
  },
});
