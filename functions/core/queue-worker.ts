/**
 * The queue worker as `(messages) -> per-message outcome`. Drivers turn the outcomes into
 * their platform's partial-failure contract (SQS batchItemFailures, Pub/Sub nack,
 * Azure throw, Workers retry()).
 */
import type { Logger } from "./log";
import type { UserStore } from "./ports";
import { parseUserCreatedEvent } from "./validation";

/** One queue message as every platform can present it. */
export interface QueueMessage {
  /** The platform's message id: what a partial-failure report names. */
  id: string;
  /** The raw body, as published (JSON text). */
  body: string;
  /** How many times the platform has delivered it, counting this one, where known. */
  attempt?: number;
}

/**
 * - `welcomed`: the user was marked welcomed now.
 * - `duplicate`: a redelivery; the user had been welcomed already, nothing changed.
 * - `poison`: the message can never succeed (malformed); reported failed so the platform
 *   retries it up to maxAttempts and then dead-letters it, where a human can look.
 * - `retry`: a transient failure (store error, user not visible yet); reported failed.
 */
export type MessageOutcome =
  | { id: string; status: "welcomed" | "duplicate" }
  | { id: string; status: "poison" | "retry"; reason: string };

export interface QueueWorkerDeps {
  store: UserStore;
  logger: Logger;
  now?: () => Date;
}

export interface QueueWorker {
  /** Processes every message independently; one failure never fails the others. */
  processBatch(messages: QueueMessage[], invocation?: { requestId?: string }): Promise<MessageOutcome[]>;
}

export function isFailure(outcome: MessageOutcome): boolean {
  return outcome.status === "poison" || outcome.status === "retry";
}

export function createQueueWorker(deps: QueueWorkerDeps): QueueWorker {
  const now = deps.now ?? (() => new Date());

  async function processOne(message: QueueMessage, log: Logger): Promise<MessageOutcome> {
    const parsed = parseUserCreatedEvent(message.body);
    if (!parsed.ok) {
      return { id: message.id, status: "poison", reason: `malformed user.created: ${JSON.stringify(parsed.fields)}` };
    }
    const { userId, eventId } = parsed.value;
    try {
      const result = await deps.store.markWelcomed(userId, now().toISOString());
      if (result === "not-found") {
        // The API stores the user before publishing, so this is a lagging replica or a
        // forged event: retry, and let maxAttempts dead-letter it if it never appears.
        return { id: message.id, status: "retry", reason: `user ${userId} not found (event ${eventId})` };
      }
      return { id: message.id, status: result === "welcomed" ? "welcomed" : "duplicate" };
    } catch (error) {
      log.error("store failed while welcoming", { messageId: message.id, userId, error });
      return { id: message.id, status: "retry", reason: `store error: ${(error as Error).message}` };
    }
  }

  return {
    async processBatch(messages, invocation = {}) {
      const log = deps.logger.forInvocation(invocation.requestId ?? crypto.randomUUID());
      const outcomes = await Promise.all(messages.map((message) => processOne(message, log)));
      for (const [index, outcome] of outcomes.entries()) {
        const fields = { messageId: outcome.id, attempt: messages[index].attempt, status: outcome.status };
        if (isFailure(outcome)) log.warn("message failed", { ...fields, reason: (outcome as { reason: string }).reason });
        else log.info("message processed", fields);
      }
      log.info("batch processed", {
        size: messages.length,
        failed: outcomes.filter(isFailure).length,
      });
      return outcomes;
    },
  };
}
