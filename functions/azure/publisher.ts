/** EventPublisher on an Azure Storage Queue. */
import { QueueClient, type StorageRetryOptions } from "@azure/storage-queue";
import type { EventPublisher } from "../core";
import { azureEnv, requireSetting, type Env } from "./contract";
import { managedIdentity, serviceUri } from "./storage";

/**
 * A publish gives up within a few seconds. The SDK's default (4 tries from a 4 s exponential
 * delay, @azure/storage-common DEFAULT_RETRY_OPTIONS; 16 s measured against a refused port)
 * would outlast users-api's 10 s timeout, and a failed publish is no longer lost: the
 * reconciler re-publishes it. Worst case here: 2 tries × 3 s + 0.2 s.
 */
export const PUBLISH_RETRY: StorageRetryOptions = { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1_000, tryTimeoutInMs: 3_000 };

/** The events queue: Azurite by connection string locally, the managed identity in Azure. */
export function eventsQueueClient(env: Env = process.env): QueueClient {
  const queueName = requireSetting(env, azureEnv.eventsQueue);
  const local = env[azureEnv.localConnectionString];
  if (local) return new QueueClient(local, queueName, { retryOptions: PUBLISH_RETRY });
  return new QueueClient(`${serviceUri(env, "queue")}/${queueName}`, managedIdentity(env), { retryOptions: PUBLISH_RETRY });
}

/**
 * The queue trigger base64-decodes messages by default (host.json
 * `extensions.queues.messageEncoding`, default "base64":
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json),
 * and the v12 SDK sends text as-is, so the publisher encodes.
 */
export function encodeQueueMessage(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

export function decodeQueueMessage(text: string): string {
  return Buffer.from(text, "base64").toString("utf8");
}

export function createQueuePublisher(queue: () => Promise<QueueClient>): EventPublisher {
  return {
    async publish(event) {
      await (await queue()).sendMessage(encodeQueueMessage(JSON.stringify(event)));
    },
  };
}
