/**
 * The local Google Cloud: Google's Firestore and Pub/Sub emulators, and the real GCP
 * bundles served by the Functions Framework, on loopback.
 *
 * Delivery to the worker: the Pub/Sub emulator does push to an endpoint, but it neither
 * counts delivery attempts nor dead-letters (checked with emulator 0.8.20: no
 * `deliveryAttempt` in the envelope, nothing reaches the dead-letter topic), and it sends
 * no OIDC token. So the launcher plays the push subscription itself: it pulls from a
 * subscription on the events topic, POSTs each message to the worker in the real push
 * envelope (one message per request, as Pub/Sub push does), acks on 2xx, redelivers a
 * nack with the subscription's backoff, counts attempts and, after maxDeliveryAttempts,
 * publishes the message to the dead-letter topic and acks it, as Pub/Sub's dead-letter policy
 * would. In front of the worker it plays Cloud Run's instance cap: a push beyond
 * max instances × requests per instance is answered 429 without reaching the function, and
 * counts as a failed attempt, as on Cloud Run. The knobs come from `planGcp`, so the local
 * cloud clamps and warns exactly as a deploy does; only the backoff is scaled down
 * (`LOCAL_BACKOFF_SCALE`) so that local runs take seconds, not minutes.
 *
 * Schedules: each schedule function gets a local scheduler firing at the times of the very
 * unix-cron expression the Cloud Scheduler job gets, POSTing to the function with the headers
 * Cloud Scheduler sends.
 */
import { randomUUID } from "node:crypto";
import type { Message, Subscription, Topic } from "@google-cloud/pubsub";
import { PubSub } from "@google-cloud/pubsub";
import type { Capability } from "../components/catalog";
import { gcpNativeSummary, gcpPushConcurrency, planGcp, type GcpPlannedFunction } from "../components/gcp/rules";
import type { FunctionDeployment } from "../components/platform";
import { entryPointName, gcpDeadlineEnvironment, gcpEnvironment, gcpScheduleEnvironment } from "../functions/gcp/contract";
import { serveFunction, type ServedFunction } from "./emulators/functions-framework";
import { gcloudEmulatorsMissing, startGcloudEmulator, type RunningEmulator } from "./emulators/gcloud";
import { freePorts } from "./emulators/loopback";
import { startLocalSchedule, type LocalSchedule } from "./scheduler";
import { Teardown } from "./teardown";
import type { Launcher, LaunchOptions, LocalPlatform } from "./types";

export const LOCAL_PROJECT = "parity-local";
export const LOCAL_DATABASE = "(default)";
export const EVENTS_TOPIC = "parity-events";
export const DEAD_LETTER_TOPIC = "parity-events-dead-letter";
export const PUSH_SUBSCRIPTION = "parity-events-push";
/** Local push backoff = the subscription's backoff × this (a 30 s minimum becomes 300 ms). */
export const LOCAL_BACKOFF_SCALE = 0.01;

export { gcloudEmulatorsMissing };

/** The emulated services, their topics, and the environment the deployed functions would get. */
export interface GcpBackends {
  projectId: string;
  firestore: RunningEmulator;
  pubsub: RunningEmulator;
  /** An admin client on the Pub/Sub emulator (topics, subscriptions, test probes). */
  client: PubSub;
  eventsTopic: Topic;
  deadLetterTopic: Topic;
  /** What the GCP component sets on a function with these capabilities (the contract; the API key as its value), plus the emulator hosts. */
  environmentFor(capabilities: readonly Capability[]): Record<string, string>;
  stop(): Promise<void>;
}

