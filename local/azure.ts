/**
 * The Azure local cloud: the real esbuild bundles with their registered @azure/functions
 * handlers, Azurite Tables and Queues, a loopback HTTP server in front of users-api, and
 * a delivery loop that polls the events queue as the Functions host does (batchSize
 * messages per poll, one invocation per message, a failed message made visible again and
 * moved to `<queue>-poison` once its dequeueCount reaches maxDequeueCount).
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { TableClient } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { bundleFunction } from "../components/bundle";
import { catalog } from "../components/catalog";
import type { LocalPlatform, StartLocal } from "./types";
import { startAzurite } from "./emulators/azurite";

type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
type QueueHandler = (entry: unknown, context: InvocationContext) => Promise<void>;

export interface AzureHandlers {
  usersApi: HttpHandler;
  queueWorker: QueueHandler;
  /** Restores the environment the bundles were loaded with. */
  unload(): void;
}

export interface AzureStorage {
  table: TableClient;
  eventsQueue: QueueClient;
  poisonQueue: QueueClient;
  /** The app settings the component would set, with the Azurite connection string instead of an identity. */
  env(apiKey: string): Record<string, string>;
}

/** Creates what the component creates in Azure: the users table, the events queue and its poison queue. */
export async function provisionAzureStorage(connectionString: string, names: { table: string; queue: string }): Promise<AzureStorage> {
  const table = TableClient.fromConnectionString(connectionString, names.table, { allowInsecureConnection: true });
  const eventsQueue = new QueueClient(connectionString, names.queue);
  // The host names the poison queue `<queue>-poison`.
  const poisonQueue = new QueueClient(connectionString, `${names.queue}-poison`);
  await Promise.all([table.createTable(), eventsQueue.createIfNotExists(), poisonQueue.createIfNotExists()]);
  return {
    table,
    eventsQueue,
    poisonQueue,
    env: (apiKey) => ({
      PARITY_PLATFORM: "azure",
      USERS_TABLE: names.table,
      EVENTS_QUEUE: names.queue,
      PARITY_STORAGE_CONNECTION_STRING: connectionString,
      API_KEY: apiKey,
    }),
  };
}

/**
 * Loads the shipped bundles (fresh module instances) with `env` in process.env, as the
 * Functions host would start them with the app settings. Registration with `app.*` is
 * skipped without a host; the bundles export the registered handlers.
 */
