/** The portable schedule and its dialects, with fire times computed from each dialect. */
import assert from "node:assert/strict";
import { Cron } from "croner";
import { allowedEveryMinutes, awsCron, awsCronToCroner, isAllowedEveryMinutes, ncrontab, unixCron } from "./schedule";

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
    const table = [5, 1, 60, 120, 1440].map((n) => [n, awsCron(n), unixCron(n), ncrontab(n)]);
    assert.deepEqual(table, [
      [5, "cron(0/5 * * * ? *)", "*/5 * * * *", "0 */5 * * * *"],
      [1, "cron(* * * * ? *)", "* * * * *", "0 * * * * *"],
      [60, "cron(0 * * * ? *)", "0 * * * *", "0 0 * * * *"],
      [120, "cron(0 0/2 * * ? *)", "0 */2 * * *", "0 0 */2 * * *"],
      [1440, "cron(0 0 * * ? *)", "0 0 * * *", "0 0 0 * * *"],
    ]);
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
  });
});
