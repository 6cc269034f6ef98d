/** EventPublisher on a Queues producer binding. */
import type { EventPublisher } from "../core";
import type { QueueProducer } from "./bindings";

export function createQueuePublisher(queue: QueueProducer): EventPublisher {
  return {
    async publish(event) {
      // JSON text, so every consumer (and the dashboard) sees exactly what was published.
      await queue.send(JSON.stringify(event), { contentType: "text" });
    },
  };
}
