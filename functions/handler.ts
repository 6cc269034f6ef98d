/**
 * The portable function: what a team writes once and parity runs on all four platforms.
 * One module per function, its default export one of
 * - an HTTP handler, web-standard: `export default { fetch(request, ctx) }` → Response;
 * - a queue handler, a batch in and one outcome per message out (the contract of
 *   functions/core/queue-worker.ts): `export default { queue(messages, ctx) }`;
 * - a schedule handler, a plain function: `export default async function (ctx) {}`.
 * One generic driver per platform (functions/<platform>/driver.ts) adapts each kind to the
 * platform's native shape; the bundler generates the entry that joins the two
 * (components/bundle.ts). No cloud SDK and no Node-only API here: Workers load it too.
 */
import type { MessageOutcome, QueueMessage } from "./core/queue-worker";

export type { MessageOutcome, QueueMessage };

/** What every handler gets besides its input. */
export interface HandlerContext {
  /** The platform running the function: `aws`, `gcp`, `azure` or `cloudflare`. */
  platform: string;
  /** The function's catalog name. */
  functionName: string;
  /** The platform's id of this invocation, where it gives one (Lambda request id, trace id, invocation id, cf-ray). */
  requestId?: string;
  /**
   * The function's settings: `process.env` on Lambda, Cloud Functions and Azure; the Worker's
   * `env` (bindings and plain-text vars) on Workers, the same object for every request of an isolate.
   */
  env: Record<string, unknown>;
  /** Milliseconds left before the platform stops this invocation, where the platform says (Lambda); undefined elsewhere. */
  remainingMs(): number | undefined;
}

/** The HTTP handler: a web-standard fetch handler. */
export interface FetchHandler {
  fetch(request: Request, ctx: HandlerContext): Response | Promise<Response>;
}

/**
 * One message's outcome: the core worker's (`welcomed`, `duplicate`, `poison`, `retry`) or a
 * plain `done`. `poison` and `retry` are failures: the platform redelivers the message and
 * dead-letters it after the function's `maxAttempts`; everything else is settled.
 */
export type QueueOutcome = MessageOutcome | { id: string; status: "done" };

/** The queue handler: every message of a batch answered by id, in any order, one failure never failing the others. */
export interface QueueHandler {
  queue(messages: QueueMessage[], ctx: HandlerContext): Promise<QueueOutcome[]>;
}

/** The schedule handler: one run per tick; a thrown error marks the run failed (the next tick is the retry). */
export type ScheduleHandler = (ctx: HandlerContext & { scheduledTime: Date }) => unknown;

export function isFailedOutcome(outcome: QueueOutcome): boolean {
  return outcome.status === "poison" || outcome.status === "retry";
}

/** What a handler module's default export must be for each trigger kind; a wrong one fails when the bundle loads, naming the function. */
export function fetchHandlerOf(functionName: string, exported: unknown): FetchHandler {
  if (typeof (exported as FetchHandler | undefined)?.fetch !== "function") throw handlerShapeError(functionName, "an object with fetch(request, ctx)");
  return exported as FetchHandler;
}

export function queueHandlerOf(functionName: string, exported: unknown): QueueHandler {
  if (typeof (exported as QueueHandler | undefined)?.queue !== "function") throw handlerShapeError(functionName, "an object with queue(messages, ctx)");
  return exported as QueueHandler;
}

export function scheduleHandlerOf(functionName: string, exported: unknown): ScheduleHandler {
  if (typeof exported !== "function") throw handlerShapeError(functionName, "a function (ctx) => …");
  return exported as ScheduleHandler;
}

function handlerShapeError(functionName: string, expected: string): Error {
  return new TypeError(`function "${functionName}": the handler module's default export must be ${expected}`);
}

/**
 * The outcome for each message, in the batch's order: a message the handler did not answer
 * is a failure to retry, never silently settled.
 */
export function outcomesInOrder(messages: readonly QueueMessage[], outcomes: readonly QueueOutcome[]): QueueOutcome[] {
  const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
  return messages.map((message) => byId.get(message.id) ?? { id: message.id, status: "retry", reason: "the queue handler returned no outcome for this message" });
}

/** The context of one invocation. */
export function handlerContext(platform: string, functionName: string, env: Record<string, unknown>, requestId?: string, remainingMs: () => number | undefined = () => undefined): HandlerContext {
  return { platform, functionName, env, requestId, remainingMs };
}
