/**
 * The local cloud's schedules, through the path a real tick takes (issue 30: tests drove them by
 * fireNow(), which skips the timer, so what a tick delivers was never checked). node's mock
 * timers stand in for the clock (setTimeout, setInterval and Date), and croner's own timers
 * fire the ticks; each platform's fire function then builds what its scheduler would send:
 * EventBridge Scheduler's event, Cloud Scheduler's request (to a loopback server), the Azure
 * timer. What is checked is what each tick hands the function: the occurrence itself, as every
 * platform gives it, however late the timer fired.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { mock } from "node:test";
import type { LambdaFunction } from "../../local/aws-lambda-runtime";
import { invokeAsScheduler } from "../../local/aws";
import { azureTimer } from "../../local/azure";
import { fireCloudScheduler } from "../../local/gcp";
import { occurrenceAt, startLocalSchedule, type LocalSchedule } from "../../local/scheduler";
import { cronerPattern, type CronDialect } from "../../components/schedule";

/** Lets pending promises and I/O callbacks run (setImmediate is not mocked). */
const settle = async (rounds = 5) => {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Moves the mocked clock by `ms` in steps of `stepMs`, letting each step's work finish. */
async function advance(ms: number, stepMs: number) {
  for (let moved = 0; moved < ms; moved += stepMs) {
    mock.timers.tick(stepMs);
    await settle();
  }
}

const every5: Record<CronDialect, string> = { eventbridge: "cron(0/5 * * * ? *)", unix: "*/5 * * * *", ncrontab: "0 */5 * * * *" };

describe("local scheduler: what a tick delivers", () => {
  const schedules: LocalSchedule[] = [];
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: Date.parse("2026-01-01T23:58:30Z") }));
  afterEach(() => {
    for (const schedule of schedules.splice(0)) schedule.stop();
    mock.timers.reset();
  });
  const start = (options: Parameters<typeof startLocalSchedule>[0]) => {
    const schedule = startLocalSchedule(options);
    schedules.push(schedule);
    return schedule;
  };

  for (const dialect of Object.keys(every5) as CronDialect[]) {
    it(`${dialect} ${every5[dialect]}: each tick delivers its occurrence, on the mark, even when the timer fires late`, async () => {
      const fired: string[] = [];
      const lateMs: number[] = [];
      start({
        function: "reconciler",
        dialect,
        expression: every5[dialect],
        fire: async (scheduledTime) => {
          fired.push(scheduledTime.toISOString());
          lateMs.push(Date.now() - scheduledTime.getTime());
        },
      });
      // Steps of 47 s from 23:58:30: the timers fire 4 s, 33 s and 15 s after the marks, as on a machine that stalls.
      await advance(12 * 60_000, 47_000);
      assert.deepEqual(fired, ["2026-01-02T00:00:00.000Z", "2026-01-02T00:05:00.000Z", "2026-01-02T00:10:00.000Z"]);
      assert.deepEqual(lateMs, [4_000, 33_000, 15_000], "the timers did fire late");
    });
  }

  it("occurrenceAt: a tick at or after a mark runs that mark; one just before it runs the one before", () => {
    const pattern = cronerPattern("unix", "*/5 * * * *");
    assert.equal(occurrenceAt(pattern, new Date("2026-01-02T00:05:00.000Z")).toISOString(), "2026-01-02T00:05:00.000Z");
    assert.equal(occurrenceAt(pattern, new Date("2026-01-02T00:05:00.003Z")).toISOString(), "2026-01-02T00:05:00.000Z");
    assert.equal(occurrenceAt(pattern, new Date("2026-01-02T00:09:59.999Z")).toISOString(), "2026-01-02T00:05:00.000Z");
    assert.equal(occurrenceAt(pattern, new Date("2026-01-02T00:04:59.999Z")).toISOString(), "2026-01-02T00:00:00.000Z");
  });

  it("a failed run goes to onError and the next tick still fires; stop() ends the ticks", async () => {
    const fired: string[] = [];
    const errors: string[] = [];
    const schedule = start({
      function: "reconciler",
      dialect: "unix",
      expression: "*/5 * * * *",
      fire: async (scheduledTime) => {
        fired.push(scheduledTime.toISOString());
        if (fired.length === 1) throw new Error("store down");
      },
      onError: (error) => void errors.push(error.message),
    });
    await advance(7 * 60_000, 1_000);
    assert.deepEqual(fired, ["2026-01-02T00:00:00.000Z", "2026-01-02T00:05:00.000Z"]);
    assert.deepEqual(errors, ["store down"]);
    schedule.stop();
    await advance(10 * 60_000, 30_000);
    assert.equal(fired.length, 2, "no tick after stop()");
  });

  it("a run still going at the next mark is not overlapped: that occurrence runs, with its own time, once the run ends", async () => {
    const fired: string[] = [];
    let release!: () => void;
    start({
      function: "reconciler",
      dialect: "unix",
      expression: "*/5 * * * *",
      fire: (scheduledTime) => {
        fired.push(scheduledTime.toISOString());
        return fired.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
    });
    await advance(7 * 60_000, 1_000); // 00:00 runs and hangs past 00:05
    assert.deepEqual(fired, ["2026-01-02T00:00:00.000Z"]);
    release();
    await advance(31_000, 1_000); // by 00:07:31 croner (which wakes at least every 30 s) has run the held-back 00:05
    assert.deepEqual(fired, ["2026-01-02T00:00:00.000Z", "2026-01-02T00:05:00.000Z"]);
    await advance(5 * 60_000, 1_000); // 00:10 on time
    assert.deepEqual(fired, ["2026-01-02T00:00:00.000Z", "2026-01-02T00:05:00.000Z", "2026-01-02T00:10:00.000Z"]);
  });

  it("next(): the expression's coming fire times in UTC, from a given time or from now", () => {
    const schedule = start({ function: "reconciler", dialect: "eventbridge", expression: every5.eventbridge, fire: async () => {} });
    assert.equal(schedule.function, "reconciler");
    assert.equal(schedule.expression, "cron(0/5 * * * ? *)");
    assert.deepEqual(schedule.next(3, new Date("2026-03-01T10:02:00Z")), ["2026-03-01T10:05:00.000Z", "2026-03-01T10:10:00.000Z", "2026-03-01T10:15:00.000Z"]);
    // The mocked clock reads 2026-01-01T23:58:30Z.
    assert.deepEqual(schedule.next(2), ["2026-01-02T00:00:00.000Z", "2026-01-02T00:05:00.000Z"]);
  });

  it("fireNow(): fires at once with the given time, or now, and hands back the run's outcome", async () => {
    const fired: string[] = [];
    const schedule = start({
      function: "reconciler",
      dialect: "unix",
      expression: every5.unix,
      fire: async (scheduledTime) => {
        fired.push(scheduledTime.toISOString());
        if (fired.length === 3) throw new Error("store down");
      },
    });
    await schedule.fireNow(new Date("2026-01-01T12:34:56.789Z"));
    await schedule.fireNow();
    assert.deepEqual(fired, ["2026-01-01T12:34:56.789Z", "2026-01-01T23:58:30.000Z"]);
    await assert.rejects(schedule.fireNow(), /store down/, "the caller of fireNow() sees its failure");
  });

  it("a failed tick without onError is dropped: no unhandled rejection, and the next tick still fires", async () => {
    const fired: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    // Mocha fails a test on an unhandled rejection only through its own listener; this one counts them.
    const mochaListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", onUnhandled);
    try {
      start({
        function: "reconciler",
        dialect: "unix",
        expression: every5.unix,
        fire: async (scheduledTime) => {
          fired.push(scheduledTime.toISOString());
          throw new Error("store down");
        },
      });
      await advance(7 * 60_000, 1_000);
      await settle();
    } finally {
      process.removeListener("unhandledRejection", onUnhandled);
      for (const listener of mochaListeners) process.on("unhandledRejection", listener);
    }
    assert.deepEqual(fired, ["2026-01-02T00:00:00.000Z", "2026-01-02T00:05:00.000Z"]);
    assert.deepEqual(unhandled, []);
  });

  it("the schedule is in UTC whatever the machine's time zone", async () => {
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      const fired: string[] = [];
      // 00:00 UTC each day; in New York that is 19:00 the day before.
      const schedule = start({ function: "reconciler", dialect: "unix", expression: "0 0 * * *", fire: async (scheduledTime) => void fired.push(scheduledTime.toISOString()) });
      assert.deepEqual(schedule.next(1, new Date("2026-01-01T12:00:00Z")), ["2026-01-02T00:00:00.000Z"]);
      await advance(2 * 60_000, 10_000);
      assert.deepEqual(fired, ["2026-01-02T00:00:00.000Z"]);
      assert.equal(occurrenceAt(cronerPattern("unix", "0 0 * * *"), new Date("2026-01-02T03:00:00Z")).toISOString(), "2026-01-02T00:00:00.000Z");
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("occurrenceAt: a pattern with no earlier occurrence runs at the time the timer fired", () => {
    // February 30th never comes: there is no mark at or before any tick.
    const firedAt = new Date("2026-01-02T00:05:00.003Z");
    assert.equal(occurrenceAt("0 0 30 2 *", firedAt).toISOString(), firedAt.toISOString());
  });

  it("AWS: a tick invokes the Lambda with Scheduler's event for the occurrence (whole seconds), a new execution id each run", async () => {
    const events: Array<Record<string, string>> = [];
    const lambda = { invoke: async (event: unknown) => void events.push(event as Record<string, string>), instancesCreated: 0, stop: async () => {} } as LambdaFunction;
    start({ function: "reconciler", dialect: "eventbridge", expression: every5.eventbridge, fire: (scheduledTime) => invokeAsScheduler(lambda, "parity-reconciler", scheduledTime) });
    await advance(7 * 60_000, 7_000);
    assert.deepEqual(events.map((e) => e.scheduledTime), ["2026-01-02T00:00:00Z", "2026-01-02T00:05:00Z"]);
    assert.equal(events[0].source, "aws.scheduler");
    assert.match(events[0].scheduleArn, /^arn:aws:scheduler:[a-z0-9-]+:000000000000:schedule\/default\/parity-reconciler$/);
    assert.deepEqual(events.map((e) => e.attemptNumber), ["1", "1"]);
    assert.notEqual(events[0].executionId, events[1].executionId);
  });

  it("Azure: a tick hands the timer its occurrence as scheduleStatus.next; one more than a second late is past due", async () => {
    const timers: Array<ReturnType<typeof azureTimer>> = [];
    start({ function: "reconciler", dialect: "ncrontab", expression: every5.ncrontab, fire: async (scheduledTime) => void timers.push(azureTimer(scheduledTime, 5)) });
    await advance(2 * 60_000, 250); // 00:00, timers firing within 250 ms
    await advance(6 * 60_000, 40_000); // 00:05, the timer firing at 00:05:10
    assert.deepEqual(timers.map((t) => t.scheduleStatus!.next), ["2026-01-02T00:00:00.000Z", "2026-01-02T00:05:00.000Z"]);
    assert.deepEqual(timers.map((t) => t.scheduleStatus!.last), ["2026-01-01T23:55:00.000Z", "2026-01-02T00:00:00.000Z"]);
    assert.deepEqual(timers.map((t) => t.isPastDue), [false, true]);
  });

  describe("Google Cloud: a tick POSTs Cloud Scheduler's request to the function", () => {
    let server: http.Server;
    let url: string;
    const received: http.IncomingHttpHeaders[] = [];
    before(async () => {
      server = http.createServer((request, response) => {
        received.push(request.headers);
        request.resume();
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    after(async () => new Promise<void>((resolve) => server.close(() => resolve())));

    it("with X-CloudScheduler-ScheduleTime the occurrence, once per tick", async () => {
      start({ function: "reconciler", dialect: "unix", expression: every5.unix, fire: (scheduledTime) => fireCloudScheduler(url, "parity-reconciler", scheduledTime) });
      for (let i = 0; i < 7 * 4; i++) {
        mock.timers.tick(15_000);
        // The request goes over a real socket: give it real time to arrive.
        await settle(20);
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (let i = 0; i < 50 && received.length < 2; i++) await settle(20);
      assert.deepEqual(received.map((h) => h["x-cloudscheduler-scheduletime"]), ["2026-01-02T00:00:00.000Z", "2026-01-02T00:05:00.000Z"]);
      assert.deepEqual(received.map((h) => [h["x-cloudscheduler"], h["user-agent"]]), [["true", "Google-Cloud-Scheduler"], ["true", "Google-Cloud-Scheduler"]]);
      assert.match(received[0]["x-cloudscheduler-jobname"] as string, /\/jobs\/parity-reconciler$/);
    });
  });
});
