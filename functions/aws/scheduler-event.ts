/**
 * EventBridge Scheduler, on the Lambda side. Scheduler invokes a Lambda target asynchronously
 * with the target's `Input` as the payload
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html); the component
 * sets that input to this template, whose `<aws.scheduler.…>` keywords Scheduler replaces with
 * the run's values on every invocation
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 * The local scheduler fills the same template the same way.
 */

/** The payload the reconciler receives. */
export interface SchedulerEvent {
  source: "aws.scheduler";
  scheduleArn: string;
  /** When the schedule was due, e.g. 2022-03-22T18:59:43Z. */
  scheduledTime: string;
  /** Unique per attempted invocation. */
  executionId: string;
  /** 1 for the first attempt (text, as Scheduler substitutes it). */
  attemptNumber: string;
}

const contextAttributes = {
  scheduleArn: "<aws.scheduler.schedule-arn>",
  scheduledTime: "<aws.scheduler.scheduled-time>",
  executionId: "<aws.scheduler.execution-id>",
  attemptNumber: "<aws.scheduler.attempt-number>",
} as const;

/** The schedule target's `Input`: well-formed JSON, as a templated Lambda target requires (API_Target, Input). */
export const SCHEDULER_INPUT_TEMPLATE = JSON.stringify({ source: "aws.scheduler", ...contextAttributes });

/** The payload Scheduler delivers for one run: the template with each keyword replaced. */
export function schedulerEventFor(values: Omit<SchedulerEvent, "source">): SchedulerEvent {
  let payload: string = SCHEDULER_INPUT_TEMPLATE;
  for (const [field, keyword] of Object.entries(contextAttributes)) payload = payload.replace(keyword, values[field as keyof typeof contextAttributes]);
  return JSON.parse(payload) as SchedulerEvent;
}
