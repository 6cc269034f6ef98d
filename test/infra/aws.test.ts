/**
 * AwsFunctions under `pulumi.runtime.setMocks`: what a real `pulumi up` of the dev and prod
 * stack files would ask AWS for, plus the pure mapping rules (capability → IAM, settings →
 * native knobs) on their own.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { AwsFunctions, parityHttpRoutes, type AwsFunctionsArgs } from "../../components/aws";
import { bundleFunction, deploymentsFor } from "../../components/bundle";
import { catalog, type Capability, type FunctionName } from "../../components/catalog";
import { parseStackConfig, settingsFor, StackConfigError, type ParityConfig } from "../../components/config";
import type { FunctionDeployment } from "../../components/platform";
import { helloDefinition } from "../fixtures/hello/catalog";
import { runWithMocks, stackConfig, stackFileValues, TEST_API_KEY, valueOf, type MockRun, type RecordedResource, type StateFor } from "./harness";

const REGION = "eu-west-1";
const ACCOUNT = "123456789012";
const T = {
  table: "aws:dynamodb/table:Table",
  queue: "aws:sqs/queue:Queue",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  lambda: "aws:lambda/function:Function",
  alias: "aws:lambda/alias:Alias",
  provisioned: "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig",
  eventSource: "aws:lambda/eventSourceMapping:EventSourceMapping",
  permission: "aws:lambda/permission:Permission",
  api: "aws:apigatewayv2/api:Api",
  stage: "aws:apigatewayv2/stage:Stage",
  integration: "aws:apigatewayv2/integration:Integration",
  route: "aws:apigatewayv2/route:Route",
  schedule: "aws:scheduler/schedule:Schedule",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
} as const;
const taggableTypes = [T.table, T.queue, T.secret, T.logGroup, T.role, T.lambda, T.eventSource, T.api, T.stage];
/** The functions a schedule triggers, and the rest: the scheduler's role is not a function's role. */
const scheduled = catalog.filter((fn) => fn.trigger.kind === "schedule");
const isSchedulerRole = (role: RecordedResource) => role.inputs.tags?.["parity:binding"] === "scheduler";

/**
 * The expected IAM per capability, written out here rather than imported, so the test checks
 * the component against the contract and not against itself.
 */
