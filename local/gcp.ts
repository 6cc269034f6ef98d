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
 * come from the component's own mapping (`gcpSettingsFor`), so the local cloud clamps and
 * warns exactly as a deploy does.
 */
import type { Message, Subscription, Topic } from "@google-cloud/pubsub";
import { PubSub } from "@google-cloud/pubsub";
import { bundleFunction } from "../components/bundle";
import { catalog } from "../components/catalog";
import type { FunctionSettings } from "../components/config";
import { SettingDecisions } from "../components/deployment";
import { gcpSettingsFor } from "../components/gcp";
import { entryPointName } from "../functions/gcp/entry-point";
import { serveFunction, type ServedFunction } from "./emulators/functions-framework";
import { gcloudEmulatorsMissing, startGcloudEmulator, type RunningEmulator } from "./emulators/gcloud";
import { freePorts } from "./emulators/loopback";
import type { LocalPlatform, StartLocal } from "./types";

export const LOCAL_PROJECT = "parity-local";
export const LOCAL_DATABASE = "(default)";
export const EVENTS_TOPIC = "parity-events";
export const DEAD_LETTER_TOPIC = "parity-events-dead-letter";
export const PUSH_SUBSCRIPTION = "parity-events-push";


export interface GcpStack {
  projectId: string;
  firestore: RunningEmulator;
  pubsub: RunningEmulator;
  /** An admin client on the Pub/Sub emulator (topics, subscriptions, test probes). */
  client: PubSub;
  eventsTopic: Topic;
  deadLetterTopic: Topic;
  /** Served bundle per catalog function name. */
  functions: Record<string, ServedFunction>;
  /** Environment each function instance got. */
  env: Record<string, Record<string, string>>;
  stop(): Promise<void>;
}

export { gcloudEmulatorsMissing };

/**
 * Starts the emulators, creates the topics and serves every catalog function's real bundle
 * with the environment the component sets on Cloud Functions.
 */