export function loadAzureHandlers(env: Record<string, string>, options: { logLevel?: string } = {}): AzureHandlers {
  const previous: Record<string, string | undefined> = {};
  const applied = { ...env, LOG_LEVEL: process.env.LOG_LEVEL ?? options.logLevel ?? "error" };
  for (const [name, value] of Object.entries(applied)) {
    previous[name] = process.env[name];
    process.env[name] = value;
  }
  const load = (name: string) => {
    const definition = catalog.find((fn) => fn.name === name);
    if (!definition) throw new Error(`no catalog function ${name}`);
    const { file } = bundleFunction(definition, "azure");
    delete require.cache[require.resolve(file)];
    // The registration warning ("Skipping call to register function") is expected here.
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      return require(file) as { handler: unknown };
    } finally {
      console.warn = warn;
    }
  };
  const usersApi = load("users-api").handler as HttpHandler;
  const queueWorker = load("queue-worker").handler as QueueHandler;
  return {
    usersApi,
    queueWorker,
    unload() {
      for (const [name, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

/** Serves users-api on 127.0.0.1 through its registered handler. */
export async function serveHttp(handler: HttpHandler): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      const url = `http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`;
      const request = new HttpRequest({
        method: req.method ?? "GET",
        url,
        headers,
        body: chunks.length > 0 ? { bytes: new Uint8Array(Buffer.concat(chunks)) } : undefined,
        params: { path: new URL(url).pathname.slice(1) },
      });
      const response = new HttpResponse(await handler(request, new InvocationContext({ invocationId: randomUUID(), functionName: "users-api" })));
      const body = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(body);
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`local host error: ${(error as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface QueueDelivery {
  stop(): Promise<void>;
}

/**
 * Polls the events queue like the Functions host's queue listener. Defaults follow
 * host.json: visibilityTimeout 0 (a failed message is retried at once), maxPollingInterval
 * capped here at 1 s instead of 1 min to keep the local cloud responsive
 * (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json).
 */
export function startQueueDelivery(options: {
  queue: QueueClient;
  poisonQueue: QueueClient;
  handler: QueueHandler;
  batchSize: number;
  maxDequeueCount: number;
  /** Seconds a message stays invisible while it is processed. @default 30 */
  processingVisibilitySeconds?: number;
  maxPollingIntervalMs?: number;
}): QueueDelivery {
  let running = true;
  let idleMs = 50;
  const maxIdleMs = options.maxPollingIntervalMs ?? 1_000;
  const loop = (async () => {
    while (running) {
      let received = 0;
      try {
        const { receivedMessageItems } = await options.queue.receiveMessages({
          // The Storage Queue service returns at most 32 per call, the host's batchSize maximum.
          numberOfMessages: Math.min(32, options.batchSize),
          visibilityTimeout: options.processingVisibilitySeconds ?? 30,
        });
        received = receivedMessageItems.length;
        await Promise.all(
          receivedMessageItems.map(async (item) => {
            const text = Buffer.from(item.messageText, "base64").toString("utf8");
            try {
              await options.handler(entryOf(text), contextOf(item));
              await options.queue.deleteMessage(item.messageId, item.popReceipt);
            } catch {
              if (item.dequeueCount >= options.maxDequeueCount) {
                await options.poisonQueue.sendMessage(item.messageText);
                await options.queue.deleteMessage(item.messageId, item.popReceipt);
              } else {
                await options.queue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
              }
            }
          }),
        );
      } catch {
        // Azurite stopping under a running loop ends here; keep polling until stopped.
      }
      idleMs = received > 0 ? 50 : Math.min(maxIdleMs, idleMs * 2);
      if (running && received === 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

function entryOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function contextOf(item: { messageId: string; dequeueCount: number; popReceipt: string; insertedOn: Date; expiresOn: Date; nextVisibleOn: Date }): InvocationContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: "queue-worker",
    triggerMetadata: {
      id: item.messageId,
      dequeueCount: item.dequeueCount,
      popReceipt: item.popReceipt,
      insertionTime: item.insertedOn.toISOString(),
      expirationTime: item.expiresOn.toISOString(),
      nextVisibleTime: item.nextVisibleOn.toISOString(),
    },
  });
}

/** The Azure local cloud, with what a test needs to reach into Azurite. */
export interface AzureLocal extends LocalPlatform {
  storage: AzureStorage;
}

export const startLocal: StartLocal = (options) => startAzureLocal(options);

/** `logLevel` sets the functions' LOG_LEVEL (tests pass "error"; `npm start` shows info). */
export async function startAzureLocal(options: Parameters<StartLocal>[0], extra: { logLevel?: string } = {}): Promise<AzureLocal> {
  const azurite = await startAzurite({ log: options.log });
  const stops: Array<() => Promise<void> | void> = [() => azurite.stop()];
  const stop = async () => {
    for (const step of stops.reverse()) await step();
  };
  try {
    const storage = await provisionAzureStorage(azurite.connectionString, { table: "users", queue: "user-events" });
    const handlers = loadAzureHandlers(storage.env(options.apiKey), { logLevel: extra.logLevel ?? "info" });
    stops.push(() => handlers.unload());
    const server = await serveHttp(handlers.usersApi);
    stops.push(() => server.close());
    const worker = catalog.find((fn) => fn.trigger.kind === "queue");
    const settings = worker ? options.settings[worker.name] : undefined;
    if (worker && settings) {
      const delivery = startQueueDelivery({
        queue: storage.eventsQueue,
        poisonQueue: storage.poisonQueue,
        handler: handlers.queueWorker,
        batchSize: settings.batchSize ?? 16,
        maxDequeueCount: settings.maxAttempts ?? 5,
      });
      stops.push(() => delivery.stop());
    }
    options.log?.(`azure: users-api on ${server.url}`);
    return {
      platform: "azure",
      storage,
      url: server.url,
      description: "@azure/functions v4 handlers (real bundles) + Azurite 3.35 Tables/Queues",
      async queueDepth() {
        const [pending, deadLettered] = await Promise.all([
          storage.eventsQueue.getProperties(),
          storage.poisonQueue.getProperties(),
        ]);
        return { pending: pending.approximateMessagesCount ?? 0, deadLettered: deadLettered.approximateMessagesCount ?? 0 };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