const expectedIam: Record<Capability, { on: "table" | "pendingIndex" | "queue" | "secret"; actions: string[] }> = {
  "users.read": { on: "table", actions: ["dynamodb:GetItem"] },
  "users.listPending": { on: "pendingIndex", actions: ["dynamodb:Query"] },
  "users.create": { on: "table", actions: ["dynamodb:PutItem"] },
  "users.update": { on: "table", actions: ["dynamodb:UpdateItem"] },
  "events.publish": { on: "queue", actions: ["sqs:SendMessage"] },
  "events.consume": { on: "queue", actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"] },
  "apiKey.read": { on: "secret", actions: ["secretsmanager:GetSecretValue"] },
};

/** Realistic ARNs, URLs and physical names per resource type, as AWS would return them. */
const stateFor: StateFor = ({ type, name, inputs }) => {
  const physical = (inputs.name as string | undefined) ?? `${name}-7f3a2c1`;
  switch (type) {
    case T.table:
      return { name: physical, arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${physical}` };
    case T.queue: {
      const url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}`;
      return { id: url, name: physical, url, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${physical}` };
    }
    case T.secret: {
      const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${physical}-AbCdEf`;
      return { id: arn, name: physical, arn };
    }
    case T.logGroup:
      return { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical}` };
    case T.role:
      return { name: physical, arn: `arn:aws:iam::${ACCOUNT}:role/${physical}` };
    case T.lambda: {
      const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical}`;
      return { id: physical, arn, version: inputs.publish ? "1" : "$LATEST", invokeArn: invokeArnOf(arn) };
    }
    case T.alias: {
      const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${inputs.functionName}:${inputs.name}`;
      return { arn, invokeArn: invokeArnOf(arn) };
    }
    case T.api: {
      const id = "a1b2c3d4e5";
      return { id, apiEndpoint: `https://${id}.execute-api.${REGION}.amazonaws.com`, executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}` };
    }
    case T.integration:
      return { id: "integ42" };
    default:
      return {};
  }
};

function invokeArnOf(functionArn: string): string {
  return `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
}

/** A function of another catalog, bundled from the hello fixture. */
function otherFunction(definition: FunctionDeployment["definition"], settings: FunctionDeployment["settings"]): FunctionDeployment {
  return { definition, settings, bundle: bundleFunction(helloDefinition, "aws") };
}

function deploy(name: string, config: ParityConfig, extra: Partial<AwsFunctionsArgs> = {}): Promise<MockRun<AwsFunctions>> {
  const functions = deploymentsFor(config, "aws");
  return runWithMocks(
    () =>
      new AwsFunctions(name, {
        functions,
        apiKey: pulumi.secret(TEST_API_KEY),
        logRetentionDays: config.logRetentionDays,
        protectData: config.protectData,
        tags: { project: "parity", stack: config.stack },
        // As parity's own program deploys it (components/program.ts).
        routes: [...parityHttpRoutes],
        ...extra,
      }),
    { stack: config.stack, stateFor },
  );
}

/** Every (action, resource) pair a policy document allows, plus a check that it only allows. */
function allowedPairs(policyJson: string): Set<string> {
  const document = JSON.parse(policyJson) as { Version: string; Statement: { Effect: string; Action: string | string[]; Resource: string | string[] }[] };
  assert.equal(document.Version, "2012-10-17");
  const pairs = new Set<string>();
  for (const statement of document.Statement) {
    assert.equal(statement.Effect, "Allow", "only Allow statements");
    for (const action of [statement.Action].flat()) for (const resource of [statement.Resource].flat()) pairs.add(`${action} on ${resource}`);
  }
  return pairs;
}

function capturedWarnings<T>(body: () => Promise<T>): Promise<{ result: T; logged: string[] }> {
  const logged: string[] = [];
  const original = pulumi.log.warn;
  (pulumi.log as { warn: typeof pulumi.log.warn }).warn = (message: string) => {
    logged.push(message);
    return Promise.resolve();
  };
  return body()
    .then((result) => ({ result, logged }))
    .finally(() => {
      (pulumi.log as { warn: typeof pulumi.log.warn }).warn = original;
    });
}

function byName(resources: RecordedResource[], suffix: string): RecordedResource {
  const matches = resources.filter((r) => r.name.endsWith(suffix));
  assert.equal(matches.length, 1, `one resource named *${suffix}, found ${matches.map((r) => r.name).join(", ") || "none"}`);
  return matches[0];
}

describe("AwsFunctions (infrastructure under mocks)", function () {
  this.timeout(120_000); // a hang guard: the first test loads the provider and bundles every function, slow on a busy machine

  for (const stack of ["dev", "prod"] as const) {
    describe(`the ${stack} stack`, () => {
      const config = stackConfig(stack);
      const name = `parity-${stack}`;
      let run: MockRun<AwsFunctions>;
      let logged: string[];
      const settings = (fn: FunctionName) => settingsFor(config, "aws", fn);
      const worker = () => settings("queue-worker");
      const state = (type: string, suffix: string) => byName(run.ofType(type), suffix).state;

      before(async () => {
        ({ result: run, logged } = await capturedWarnings(() => deploy(name, config)));
      });

      it("gives each Lambda the stack's memory, timeout, reserved concurrency, runtime, architecture and handler", () => {
        for (const fn of catalog) {
          const lambda = byName(run.ofType(T.lambda), `${name}-${fn.name}`).inputs;
          const s = settings(fn.name);
          assert.equal(lambda.name, `${name}-${fn.name}`);
          assert.equal(lambda.memorySize, s.memoryMb, `${fn.name} memory`);
          assert.equal(lambda.timeout, s.timeoutSeconds, `${fn.name} timeout`);
          assert.equal(lambda.reservedConcurrentExecutions, s.reservedConcurrency, `${fn.name} reserved concurrency`);
          assert.equal(lambda.runtime, "nodejs22.x");
          assert.deepEqual(lambda.architectures, ["arm64"]);
          assert.equal(lambda.handler, "index.handler");
          assert.equal(lambda.role, state(T.role, `${name}-${fn.name}-role`).arn);
          assert.deepEqual(lambda.loggingConfig, { logFormat: "JSON", logGroup: `/aws/lambda/${name}-${fn.name}` });
          assert.equal(Boolean(lambda.publish), s.warmInstances > 0);
        }
        assert.equal(run.ofType(T.lambda).length, catalog.length);
      });

      it("keeps warm instances as provisioned concurrency on an alias that the API invokes, only when asked", () => {
        const api = settings("users-api");
        const provisioned = run.ofType(T.provisioned);
        const integration = run.one(T.integration).inputs;
        const permission = run.one(T.permission).inputs;
        if (api.warmInstances > 0) {
          assert.equal(provisioned.length, 1);
          assert.equal(provisioned[0].inputs.provisionedConcurrentExecutions, api.warmInstances);
          assert.equal(provisioned[0].inputs.qualifier, "live");
          assert.equal(provisioned[0].inputs.functionName, `${name}-users-api`);
          const alias = run.one(T.alias);
          assert.equal(alias.inputs.functionVersion, "1");
          assert.equal(integration.integrationUri, alias.state.arn);
          assert.equal(permission.qualifier, "live");
        } else {
          assert.equal(provisioned.length, 0);
          assert.equal(run.ofType(T.alias).length, 0);
          assert.equal(integration.integrationUri, state(T.lambda, `${name}-users-api`).arn);
          assert.equal(permission.qualifier, undefined);
        }
        assert.equal(stack === "prod", provisioned.length === 1, "the prod stack keeps users-api warm, dev does not");
      });

      it("consumes the events queue with the stack's batch size, maximum concurrency and partial batch responses", () => {
        const mapping = run.one(T.eventSource).inputs;
        const w = worker();
        assert.equal(mapping.eventSourceArn, state(T.queue, `${name}-events-queue`).arn);
        assert.equal(mapping.functionName, state(T.lambda, `${name}-queue-worker`).arn);
        assert.deepEqual(mapping.functionResponseTypes, ["ReportBatchItemFailures"]);
        assert.equal(mapping.batchSize, w.batchSize);
        assert.equal(mapping.maximumBatchingWindowInSeconds, w.batchSize! > 10 ? 1 : undefined);
        assert.deepEqual(mapping.scalingConfig, { maximumConcurrency: w.reservedConcurrency });
      });

      it("redrives to the dead-letter queue after maxAttempts, with visibility 6 × the worker timeout", () => {
        const queue = byName(run.ofType(T.queue), `${name}-events-queue`).inputs;
        const deadLetter = byName(run.ofType(T.queue), `${name}-events-dlq`);
        const redrive = JSON.parse(queue.redrivePolicy);
        assert.deepEqual(redrive, { deadLetterTargetArn: deadLetter.state.arn, maxReceiveCount: worker().maxAttempts });
        assert.equal(queue.visibilityTimeoutSeconds, 6 * worker().timeoutSeconds);
        assert.equal(deadLetter.inputs.messageRetentionSeconds, 14 * 24 * 3600);
        assert.equal(deadLetter.inputs.redrivePolicy, undefined);
      });

      it("keeps each function's logs in its own group for the stack's retention", () => {
        const groups = run.ofType(T.logGroup);
        assert.deepEqual(groups.map((g) => g.inputs.name).sort(), catalog.map((fn) => `/aws/lambda/${name}-${fn.name}`).sort());
        for (const group of groups) assert.equal(group.inputs.retentionInDays, config.logRetentionDays);
      });

      it(`stores users on demand, with point-in-time recovery and deletion protection ${stack === "prod" ? "on" : "off"}`, () => {
        const table = run.one(T.table).inputs;
        assert.equal(table.billingMode, "PAY_PER_REQUEST");
        assert.equal(table.hashKey, "pk");
        assert.equal(table.rangeKey, undefined);
        // Only key attributes are declared: the table's and the pending index's.
        assert.deepEqual(table.attributes, [
          { name: "pk", type: "S" },
          { name: "pending", type: "S" },
          { name: "createdAt", type: "S" },
        ]);
        // keySchemas, not the deprecated hashKey/rangeKey of an index; only what the reconciler reads is projected.
        assert.deepEqual(table.globalSecondaryIndexes, [
          {
            name: "pending-by-created",
            keySchemas: [
              { attributeName: "pending", keyType: "HASH" },
              { attributeName: "createdAt", keyType: "RANGE" },
            ],
            projectionType: "INCLUDE",
            nonKeyAttributes: ["id", "email", "republishCount"],
          },
        ]);
        assert.deepEqual(table.pointInTimeRecovery, { enabled: config.protectData });
        assert.equal(table.deletionProtectionEnabled, config.protectData);
        assert.equal(config.protectData, stack === "prod");
      });

      it("gives each role exactly what its function declares, on the exact ARNs, plus its own log group", () => {
        const arns = {
          table: state(T.table, `${name}-users-table`).arn,
          // The index's ARN form: table/<name>/index/<index> (Service Authorization Reference, DynamoDB).
          pendingIndex: `${state(T.table, `${name}-users-table`).arn}/index/pending-by-created`,
          queue: state(T.queue, `${name}-events-queue`).arn,
          secret: state(T.secret, `${name}-api-key`).arn,
        };
        for (const fn of catalog) {
          const policy = byName(run.ofType(T.rolePolicy), `${name}-${fn.name}-policy`).inputs;
          assert.equal(policy.role, `${name}-${fn.name}-role-id`, "attached to the function's own role");
          const expected = new Set<string>();
          for (const capability of fn.capabilities) {
            for (const action of expectedIam[capability].actions) expected.add(`${action} on ${arns[expectedIam[capability].on]}`);
          }
          const logGroupArn = state(T.logGroup, `${name}-${fn.name}-logs`).arn;
          for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) expected.add(`${action} on ${logGroupArn}:*`);
          assert.deepEqual(allowedPairs(policy.policy), expected, fn.name);
        }
        assert.equal(run.ofType(T.rolePolicy).length, catalog.length + scheduled.length, "one per function, one per scheduler role");
        for (const role of run.ofType(T.role).filter((r) => !isSchedulerRole(r))) {
          assert.equal(role.inputs.managedPolicyArns, undefined, "no managed policies");
          assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "lambda.amazonaws.com" });
        }
      });

      it("allows no wildcard action and no wildcard resource", () => {
        for (const policy of run.ofType(T.rolePolicy)) {
          for (const pair of allowedPairs(policy.inputs.policy)) {
            const [action, resource] = pair.split(" on ");
            assert.doesNotMatch(action, /\*/, `${policy.name}: ${action}`);
            assert.notEqual(resource, "*", policy.name);
            // Anchored at both ends: `…:table/x/*` is a wildcard too. The one `*` allowed is a log
            // group's own trailing `:*`, the form IAM policies use for its log streams
            // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl).
            const oneResource = new RegExp(`^arn:aws:[a-z]+:${REGION}:${ACCOUNT}:(?:[^*]+|log-group:[^*:]+:\\*)$`);
            assert.match(resource, oneResource, `${policy.name}: ${resource} names one resource`);
            if (resource.endsWith(":*")) assert.match(resource, /^arn:aws:logs:/, `${policy.name}: ${resource}`);
          }
        }
      });

      it("exposes the grants it made, one per declared capability", async () => {
        const made = run.result.grants.map((g) => `${g.function} ${g.capability}`).sort();
        const declared = catalog.flatMap((fn) => fn.capabilities.map((c) => `${fn.name} ${c}`)).sort();
        assert.deepEqual(made, declared);
        const secretGrant = run.result.grants.find((g) => g.capability === "apiKey.read")!;
        assert.equal(await valueOf(secretGrant.resource), state(T.secret, `${name}-api-key`).arn);
        assert.deepEqual(secretGrant.permissions, ["secretsmanager:GetSecretValue"]);
        const listGrant = run.result.grants.find((g) => g.capability === "users.listPending")!;
        assert.deepEqual([listGrant.function, listGrant.permissions], ["reconciler", ["dynamodb:Query"]]);
        assert.equal(await valueOf(listGrant.resource), `${state(T.table, `${name}-users-table`).arn}/index/pending-by-created`, "the index, not the table");
      });

      it("passes names and ARNs to the functions, never the API key, which only the secret version holds", () => {
        const env = (fn: string) => byName(run.ofType(T.lambda), `${name}-${fn}`).inputs.environment.variables;
        const common = { USERS_TABLE: state(T.table, `${name}-users-table`).name, PARITY_PLATFORM: "aws", NODE_OPTIONS: "--enable-source-maps" };
        assert.deepEqual(env("users-api"), {
          ...common,
          EVENTS_QUEUE_URL: state(T.queue, `${name}-events-queue`).url,
          API_KEY_SECRET_ARN: state(T.secret, `${name}-api-key`).arn,
        });
        assert.deepEqual(env("queue-worker"), common);
        const holders = run.resources.filter((r) => JSON.stringify(r.inputs).includes(TEST_API_KEY)).map((r) => r.type);
        assert.deepEqual(holders, [T.secretVersion]);
        assert.equal(run.one(T.secretVersion).inputs.secretId, state(T.secret, `${name}-api-key`).id);
      });

      it("serves users-api through an HTTP API: payload 2.0, the stack's timeout, every route, invoke scoped to the API", () => {
        const api = run.one(T.api);
        assert.equal(api.inputs.protocolType, "HTTP");
        const stage = run.one(T.stage).inputs;
        assert.equal(stage.name, "$default");
        assert.equal(stage.autoDeploy, true);
        const integration = run.one(T.integration).inputs;
        assert.equal(integration.integrationType, "AWS_PROXY");
        assert.equal(integration.payloadFormatVersion, "2.0");
        assert.equal(integration.timeoutMilliseconds, settings("users-api").timeoutSeconds * 1000);
        const routes = run.ofType(T.route);
        assert.deepEqual(routes.map((r) => r.inputs.routeKey).sort(), ["ANY /{proxy+}", "GET /health", "GET /users/{id}", "POST /users"]);
        for (const route of routes) assert.equal(route.inputs.target, "integrations/integ42");
        const permission = run.one(T.permission).inputs;
        assert.equal(permission.action, "lambda:InvokeFunction");
        assert.equal(permission.principal, "apigateway.amazonaws.com");
        assert.equal(permission.function, `${name}-users-api`);
        assert.equal(permission.sourceArn, `${api.state.executionArn}/*/*`);
      });

      it("tags everything taggable; each role also carries its function's declared capabilities", () => {
        for (const resource of run.resources.filter((r) => (taggableTypes as string[]).includes(r.type))) {
          const { "parity:capabilities": declared, "parity:binding": binding, ...rest } = resource.inputs.tags as Record<string, string>;
          assert.deepEqual(rest, { project: "parity", stack }, `${resource.type} ${resource.name}`);
          const functionRole = resource.type === T.role && !resource.name.endsWith("-scheduler");
          assert.equal(declared !== undefined, functionRole, `${resource.type} ${resource.name}`);
          assert.equal(binding, resource.name.endsWith("-scheduler") ? "scheduler" : undefined, `${resource.type} ${resource.name}`);
        }
        for (const fn of catalog) {
          assert.equal(byName(run.ofType(T.role), `${fn.name}-role`).inputs.tags["parity:capabilities"], fn.capabilities.join(" "));
        }
      });

      it("reports outputs: endpoint, queue names, function names", async () => {
        const component = run.result;
        assert.equal(await valueOf(component.endpoint!), state(T.api, `${name}-http-api`).apiEndpoint);
        assert.equal(await valueOf(component.queues!.queue), state(T.queue, `${name}-events-queue`).name);
        assert.equal(await valueOf(component.queues!.deadLetter), state(T.queue, `${name}-events-dlq`).name);
        assert.deepEqual(Object.keys(component.functionNames).sort(), catalog.map((fn) => fn.name).sort());
        assert.equal(await valueOf(component.functionNames["queue-worker"]), `${name}-queue-worker`);
        assert.deepEqual(Object.keys(component.nodes).sort(), catalog.map((fn) => fn.name).sort());
      });

      it(`runs the reconciler on EventBridge Scheduler every ${stack === "prod" ? 10 : 5} minutes, UTC, window off, no retries at either layer`, async () => {
        const every = settings("reconciler").everyMinutes!;
        assert.equal(every, stack === "prod" ? 10 : 5);
        const schedule = run.one(T.schedule).inputs;
        const lambda = state(T.lambda, `${name}-reconciler`);
        assert.equal(schedule.name, `${name}-reconciler`, "named after its function");
        assert.equal(schedule.scheduleExpression, stack === "prod" ? "cron(0/10 * * * ? *)" : "cron(0/5 * * * ? *)");
        assert.equal(schedule.scheduleExpressionTimezone, "UTC");
        assert.deepEqual(schedule.flexibleTimeWindow, { mode: "OFF" });
        assert.equal(schedule.target.arn, lambda.arn, "the function itself: the reconciler keeps no warm alias");
        assert.equal(schedule.target.roleArn, state(T.role, `${name}-reconciler-scheduler`).arn);
        assert.deepEqual(schedule.target.retryPolicy, { maximumRetryAttempts: 0, maximumEventAgeInSeconds: every * 60 });
        assert.deepEqual(Object.keys(JSON.parse(schedule.target.input)).sort(), ["attemptNumber", "executionId", "scheduleArn", "scheduledTime", "source"]);
        const asyncConfig = run.one(T.invokeConfig).inputs;
        assert.deepEqual(asyncConfig, { functionName: `${name}-reconciler`, maximumRetryAttempts: 0, maximumEventAgeInSeconds: every * 60 });
        // The first tick finds the role's grant and the async config in place.
        const dependencies = new Set(run.one(T.schedule).dependencies);
        assert.ok(dependencies.has(byName(run.ofType(T.rolePolicy), `${name}-reconciler-scheduler-policy`).urn));
        assert.ok(dependencies.has(run.one(T.invokeConfig).urn));
        const reconciler = byName(run.ofType(T.lambda), `${name}-reconciler`).inputs;
        assert.equal(reconciler.reservedConcurrentExecutions, 1);
        assert.deepEqual(
          { grace: reconciler.environment.variables.RECONCILE_GRACE_SECONDS, budget: reconciler.environment.variables.RECONCILE_TIME_BUDGET_SECONDS },
          { grace: String(2 * every * 60), budget: String(Math.floor(settings("reconciler").timeoutSeconds * 0.8)) },
        );
        assert.equal(byName(run.ofType(T.lambda), `${name}-users-api`).inputs.environment.variables.RECONCILE_GRACE_SECONDS, undefined);
      });

      it("the scheduler's role trusts only EventBridge Scheduler of this account and may only invoke the reconciler", async () => {
        const role = byName(run.ofType(T.role), `${name}-reconciler-scheduler`);
        assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy), {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } }],
        });
        const policy = byName(run.ofType(T.rolePolicy), `${name}-reconciler-scheduler-policy`).inputs;
        assert.equal(policy.role, `${name}-reconciler-scheduler-id`);
        const reconcilerArn = state(T.lambda, `${name}-reconciler`).arn;
        assert.deepEqual(allowedPairs(policy.policy), new Set([`lambda:InvokeFunction on ${reconcilerArn}`]));
        const deployed = run.result.schedules.reconciler;
        assert.deepEqual(Object.keys(run.result.schedules), ["reconciler"]);
        assert.equal(deployed.expression, run.one(T.schedule).inputs.scheduleExpression);
        assert.equal(await valueOf(deployed.identity!), role.state.arn);
        assert.deepEqual(deployed.invoke!.permissions, ["lambda:InvokeFunction"]);
        assert.equal(await valueOf(deployed.invoke!.resource), reconcilerArn);
        assert.deepEqual(
          Object.entries(run.result.nativeSettings.reconciler).filter(([key]) => /^(schedule|flexible|scheduler|async)/.test(key)),
          [
            ["scheduleExpression", deployed.expression],
            ["scheduleExpressionTimezone", "UTC"],
            ["flexibleTimeWindow", "OFF"],
            ["schedulerMaximumRetryAttempts", 0],
            ["schedulerMaximumEventAgeInSeconds", settings("reconciler").everyMinutes! * 60],
            ["asyncMaximumRetryAttempts", 0],
            ["asyncMaximumEventAgeInSeconds", settings("reconciler").everyMinutes! * 60],
          ],
        );
      });

      it(`warns about exactly the inexact values of the ${stack} stack`, () => {
        const expected = stack === "prod" ? [["queue-worker", "batchSize", 25, "25 with a 1 s batching window"]] : [];
        assert.deepEqual(run.result.warnings.map((w) => [w.function, w.setting, w.asked, w.applied]), expected);
        assert.equal(logged.length, expected.length);
        if (expected.length > 0) assert.match(logged[0], /^\[aws\] queue-worker: batchSize asked 25, applied 25 with a 1 s batching window/);
      });
    });
  }

  describe("inexact values", () => {
    it("clamps maximum concurrency to 2 and rounds retention 10 → 14 days, listing and logging each", async () => {
      const base = stackFileValues("dev");
      const config = parseStackConfig(
        { ...base, apiKey: TEST_API_KEY, logRetentionDays: 10, overrides: { aws: { "queue-worker": { reservedConcurrency: 1 }, "users-api": { timeoutSeconds: 45 } } } },
        "dev",
      );
      const { result: run, logged } = await capturedWarnings(() => deploy("parity-odd", config));
      assert.deepEqual(run.one(T.eventSource).inputs.scalingConfig, { maximumConcurrency: 2 });
      assert.equal(byName(run.ofType(T.lambda), "parity-odd-queue-worker").inputs.reservedConcurrentExecutions, 1);
      for (const group of run.ofType(T.logGroup)) assert.equal(group.inputs.retentionInDays, 14);
      assert.equal(byName(run.ofType(T.lambda), "parity-odd-users-api").inputs.timeout, 45);
      assert.equal(run.one(T.integration).inputs.timeoutMilliseconds, 30000);
      const warnings = run.result.warnings.map((w) => [w.function, w.setting, w.asked, w.applied]);
      assert.deepEqual(
        new Set(warnings.map((w) => JSON.stringify(w))),
        new Set(
          [
            ["queue-worker", "reservedConcurrency (event source maximum concurrency)", 1, 2],
            ["users-api", "timeoutSeconds (HTTP API integration)", 45, 30],
            ["users-api", "logRetentionDays", 10, 14],
            ["queue-worker", "logRetentionDays", 10, 14],
            ["reconciler", "logRetentionDays", 10, 14],
          ].map((w) => JSON.stringify(w)),
        ),
      );
      assert.equal(logged.length, warnings.length);
      assert.ok(logged.some((line) => line.startsWith("[aws] queue-worker: reservedConcurrency (event source maximum concurrency) asked 1, applied 2")));
    });
  });

  describe("another catalog", () => {
    it("deploys a lone HTTP function with its own role, its own routes and no queue consumer", async () => {
      const hello = otherFunction(
        { name: "hello", trigger: { kind: "http" }, capabilities: ["users.read"], description: "says hello" },
        { memoryMb: 512, timeoutSeconds: 5, reservedConcurrency: 3, warmInstances: 0 },
      );
      const run = await runWithMocks(
        () => new AwsFunctions("greeter", { functions: [hello], apiKey: pulumi.secret(TEST_API_KEY), routes: ["GET /hello", "ANY /{proxy+}"] }),
        { stack: "team", stateFor },
      );
      const lambda = run.one(T.lambda).inputs;
      assert.equal(lambda.name, "greeter-hello");
      assert.equal(lambda.memorySize, 512);
      assert.equal(lambda.timeout, 5);
      assert.equal(lambda.role, run.one(T.role).state.arn);
      assert.equal(run.one(T.role).name, "greeter-hello-role");
      assert.equal(run.ofType(T.eventSource).length, 0);
      assert.equal(run.ofType(T.provisioned).length, 0);
      assert.deepEqual(run.ofType(T.route).map((r) => r.inputs.routeKey), ["GET /hello", "ANY /{proxy+}"]);
      const tableArn = run.one(T.table).state.arn;
      const logGroupArn = run.one(T.logGroup).state.arn;
      assert.deepEqual(
        allowedPairs(run.one(T.rolePolicy).inputs.policy),
        new Set([`dynamodb:GetItem on ${tableArn}`, `logs:CreateLogStream on ${logGroupArn}:*`, `logs:PutLogEvents on ${logGroupArn}:*`]),
      );
      assert.deepEqual(lambda.environment.variables, { USERS_TABLE: run.one(T.table).state.name, PARITY_PLATFORM: "aws", NODE_OPTIONS: "--enable-source-maps" });
      assert.deepEqual(run.result.grants.map((g) => [g.function, g.capability]), [["hello", "users.read"]]);
      assert.equal(run.one(T.logGroup).inputs.retentionInDays, 7, "default retention");
      assert.deepEqual(run.one(T.table).inputs.pointInTimeRecovery, { enabled: false }, "protectData defaults to false");
      assert.ok(run.result.api);
      assert.deepEqual(run.result.warnings, []);
      assert.deepEqual(run.result.schedules, {});
      for (const type of [T.schedule, T.invokeConfig]) assert.equal(run.ofType(type).length, 0, type);
      // No function publishes or consumes events, none reads the key: no queue and no secret.
      for (const type of [T.queue, T.secret, T.secretVersion]) assert.equal(run.ofType(type).length, 0, type);
      assert.equal(run.result.queues, undefined);
    });

    it("a publisher with no consumer gets the queue, with AWS's recommended redrive count and SQS's default visibility", async () => {
      const announcer = otherFunction({ name: "announcer", trigger: { kind: "http" }, capabilities: ["events.publish"], description: "announces" }, { memoryMb: 256, timeoutSeconds: 5, reservedConcurrency: 3, warmInstances: 0 });
      const run = await runWithMocks(() => new AwsFunctions("greeter", { functions: [announcer] }), { stack: "team", stateFor });
      const queue = byName(run.ofType(T.queue), "greeter-events-queue").inputs;
      assert.equal(JSON.parse(queue.redrivePolicy).maxReceiveCount, 5);
      assert.equal(queue.visibilityTimeoutSeconds, undefined);
      assert.equal(run.ofType(T.eventSource).length, 0);
      assert.equal(run.ofType(T.table).length, 0);
    });

    it("deploys a lone queue consumer without an HTTP API; its warm instances serve the queue through the alias", async () => {
      const mailer = otherFunction(
        { name: "mailer", trigger: { kind: "queue" }, capabilities: ["events.consume"], description: "sends mail" },
        { memoryMb: 128, timeoutSeconds: 20, reservedConcurrency: 4, warmInstances: 1, batchSize: 5, maxAttempts: 3 },
      );
      const run = await runWithMocks(() => new AwsFunctions("post", { functions: [mailer], apiKey: pulumi.secret(TEST_API_KEY) }), { stack: "team", stateFor });
      assert.equal(run.result.api, undefined);
      assert.equal(run.result.endpoint, undefined);
      for (const type of [T.api, T.stage, T.integration, T.route, T.permission]) assert.equal(run.ofType(type).length, 0, type);
      const mapping = run.one(T.eventSource).inputs;
      assert.equal(mapping.functionName, run.one(T.alias).state.arn);
      assert.equal(run.one(T.provisioned).inputs.provisionedConcurrentExecutions, 1);
      assert.equal(mapping.batchSize, 5);
      assert.deepEqual(mapping.scalingConfig, { maximumConcurrency: 4 });
      const queue = byName(run.ofType(T.queue), "post-events-queue");
      assert.equal(queue.inputs.visibilityTimeoutSeconds, 120);
      assert.equal(JSON.parse(queue.inputs.redrivePolicy).maxReceiveCount, 3);
      assert.deepEqual(
        allowedPairs(run.one(T.rolePolicy).inputs.policy),
        new Set([
          ...["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"].map((a) => `${a} on ${queue.state.arn}`),
          ...["logs:CreateLogStream", "logs:PutLogEvents"].map((a) => `${a} on ${run.one(T.logGroup).state.arn}:*`),
        ]),
      );
    });

    it("a lone warm schedule function is invoked through its alias; its scheduler may invoke that function and alias only", async () => {
      const sweeper = otherFunction(
        { name: "sweeper", trigger: { kind: "schedule", everyMinutes: 480 }, capabilities: ["users.listPending"], description: "sweeps" },
        { memoryMb: 128, timeoutSeconds: 30, reservedConcurrency: 2, warmInstances: 1, everyMinutes: 480 },
      );
      const { result: run, logged } = await capturedWarnings(() =>
        runWithMocks(() => new AwsFunctions("sweep", { functions: [sweeper], apiKey: pulumi.secret(TEST_API_KEY) }), { stack: "team", stateFor }),
      );
      const alias = run.one(T.alias).state.arn;
      const lambdaArn = run.one(T.lambda).state.arn;
      const schedule = run.one(T.schedule).inputs;
      assert.equal(schedule.scheduleExpression, "cron(0 0/8 * * ? *)");
      assert.equal(schedule.target.arn, alias, "warm instances serve the alias; the schedule invokes it, as the API and the queue do");
      const schedulerPolicy = byName(run.ofType(T.rolePolicy), "sweep-sweeper-scheduler-policy").inputs.policy;
      assert.deepEqual(allowedPairs(schedulerPolicy), new Set([`lambda:InvokeFunction on ${lambdaArn}`, `lambda:InvokeFunction on ${alias}`]));
      assert.deepEqual(run.one(T.invokeConfig).inputs, { functionName: "sweep-sweeper", qualifier: "live", maximumRetryAttempts: 0, maximumEventAgeInSeconds: 21600 });
      // 8 hours is within Scheduler's event age (86400 s) but past Lambda's async maximum (21600 s): clamped, and said.
      assert.deepEqual(schedule.target.retryPolicy, { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 28800 });
      assert.deepEqual(run.result.warnings.map((w) => [w.function, w.setting, w.asked, w.applied]), [["sweeper", "everyMinutes (Lambda async maximum event age)", 28800, 21600]]);
      assert.equal(logged.length, 1);
      assert.equal(await valueOf(run.result.schedules.sweeper.invoke!.resource), alias);
      assert.deepEqual(
        allowedPairs(byName(run.ofType(T.rolePolicy), "sweep-sweeper-policy").inputs.policy),
        new Set([
          `dynamodb:Query on ${run.one(T.table).state.arn}/index/pending-by-created`,
          ...["logs:CreateLogStream", "logs:PutLogEvents"].map((a) => `${a} on ${run.one(T.logGroup).state.arn}:*`),
        ]),
      );
    });
  });

  describe("the account's concurrency quota", () => {
    const quotaToken = "aws:servicequotas/getServiceQuota:getServiceQuota";
    const withQuota = (value: number) =>
      runWithMocks(
        () => new AwsFunctions("parity-prod", { functions: deploymentsFor(stackConfig("prod"), "aws"), apiKey: pulumi.secret(TEST_API_KEY) }),
        { stack: "prod", stateFor, invokes: { [quotaToken]: { value } } },
      );

    it("plans what the account needs: prod reserves 100 + 20 + 1, plus Lambda's unreserved 100", async () => {
      const run = await withQuota(221);
      assert.deepEqual(run.result.plan.concurrency, { reserved: 121, accountQuotaNeeded: 221 });
      assert.deepEqual(run.ofType(T.lambda).map((l) => l.inputs.reservedConcurrentExecutions).sort(), [100, 20, 1].sort());
    });

    it("stops before any Lambda is created when the quota is one short, naming the quota and the value needed", async () => {
      let registered: RecordedResource[] = [];
      await assert.rejects(
        withQuota(220).then((run) => (registered = run.resources)),
        (error: Error) => /L-B99A9384/.test(error.message) && /is 220/.test(error.message) && /at least 221/.test(error.message),
      );
      assert.equal(registered.filter((r) => r.type === T.lambda).length, 0);
    });

    for (const refusal of [
      "AccessDeniedException: User is not authorized to perform: servicequotas:GetAWSDefaultServiceQuota",
      "TooManyRequestsException: Rate exceeded",
    ]) {
      it(`warns and deploys when the quota cannot be read (${refusal.split(":")[0]}), naming the actions it needs`, async function () {
        this.timeout(120_000);
        const run = await runWithMocks(
          () => new AwsFunctions("parity-prod", { functions: deploymentsFor(stackConfig("prod"), "aws"), apiKey: pulumi.secret(TEST_API_KEY) }),
          {
            stack: "prod",
            stateFor,
            invokes: {
              [quotaToken]: () => {
                throw new Error(refusal);
              },
            },
          },
        );
        assert.equal(run.ofType(T.lambda).length, 3, "every function is still created");
        const warning = run.loggedWarnings.find((w) => w.includes("L-B99A9384"));
        assert.ok(warning, "a warning names the quota");
        assert.ok(warning.includes(refusal.split(":")[0]), `and why it could not be read: ${warning}`);
        assert.match(warning, /servicequotas:GetAWSDefaultServiceQuota and servicequotas:GetServiceQuota/);
        assert.match(warning, /at least 221/);
        assert.match(warning, /UnreservedConcurrentExecutions/);
      });
    }

    it("can be turned off where the deployer may not read Service Quotas", async () => {
      const run = await runWithMocks(
        () =>
          new AwsFunctions("parity-prod", { functions: deploymentsFor(stackConfig("prod"), "aws"), apiKey: pulumi.secret(TEST_API_KEY), accountConcurrencyCheck: false }),
        { stack: "prod", stateFor, invokes: { [quotaToken]: { value: 10 } } },
      );
      assert.equal(run.ofType(T.lambda).length, 3);
    });
  });

  describe("rejections", () => {
    it("rejects invalid stack config before any resource exists, naming the key", () => {
      const base = { ...stackFileValues("prod"), apiKey: TEST_API_KEY };
      assert.throws(
        () => parseStackConfig({ ...base, overrides: { aws: { "queue-worker": { batchSize: 0 } } } }, "prod"),
        (error: unknown) => error instanceof StackConfigError && /parity:overrides\.aws\.queue-worker\.batchSize/.test(error.message) && /"prod"/.test(error.message),
      );
      assert.throws(
        () => parseStackConfig({ ...base, functions: { "users-api": { memoryMb: 64 } } }, "prod"),
        (error: unknown) => error instanceof StackConfigError && /parity:functions\.users-api\.memoryMb/.test(error.message),
      );
      assert.throws(
        () => parseStackConfig({ ...base, logRetentionDays: 0 }, "prod"),
        (error: unknown) => error instanceof StackConfigError && /parity:logRetentionDays/.test(error.message),
      );
    });

    it("rejects args it cannot deploy, with a sentence naming the problem", async () => {
      const functions = deploymentsFor(stackConfig("dev"), "aws");
      const api = functions.find((f) => f.definition.name === "users-api")!;
      const worker = functions.find((f) => f.definition.name === "queue-worker")!;
      const attempts: [Partial<AwsFunctionsArgs> & { functions: FunctionDeployment[] }, RegExp][] = [
        [{ functions: [] }, /`functions` is empty/],
        [{ functions: [api, { ...api, definition: { ...api.definition, name: "users-api-2" } }] }, /only one HTTP function.*users-api, users-api-2/],
        [{ functions: [{ ...worker, settings: { ...worker.settings, batchSize: undefined } }] }, /needs settings\.batchSize/],
        [{ functions: [api], logRetentionDays: 0 }, /`logRetentionDays` must be a whole number/],
        [{ functions: [api], routes: [] }, /`routes` is empty/],
      ];
      for (const [args, message] of attempts) {
        await assert.rejects(
          runWithMocks(() => new AwsFunctions("parity-bad", { apiKey: TEST_API_KEY, ...args }), { stateFor }).then(() => undefined),
          message,
        );
      }
      await assert.rejects(
        runWithMocks(() => new AwsFunctions("x".repeat(60), { apiKey: TEST_API_KEY, functions: [api] }), { stateFor }).then(() => undefined),
        /must be at most 64/,
      );
    });
  });
});