export async function startGcpStack(options: { apiKey: string; log?: (line: string) => void }): Promise<GcpStack> {
  const log = options.log ?? (() => undefined);
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  };
  try {
    const [firestorePort, pubsubPort] = await freePorts(2);
    const emulatorsStarting = Promise.allSettled([
      startGcloudEmulator("firestore", { port: firestorePort }),
      startGcloudEmulator("pubsub", { port: pubsubPort }),
    ]);
    // Bundling (~1.5 s, synchronous) overlaps the emulators' JVM start-up.
    const bundles = catalog.map((definition) => ({ definition, bundle: bundleFunction(definition, "gcp") }));
    const emulators = await emulatorsStarting;
    for (const result of emulators) if (result.status === "fulfilled") stoppers.push(result.value.stop);
    const failed = emulators.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed) throw failed.reason;
    const [firestore, pubsub] = emulators.map((result) => (result as PromiseFulfilledResult<RunningEmulator>).value);
    log(`Firestore emulator ready on ${firestore.host} in ${(firestore.startupMs / 1000).toFixed(1)} s`);
    log(`Pub/Sub emulator ready on ${pubsub.host} in ${(pubsub.startupMs / 1000).toFixed(1)} s`);

    // An explicit universe domain spares the client a metadata-server probe (~3 s) for credentials it does not use.
    const client = new PubSub({ projectId: LOCAL_PROJECT, apiEndpoint: pubsub.host, emulatorMode: true, universeDomain: "googleapis.com" });
    stoppers.push(() => client.close());
    const topicsCreated = Promise.all([client.createTopic(EVENTS_TOPIC), client.createTopic(DEAD_LETTER_TOPIC)]);

    const env: GcpStack["env"] = {};
    const functions: GcpStack["functions"] = {};
    const serving = Promise.allSettled(
      bundles.map(async ({ definition, bundle }) => {
        env[definition.name] = {
          ...functionEnvironment(definition.trigger.kind === "http", options.apiKey),
          FIRESTORE_EMULATOR_HOST: firestore.host,
          PUBSUB_EMULATOR_HOST: pubsub.host,
          // No metadata server on this machine: skip the client libraries' probe for one.
          METADATA_SERVER_DETECTION: "none",
        };
        const served = await serveFunction({ bundleFile: bundle.file, target: entryPointName(definition.name), env: env[definition.name] });
        stoppers.push(served.stop);
        functions[definition.name] = served;
        log(`${definition.name} (Functions Framework) on ${served.url}, ready in ${(served.startupMs / 1000).toFixed(1)} s`);
      }),
    );
    const [[eventsTopic], [deadLetterTopic]] = await topicsCreated;
    const servingFailed = (await serving).find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (servingFailed) throw servingFailed.reason;
    return { projectId: LOCAL_PROJECT, firestore, pubsub, client, eventsTopic, deadLetterTopic, functions, env, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** What the component sets on each function (the API key arrives as a secret env var there). */
function functionEnvironment(isHttp: boolean, apiKey: string): Record<string, string> {
  return {
    GOOGLE_CLOUD_PROJECT: LOCAL_PROJECT,
    FIRESTORE_DATABASE: LOCAL_DATABASE,
    PARITY_PLATFORM: "gcp",
    ...(isHttp ? { EVENTS_TOPIC, API_KEY: apiKey } : {}),
  };
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

export interface PushDispatcher {
  pending(): number;
  deadLettered(): number;
  stop(): Promise<void>;
}

/**
 * Plays a push subscription with a dead-letter policy (see the file comment): pulls from
 * `subscriptionName` and POSTs each message to `endpoint`, up to `concurrency` at a time.
 */
export async function startPushDispatcher(options: {
  client: PubSub;
  topic: Topic;
  deadLetterTopic: Topic;
  subscriptionName: string;
  endpoint: string;
  maxDeliveryAttempts: number;
  concurrency: number;
  /** Ack deadline, seconds (the worker's timeout on GCP); also the request timeout here. */
  ackDeadlineSeconds: number;
  log?: (line: string) => void;
}): Promise<PushDispatcher> {
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

/**
 * The push subscription's knobs for a queue function's settings, decided by the component's
 * mapping: maxDeliveryAttempts (5–100), ack deadline (10–600 s, also the push request
 * timeout) and how many pushes may be outstanding (max instances × per-instance concurrency).
 */
export function localPushDelivery(functionName: string, settings: FunctionSettings): {
  maxDeliveryAttempts: number;
  ackDeadlineSeconds: number;
  concurrency: number;
} {
  const native = gcpSettingsFor(functionName, true, settings, new SettingDecisions("gcp"));
  return {
    maxDeliveryAttempts: native.queue!.maxDeliveryAttempts,
    ackDeadlineSeconds: native.queue!.ackDeadlineSeconds,
    concurrency: native.maxInstanceCount * native.maxInstanceRequestConcurrency,
  };
}

/** `npm start`'s Google Cloud: the stack plus automatic push delivery to the worker. */
export const startLocal: StartLocal = async (options) => {
  const missing = gcloudEmulatorsMissing();
  if (missing) throw new Error(`gcp: ${missing}`);
  const stack = await startGcpStack({ apiKey: options.apiKey, log: options.log });
  try {
    const workerDefinition = catalog.find((fn) => fn.trigger.kind === "queue");
    const httpDefinition = catalog.find((fn) => fn.trigger.kind === "http");
    let dispatcher: PushDispatcher | undefined;
    if (workerDefinition) {
      dispatcher = await startPushDispatcher({
        client: stack.client,
        topic: stack.eventsTopic,
        deadLetterTopic: stack.deadLetterTopic,
        subscriptionName: PUSH_SUBSCRIPTION,
        endpoint: stack.functions[workerDefinition.name].url,
        ...localPushDelivery(workerDefinition.name, options.settings[workerDefinition.name]),
        log: options.log,
      });
    }
    const platform: LocalPlatform = {
      platform: "gcp",
      url: stack.functions[httpDefinition!.name].url,
      description: "Functions Framework 5 + Firestore emulator + Pub/Sub emulator (push and dead-lettering played by the launcher)",
      async queueDepth() {
        return { pending: dispatcher?.pending() ?? 0, deadLettered: dispatcher?.deadLettered() ?? 0 };
      },
      async stop() {
        await dispatcher?.stop().catch(() => undefined);
        await stack.stop();
      },
    };
    return platform;
  } catch (error) {
    await stack.stop();
    throw error;
  }
};
