/** The AWS rules on their own: pure functions, no Pulumi, no cloud. */
import assert from "node:assert/strict";
import type { FunctionSettings } from "../config";
import { Decisions } from "../platform";
import type { FunctionSpec } from "../platform";
import {
  awsLogRetentionDays,
  awsNativeSummary,
  awsSettingsFor,
  compileAwsPolicy,
  defaultHttpRoutes,
  httpIntegrationTimeoutMs,
  lambdaNameFor,
  logGroupNameFor,
  pendingIndexArnOf,
  planAws,
  routeSlug,
  scheduleSettingsFor,
  schedulerAssumeRolePolicy,
  schedulerInvokeStatement,
  concurrencyQuotaVerdict,
  LAMBDA_QUOTA_READ_ACTIONS,
} from "./rules";

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

describe("AWS rules: names, statements, checks and the plan's summary", () => {
  const base: FunctionSettings = { memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 5, warmInstances: 0, batchSize: 10, maxAttempts: 5 };
  const http = { name: "api", trigger: { kind: "http" as const }, capabilities: [], description: "" };
  const queue = { name: "worker", trigger: { kind: "queue" as const }, capabilities: ["events.consume" as const], description: "" };
  const resources = { usersTable: "t", usersPendingIndex: "t/index/p", eventsQueue: "q", apiKeySecret: "s", logStreams: "l:*" };

  it("names each statement after its capability (IAM Sids are alphanumeric), all Allow", () => {
    const { statements } = compileAwsPolicy(["users.read", "users.create", "users.update", "users.listPending", "events.publish", "events.consume", "apiKey.read"], resources);
    assert.deepEqual(
      statements.map((s) => s.Sid),
      ["UsersRead", "UsersCreate", "UsersUpdate", "UsersListPending", "EventsPublish", "EventsConsume", "ApiKeyRead", "OwnLogGroup"],
    );
    assert.deepEqual(new Set(statements.map((s) => s.Effect)), new Set(["Allow"]));
    assert.deepEqual(statements.map((s) => s.Resource), [["t"], ["t"], ["t"], ["t/index/p"], ["q"], ["q"], ["s"], ["l:*"]]);
    assert.deepEqual(statements[4].Action, ["sqs:SendMessage"]);
    assert.deepEqual(statements[6].Action, ["secretsmanager:GetSecretValue"]);
  });

  it("the scheduler's role may invoke its one function and its alias, nothing else", () => {
    assert.deepEqual(schedulerInvokeStatement(["arn:fn", "arn:fn:live"]), { Sid: "InvokeOwnFunction", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: ["arn:fn", "arn:fn:live"] });
    assert.equal(schedulerAssumeRolePolicy("1").Version, "2012-10-17");
  });

  it("names Lambdas after the component and log groups after the Lambda", () => {
    assert.equal(lambdaNameFor("c", "api"), "c-api");
    assert.equal(logGroupNameFor("c-api"), "/aws/lambda/c-api");
  });

  it("slugs route keys for resource names", () => {
    assert.equal(routeSlug("GET /users/{id}"), "get-users-id");
    assert.equal(routeSlug("ANY /{proxy+}"), "any-proxy");
    assert.equal(routeSlug("POST /users/"), "post-users");
    assert.equal(routeSlug("/users/"), "users", "a hyphen trimmed at both ends");
    assert.equal(routeSlug("$default"), "default");
    assert.equal(routeSlug("/"), "default", "nothing left: a name is still needed");
  });

  const spec = (definition: FunctionSpec["definition"], settings: FunctionSettings = base): FunctionSpec => ({ definition, settings });
  const plan = (input: { name?: string; functions?: FunctionSpec[]; logRetentionDays?: number; routes?: string[]; protectData?: boolean }) =>
    planAws({ name: input.name ?? "c", functions: input.functions ?? [spec(http)], logRetentionDays: input.logRetentionDays ?? 7, protectData: input.protectData ?? false, routes: input.routes });

  it("refuses a Lambda name past 64 characters or with other characters, naming it", () => {
    assert.equal(plan({ name: "c".repeat(60) }).functions[0].native.lambdaName, `${"c".repeat(60)}-api`, "64 characters are allowed");
    assert.throws(
      () => plan({ name: "c".repeat(61) }),
      (e: Error) =>
        e.name === "ComponentArgsError" &&
        e.message === `AwsFunctions "${"c".repeat(61)}": Lambda name "${"c".repeat(61)}-api" must be at most 64 letters, digits, "-" or "_"; use a shorter component or function name.`,
    );
    assert.throws(() => plan({ name: "my.app" }), /^ComponentArgsError: AwsFunctions "my.app": Lambda name "my.app-api" must be at most 64/);
    assert.equal(plan({ name: "My_App-1" }).functions[0].native.lambdaName, "My_App-1-api", "letters of both cases, digits, - and _ are allowed");
  });

  it("refuses a log retention that is not a whole number of days ≥ 1, and an empty route list", () => {
    for (const days of [0, -7, 1.5, Number.NaN]) {
      assert.throws(() => plan({ logRetentionDays: days }), new RegExp(`^ComponentArgsError: AwsFunctions "c": \`logRetentionDays\` must be a whole number of days ≥ 1; got ${days}\\.$`));
    }
    assert.equal(plan({ logRetentionDays: 1 }).functions[0].native.logRetentionDays, 1);
    assert.throws(() => plan({ routes: [] }), /^ComponentArgsError: AwsFunctions "c": `routes` is empty; omit it for the default routes or list at least one route key\.$/);
  });

  it("refuses a route that is not an HTTP API route key, naming it and the allowed methods", () => {
    for (const route of ["/users", "FETCH /x", "GET users", "", "GET /a b"]) {
      assert.throws(() => plan({ routes: [route] }), new RegExp(`^ComponentArgsError: AwsFunctions "c": route ${JSON.stringify(route).replace(/[/]/g, "\\/")} is not a route key: "<METHOD> /<path>" with METHOD one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS`));
    }
    assert.throws(() => plan({ routes: "ANY /" as unknown as string[] }), /`routes` must be an array of route keys/);
    for (const route of ["ANY /", "GET /users/{id}", "ANY /{proxy+}", "$default"]) assert.deepEqual(plan({ routes: [route] }).routes, [route]);
  });

  it("plans the routes, the HTTP function, the consumer's queue, the warnings and data protection", () => {
    const p = plan({ functions: [spec(http, { ...base, memoryMb: 64 }), spec(queue, { ...base, batchSize: 25 })], protectData: true });
    assert.deepEqual(p.routes, [...defaultHttpRoutes]);
    // Every path, the root included: `{proxy+}` alone matches child paths only.
    assert.deepEqual(p.routes, ["ANY /", "ANY /{proxy+}"]);
    assert.notEqual(p.routes, defaultHttpRoutes, "a copy: the plan's routes never alias the module's list");
    assert.equal(p.httpFunction?.definition.name, "api");
    assert.equal(p.consumerQueue, p.functions[1].native.queue);
    assert.equal(p.consumerQueue?.batchSize, 25);
    assert.equal(p.protectData, true);
    assert.deepEqual(p.warnings.map((w) => [w.platform, w.function, w.setting]), [
      ["aws", "api", "memoryMb"],
      ["aws", "worker", "batchSize"],
    ]);
    assert.deepEqual(plan({ routes: ["GET /only"] }).routes, ["GET /only"]);
    const httpOnly = plan({});
    assert.equal(httpOnly.consumerQueue, undefined, "nothing consumes the queue");
    assert.equal(httpOnly.protectData, false);
    assert.deepEqual(httpOnly.scheduledFunctions, []);
    assert.equal(plan({ functions: [spec(queue)] }).httpFunction, undefined);
  });

  it("clamps to Lambda's and SQS's limits exactly at them and one past, each warning saying why", () => {
    const at = (settings: Partial<FunctionSettings>) => {
      const decisions = new Decisions("aws");
      const native = awsSettingsFor("c", queue, { ...base, ...settings }, 7, decisions);
      return { native, warnings: decisions.warnings.map((w) => [w.setting, w.asked, w.applied, w.reason]) };
    };
    const exact = at({ memoryMb: 10240, timeoutSeconds: 900, reservedConcurrency: 1000, maxAttempts: 1000 });
    assert.deepEqual([exact.native.memorySize, exact.native.timeout, exact.native.queue!.maximumConcurrency, exact.native.queue!.maxReceiveCount], [10240, 900, 1000, 1000]);
    assert.deepEqual(exact.warnings, []);
    assert.deepEqual(at({ memoryMb: 128, timeoutSeconds: 1, reservedConcurrency: 2, maxAttempts: 1 }).warnings, []);
    const past = at({ memoryMb: 10241, timeoutSeconds: 901, reservedConcurrency: 1001, maxAttempts: 1001 });
    assert.deepEqual(past.warnings, [
      ["memoryMb", 10241, 10240, "Lambda memory is 128 to 10240 MB"],
      ["timeoutSeconds", 901, 900, "Lambda timeout is 1 to 900 s"],
      ["reservedConcurrency (event source maximum concurrency)", 1001, 1000, "SQS event source maximum concurrency is 2 to 1000; above the reserved concurrency, extra polls are throttled and retried"],
      ["maxAttempts", 1001, 1000, "SQS maxReceiveCount is 1 to 1000"],
    ]);
    assert.deepEqual(at({ timeoutSeconds: 0, maxAttempts: 0 }).warnings.map((w) => w.slice(0, 3)), [
      ["timeoutSeconds", 0, 1],
      ["maxAttempts", 0, 1],
    ]);
    const batch = at({ batchSize: 10000 });
    assert.equal(batch.native.queue!.batchSize, 10000);
    assert.deepEqual(batch.warnings, [
      ["batchSize", 10000, "10000 with a 1 s batching window", "SQS batches above 10 need MaximumBatchingWindowInSeconds ≥ 1; a message may wait up to 1 s longer"],
    ]);
    assert.deepEqual(at({ batchSize: 10001 }).warnings.map((w) => w.slice(0, 3)), [
      ["batchSize", 10001, 10000],
      ["batchSize", 10000, "10000 with a 1 s batching window"],
    ]);
    assert.deepEqual(at({ batchSize: 10001 }).warnings[0][3], "Lambda SQS batch size is 1 to 10000");
    assert.deepEqual(at({ batchSize: 11 }).native.queue!.maximumBatchingWindowInSeconds, 1, "11 is the first size that needs a window");
  });

  it("says why warm instances, the HTTP integration timeout and the async event age were changed", () => {
    const decisions = new Decisions("aws");
    awsSettingsFor("c", http, { ...base, timeoutSeconds: 45, reservedConcurrency: 2, warmInstances: 4 }, 7, decisions);
    scheduleSettingsFor("r", { ...base, everyMinutes: 480 }, 60, decisions);
    assert.deepEqual(
      decisions.warnings.map((w) => [w.setting, w.reason]),
      [
        ["warmInstances", "provisioned concurrency above the reserved concurrency would never be used"],
        ["timeoutSeconds (HTTP API integration)", "API Gateway HTTP APIs wait at most 30 s; callers get 503 after 30 s while the function may run 45 s"],
        ["everyMinutes (Lambda async maximum event age)", "Lambda keeps an asynchronous event 60 to 21600 s; a run held back longer by throttling is dropped before the next tick"],
      ],
    );
  });

  it("keeps logs the longest CloudWatch Logs allows when asked for longer, listing the values it accepts", () => {
    const decisions = new Decisions("aws");
    assert.equal(awsLogRetentionDays("fn", 4000, decisions), 3653);
    assert.deepEqual(decisions.warnings.map((w) => [w.function, w.setting, w.asked, w.applied, w.reason]), [
      ["fn", "logRetentionDays", 4000, 3653, "CloudWatch Logs keeps logs for 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days only"],
    ]);
  });

  it("summarises each function's native values for `npm run plan`, without those that do not apply", () => {
    const schedule = { name: "reconciler", trigger: { kind: "schedule" as const, everyMinutes: 5 }, capabilities: [], description: "" };
    const p = plan({
      functions: [spec(http, { ...base, warmInstances: 2 }), spec(queue, { ...base, batchSize: 25 }), spec(schedule, { ...base, timeoutSeconds: 60, everyMinutes: 5 })],
      logRetentionDays: 14,
    });
    assert.deepEqual(awsNativeSummary(p.functions[0]), {
      memorySize: 256,
      timeout: 10,
      reservedConcurrentExecutions: 5,
      provisionedConcurrency: 2,
      integrationTimeoutMs: 10000,
      logRetentionDays: 14,
    });
    assert.deepEqual(awsNativeSummary(p.functions[1]), {
      memorySize: 256,
      timeout: 10,
      reservedConcurrentExecutions: 5,
      batchSize: 25,
      maximumBatchingWindowInSeconds: 1,
      maximumConcurrency: 5,
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 60,
      logRetentionDays: 14,
    });
    assert.deepEqual(awsNativeSummary(p.functions[2]), {
      memorySize: 256,
      timeout: 60,
      reservedConcurrentExecutions: 5,
      scheduleExpression: "cron(0/5 * * * ? *)",
      scheduleExpressionTimezone: "UTC",
      flexibleTimeWindow: "OFF",
      schedulerMaximumRetryAttempts: 0,
      schedulerMaximumEventAgeInSeconds: 300,
      asyncMaximumRetryAttempts: 0,
      asyncMaximumEventAgeInSeconds: 300,
      reconcileGraceSeconds: 600,
      reconcileTimeBudgetSeconds: 48,
      logRetentionDays: 14,
    });
  });
});