/** Starts both emulators side by side and creates the events and dead-letter topics. */
export async function startGcpBackends(options: { apiKey: string; log?: (line: string) => void }): Promise<GcpBackends> {
  const log = options.log ?? (() => undefined);
  const teardown = new Teardown();
  return teardown.guard(async () => {
    const [firestorePort, pubsubPort] = await freePorts(2);
    const emulators = await Promise.allSettled([startGcloudEmulator("firestore", { port: firestorePort }), startGcloudEmulator("pubsub", { port: pubsubPort })]);
    for (const result of emulators) if (result.status === "fulfilled") teardown.add(result.value.stop);
    const failed = emulators.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed) throw failed.reason;
    const [firestore, pubsub] = emulators.map((result) => (result as PromiseFulfilledResult<RunningEmulator>).value);
    log(`Firestore emulator ready on ${firestore.host} in ${(firestore.startupMs / 1000).toFixed(1)} s`);
    log(`Pub/Sub emulator ready on ${pubsub.host} in ${(pubsub.startupMs / 1000).toFixed(1)} s`);

    // An explicit universe domain spares the client a metadata-server probe (~3 s) for credentials it does not use.
    const client = new PubSub({ projectId: LOCAL_PROJECT, apiEndpoint: pubsub.host, emulatorMode: true, universeDomain: "googleapis.com" });
    teardown.add(() => client.close());
    const [[eventsTopic], [deadLetterTopic]] = await Promise.all([client.createTopic(EVENTS_TOPIC), client.createTopic(DEAD_LETTER_TOPIC), warmFirestoreEmulator(firestore.host)]);
    return {
      projectId: LOCAL_PROJECT,
      firestore,
      pubsub,
      client,
      eventsTopic,
      deadLetterTopic,
      environmentFor(capabilities) {
        const { variables, secrets } = gcpEnvironment(
          capabilities,
          { projectId: LOCAL_PROJECT, firestoreDatabase: LOCAL_DATABASE, eventsTopic: EVENTS_TOPIC },
          // Cloud Functions resolves the secret reference into the variable; here it is the value itself.
          { apiKey: options.apiKey },
        );
        return {
          ...variables,
          ...secrets,
          FIRESTORE_EMULATOR_HOST: firestore.host,
          PUBSUB_EMULATOR_HOST: pubsub.host,
          // No metadata server on this machine: skip the client libraries' probe for one.
          METADATA_SERVER_DETECTION: "none",
        };
      },
      stop: () => teardown.run(),
    };
  });
}

/**
 * One transaction and one query on the fresh emulator, before any function is served. The
 * emulator's first transactions are slow while its JVM warms up, and that would count against a
 * function's STORE_TIMEOUT_MS; a real Firestore has no such warm-up. Measured on a loaded 2-core
 * machine, a function's first three creates: 2.9 s, 2.3 s, 53 ms without it; 0.8–1.4 s (the
 * client's load included), then about 0.1 s with it. The document is deleted.
 */
async function warmFirestoreEmulator(host: string): Promise<void> {
  const { Firestore } = await import("@google-cloud/firestore");
  const db = new Firestore({ projectId: LOCAL_PROJECT, databaseId: LOCAL_DATABASE, host, ssl: false, universeDomain: "googleapis.com" });
  try {
    const ref = db.collection("parity-warm-up").doc(randomUUID());
    await db.runTransaction(async (tx) => {
      tx.create(ref, { at: new Date().toISOString() });
    });
    await db.collection("parity-warm-up").where("at", "<", "~").orderBy("at").limit(1).get();
    await ref.delete();
  } finally {
    await db.terminate();
  }
}

/** A function to serve: its definition and bundle, and the native settings `planGcp` decided. */
export type GcpServable = Pick<FunctionDeployment, "definition" | "bundle"> & Partial<Pick<GcpPlannedFunction, "native">>;

/**
 * Serves one function's bundle with the Functions Framework, under its entry point, with the
 * environment the component sets: its capabilities' variables, the publish deadline and the
 * reconciler's run settings from the plan, then `options.env` on top.
 */
export function serveGcpFunction(backends: GcpBackends, fn: GcpServable, options: { env?: Record<string, string>; onLine?: (line: string) => void } = {}): Promise<ServedFunction> {
  const native = fn.native;
  return serveFunction({
    bundleFile: fn.bundle.file,
    target: entryPointName(fn.definition.name),
    env: {
      ...backends.environmentFor(fn.definition.capabilities),
      ...(native?.schedule ? gcpScheduleEnvironment(native.schedule.run) : {}),
      ...gcpDeadlineEnvironment(native ?? {}),
      ...options.env,
    },
    onLine: options.onLine,
  });
}

