/** Publishes `user.created` to the events topic (`EVENTS_TOPIC`) on Pub/Sub. */
import { PubSub } from "@google-cloud/pubsub";
import type { EventPublisher } from "../core";

export function createPubSubPublisher(options: { projectId?: string; topic: string }): EventPublisher {
  const pubsub = new PubSub({ projectId: options.projectId });
  // One message per publish call: batching would delay the response by its max latency.
  const topic = pubsub.topic(options.topic, { batching: { maxMessages: 1 } });
  return {
    async publish(event) {
      await topic.publishMessage({
        data: Buffer.from(JSON.stringify(event)),
        attributes: { type: event.type, eventId: event.eventId },
      });
    },
  };
}
