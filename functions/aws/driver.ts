/**
 * The generic Lambda driver: adapts a portable handler (functions/handler.ts) to Lambda's
 * native shapes, one adapter per trigger kind. The bundler's generated entry calls one of
 * them with the function's module and exports the result as `handler` (AWS_HANDLER_EXPORT).
 * - http: API Gateway HTTP API, payload format 2.0 (./http-api.ts);
 * - queue: an SQS event source mapping with ReportBatchItemFailures (./sqs-event.ts);
 * - schedule: EventBridge Scheduler's templated input (./scheduler-event.ts).
 */
import { fetchHandlerOf, handlerContext, outcomesInOrder, queueHandlerOf, scheduleHandlerOf, type HandlerContext } from "../handler";
import { httpApiResultFromResponse, requestFromHttpApiEvent, type HttpApiEvent, type HttpApiResult } from "./http-api";
import type { LambdaContext } from "./lambda-context";
import type { SchedulerEvent } from "./scheduler-event";
import { queueMessagesFromSqsEvent, sqsBatchResponseFromOutcomes, type SqsBatchResponse, type SqsEvent } from "./sqs-event";

function contextOf(name: string, requestId: string | undefined, context: LambdaContext | undefined): HandlerContext {
  return handlerContext("aws", name, process.env, requestId, () => context?.getRemainingTimeInMillis?.());
}

export function http(name: string, exported: unknown): (event: HttpApiEvent, context?: LambdaContext) => Promise<HttpApiResult> {
  const app = fetchHandlerOf(name, exported);
  return async (event, context) => {
    const requestId = context?.awsRequestId ?? event.requestContext.requestId;
    return httpApiResultFromResponse(await app.fetch(requestFromHttpApiEvent(event), contextOf(name, requestId, context)));
  };
}

/** Returns exactly the failed message ids: SQS redelivers only those, and dead-letters them after the queue's maxReceiveCount. */
export function queue(name: string, exported: unknown): (event: SqsEvent, context?: LambdaContext) => Promise<SqsBatchResponse> {
  const app = queueHandlerOf(name, exported);
  return async (event, context) => {
    const messages = queueMessagesFromSqsEvent(event);
    const outcomes = await app.queue(messages, contextOf(name, context?.awsRequestId, context));
    return sqsBatchResponseFromOutcomes(outcomesInOrder(messages, outcomes));
  };
}

/** A failed run is not retried (the component sets no async retries): the next tick is the retry. */
export function schedule(name: string, exported: unknown): (event: SchedulerEvent, context?: LambdaContext) => Promise<unknown> {
  const run = scheduleHandlerOf(name, exported);
  return async (event, context) => {
    const scheduledTime = event?.scheduledTime ? new Date(event.scheduledTime) : new Date();
    return run({ ...contextOf(name, context?.awsRequestId ?? event?.executionId, context), scheduledTime });
  };
}
