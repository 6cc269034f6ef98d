/** The portable schedule and its dialects, with fire times computed from each dialect. */
import assert from "node:assert/strict";
import { Cron } from "croner";
import { allowedEveryMinutes, awsCron, awsCronToCroner, cronerPattern, isAllowedEveryMinutes, ncrontab, unixCron } from "./schedule";

/** The next `count` fire times (UTC ISO) of a croner pattern after `from`. */
function fires(pattern: string, from: string, count: number): string[] {
  return new Cron(pattern, { timezone: "UTC", paused: true }).nextRuns(count, new Date(from)).map((d) => d.toISOString());
}

describe("schedules", () => {
  it("accepts intervals that divide an hour, or whole hours that divide a day; nothing else", () => {
    assert.deepEqual(allowedEveryMinutes, [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440]);
    for (const n of [0, 7, 25, 45, 90, 300, 1500, 2.5, -5]) assert.equal(isAllowedEveryMinutes(n), false, String(n));
    assert.throws(() => unixCron(7), /every 7 minutes cannot be aligned to the clock; allowed: 1, 2/);
  });

  it("compiles each interval into the four dialects", () => {
    const table = [5, 1, 30, 60, 120, 720, 1440].map((n) => [n, awsCron(n), unixCron(n), ncrontab(n)]);
    assert.deepEqual(table, [
      [5, "cron(0/5 * * * ? *)", "*/5 * * * *", "0 */5 * * * *"],
      [1, "cron(* * * * ? *)", "* * * * *", "0 * * * * *"],
      [30, "cron(0/30 * * * ? *)", "*/30 * * * *", "0 */30 * * * *"],
      [60, "cron(0 * * * ? *)", "0 * * * *", "0 0 * * * *"],
      [120, "cron(0 0/2 * * ? *)", "0 */2 * * *", "0 0 */2 * * *"],
      [720, "cron(0 0/12 * * ? *)", "0 */12 * * *", "0 0 */12 * * *"],
      [1440, "cron(0 0 * * ? *)", "0 0 * * *", "0 0 0 * * *"],
    ]);
    for (const compile of [awsCron, unixCron, ncrontab]) assert.throws(() => compile(90), /^Error: every 90 minutes cannot be aligned to the clock; allowed: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440$/);
  });

  it("reads EventBridge's 0/N steps back as */N, in minutes and in hours", () => {
    assert.equal(awsCronToCroner("cron(0/30 * * * ? *)"), "0 */30 * * * *");
    assert.equal(awsCronToCroner("cron(0 0/12 * * ? *)"), "0 0 */12 * * *");
    assert.equal(awsCronToCroner("cron(0 0 ? * * *)"), "0 0 0 * * *");
    assert.equal(awsCronToCroner("cron(0 ? * * ? *)"), "0 0 * * * *", "? as *");
  });

  it("leaves a step it did not write as written, so the local scheduler's refusal names the field the stack has", () => {
    for (const field of ["10/5", "0/5,30"]) assert.equal(awsCronToCroner(`cron(${field} * * * ? *)`), `0 ${field} * * * *`);
    assert.throws(() => new Cron(awsCronToCroner("cron(10/5 * * * ? *)"), { paused: true }), /'10\/5'/);
  });

  it("every dialect fires at the same UTC minutes, aligned to the clock", () => {
    const from = "2026-11-30T10:07:30.000Z";
    for (const n of allowedEveryMinutes) {
      const expected = fires(unixCron(n), from, 3);
      assert.deepEqual(fires(ncrontab(n), from, 3), expected, `NCRONTAB, every ${n}`);
      assert.deepEqual(fires(awsCronToCroner(awsCron(n)), from, 3), expected, `EventBridge, every ${n}`);
      for (const at of expected) assert.equal(new Date(at).getTime() % (n * 60_000), 0, `every ${n} fires on a multiple of ${n} minutes since midnight UTC`);
    }
    assert.deepEqual(fires(unixCron(5), from, 2), ["2026-11-30T10:10:00.000Z", "2026-11-30T10:15:00.000Z"]);
  });

  it("refuses to guess EventBridge expressions it did not write", () => {
    assert.throws(() => awsCronToCroner("rate(5 minutes)"), /not an EventBridge Scheduler cron expression/);
    assert.throws(() => awsCronToCroner("cron(0 12 * * ? 2027)"), /year/);
    assert.throws(() => awsCronToCroner("cron(0 12 ? * MON-FRI *)"), /every-day/);
    for (const padded of ["xcron(0/5 * * * ? *)", "cron(0/5 * * * ? *) ", "cron(0/5 * * * ?)"]) {
      assert.throws(() => awsCronToCroner(padded), (error: Error) => error.message === `not an EventBridge Scheduler cron expression: ${padded}`, padded);
    }
    assert.throws(() => awsCronToCroner("cron(0 12 * * ? 2027)"), (error: Error) => error.message === "a year other than * is not supported locally: cron(0 12 * * ? 2027)");
    assert.throws(() => awsCronToCroner("cron(0 12 15 * ? *)"), (error: Error) => error.message === "only every-day schedules are supported locally: cron(0 12 15 * ? *)");
    assert.throws(() => awsCronToCroner("cron(0 12 * JAN ? *)"), /every-day/);
  });

  it("gives the local scheduler each dialect's expression, checking its field count", () => {
    assert.equal(cronerPattern("eventbridge", awsCron(10)), "0 */10 * * * *");
    assert.equal(cronerPattern("unix", unixCron(10)), "*/10 * * * *");
    assert.equal(cronerPattern("ncrontab", ncrontab(10)), "0 */10 * * * *");
    // Fields are counted, not spaces.
    assert.equal(cronerPattern("unix", " */10  * * * * "), " */10  * * * * ");
    assert.equal(cronerPattern("ncrontab", "0  */10 * * * *\n"), "0  */10 * * * *\n");
    assert.throws(() => cronerPattern("unix", ncrontab(10)), (error: Error) => error.message === "unix cron has 5 fields: 0 */10 * * * *");
    assert.throws(() => cronerPattern("ncrontab", unixCron(10)), (error: Error) => error.message === "NCRONTAB as parity writes it has 6 fields, seconds first: */10 * * * *");
    assert.throws(() => cronerPattern("eventbridge", unixCron(10)), /not an EventBridge Scheduler cron expression/);
  });
});
