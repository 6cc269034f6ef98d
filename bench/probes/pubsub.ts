/** Probe: the Pub/Sub client by itself, what a Google Cloud bundle pays for it at load. */
import { PubSub } from "@google-cloud/pubsub";

export const topic = new PubSub({ projectId: "parity-bench" }).topic("events");