/**
 * Serves functions side by side, one Functions Framework process each (as Cloud Functions runs
 * one instance per container). Each stop is on `teardown` as soon as it started, so a failure
 * leaves nothing running once the caller tears down.
 */
export async function serveGcpFunctions(
  backends: GcpBackends,
  fns: GcpServable[],
  teardown: Teardown,
  log: (line: string) => void = () => undefined,
  options: { envFor?: (fn: string) => Record<string, string> | undefined; onFunctionLog?: (fn: string, line: string) => void } = {},
): Promise<Record<string, ServedFunction>> {
  const served: Record<string, ServedFunction> = {};
  const results = await Promise.allSettled(
    fns.map(async (fn) => {
      const name = fn.definition.name;
      const onFunctionLog = options.onFunctionLog;
      const instance = await serveGcpFunction(backends, fn, { env: options.envFor?.(name), onLine: onFunctionLog && ((line) => onFunctionLog(name, line)) });
      teardown.add(() => instance.stop());
      served[fn.definition.name] = instance;
      log(`${fn.definition.name} (Functions Framework) on ${instance.url}, ready in ${(instance.startupMs / 1000).toFixed(1)} s`);
    }),
  );
  const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) throw failed.reason;
  return served;
}

/** One Pub/Sub push envelope (https://cloud.google.com/pubsub/docs/push#receive_push). */
export function pushEnvelope(
  message: { id: string; data: Buffer; attributes?: Record<string, string>; publishTime?: Date },
  subscription: string,
  deliveryAttempt?: number,
): Record<string, unknown> {
  const publishTime = (message.publishTime ?? new Date()).toISOString();
  return {
    message: {
      data: message.data.toString("base64"),
      attributes: message.attributes ?? {},
      messageId: message.id,
      message_id: message.id,
      publishTime,
      publish_time: publishTime,
    },
    subscription,
    ...(deliveryAttempt === undefined ? {} : { deliveryAttempt }),
  };
}

/** The push subscription's and the worker's knobs the local dispatcher honours. */
export interface PushDelivery {
  maxDeliveryAttempts: number;
  /** Ack deadline, seconds (the worker's timeout on GCP); also the request timeout here. */
  ackDeadlineSeconds: number;
  /** Requests the worker serves at once (max instances × per-instance concurrency); beyond it, 429. */
  instanceCap: number;
  /** The retry policy's backoff, milliseconds, as applied locally (scaled). */
  minimumBackoffMs: number;
  maximumBackoffMs: number;
}

/** The push delivery of a queue function as `planGcp` decided it, its backoff scaled by `backoffScale`. */
export function localPushDelivery(fn: Pick<GcpPlannedFunction, "native">, backoffScale = LOCAL_BACKOFF_SCALE): PushDelivery {
  const queue = fn.native.queue;
  if (!queue) throw new Error("localPushDelivery: the function is not queue-triggered; only the queue function has a push subscription");
  const ms = (duration: string) => Number(duration.replace(/s$/, "")) * 1000 * backoffScale;
  return {
    maxDeliveryAttempts: queue.maxDeliveryAttempts,
    ackDeadlineSeconds: queue.ackDeadlineSeconds,
    instanceCap: gcpPushConcurrency(fn.native),
    minimumBackoffMs: ms(queue.minimumBackoff),
    maximumBackoffMs: ms(queue.maximumBackoff),
  };
}

/**
 * The delay before redelivering a nacked message: exponential from the minimum, doubling per
 * attempt, up to the maximum. Pub/Sub documents the bounds but not the growth factor
 * (https://cloud.google.com/pubsub/docs/handling-failures#exponential_backoff); doubling is the
 * local stand-in.
 */
export const pushBackoffMs = (attempt: number, delivery: Pick<PushDelivery, "minimumBackoffMs" | "maximumBackoffMs">) =>
  Math.min(delivery.maximumBackoffMs, delivery.minimumBackoffMs * 2 ** (attempt - 1));

export interface PushDispatcher {
  pending(): number;
  deadLettered(): number;
  /** Pushes answered 429 because the worker was at its instance cap. */
  throttled(): number;
  /** Message data of what was dead-lettered, in order. */
  deadLetteredData(): string[];
  stop(): Promise<void>;
}

