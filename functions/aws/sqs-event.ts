/**
 * SQS event source mapping, on the Lambda side: records become the core's queue messages
 * and the core's outcomes become a partial batch response, so only the failed messages
 * return to the queue (the mapping has `FunctionResponseTypes: ["ReportBatchItemFailures"]`).
 * Record shape: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 * Partial batch response: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import type { QueueMessage } from "../core";
import { isFailedOutcome, type QueueOutcome } from "../handler";

export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
    [name: string]: string;
  };
  messageAttributes: Record<string, unknown>;
  md5OfBody: string;
  eventSource: "aws:sqs";
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

/** The partial batch response: the ids of the messages to leave on the queue. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export function queueMessagesFromSqsEvent(event: SqsEvent): QueueMessage[] {
  return event.Records.map((record) => {
    const attempt = Number(record.attributes?.ApproximateReceiveCount);
    return { id: record.messageId, body: record.body, ...(Number.isInteger(attempt) && attempt > 0 ? { attempt } : {}) };
  });
}

export function sqsBatchResponseFromOutcomes(outcomes: QueueOutcome[]): SqsBatchResponse {
  return { batchItemFailures: outcomes.filter(isFailedOutcome).map((outcome) => ({ itemIdentifier: outcome.id })) };
}
