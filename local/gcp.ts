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
 * nack with backoff, counts attempts and, after maxDeliveryAttempts, publishes the message
 * to the dead-letter topic and acks it, as Pub/Sub's dead-letter policy would. The knobs
 * come from `planGcp`, so the local cloud clamps and warns exactly as a deploy does.
 */
import type { Message, Subscription, Topic } from "@google-cloud/pubsub";
import { PubSub } from "@google-cloud/pubsub";
import type { Capability } from "../components/catalog";
import { gcpNativeSummary, gcpPushConcurrency, planGcp, type GcpPlannedFunction } from "../components/gcp/rules";
import type { FunctionDeployment } from "../components/platform";
import { entryPointName, gcpEnvironment } from "../functions/gcp/contract";
import { serveFunction, type ServedFunction } from "./emulators/functions-framework";
import { gcloudEmulatorsMissing, startGcloudEmulator, type RunningEmulator } from "./emulators/gcloud";
import { freePorts } from "./emulators/loopback";
import { Teardown } from "./teardown";
import type { Launcher, LaunchOptions, LocalPlatform } from "./types";

export const LOCAL_PROJECT = "parity-local";
export const LOCAL_DATABASE = "(default)";
export const EVENTS_TOPIC = "parity-events";
export const DEAD_LETTER_TOPIC = "parity-events-dead-letter";
export const PUSH_SUBSCRIPTION = "parity-events-push";

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
    const [[eventsTopic], [deadLetterTopic]] = await Promise.all([client.createTopic(EVENTS_TOPIC), client.createTopic(DEAD_LETTER_TOPIC)]);
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

/** Serves one function's bundle with the Functions Framework, under its entry point, with its capabilities' environment. */
export function serveGcpFunction(
  backends: GcpBackends,
  fn: Pick<FunctionDeployment, "definition" | "bundle">,
  options: { env?: Record<string, string> } = {},
): Promise<ServedFunction> {
  return serveFunction({
    bundleFile: fn.bundle.file,
    target: entryPointName(fn.definition.name),
    env: { ...backends.environmentFor(fn.definition.capabilities), ...options.env },
  });
}

/**
 * Serves functions side by side, one Functions Framework process each (as Cloud Functions runs
 * one instance per container). Each stop is on `teardown` as soon as it started, so a failure
 * leaves nothing running once the caller tears down.
 */
export async function serveGcpFunctions(
  backends: GcpBackends,
  fns: Pick<FunctionDeployment, "definition" | "bundle">[],
  teardown: Teardown,
  log: (line: string) => void = () => undefined,
): Promise<Record<string, ServedFunction>> {
  const served: Record<string, ServedFunction> = {};
  const results = await Promise.allSettled(
    fns.map(async (fn) => {
      const instance = await serveGcpFunction(backends, fn);
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

/** The push subscription's knobs the local dispatcher honours. */
export interface PushDelivery {
  maxDeliveryAttempts: number;
  /** Ack deadline, seconds (the worker's timeout on GCP); also the request timeout here. */
  ackDeadlineSeconds: number;
  /** Pushes outstanding at once: the function's max instances × per-instance concurrency. */
  concurrency: number;
}

/** The push delivery of a queue function as `planGcp` decided it. */
export function localPushDelivery(fn: Pick<GcpPlannedFunction, "native">): PushDelivery {
  const queue = fn.native.queue;
  if (!queue) throw new Error("localPushDelivery: the function is not queue-triggered; only the queue function has a push subscription");
  return { maxDeliveryAttempts: queue.maxDeliveryAttempts, ackDeadlineSeconds: queue.ackDeadlineSeconds, concurrency: gcpPushConcurrency(fn.native) };
}

export interface PushDispatcher {
  pending(): number;
  deadLettered(): number;
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
  let deadLettered = 0;
  let stopped = false;

  subscription.setOptions({ flowControl: { maxMessages: options.concurrency, allowExcessMessages: false } });
  subscription.on("message", (message: Message) => void deliver(message));
  subscription.on("error", (error) => options.log?.(`push dispatcher: ${error.message}`));

  async function deliver(message: Message): Promise<void> {
    if (stopped) return;
    held.add(message.id);
    const attempt = (attempts.get(message.id) ?? 0) + 1;
    attempts.set(message.id, attempt);
    let status = 0;
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
      deadLettered++;
      options.log?.(`dead-lettered message ${message.id} after ${attempt} attempts (last status ${status})`);
      settle(message);
      return;
    }
    // Pub/Sub's retry policy backs off exponentially; locally the steps are short.
    const timer = setTimeout(() => {
      timers.delete(timer);
      held.delete(message.id);
      message.nack();
    }, Math.min(50 * 2 ** (attempt - 1), 1_000));
    timers.add(timer);
  }

  function settle(message: Message) {
    attempts.delete(message.id);
    held.delete(message.id);
    message.ack();
  }

  return {
    pending: () => held.size,
    deadLettered: () => deadLettered,
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
    const functions = await serveGcpFunctions(backends, plan.functions.map((fn) => ({ ...fn, bundle: bundles.get(fn.definition.name)! })), teardown, log);
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
      url: plan.httpFunction ? functions[plan.httpFunction.definition.name].url : undefined,
      nativeSettings: Object.fromEntries(plan.functions.map((fn) => [fn.definition.name, gcpNativeSummary(fn)])),
      warnings: plan.warnings,
      description: "Functions Framework 5 + Firestore emulator + Pub/Sub emulator (push and dead-lettering played by the launcher)",
      async queueDepth() {
        return { pending: dispatcher?.pending() ?? 0, deadLettered: dispatcher?.deadLettered() ?? 0 };
      },
      stop: () => teardown.run(),
    };
  });
}
