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
          MessageBody: JSON.stringify(event),
          // Lets a consumer route without parsing the body.
          MessageAttributes: { type: { DataType: "String", StringValue: event.type } },
        }),
      );
    },
  };
}
