/**
 * A local stand-in for one Function App's host: a worker thread with the app's own settings
 * as its environment and its own module instance of the real bundle, invoking the exported
 * handler (functions/azure/contract.ts) with real @azure/functions `HttpRequest` /
 * `InvocationContext` objects (and a `Timer` for a timer trigger), as the Node.js worker does.
 * Like an instance of the host, it runs several invocations at once. A new runtime is a new module scope: a cold start.
 * HTTP requests reach the handler as they do with HTTP streaming on (the users-api sets it):
 * an HttpRequest around a web Request whose body is a stream, as @azure/functions 4.x builds it
 * from the host's proxied request (dist/azure-functions.js, createStreamRequest); the stream is
 * transferred to the worker thread, so the function reads only what it pulls.
 */
import { createInterface } from "node:readline";
import { Worker } from "node:worker_threads";
import type { Timer } from "@azure/functions";
import { AZURE_HANDLER_EXPORT, AZURE_QUEUE_TRIGGER, AZURE_TIMER_TRIGGER, azureEnv } from "../functions/azure/contract";

/** A request as it crosses to the worker thread; a stream body is transferred, not copied. */
export interface HostHttpRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body?: Uint8Array | ReadableStream<Uint8Array>;
}

/** What the handler answered, after @azure/functions' `HttpResponse` normalised it. */
export interface HostHttpResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** The queue trigger's metadata the host passes in `context.triggerMetadata` (plain values only). */
export type QueueTriggerMetadata = Record<string, string | number>;

export interface AzureFunctionRuntime {
  invokeHttp(request: HostHttpRequest): Promise<HostHttpResponse>;
  /** Rejects when the handler throws: the host then retries or poisons the message. */
  invokeQueue(entry: unknown, triggerMetadata: QueueTriggerMetadata): Promise<void>;
  /** Rejects when the handler throws (the host logs it; a timer is not retried: the next tick is). */
  invokeTimer(timer: Timer): Promise<void>;
  stop(): Promise<void>;
}

export interface AzureFunctionRuntimeOptions {
  /** Absolute path of the CommonJS bundle exporting `handler`. */
  bundleFile: string;
  /** The registered function name (`context.functionName`). */
  functionName: string;
  /** The app settings (added to this process's PATH/HOME etc.). */
  env: Record<string, string>;
  /** Every line the function writes to stdout/stderr (its structured logs). */
  onLog?: (line: string) => void;
}

/**
 * The worker's code. Without a host, `app.http(...)` and `app.storageQueue(...)` only warn that
 * they skip registration ("test mode"); that warning is expected and silenced while loading.
 */
const hostSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { randomUUID } = require("node:crypto");
const { HttpRequest, HttpResponse, InvocationContext } = require(workerData.azureFunctions);
let handler, loadError;
const warn = console.warn;
console.warn = () => undefined;
try {
  handler = require(workerData.bundleFile)[workerData.handlerExport];
  if (typeof handler !== "function") loadError = new Error(workerData.bundleFile + " does not export " + workerData.handlerExport);
} catch (error) {
  loadError = error;
} finally {
  console.warn = warn;
}
const functionName = workerData.functionName;
async function http({ method, url, headers, body }) {
  const lower = method.toLowerCase();
  const stream = lower === "get" || lower === "head" || body === undefined ? undefined
    : body instanceof ReadableStream ? body : new Blob([body]).stream();
  const request = new HttpRequest({
    nativeRequest: new Request(url, { method, headers, body: stream, duplex: "half" }),
    // The catch-all route {*path}.
    params: { path: new URL(url).pathname.slice(1) },
  });
  const context = new InvocationContext({
    invocationId: randomUUID(), functionName,
    options: { trigger: { type: "httpTrigger", name: "request", authLevel: "anonymous", methods: [], route: "{*path}" } },
  });
  const response = new HttpResponse(await handler(request, context));
  return { status: response.status, headers: [...response.headers], body: new Uint8Array(await response.arrayBuffer()) };
}
async function queue({ entry, triggerMetadata }) {
  const context = new InvocationContext({
    invocationId: randomUUID(), functionName, triggerMetadata,
    options: { trigger: { type: "queueTrigger", name: "queueEntry", queueName: workerData.queueName, connection: workerData.connection } },
  });
  await handler(entry, context);
}
async function timer({ timer }) {
  const context = new InvocationContext({
    invocationId: randomUUID(), functionName,
    options: { trigger: { type: "timerTrigger", name: "myTimer", schedule: workerData.schedule, runOnStartup: workerData.runOnStartup } },
  });
  await handler(timer, context);
}
const kinds = { http, queue, timer };
parentPort.on("message", async (message) => {
  try {
    if (loadError) throw loadError;
    const result = await kinds[message.kind](message);
    parentPort.postMessage({ id: message.id, result });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: { name: error?.name, message: String(error?.message ?? error) } });
  }
});
`;

/** Starts one app's host. */
export function startAzureFunctionRuntime(options: AzureFunctionRuntimeOptions): AzureFunctionRuntime {
  const worker = new Worker(hostSource, {
    eval: true,
    env: { ...process.env, ...options.env },
    workerData: {
      azureFunctions: require.resolve("@azure/functions"),
      bundleFile: options.bundleFile,
      handlerExport: AZURE_HANDLER_EXPORT,
      functionName: options.functionName,
      queueName: options.env[azureEnv.eventsQueue],
      connection: AZURE_QUEUE_TRIGGER.connection,
      schedule: AZURE_TIMER_TRIGGER.schedule,
      runOnStartup: AZURE_TIMER_TRIGGER.runOnStartup,
    },
    stdout: true,
    stderr: true,
  });
  for (const input of [worker.stdout, worker.stderr]) {
    createInterface({ input }).on("line", (line) => {
      if (line.trim()) options.onLog?.(line);
    });
  }

  type Reply = { id: number; result?: unknown; error?: { name: string; message: string } };
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let invocations = 0;
  let stopped = false;
  worker.on("message", (reply: Reply) => {
    const call = waiting.get(reply.id);
    if (!call) return;
    waiting.delete(reply.id);
    if (reply.error) call.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
    else call.resolve(reply.result);
  });
  const failAll = (error: Error) => {
    for (const call of waiting.values()) call.reject(error);
    waiting.clear();
  };
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`${options.functionName}: host worker exited (${code})`)));

  const call = <T>(message: Record<string, unknown>, transfer: ReadableStream[] = []): Promise<T> => {
    if (stopped) return Promise.reject(new Error(`${options.functionName} is stopped`));
    const id = ++invocations;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...message, id }, transfer as unknown as Parameters<Worker["postMessage"]>[1]);
    });
  };

  return {
    invokeHttp: (request) => call<HostHttpResponse>({ kind: "http", ...request }, request.body instanceof ReadableStream ? [request.body] : []),
    invokeQueue: (entry, triggerMetadata) => call<void>({ kind: "queue", entry, triggerMetadata }),
    invokeTimer: (timer) => call<void>({ kind: "timer", timer }),
    async stop() {
      stopped = true;
      await worker.terminate();
    },
  };
}
