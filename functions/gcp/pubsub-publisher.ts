/** Publishes `user.created` to the events topic (`EVENTS_TOPIC`) on Pub/Sub. */
import { once, type EventPublisher } from "../core";

/**
 * The client is loaded on the first publish, not at module load: reads never publish, and the
 * Pub/Sub client alone loads in about 3× the AWS users-api bundle (`npm run bench`).
 */
export function createPubSubPublisher(options: { projectId?: string; topic: string; timeoutMs?: number }): EventPublisher {
  const topic = once(async () => {
    const { PubSub } = await import("@google-cloud/pubsub");
    const pubsub = new PubSub({ projectId: options.projectId });
    // One message per publish call: batching would delay the response by its max latency.
    // `timeout` bounds the call with its retries (the client's default total is 600 s), so an
    // unreachable Pub/Sub fails the publish while the function can still answer.
    return pubsub.topic(options.topic, { batching: { maxMessages: 1 }, ...(options.timeoutMs ? { gaxOpts: { timeout: options.timeoutMs } } : {}) });
  });
  return {
    async publish(event) {
      await (await topic()).publishMessage({
        data: Buffer.from(JSON.stringify(event)),
        attributes: { type: event.type, eventId: event.eventId },
      });
    },
  };
}
