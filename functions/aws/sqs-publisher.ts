/** The events publisher on SQS: one message per event, the event's JSON as the body. */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { EventPublisher } from "../core";

export interface SqsPublisherOptions {
  client: SQSClient;
  queueUrl: string;
}

export function createSqsPublisher({ client, queueUrl }: SqsPublisherOptions): EventPublisher {
  return {
    async publish(event) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: sqsMessageBody(event),
          // Lets a consumer route without parsing the body.
          MessageAttributes: { type: { DataType: "String", StringValue: event.type } },
        }),
      );
    },
  };
}

/**
 * The event's JSON with characters beyond the BMP written as `\\uXXXX` escapes: the same JSON
 * value, in characters every SQS accepts. SQS allows #x10000–#x10FFFF
 * (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sqs/aws.sdk.kotlin.services.sqs.model/-send-message-request/message-body.html,
 * read 2026-11-30) but the local emulator (fauxqs 1.9.2) refuses them with InvalidMessageContents,
 * so a user with an emoji in the email was never welcomed locally (found by `npm run reliability`).
 */
export function sqsMessageBody(event: unknown): string {
  return JSON.stringify(event).replace(/[\u{10000}-\u{10FFFF}]/gu, (pair) =>
    [pair.charCodeAt(0), pair.charCodeAt(1)].map((unit) => `\\u${unit.toString(16)}`).join(""),
  );
}
