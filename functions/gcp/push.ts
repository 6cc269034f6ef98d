/**
 * The Pub/Sub push contract (https://cloud.google.com/pubsub/docs/push): one message per
 * HTTP POST, wrapped in an envelope; a 102/200/201/202/204 answer acks it, anything else
 * nacks it, and Pub/Sub redelivers until the subscription's dead-letter policy moves it to
 * the dead-letter topic after `maxDeliveryAttempts`.
 */
import type { QueueMessage } from "../core";
import type { QueueOutcome } from "../handler";

/** The push request body as Pub/Sub sends it (snake_case duplicates included). */
export interface PushEnvelope {
  message: {
    data?: string;
    attributes?: Record<string, string>;
    messageId?: string;
    message_id?: string;
    publishTime?: string;
    publish_time?: string;
  };
  subscription: string;
  /** Present only when the subscription has a dead-letter policy. */
  deliveryAttempt?: number;
}

export type ParsedPush = { ok: true; message: QueueMessage; deadLettering: boolean } | { ok: false; reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Validates a push request body and turns it into the core's queue message. */
export function parsePushEnvelope(body: unknown): ParsedPush {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, reason: "the body is not a push envelope object" };
  const envelope = body as Partial<PushEnvelope>;
  const message = envelope.message;
  if (typeof message !== "object" || message === null) return { ok: false, reason: "message is missing" };
  if (typeof envelope.subscription !== "string" || envelope.subscription === "") return { ok: false, reason: "subscription is missing" };
  const id = message.messageId ?? message.message_id;
  if (typeof id !== "string" || id === "") return { ok: false, reason: "message.messageId is missing" };
  const data = message.data ?? "";
  if (typeof data !== "string" || data.length % 4 !== 0 || !BASE64.test(data)) return { ok: false, reason: "message.data is not base64" };
  const attempt = envelope.deliveryAttempt;
  if (attempt !== undefined && (!Number.isInteger(attempt) || attempt < 1)) return { ok: false, reason: "deliveryAttempt is not a positive integer" };
  return {
    ok: true,
    message: { id, body: Buffer.from(data, "base64").toString("utf8"), attempt },
    deadLettering: attempt !== undefined,
  };
}

/** What the worker answers for one outcome: 2xx acks, anything else nacks. */
export interface PushAnswer {
  status: number;
  ack: boolean;
}

/**
 * - welcomed / duplicate / done: 204, acked.
 * - retry (store error, user not visible yet): 503, nacked; Pub/Sub retries with backoff.
 * - poison: 400, nacked, so that the dead-letter policy moves it to the dead-letter topic
 *   after maxDeliveryAttempts, where a human can look. Without a dead-letter policy
 *   (no `deliveryAttempt` in the envelope) a nack would be redelivered until the retention
 *   period ends, so the poison message is acked and logged instead: never retried forever.
 */
export function answerFor(outcome: QueueOutcome, deadLettering: boolean): PushAnswer {
  switch (outcome.status) {
    case "welcomed":
    case "duplicate":
    case "done":
      return { status: 204, ack: true };
    case "retry":
      return { status: 503, ack: false };
    case "poison":
      return deadLettering ? { status: 400, ack: false } : { status: 204, ack: true };
  }
}
