/**
 * The Azure conformance target: the real esbuild bundles (what ships), each in its own host
 * stand-in with the app settings of its capabilities, their handlers called with real
 * `HttpRequest` / `InvocationContext` objects from @azure/functions, backed by Azurite Tables
 * and Queues. The reconciler runs in its own host, invoked with a `Timer` as the timer trigger
 * invokes it.
 */
import { randomUUID } from "node:crypto";
import { odata } from "@azure/data-tables";
import { planAzure } from "../../components/azure/rules";
import { plannedCatalog, type Overrides } from "../planned";
import type { ConformanceTarget, DeliveredMessage, SecondUsersApi } from "../../conformance/target";
import { decodeQueueMessage } from "../../functions/azure/publisher";
import { azureEnv } from "../../functions/azure/contract";
import { emailRowKey, USERS_PARTITION } from "../../functions/azure/store";
import { reconcilerEnv } from "../../functions/core/reconciler";
import { azureTimer, everyMinutesOf, invokeAzureHttp, queueEntryOf, queueTriggerMetadata, startAzureBackends, startAzureFunction, type AzureBackends } from "../../local/azure";
import type { AzureFunctionRuntime } from "../../local/azure-functions-runtime";
import { AZURITE_ACCOUNT } from "../../local/emulators/azurite";
import { freePort } from "../../local/emulators/loopback";
import { startDelayingProxy } from "../../local/fault-proxy";

export const TEST_API_KEY = "azure-conformance-key-0123456789";
/** How long the slow-store proxy holds each byte: longer than the slow copy's 1 s timeout. */
export const SLOW_STORE_DELAY_MS = 1_500;

/** The catalog on Azure as a deploy plans it, with `overrides` (test/planned.ts). */
export const azureTestFunctions = (overrides: Overrides = {}) =>
  plannedCatalog("azure", (input) => planAzure({ ...input, project: "parity", stack: "test" }), overrides);

export interface AzureTarget extends ConformanceTarget {
  backends: AzureBackends;
  usersApi: AzureFunctionRuntime;
  queueWorker: AzureFunctionRuntime;
}

