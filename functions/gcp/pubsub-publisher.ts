/** Publishes `user.created` to the events topic (`EVENTS_TOPIC`) on Pub/Sub. */
import { PubSub } from "@google-cloud/pubsub";
import type { EventPublisher } from "../core";

export function createPubSubPublisher(options: { projectId?: string; topic: string; timeoutMs?: number }): EventPublisher {
  const pubsub = new PubSub({ projectId: options.projectId });
  // One message per publish call: batching would delay the response by its max latency.
  // `timeout` bounds the call with its retries (the client's default total is 600 s), so an
  // unreachable Pub/Sub fails the publish while the function can still answer.
  const topic = pubsub.topic(options.topic, { batching: { maxMessages: 1 }, ...(options.timeoutMs ? { gaxOpts: { timeout: options.timeoutMs } } : {}) });
  return {
    async publish(event) {
      await topic.publishMessage({
        data: Buffer.from(JSON.stringify(event)),
        attributes: { type: event.type, eventId: event.eventId },
      });
    },
  };
}
