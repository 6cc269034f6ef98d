/**
 * The generic Workers driver (module syntax): adapts a portable handler (functions/handler.ts)
 * to the Worker's default export, one adapter per trigger kind; the handler's `ctx.env` is the
 * Worker's `env` (its bindings), the same object for every request of an isolate.
 * - http: `fetch(request, env, ctx)`; the request id is the `cf-ray` header;
 * - queue: `queue(batch, env, ctx)`, settling each message explicitly: ack() when settled, retry()
 *   when it failed, so one bad message never redelivers the others and Queues dead-letters it after
 *   max_retries (https://developers.cloudflare.com/queues/configuration/javascript-apis/);
 * - schedule: `scheduled(controller, env, ctx)` for a Cron Trigger, resolved when the run has finished
 *   (awaited, not waitUntil: a thrown error marks the invocation failed)
 *   (https://developers.cloudflare.com/workers/runtime-apis/handlers/scheduled/).
 */
import { fetchHandlerOf, handlerContext, isFailedOutcome, outcomesInOrder, queueHandlerOf, scheduleHandlerOf, type HandlerContext, type QueueMessage } from "../handler";
import type { ExecutionContext, MessageBatch, ScheduledController } from "./bindings";

type Env = Record<string, unknown>;

const contextOf = (name: string, env: Env, requestId?: string): HandlerContext => handlerContext("cloudflare", name, env, requestId);

export function http(name: string, exported: unknown): { fetch(request: Request, env: Env, ctx?: ExecutionContext): Promise<Response> } {
  const app = fetchHandlerOf(name, exported);
  return { fetch: async (request, env) => app.fetch(request, contextOf(name, env, request.headers.get("cf-ray") ?? undefined)) };
}

export function queue(name: string, exported: unknown): { queue(batch: MessageBatch, env: Env, ctx?: ExecutionContext): Promise<void> } {
  const app = queueHandlerOf(name, exported);
  return {
    async queue(batch, env) {
      const messages: QueueMessage[] = batch.messages.map((m) => ({ id: m.id, body: bodyText(m.body), attempt: m.attempts }));
      const outcomes = outcomesInOrder(messages, await app.queue(messages, contextOf(name, env)));
      outcomes.forEach((outcome, index) => {
        if (isFailedOutcome(outcome)) batch.messages[index].retry();
        else batch.messages[index].ack();
      });
    },
  };
}

export function schedule(name: string, exported: unknown): { scheduled(controller: ScheduledController, env: Env, ctx?: ExecutionContext): Promise<void> } {
  const run = scheduleHandlerOf(name, exported);
  return {
    async scheduled(controller, env) {
      const scheduledTime = new Date(controller.scheduledTime);
      await run({ ...contextOf(name, env, `${controller.cron}@${scheduledTime.toISOString()}`), scheduledTime });
    },
  };
}

/** Bodies arrive as published: text from parity's publisher; anything else is serialised for the handler. */
export function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new TextDecoder().decode(body as ArrayBuffer);
  return JSON.stringify(body);
}
