/**
 * The local scheduler: fires a schedule function at the times its platform's own expression
 * says (parsed from the expression a deploy sets, through components/schedule.ts, so the
 * translation itself is exercised), in UTC. The launcher supplies `fire`, which invokes the
 * real bundle the way that platform's scheduler does.
 */
import { Cron } from "croner";
import { cronerPattern, type CronDialect } from "../components/schedule";

export interface LocalSchedule {
  function: string;
  /** The expression in the platform's dialect, as a deploy sets it. */
  expression: string;
  /** The next fire times (ISO, UTC) computed from that expression. */
  next(count: number, from?: Date): string[];
  /** Fires once now, as the scheduler would at `scheduledTime` (default: now). */
  fireNow(scheduledTime?: Date): Promise<void>;
  stop(): void;
}

export function startLocalSchedule(options: {
  function: string;
  dialect: CronDialect;
  expression: string;
  fire: (scheduledTime: Date) => Promise<void>;
  onError?: (error: Error) => void;
}): LocalSchedule {
  const pattern = cronerPattern(options.dialect, options.expression);
  const run = async (scheduledTime: Date) => {
    try {
      await options.fire(scheduledTime);
    } catch (error) {
      options.onError?.(error as Error);
    }
  };
  // protect: a run still going when the next tick comes is not overlapped locally.
  // croner's currentRun() is when its timer fired (a few ms after the occurrence, more on a busy
  // machine); every platform hands the function the occurrence itself, so that is delivered.
  const job = new Cron(pattern, { timezone: "UTC", protect: true }, () => run(occurrenceAt(pattern, new Date())));
  return {
    function: options.function,
    expression: options.expression,
    // Stryker disable next-line BooleanLiteral: croner starts a job's timer only when it is given a function (its constructor: `fn !== undefined && isFunction(fn) && (this.fn = fn, this.schedule())`), so this function-less Cron never fires whether paused or not; nextRuns reads the pattern only
    next: (count, from) => new Cron(pattern, { timezone: "UTC", paused: true }).nextRuns(count, from ?? new Date()).map((d) => d.toISOString()),
    fireNow: (scheduledTime = new Date()) => options.fire(scheduledTime),
    stop: () => job.stop(),
  };
}

/**
 * The occurrence a tick that fired at `firedAt` runs: the pattern's latest time at or before it.
 * The platforms deliver that time, not the moment the run started: EventBridge Scheduler's
 * `<aws.scheduler.scheduled-time>`, Cloud Scheduler's `X-CloudScheduler-ScheduleTime`, the
 * timer trigger's `scheduleStatus.next` for the run in progress, a Cron Trigger's
 * `controller.scheduledTime`.
 */
export function occurrenceAt(pattern: string, firedAt: Date): Date {
  // previousRuns is strictly before its reference: 1 ms later includes firedAt itself.
  const [occurrence] = new Cron(pattern, { timezone: "UTC", paused: true }).previousRuns(1, new Date(firedAt.getTime() + 1));
  return occurrence ?? firedAt;
}