export async function startAzureTarget(): Promise<AzureTarget> {
  const { plan, functions } = azureTestFunctions();
  const backends = await startAzureBackends({ apiKey: TEST_API_KEY, names: plan });
  const usersApi = startAzureFunction(backends, functions["users-api"]);
  const queueWorker = startAzureFunction(backends, functions["queue-worker"]);
  const eventsQueue = backends.eventsQueue;
  /** A second users-api host with `env` on top of the stack's settings, its log lines kept. */
  const secondUsersApi = (env: Record<string, string>): SecondUsersApi => {
    const lines: string[] = [];
    const second = startAzureFunction(backends, functions["users-api"], { onLog: (line) => lines.push(line), env });
    return { request: (request: Request) => invokeAzureHttp(second, request), logs: () => [...lines], close: () => second.stop() };
  };
  /** The settings that point a host's Table client at `tableEndpoint` instead of Azurite's. */
  const tableAt = (tableEndpoint: string) => ({
    [azureEnv.localConnectionString]: backends.azurite.connectionString.replace(/TableEndpoint=[^;]*/, `TableEndpoint=${tableEndpoint}`),
    [azureEnv.tableServiceUri]: tableEndpoint,
  });
  // Started on first use; grace 0 so that users the test just created are pending.
  let reconciler: AzureFunctionRuntime | undefined;

  return {
    platform: "azure",
    apiKey: TEST_API_KEY,
    backends,
    usersApi,
    queueWorker,

    request: (request) => invokeAzureHttp(usersApi, request),

    async receivePublished({ atLeast, timeoutMs = 0 }) {
      const deadline = Date.now() + timeoutMs;
      const received: DeliveredMessage[] = [];
      do {
        const { receivedMessageItems } = await eventsQueue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
        for (const item of receivedMessageItems) {
          received.push({ id: item.messageId, body: decodeQueueMessage(item.messageText) });
          await eventsQueue.deleteMessage(item.messageId, item.popReceipt);
        }
        if (receivedMessageItems.length === 0 && received.length < atLeast) await new Promise((r) => setTimeout(r, 100));
      } while (received.length < atLeast && Date.now() < deadline);
      return received;
    },

    async deliver(messages) {
      const failedIds: string[] = [];
      // The host invokes the function once per message, in parallel up to batchSize.
      await Promise.all(
        messages.map(async (message) => {
          try {
            await queueWorker.invokeQueue(queueEntryOf(message.body), firstDelivery(message.id));
          } catch {
            failedIds.push(message.id);
          }
        }),
      );
      return { failedIds };
    },

    async usersApiWithQueueDown() {
      // Same table; the queue service is a free loopback port nothing listens on (connection refused).
      const queueEndpoint = `http://127.0.0.1:${await freePort()}/${AZURITE_ACCOUNT}`;
      return secondUsersApi({
        [azureEnv.localConnectionString]: backends.azurite.connectionString.replace(/QueueEndpoint=[^;]*/, `QueueEndpoint=${queueEndpoint}`),
        [azureEnv.queueServiceUri]: queueEndpoint,
      });
    },

    async usersApiWithStoreDown() {
      // Same queue; the table service is a free loopback port nothing listens on (connection refused).
      return secondUsersApi(tableAt(`http://127.0.0.1:${await freePort()}/${AZURITE_ACCOUNT}`));
    },

    async usersApiWithEmptyApiKey() {
      // The API_KEY app setting (a Key Vault reference the platform resolves) empty.
      return { ...secondUsersApi({ [azureEnv.apiKey]: "" }), secretName: azureEnv.apiKey };
    },

    async usersApiWithSlowStore() {
      // The Table endpoint behind a proxy that holds each byte longer than this copy's 1 s
      // timeout. The copy is planned with that timeout, so the plan's STORE_TIMEOUT_MS (40 % of
      // it) reaches it as the component sets it, and the store deadline answers parity's 500
      // before the host reaches functionTimeout (the local host stand-in does not enforce it; the
      // case asserts the answer comes first).
      const timeoutSeconds = 1;
      const azurite = new URL(backends.azurite.tableEndpoint);
      const proxy = await startDelayingProxy({ host: azurite.hostname, port: Number(azurite.port) }, SLOW_STORE_DELAY_MS);
      const slow = startAzureFunction(backends, azureTestFunctions({ "users-api": { timeoutSeconds } }).functions["users-api"], {
        env: tableAt(`http://${proxy.host}/${AZURITE_ACCOUNT}`),
      });
      // A loaded worker: GET /health touches no store, so the case measures the store deadline,
      // not the bundle's load in a new worker thread on a busy machine.
      await (await invokeAzureHttp(slow, new Request("http://parity.test/health"))).arrayBuffer();
      return {
        request: (request: Request) => invokeAzureHttp(slow, request),
        timeoutMs: timeoutSeconds * 1000,
        timeoutAnswer: {
          status: 500,
          code: "internal_error",
          source:
            "parity's store deadline (STORE_TIMEOUT_MS, 40 % of the timeout) answers before the host reaches functionTimeout, for which Azure documents no HTTP status (https://learn.microsoft.com/azure/azure-functions/functions-scale#timeout)",
        },
        storeCaughtUp: () => proxy.drained(),
        async recordsFor(email: string) {
          // Read from Azurite directly: the user entities with this email, and its email claim.
          const users = backends.table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${USERS_PARTITION} and email eq ${email}` } });
          let userCount = 0;
          for await (const entity of users) if (String(entity.rowKey).startsWith("user:")) userCount++;
          const claim = await backends.table.getEntity(USERS_PARTITION, emailRowKey(email)).then(
            () => 1,
            (error: { statusCode?: number }) => {
              if (error.statusCode === 404) return 0;
              throw error;
            },
          );
          return { users: userCount, claims: claim };
        },
        async close() {
          await slow.stop();
          await proxy.close();
        },
      };
    },

    async runReconciler() {
      const fn = functions.reconciler;
      reconciler ??= startAzureFunction(backends, fn, { env: { [reconcilerEnv.graceSeconds]: "0" } });
      await reconciler.invokeTimer(azureTimer(new Date(), everyMinutesOf(fn)));
    },

    async close() {
      await Promise.all([usersApi.stop(), queueWorker.stop(), reconciler?.stop()]);
      await backends.stop();
    },
  };
}

/** The trigger metadata of a message delivered for the first time. */
function firstDelivery(messageId: string) {
  const now = new Date();
  return queueTriggerMetadata({
    messageId,
    dequeueCount: 1,
    popReceipt: randomUUID(),
    insertedOn: now,
    expiresOn: new Date(now.getTime() + 7 * 86_400_000),
    nextVisibleOn: now,
  });
}
