/**
 * The platform facts `npm run choose` reasons with. Every value is imported from the rules
 * module the components deploy with (never copied), paired with the source URL that module
 * cites beside it, so a verdict can cite its source as data. A test checks that each value is
 * the rules module's own and that each URL appears in that module.
 */
import { awsLimits } from "../components/aws/rules";
import { ACK_DEADLINE_RANGE, MAX_DELIVERY_ATTEMPTS_RANGE, MAX_HTTP_TIMEOUT_SECONDS, MAX_REQUEST_CONCURRENCY, memoryTiers } from "../components/gcp/rules";
import { azureLimits } from "../components/azure/rules";
import { cloudflareLimits } from "../components/cloudflare/rules";
import { allowedEveryMinutes } from "../components/schedule";
import { settingRanges } from "../components/config";

/** A value from a rules module and where the provider documents it. */
export interface Fact<T> {
  readonly value: T;
  /** The provider's page, as the rules module cites it. */
  source: string;
  /** The module the value is imported from. */
  module: string;
}

/**
 * `read` is called on every use, so a fact is the module's current value, never a copy taken
 * at import (a primitive such as a timeout would otherwise be copied).
 */
const fact = <T>(module: string, read: () => T, source: string): Fact<T> => ({
  get value() {
    return read();
  },
  source,
  module,
});

const aws = "components/aws/rules.ts";
const gcp = "components/gcp/rules.ts";
const azure = "components/azure/rules.ts";
const cloudflare = "components/cloudflare/rules.ts";
const schedule = "components/schedule.ts";

export const awsFacts = {
  memoryMb: fact(aws, () => awsLimits.memoryMb, "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"),
  timeoutSeconds: fact(aws, () => awsLimits.timeoutSeconds, "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"),
  httpIntegrationTimeoutSeconds: fact(aws, () => awsLimits.httpIntegrationTimeoutSeconds, "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html"),
  sqsBatchSize: fact(aws, () => awsLimits.sqsBatchSize, "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html"),
  maxReceiveCount: fact(aws, () => awsLimits.maxReceiveCount, "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"),
  unreservedConcurrencyFloor: fact(aws, () => awsLimits.unreservedConcurrencyFloor, "https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html#concurrency-quotas"),
  schedule: fact(schedule, () => "EventBridge Scheduler cron", "https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based"),
} as const;

export const gcpFacts = {
  memoryTiers: fact(gcp, () => memoryTiers, "https://cloud.google.com/functions/docs/configuring/memory"),
  httpTimeoutSeconds: fact(gcp, () => MAX_HTTP_TIMEOUT_SECONDS, "https://cloud.google.com/functions/docs/configuring/timeout"),
  ackDeadlineSeconds: fact(gcp, () => ACK_DEADLINE_RANGE, "https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions"),
  maxDeliveryAttempts: fact(gcp, () => MAX_DELIVERY_ATTEMPTS_RANGE, "https://cloud.google.com/pubsub/docs/dead-letter-topics"),
  maxRequestConcurrency: fact(gcp, () => MAX_REQUEST_CONCURRENCY, "https://cloud.google.com/functions/docs/configuring/concurrency"),
  // Pub/Sub push sends one message per request (GcpQueueSettings.messagesPerRequest).
  pushMessagesPerRequest: fact(gcp, () => 1, "https://cloud.google.com/pubsub/docs/push"),
  schedule: fact(schedule, () => "Cloud Scheduler unix cron", "https://cloud.google.com/scheduler/docs/configuring/cron-job-schedules"),
} as const;

export const azureFacts = {
  instanceMemoryMb: fact(azure, () => azureLimits.instanceMemoryMb, "https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#instance-memory"),
  maximumInstanceCount: fact(azure, () => azureLimits.maximumInstanceCount, "https://learn.microsoft.com/azure/azure-functions/event-driven-scaling#limit-scale-out"),
  httpResponseSeconds: fact(azure, () => azureLimits.httpResponseSeconds, "https://learn.microsoft.com/azure/azure-functions/functions-scale#timeout"),
  queueBatchSize: fact(azure, () => azureLimits.queueBatchSize, "https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json"),
  schedule: fact(schedule, () => "timer trigger NCRONTAB", "https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions"),
} as const;

export const cloudflareFacts = {
  memoryMb: fact(cloudflare, () => cloudflareLimits.memoryMb, "https://developers.cloudflare.com/workers/platform/limits/#memory"),
  cpuMs: fact(cloudflare, () => cloudflareLimits.cpuMs, "https://developers.cloudflare.com/changelog/2025-03-25-higher-cpu-limits/"),
  queue: fact(cloudflare, () => cloudflareLimits.queue, "https://developers.cloudflare.com/queues/platform/limits/"),
  // The rules module records "no per-script concurrency cap for HTTP requests" as a plan warning.
  httpConcurrency: fact(cloudflare, () => "unlimited", "https://developers.cloudflare.com/workers/platform/limits/"),
  schedule: fact(schedule, () => "Workers cron trigger", "https://developers.cloudflare.com/workers/configuration/cron-triggers/"),
} as const;

/** parity's own rules, the same on every platform. */
export const parityFacts = {
  everyMinutes: fact(schedule, () => allowedEveryMinutes, "components/schedule.ts"),
  /** The portable bound of the stack config's reservedConcurrency. */
  reservedConcurrency: fact("components/config.ts", () => settingRanges.reservedConcurrency, "components/config.ts (settingRanges)"),
} as const;

export const facts = { aws: awsFacts, gcp: gcpFacts, azure: azureFacts, cloudflare: cloudflareFacts, parity: parityFacts } as const;