/**
 * Plays a push subscription with a dead-letter policy (see the file comment): pulls from
 * `subscriptionName` and POSTs each message to `endpoint`, up to `concurrency` at a time.
 */
export async function startPushDispatcher(
  options: PushDelivery & {
    topic: Topic;
    deadLetterTopic: Topic;
    subscriptionName: string;
    endpoint: string;
    log?: (line: string) => void;
  },
): Promise<PushDispatcher> {
  const [subscription]: [Subscription, unknown] = await options.topic.createSubscription(options.subscriptionName, {
    ackDeadlineSeconds: options.ackDeadlineSeconds,
  });
  const fullName = `projects/${LOCAL_PROJECT}/subscriptions/${options.subscriptionName}`;
  const attempts = new Map<string, number>();
  const held = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const deadLetteredData: string[] = [];
  let throttled = 0;
  let inFlight = 0;
  let stopped = false;

  // Pub/Sub does not know the worker's cap: it pushes many messages at once, and the cap answers 429.
  subscription.setOptions({ flowControl: { maxMessages: 1000, allowExcessMessages: false } });
  subscription.on("message", (message: Message) => void deliver(message));
  subscription.on("error", (error) => options.log?.(`push dispatcher: ${error.message}`));

  async function deliver(message: Message): Promise<void> {
    if (stopped) return;
    held.add(message.id);
    const attempt = (attempts.get(message.id) ?? 0) + 1;
    attempts.set(message.id, attempt);
    let status = 0;
    if (inFlight >= options.instanceCap) {
      // Cloud Run: every instance busy with its max concurrent requests → 429 Too Many Requests
      // (https://cloud.google.com/run/docs/troubleshooting, "429 … no available instance"), which Pub/Sub counts as a failed push.
      status = 429;
      throttled++;
    } else {
      inFlight++;
      try {
        const response = await fetch(options.endpoint, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(pushEnvelope(message, fullName, attempt)),
          signal: AbortSignal.timeout(options.ackDeadlineSeconds * 1000),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0; // unreachable or timed out: a nack, as Pub/Sub treats it
      } finally {
        inFlight--;
      }
    }
    if (stopped) return;
    // https://cloud.google.com/pubsub/docs/push#receive_push: 102, 200, 201, 202, 204 ack.
    if ([102, 200, 201, 202, 204].includes(status)) {
      settle(message);
      return;
    }
    if (attempt >= options.maxDeliveryAttempts) {
      await options.deadLetterTopic.publishMessage({
        data: message.data,
        attributes: {
          ...message.attributes,
          CloudPubSubDeadLetterSourceDeliveryCount: String(attempt),
          CloudPubSubDeadLetterSourceSubscription: options.subscriptionName,
        },
      });
      deadLetteredData.push(message.data.toString("utf8"));
      options.log?.(`dead-lettered message ${message.id} after ${attempt} attempts (last status ${status})`);
      settle(message);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      held.delete(message.id);
      message.nack();
    }, pushBackoffMs(attempt, options));
    timers.add(timer);
  }

  function settle(message: Message) {
    attempts.delete(message.id);
    held.delete(message.id);
    message.ack();
  }

  return {
    pending: () => held.size,
    deadLettered: () => deadLetteredData.length,
    throttled: () => throttled,
    deadLetteredData: () => [...deadLetteredData],
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      subscription.removeAllListeners("message");
      await subscription.close();
    },
  };
}

/** The local Google Cloud, with its emulated services reachable for tests and tools. */
export interface GcpLocalPlatform extends LocalPlatform {
  backends: GcpBackends;
  /** Function name → its Functions Framework instance. */
  functions: Record<string, ServedFunction>;
}

/**
 * Invokes a schedule function as its Cloud Scheduler job does: POST to the function's URL with
 * the headers Cloud Scheduler sets on HTTP targets (`X-CloudScheduler: true`, the job's name,
 * the scheduled time in RFC 3339 UTC, `User-Agent: Google-Cloud-Scheduler`;
 * https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#HttpTarget).
 * Locally there is no OIDC token: the emulated function has no IAM in front of it. Fails on a
 * non-2xx answer, as a failed job attempt.
 */
