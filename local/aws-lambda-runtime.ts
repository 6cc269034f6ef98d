/**
 * A local stand-in for the Lambda service: each execution environment is a worker thread
 * with its own copy of the environment variables and its own module instance of the real
 * bundle, serving one invocation at a time (as Lambda does). Environments are created on
 * demand up to `maxInstances` (reserved concurrency); further invocations wait for a free one.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 */
import { Worker } from "node:worker_threads";
import { pathToFileURL } from "node:url";

export interface LambdaFunctionOptions {
  /** Absolute path of the bundle (`index.mjs`) exporting `handler`. */
  bundleFile: string;
  functionName: string;
  /** The function's environment variables (added to this process's PATH/HOME etc.). */
  env: Record<string, string>;
  /** Concurrent execution environments at most. @default 1 */
  maxInstances?: number;
  /** An invocation running longer fails, and its environment is discarded. @default 30 */
  timeoutSeconds?: number;
  /** Every line the function writes to stdout/stderr (its structured logs). */
  onLog?: (line: string, instance: number) => void;
}

export interface LambdaFunction {
  invoke<TResult = unknown>(event: unknown): Promise<TResult>;
  /** Environments created so far (each one was a cold start). */
  readonly instancesCreated: number;
  stop(): Promise<void>;
}

/** The worker's code: load the bundle once, then answer invocations one at a time. */
const instanceSource = `
const { parentPort, workerData } = require("node:worker_threads");
const loaded = import(workerData.bundleUrl);
// Init is over, loaded or failed (a failed load is reported by the first invocation, as Lambda does).
loaded.then(() => parentPort.postMessage({ ready: true }), () => parentPort.postMessage({ ready: true }));
parentPort.on("message", async ({ id, event, context, deadline }) => {
  try {
    const { handler } = await loaded;
    const result = await handler(event, { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) });
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: { name: error?.name, message: String(error?.message ?? error) } });
  }
});
`;

interface Instance {
  number: number;
  worker: Worker;
  /** Settles when the environment's Init phase (loading the bundle) is over, or the worker died. */
  ready: Promise<void>;
  busy: boolean;
}

export function createLambdaFunction(options: LambdaFunctionOptions): LambdaFunction {
  const maxInstances = options.maxInstances ?? 1;
  const timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
  const instances: Instance[] = [];
  const waiting: ((instance: Instance) => void)[] = [];
  let created = 0;
  let stopped = false;
  let invocations = 0;

  const startInstance = (): Instance => {
    const number = ++created;
    const worker = new Worker(instanceSource, {
      eval: true,
      env: { ...process.env, ...options.env },
      workerData: { bundleUrl: pathToFileURL(options.bundleFile).href },
      stdout: true,
      stderr: true,
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      let pending = "";
      stream.on("data", (chunk: Buffer) => {
        pending += chunk.toString("utf8");
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) options.onLog?.(line, number);
      });
    }
    const ready = new Promise<void>((resolve) => {
      const onReady = (message: { ready?: boolean }) => {
        if (!message.ready) return;
        worker.off("message", onReady);
        resolve();
      };
      worker.on("message", onReady);
      worker.once("error", () => resolve());
      worker.once("exit", () => resolve());
    });
    const instance: Instance = { number, worker, busy: false, ready };
    instances.push(instance);
    return instance;
  };

  /** Marks the instance busy before returning, so concurrent callers never share one. */
  const acquire = (): Promise<Instance> => {
    const instance = instances.find((candidate) => !candidate.busy) ?? (instances.length < maxInstances ? startInstance() : undefined);
    if (!instance) return new Promise((resolve) => waiting.push(resolve));
    instance.busy = true;
    return Promise.resolve(instance);
  };

  const release = (instance: Instance) => {
    const next = waiting.shift();
    if (next) next(instance);
    else instance.busy = false;
  };

  const discard = (instance: Instance) => {
    instances.splice(instances.indexOf(instance), 1);
    void instance.worker.terminate();
    const next = waiting.shift();
    if (next) {
      const replacement = startInstance();
      replacement.busy = true;
      next(replacement);
    }
  };

  return {
    get instancesCreated() {
      return created;
    },
    async invoke<TResult>(event: unknown): Promise<TResult> {
      if (stopped) throw new Error(`${options.functionName} is stopped`);
      const instance = await acquire();
      // A cold environment finishes its Init phase first: on Lambda, Init (the function's static
      // code, up to 10 s) comes before the invocation and is not part of the function's timeout;
      // an Init past 10 s is retried within the invocation, under its timeout
      // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, Init phase).
      // Init is not bounded here: on a busy machine a bundle's load took seconds, and counting it
      // against the timeout failed cold invocations ("Task timed out after 10 seconds" at load
      // average 33) that Lambda would have run.
      await instance.ready;
      const id = ++invocations;
      const context = { awsRequestId: crypto.randomUUID(), functionName: options.functionName };
      return new Promise<TResult>((resolve, reject) => {
        const onMessage = (message: { id: number; result?: TResult; error?: { name: string; message: string } }) => {
          if (message.id !== id) return;
          cleanup();
          release(instance);
          if (message.error) reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
          else resolve(message.result as TResult);
        };
        const onError = (error: Error) => {
          cleanup();
          discard(instance);
          reject(error);
        };
        const timer = setTimeout(() => {
          cleanup();
          discard(instance);
          reject(new Error(`${options.functionName}: Task timed out after ${timeoutMs / 1000} seconds`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          instance.worker.off("message", onMessage);
          instance.worker.off("error", onError);
        };
        instance.worker.on("message", onMessage);
        instance.worker.on("error", onError);
        // The timeout runs from here, as Lambda's does from the invocation's start.
        instance.worker.postMessage({ id, event, context, deadline: Date.now() + timeoutMs });
      });
    },
    async stop() {
      stopped = true;
      await Promise.all(instances.splice(0).map((instance) => instance.worker.terminate()));
    },
  };
}