describe("AWS rules: the account concurrency check", () => {
  const concurrency = { reserved: 121, accountQuotaNeeded: 221 };

  it("stops at one below what the plan needs, goes on at exactly it", () => {
    const short = concurrencyQuotaVerdict({ value: 220 }, concurrency);
    assert.equal(short.kind, "short");
    assert.match("error" in short ? short.error : "", /L-B99A9384\) is 220.*at least 221/);
    assert.equal(concurrencyQuotaVerdict({ value: 221 }, concurrency).kind, "enough");
  });

  it("warns instead of stopping when the quota cannot be read, naming both actions the provider calls", () => {
    const unread = concurrencyQuotaVerdict({ failed: "AccessDeniedException: no" }, concurrency);
    assert.equal(unread.kind, "unread");
    assert.deepEqual([...LAMBDA_QUOTA_READ_ACTIONS], ["servicequotas:GetAWSDefaultServiceQuota", "servicequotas:GetServiceQuota"]);
    const text = "warning" in unread ? unread.warning : "";
    assert.match(text, /AccessDeniedException: no/);
    assert.match(text, /servicequotas:GetAWSDefaultServiceQuota and servicequotas:GetServiceQuota/);
  });

  it("says, even when the quota is enough, that unreserved concurrency counts other reservations (reserved + 100)", () => {
    const enough = concurrencyQuotaVerdict({ value: 1000 }, concurrency);
    assert.match("warning" in enough ? enough.warning : "", /UnreservedConcurrentExecutions.*at least 221/);
  });
});