export async function fireCloudScheduler(url: string, jobName: string, scheduledTime: Date): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "X-CloudScheduler": "true",
      "X-CloudScheduler-JobName": `projects/${LOCAL_PROJECT}/locations/local/jobs/${jobName}`,
      "X-CloudScheduler-ScheduleTime": scheduledTime.toISOString(),
      "User-Agent": "Google-Cloud-Scheduler",
    },
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`${jobName}: the function answered ${response.status}: ${body.slice(0, 200)}`);
}

/** The local scheduler of one planned schedule function, firing at its unix-cron expression's times. */
export function startGcpSchedule(fn: Pick<GcpPlannedFunction, "definition" | "native">, url: string, onError?: (error: Error) => void): LocalSchedule {
  const schedule = fn.native.schedule;
  if (!schedule) throw new Error(`startGcpSchedule: ${fn.definition.name} is not a schedule function`);
  return startLocalSchedule({
    function: fn.definition.name,
    dialect: "unix",
    expression: schedule.expression,
    fire: (scheduledTime) => fireCloudScheduler(url, schedule.jobName, scheduledTime),
    onError,
  });
}

/**
 * Starts the functions by trigger kind, with the native settings `planGcp` decides for a
 * deploy: every function is served by the Functions Framework under its entry point; the
 * HTTP function's is `url`; the queue function gets the push dispatcher with the plan's
 * maxDeliveryAttempts, ack deadline and concurrency.
 */
export const launchGcp: Launcher = (options) => startGcpLocal(options);

export async function startGcpLocal(options: LaunchOptions): Promise<GcpLocalPlatform> {
  const log = options.log ?? (() => {});
  const plan = planGcp({ name: "parity-local", functions: options.functions, logRetentionDays: 7, protectData: false });
  const missing = gcloudEmulatorsMissing();
  if (missing) throw new Error(`gcp: ${missing}`);
  const bundles = new Map(options.functions.map((fn) => [fn.definition.name, fn.bundle]));
  const teardown = new Teardown();
  return teardown.guard(async () => {
    const backends = await startGcpBackends({ apiKey: options.apiKey, log });
    teardown.add(() => backends.stop());
    const functions = await serveGcpFunctions(
      backends,
      plan.functions.map((fn) => ({ ...fn, bundle: bundles.get(fn.definition.name)! })),
      teardown,
      log,
      { onFunctionLog: options.onFunctionLog },
    );
    const schedules: Record<string, LocalSchedule> = {};
    for (const fn of plan.scheduleFunctions) {
      const schedule = startGcpSchedule(fn, functions[fn.definition.name].url, (error) => log(`${fn.definition.name}: scheduled run failed: ${error.message}`));
      teardown.add(async () => schedule.stop());
      schedules[fn.definition.name] = schedule;
    }
    const consumer = plan.queueFunction;
    const dispatcher = consumer
      ? await startPushDispatcher({
          topic: backends.eventsTopic,
          deadLetterTopic: backends.deadLetterTopic,
          subscriptionName: PUSH_SUBSCRIPTION,
          endpoint: functions[consumer.definition.name].url,
          ...localPushDelivery(consumer),
          log,
        })
      : undefined;
    if (dispatcher) teardown.add(() => dispatcher.stop());
    return {
      platform: "gcp",
      backends,
      functions,
      schedules,
      url: plan.httpFunction ? functions[plan.httpFunction.definition.name].url : undefined,
      nativeSettings: Object.fromEntries(plan.functions.map((fn) => [fn.definition.name, gcpNativeSummary(fn)])),
      warnings: plan.warnings,
      description: "Functions Framework 5 + Firestore emulator + Pub/Sub emulator (push, instance cap, dead-lettering and Cloud Scheduler played by the launcher)",
      async queueDepth() {
        return { pending: dispatcher?.pending() ?? 0, deadLettered: dispatcher?.deadLettered() ?? 0 };
      },
      stop: () => teardown.run(),
    };
  });
}
