/** The AWS rules on their own: pure functions, no Pulumi, no cloud. */
import assert from "node:assert/strict";
import type { FunctionSettings } from "../config";
import { Decisions } from "../platform";
import { awsLogRetentionDays, awsSettingsFor, compileAwsPolicy, httpIntegrationTimeoutMs, pendingIndexArnOf, planAws, scheduleSettingsFor, schedulerAssumeRolePolicy } from "./rules";

describe("AWS rules", () => {
    const resources = {
      usersTable: "arn:aws:dynamodb:eu-west-1:123456789012:table/users",
      usersPendingIndex: "arn:aws:dynamodb:eu-west-1:123456789012:table/users/index/pending-by-created",
      eventsQueue: "arn:aws:sqs:eu-west-1:123456789012:events",
      apiKeySecret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf",
      logStreams: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn:*",
    };

    it("compiles each capability to its exact actions on its exact ARN, plus the function's own log group", () => {
      const { statements, grants } = compileAwsPolicy(["users.create", "events.consume"], resources);
      assert.deepEqual(
        statements.map((s) => [s.Action, s.Resource]),
        [
          [["dynamodb:PutItem"], [resources.usersTable]],
          [["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [resources.eventsQueue]],
          [["logs:CreateLogStream", "logs:PutLogEvents"], [resources.logStreams]],
        ],
      );
      assert.deepEqual(
        grants.map((g) => [g.capability, g.actions, g.resource]),
        [
          ["users.create", ["dynamodb:PutItem"], resources.usersTable],
          ["events.consume", ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], resources.eventsQueue],
        ],
      );
    });

    it("compiles users.listPending to Query on the pending index only, never the table", () => {
      assert.equal(pendingIndexArnOf(resources.usersTable), resources.usersPendingIndex);
      const { statements } = compileAwsPolicy(["users.listPending", "users.update"], resources);
      assert.deepEqual(
        statements.slice(0, 2).map((s) => [s.Action, s.Resource]),
        [
          [["dynamodb:Query"], [resources.usersPendingIndex]],
          [["dynamodb:UpdateItem"], [resources.usersTable]],
        ],
      );
    });

    it("grants nothing but its own logs to a function without capabilities; a capability declared twice gives one statement", () => {
      const { statements, grants } = compileAwsPolicy([], resources);
      assert.equal(grants.length, 0);
      assert.deepEqual(statements.map((s) => s.Action), [["logs:CreateLogStream", "logs:PutLogEvents"]]);
      assert.equal(compileAwsPolicy(["users.read", "users.read"], resources).statements.length, 2);
    });

    const http = { name: "api", trigger: { kind: "http" as const }, capabilities: [], description: "" };
    const queue = { name: "worker", trigger: { kind: "queue" as const }, capabilities: [], description: "" };
    const base: FunctionSettings = { memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 5, warmInstances: 0, batchSize: 10, maxAttempts: 5 };

    it("maps exact settings without warnings", () => {
      const decisions = new Decisions("aws");
      assert.deepEqual(awsSettingsFor("c", queue, base, 7, decisions), {
        lambdaName: "c-worker",
        logRetentionDays: 7,
        memorySize: 256,
        timeout: 10,
        reservedConcurrentExecutions: 5,
        provisionedConcurrency: undefined,
        queue: { batchSize: 10, maximumBatchingWindowInSeconds: undefined, maximumConcurrency: 5, maxReceiveCount: 5, visibilityTimeoutSeconds: 60 },
      });
      assert.deepEqual(awsSettingsFor("c", http, { ...base, warmInstances: 3 }, 7, decisions), {
        lambdaName: "c-api",
        logRetentionDays: 7,
        memorySize: 256,
        timeout: 10,
        reservedConcurrentExecutions: 5,
        provisionedConcurrency: 3,
        integrationTimeoutMs: 10000,
      });
      assert.deepEqual(decisions.warnings, []);
    });

    it("clamps and reports every inexact value with function, setting, asked and applied", () => {
      const decisions = new Decisions("aws");
      const native = awsSettingsFor("c", queue, { ...base, memoryMb: 64, timeoutSeconds: 1000, reservedConcurrency: 1, batchSize: 25 }, 7, decisions);
      assert.equal(native.memorySize, 128);
      assert.equal(native.timeout, 900);
      assert.equal(native.queue!.maximumConcurrency, 2);
      assert.equal(native.queue!.batchSize, 25);
      assert.equal(native.queue!.maximumBatchingWindowInSeconds, 1);
      assert.equal(native.queue!.visibilityTimeoutSeconds, 5400);
      assert.deepEqual(
        decisions.warnings.map((w) => [w.platform, w.function, w.setting, w.asked, w.applied]),
        [
          ["aws", "worker", "memoryMb", 64, 128],
          ["aws", "worker", "timeoutSeconds", 1000, 900],
          ["aws", "worker", "batchSize", 25, "25 with a 1 s batching window"],
          ["aws", "worker", "reservedConcurrency (event source maximum concurrency)", 1, 2],
        ],
      );
    });

    it("keeps no more warm instances than the reserved concurrency allows", () => {
      const decisions = new Decisions("aws");
      assert.equal(awsSettingsFor("c", http, { ...base, reservedConcurrency: 2, warmInstances: 4 }, 7, decisions).provisionedConcurrency, 2);
      assert.deepEqual(decisions.warnings.map((w) => [w.function, w.setting, w.asked, w.applied]), [["api", "warmInstances", 4, 2]]);
    });

    it("caps the HTTP API integration timeout at 30 s and says so", () => {
      const decisions = new Decisions("aws");
      assert.equal(httpIntegrationTimeoutMs("api", 30, decisions), 30000);
      assert.equal(decisions.warnings.length, 0);
      assert.equal(httpIntegrationTimeoutMs("api", 45, decisions), 30000);
      assert.deepEqual(decisions.warnings.map((w) => [w.function, w.asked, w.applied]), [["api", 45, 30]]);
    });

    it("rounds log retention up to a value CloudWatch Logs accepts", () => {
      const decisions = new Decisions("aws");
      assert.equal(awsLogRetentionDays("fn", 7, decisions), 7);
      assert.equal(awsLogRetentionDays("fn", 3653, decisions), 3653);
      assert.equal(decisions.warnings.length, 0);
      assert.equal(awsLogRetentionDays("fn", 10, decisions), 14);
      assert.equal(awsLogRetentionDays("fn", 2, decisions), 3);
      assert.equal(awsLogRetentionDays("fn", 1000, decisions), 1096);
      assert.deepEqual(decisions.warnings.map((w) => [w.setting, w.asked, w.applied]), [
        ["logRetentionDays", 10, 14],
        ["logRetentionDays", 2, 3],
        ["logRetentionDays", 1000, 1096],
      ]);
    });

  it("plans the account concurrency a stack needs: its reserved total plus Lambda's unreserved 100", () => {
    const fn = (name: string, kind: "http" | "queue", reservedConcurrency: number) => ({
      definition: { name, trigger: { kind }, capabilities: kind === "queue" ? (["events.consume"] as const) : ([] as const), description: "" },
      settings: { ...base, reservedConcurrency },
    });
    const plan = planAws({ name: "c", functions: [fn("api", "http", 100), fn("worker", "queue", 20)], logRetentionDays: 7, protectData: false });
    assert.deepEqual(plan.concurrency, { reserved: 120, accountQuotaNeeded: 220 });
  });

  describe("schedule", () => {
    const schedule = { name: "reconciler", trigger: { kind: "schedule" as const, everyMinutes: 5 }, capabilities: [], description: "" };
    const settings = (everyMinutes: number): FunctionSettings => ({ memoryMb: 256, timeoutSeconds: 60, reservedConcurrency: 1, warmInstances: 0, everyMinutes });

    it("compiles every 5 minutes to cron(0/5 * * * ? *), UTC, window off, no retries, one interval's event age", () => {
      const decisions = new Decisions("aws");
      assert.deepEqual(awsSettingsFor("c", schedule, settings(5), 7, decisions).schedule, {
        expression: "cron(0/5 * * * ? *)",
        timezone: "UTC",
        flexibleTimeWindow: "OFF",
        retryAttempts: 0,
        schedulerEventAgeSeconds: 300,
        asyncRetryAttempts: 0,
        asyncEventAgeSeconds: 300,
        graceSeconds: 600,
        timeBudgetSeconds: 48,
      });
      assert.deepEqual(decisions.warnings, []);
    });

    it("every minute is Lambda's and Scheduler's shortest event age, 60 s, exactly", () => {
      const decisions = new Decisions("aws");
      const native = scheduleSettingsFor("r", settings(1), 60, decisions);
      assert.deepEqual([native.expression, native.schedulerEventAgeSeconds, native.asyncEventAgeSeconds], ["cron(* * * * ? *)", 60, 60]);
      assert.deepEqual(decisions.warnings, []);
    });

    it("6 hours fits Lambda's longest async event age (21600 s); 8 hours is clamped to it, with a warning", () => {
      const exact = new Decisions("aws");
      assert.equal(scheduleSettingsFor("r", settings(360), 60, exact).asyncEventAgeSeconds, 21600);
      assert.deepEqual(exact.warnings, []);
      const clamped = new Decisions("aws");
      const native = scheduleSettingsFor("r", settings(480), 60, clamped);
      assert.deepEqual([native.asyncEventAgeSeconds, native.schedulerEventAgeSeconds], [21600, 28800]);
      assert.deepEqual(
        clamped.warnings.map((w) => [w.function, w.setting, w.asked, w.applied]),
        [["r", "everyMinutes (Lambda async maximum event age)", 28800, 21600]],
      );
    });

    it("a day is Scheduler's longest event age, 86400 s, exactly", () => {
      const decisions = new Decisions("aws");
      const native = scheduleSettingsFor("r", settings(1440), 60, decisions);
      assert.deepEqual([native.expression, native.schedulerEventAgeSeconds], ["cron(0 0 * * ? *)", 86400]);
      assert.deepEqual(decisions.warnings.map((w) => w.setting), ["everyMinutes (Lambda async maximum event age)"]);
    });

    it("the scheduler's role trusts EventBridge Scheduler only, for schedules of this account", () => {
      assert.deepEqual(schedulerAssumeRolePolicy("123456789012").Statement, [
        { Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } },
      ]);
    });

    it("plans the schedule functions apart, and no schedule for the others", () => {
      const plan = planAws({
        name: "c",
        functions: [
          { definition: schedule, settings: settings(10) },
          { definition: { ...schedule, name: "api", trigger: { kind: "http" } }, settings: settings(10) },
        ],
        logRetentionDays: 7,
        protectData: false,
      });
      assert.deepEqual(plan.scheduledFunctions.map((f) => f.definition.name), ["reconciler"]);
      assert.equal(plan.functions[1].native.schedule, undefined);
      assert.equal(plan.scheduledFunctions[0].native.schedule!.expression, "cron(0/10 * * * ? *)");
    });
  });
});
