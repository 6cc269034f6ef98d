/**
 * The portable schedule, `every N minutes`, and its four dialects. N must divide an hour, or be
 * whole hours that divide a day: anything else fires unevenly on cron-based platforms (`*\/7`
 * fires at :56 and again at :00). Every dialect is clock-aligned in UTC, so all platforms fire
 * at the same minutes: N, 2N, … past each hour (or every H hours from midnight).
 *
 * Pure: the rules modules, the config validation and the local scheduler all use it.
 */

/** Every allowed interval, in minutes. */
export const allowedEveryMinutes: readonly number[] = [
  ...[1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60],
  ...[2, 3, 4, 6, 8, 12, 24].map((hours) => hours * 60),
];

export function isAllowedEveryMinutes(value: unknown): value is number {
  return typeof value === "number" && allowedEveryMinutes.includes(value);
}

/** The minute and hour fields of an aligned schedule, as (minute, hour) step patterns. */
function fields(everyMinutes: number): { minute: string; hour: string } {
  if (!isAllowedEveryMinutes(everyMinutes)) {
    throw new Error(`every ${everyMinutes} minutes cannot be aligned to the clock; allowed: ${allowedEveryMinutes.join(", ")}`);
  }
  if (everyMinutes === 1) return { minute: "*", hour: "*" };
  if (everyMinutes < 60) return { minute: `*/${everyMinutes}`, hour: "*" };
  const hours = everyMinutes / 60;
  if (hours === 1) return { minute: "0", hour: "*" };
  if (hours === 24) return { minute: "0", hour: "0" };
  return { minute: "0", hour: `*/${hours}` };
}

/**
 * Unix cron, 5 fields (`minute hour day-of-month month day-of-week`), in UTC: what Cloud
 * Scheduler and Workers cron triggers take.
 * https://cloud.google.com/scheduler/docs/configuring/cron-job-schedules,
 * https://developers.cloudflare.com/workers/configuration/cron-triggers/
 */
export function unixCron(everyMinutes: number): string {
  const { minute, hour } = fields(everyMinutes);
  return `${minute} ${hour} * * *`;
}

/**
 * EventBridge Scheduler's cron: 6 fields (`minutes hours day-of-month month day-of-week year`),
 * one of day-of-month and day-of-week must be `?`; `*\/N` is written `0/N`.
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 */
export function awsCron(everyMinutes: number): string {
  const { minute, hour } = fields(everyMinutes);
  // Stryker disable next-line Regex: fields() writes a minute or hour only as `*`, `0` or `*\/N`, so the anchors cannot change what matches.
  const step = (field: string) => field.replace(/^\*\/(\d+)$/, "0/$1");
  return `cron(${step(minute)} ${step(hour)} * * ? *)`;
}

/**
 * Azure Functions' NCRONTAB: 6 fields with seconds first (`second minute hour day month
 * day-of-week`). Five fields are accepted by newer hosts too, but six work everywhere.
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions
 */
export function ncrontab(everyMinutes: number): string {
  const { minute, hour } = fields(everyMinutes);
  return `0 ${minute} ${hour} * * *`;
}

/**
 * An EventBridge Scheduler cron expression in the 6-field form the local scheduler (croner)
 * reads: seconds first, no year, `?` as `*`, `0/N` as `*\/N`. Only what `awsCron` writes is
 * translated; anything else is refused rather than guessed.
 */
export function awsCronToCroner(expression: string): string {
  const match = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!match) throw new Error(`not an EventBridge Scheduler cron expression: ${expression}`);
  const [, minute, hour, dayOfMonth, month, dayOfWeek, year] = match;
  if (year !== "*") throw new Error(`a year other than * is not supported locally: ${expression}`);
  const unstep = (field: string) => {
    const stepped = field.replace(/^0\/(\d+)$/, "*/$1");
    // (A statement of its own: a disable comment inside a call chain is not seen by Stryker.)
    // Stryker disable next-line Regex: croner reads every `?` as `*` itself (a `?` among other characters fails the same way either way).
    return stepped.replace(/^\?$/, "*");
  };
  if (![dayOfMonth, month, dayOfWeek].every((f) => f === "*" || f === "?")) throw new Error(`only every-day schedules are supported locally: ${expression}`);
  return `0 ${unstep(minute)} ${unstep(hour)} * * *`;
}

/** The cron dialects parity compiles to. */
export type CronDialect = "eventbridge" | "unix" | "ncrontab";

/**
 * The pattern the local scheduler (croner: optional seconds first, then 5 fields) reads for an
 * expression in a dialect, so local fire times come from the very expression a deploy sets.
 */
export function cronerPattern(dialect: CronDialect, expression: string): string {
  switch (dialect) {
    case "eventbridge":
      return awsCronToCroner(expression);
    case "unix":
      if (expression.trim().split(/\s+/).length !== 5) throw new Error(`unix cron has 5 fields: ${expression}`);
      return expression;
    case "ncrontab":
      if (expression.trim().split(/\s+/).length !== 6) throw new Error(`NCRONTAB as parity writes it has 6 fields, seconds first: ${expression}`);
      return expression;
  }
}
