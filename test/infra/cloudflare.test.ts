/**
 * CloudflareFunctions under `pulumi.runtime.setMocks`: what a real `pulumi up` of the dev and
 * prod stack files would ask Cloudflare for (consumer settings, bindings per function, the
 * secret, the schema step, the reconciler's Cron Trigger, warnings), and a second catalog
 * through the same component. The
 * rules on their own are tested beside them (components/cloudflare/rules.test.ts).
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { CloudflareFunctions, WORKERS_COMPATIBILITY_DATE, type CloudflareFunctionsArgs } from "../../components/cloudflare";
import { migrationsAsStatements, readD1Migrations } from "../../components/cloudflare/migrations";
import { bundleFunction, deploymentsFor } from "../../components/bundle";
import { catalog, type Capability, type FunctionName } from "../../components/catalog";
import { settingsFor } from "../../components/config";
import type { FunctionDeployment } from "../../components/platform";
import { helloDefinition } from "../fixtures/hello/catalog";
import { evaluatePolicies } from "../../policies/evaluate";
import { cloudflarePolicies } from "../../policies/cloudflare";
import { runWithMocks, stackConfig, TEST_API_KEY, valueOf, type MockRun, type RecordedResource, type StateFor } from "./harness";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const T = {
  database: "cloudflare:index/d1Database:D1Database",
  queue: "cloudflare:index/queue:Queue",
  consumer: "cloudflare:index/queueConsumer:QueueConsumer",
  script: "cloudflare:index/workersScript:WorkersScript",
  subdomain: "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain",
  cron: "cloudflare:index/workersCronTrigger:WorkersCronTrigger",
  dynamic: "pulumi-nodejs:dynamic:Resource",
} as const;

/**
 * The expected binding per capability, written out here rather than imported, so the test
 * checks the component against the contract (bindings USERS_DB, EVENTS, API_KEY) and not
 * against itself. `consumer` = the queue consumer registration, not a binding.
 */
const expectedBinding: Record<Capability, { name: string; type: string } | "consumer"> = {
  "users.read": { name: "USERS_DB", type: "d1" },
  "users.create": { name: "USERS_DB", type: "d1" },
  "users.update": { name: "USERS_DB", type: "d1" },
  "users.listPending": { name: "USERS_DB", type: "d1" },
  "events.publish": { name: "EVENTS", type: "queue" },
  "events.consume": "consumer",
  "apiKey.read": { name: "API_KEY", type: "secret_text" },
};

/** Realistic ids, as Cloudflare would return them. */
const stateFor: StateFor = ({ type, name, inputs }) => {
  switch (type) {
    case T.database:
      return { uuid: `uuid-of-${inputs.name}`, id: `uuid-of-${inputs.name}` };
    case T.queue:
      return { queueId: `id-of-${inputs.queueName}`, id: `id-of-${inputs.queueName}` };
    case T.dynamic:
      return name.endsWith("workers-dev-subdomain") ? { subdomain: "parity-team" } : {};
    default:
      return {};
  }
};

const deploy = (functions: FunctionDeployment[], extra: Partial<CloudflareFunctionsArgs> = {}, stack = "dev") =>
  runWithMocks(
    () => new CloudflareFunctions("parity-cf", { functions, apiKey: TEST_API_KEY, accountId: ACCOUNT, ...extra }),
    { stack, stateFor },
  );

const bindingsOf = (script: RecordedResource) =>
  unwrapSecret(script.inputs.bindings).value as { type: string; name: string; [k: string]: unknown }[];
const scriptOf = (run: MockRun<CloudflareFunctions>, fn: string) => run.one(T.script, `-${fn}`);

/** The API key as the mock saw it: a secret arrives wrapped (sig + value) or plain. */
function unwrapSecret(value: unknown): { secret: boolean; value: unknown } {
  if (value && typeof value === "object" && "4dabf18193072939515e22adb298388d" in value) {
    return { secret: true, value: (value as unknown as { value: unknown }).value };
  }
  return { secret: false, value };
}

describe("infra: CloudflareFunctions", function () {
  this.timeout(120_000); // a hang guard: the first test loads the provider and bundles every function, slow on a busy machine

  for (const stack of ["dev", "prod"] as const) {
    describe(`${stack} stack`, () => {
      const config = stackConfig(stack);
      let run: MockRun<CloudflareFunctions>;
      before(async () => {
        run = await deploy(deploymentsFor(config, "cloudflare"), { protectData: config.protectData, logRetentionDays: config.logRetentionDays }, stack);
      });
      const settings = (fn: FunctionName) => settingsFor(config, "cloudflare", fn);

      it("creates one D1 database, the events queue and its dead-letter queue, one Worker per function", () => {
        assert.equal(run.ofType(T.database).length, 1);
        assert.deepEqual(run.ofType(T.queue).map((q) => q.inputs.queueName).sort(), ["parity-cf-events", "parity-cf-events-dlq"]);
        assert.deepEqual(run.ofType(T.script).map((s) => s.inputs.scriptName).sort(), ["parity-cf-queue-worker", "parity-cf-reconciler", "parity-cf-users-api"]);
        for (const resource of [...run.ofType(T.database), ...run.ofType(T.queue), ...run.ofType(T.script), ...run.ofType(T.cron)]) {
          assert.equal(resource.inputs.accountId, ACCOUNT);
        }
      });

      it("the queue consumer carries batchSize, maxRetries = maxAttempts − 1, maxConcurrency = reservedConcurrency and the DLQ", () => {
        const consumer = run.one(T.consumer);
        const worker = settings("queue-worker");
        assert.equal(consumer.inputs.type, "worker");
        assert.equal(consumer.inputs.scriptName, "parity-cf-queue-worker");
        assert.equal(consumer.inputs.queueId, "id-of-parity-cf-events");
        assert.equal(consumer.inputs.deadLetterQueue, "parity-cf-events-dlq");
        assert.deepEqual(consumer.inputs.settings, {
          batchSize: worker.batchSize,
          maxRetries: worker.maxAttempts! - 1,
          maxConcurrency: worker.reservedConcurrency,
        });
        assert.deepEqual(run.result.nativeSettings["queue-worker"], {
          cpuMs: worker.timeoutSeconds * 1000,
          memoryMb: 128,
          batchSize: worker.batchSize,
          maxRetries: worker.maxAttempts! - 1,
          maxConcurrency: worker.reservedConcurrency,
        });
        assert.ok(run.result.nodes["queue-worker"].consumer, "the consumer is the queue function's node");
      });

      it("each Worker gets exactly the bindings of its declared capabilities, plus PARITY_PLATFORM (and the reconciler its two run settings)", () => {
        for (const fn of catalog) {
          const expected = new Map<string, string>([["PARITY_PLATFORM", "plain_text"]]);
          if (fn.trigger.kind === "schedule") {
            expected.set("RECONCILE_GRACE_SECONDS", "plain_text");
            expected.set("RECONCILE_TIME_BUDGET_SECONDS", "plain_text");
          }
          for (const capability of fn.capabilities) {
            const binding = expectedBinding[capability];
            if (binding !== "consumer") expected.set(binding.name, binding.type);
          }
          const actual = new Map(bindingsOf(scriptOf(run, fn.name)).map((b) => [b.name, b.type]));
          assert.deepEqual([...actual].sort(), [...expected].sort(), `bindings of ${fn.name}`);
        }
        const queueWorker = bindingsOf(scriptOf(run, "queue-worker")).map((b) => b.name).sort();
        assert.deepEqual(queueWorker, ["PARITY_PLATFORM", "USERS_DB"], "queue-worker: the database only");
        const reconciler = bindingsOf(scriptOf(run, "reconciler")).map((b) => b.name).sort();
        assert.deepEqual(reconciler, ["EVENTS", "PARITY_PLATFORM", "RECONCILE_GRACE_SECONDS", "RECONCILE_TIME_BUDGET_SECONDS", "USERS_DB"], "reconciler: no API key");
      });

      it(`the reconciler fires from a Cron Trigger every ${config.functions.reconciler.everyMinutes} minutes (UTC), with no scheduler identity`, async () => {
        const every = settings("reconciler").everyMinutes!;
        const expression = { dev: "*/5 * * * *", prod: "*/10 * * * *" }[stack];
        assert.equal(every, { dev: 5, prod: 10 }[stack], "the stack file's interval");
        const triggers = run.ofType(T.cron);
        assert.deepEqual(triggers.map((t) => [t.inputs.scriptName, t.inputs.schedules]), [["parity-cf-reconciler", [{ cron: expression }]]]);
        assert.deepEqual(run.result.schedules, { reconciler: { expression, identity: undefined, invoke: undefined } });
        assert.equal(run.result.nativeSettings.reconciler.cron, expression);
        assert.ok(run.result.nodes.reconciler.cronTrigger, "the trigger is the reconciler's node");
        // Its run settings, as plain text: grace twice the interval, budget 80 % of the timeout.
        const bindings = Object.fromEntries(bindingsOf(scriptOf(run, "reconciler")).map((b) => [b.name, b]));
        assert.deepEqual([bindings.RECONCILE_GRACE_SECONDS.text, bindings.RECONCILE_TIME_BUDGET_SECONDS.text], [String(2 * every * 60), String(Math.floor(settings("reconciler").timeoutSeconds * 0.8))]);
        assert.equal(bindings.USERS_DB.id, "uuid-of-parity-cf-users");
        assert.equal(bindings.EVENTS.queueName, "parity-cf-events");
        // Cron Triggers run 30 s of CPU at most when they fire more often than hourly.
        assert.deepEqual(scriptOf(run, "reconciler").inputs.limits, { cpuMs: Math.min(settings("reconciler").timeoutSeconds * 1000, 30_000) });
      });

      it("bindings point at the exact resources", () => {
        const api = bindingsOf(scriptOf(run, "users-api"));
        assert.equal(api.find((b) => b.name === "USERS_DB")!.id, "uuid-of-parity-cf-users");
        assert.equal(api.find((b) => b.name === "EVENTS")!.queueName, "parity-cf-events");
        assert.equal(api.find((b) => b.name === "PARITY_PLATFORM")!.text, "cloudflare");
      });

      it("the API key is a secret_text binding holding a secret, never a plain-text binding", () => {
        const bindings = bindingsOf(scriptOf(run, "users-api"));
        const apiKey = bindings.find((b) => b.name === "API_KEY")!;
        assert.equal(apiKey.type, "secret_text");
        assert.equal(unwrapSecret(apiKey.text).value, TEST_API_KEY);
        // Pulumi marks the whole bindings list secret once one element is: encrypted in state.
        assert.ok(unwrapSecret(scriptOf(run, "users-api").inputs.bindings).secret, "the bindings holding the key are secret");
        for (const script of run.ofType(T.script)) {
          for (const binding of bindingsOf(script)) {
            if (binding.type !== "secret_text") assert.ok(!JSON.stringify(binding).includes(TEST_API_KEY), `${binding.name} leaks the key`);
          }
        }
      });

      it("grants equal the declared capabilities: each has its grant, nothing undeclared is granted", async () => {
        const component = run.result;
        for (const fn of catalog) {
          const granted = component.grants.filter((g) => g.function === fn.name).map((g) => g.capability).sort();
          assert.deepEqual(granted, [...fn.capabilities].sort(), fn.name);
        }
        const publish = component.grants.find((g) => g.capability === "events.publish")!;
        assert.equal(await valueOf(publish.resource), "queue:parity-cf-events");
        const read = component.grants.find((g) => g.capability === "users.read")!;
        assert.equal(await valueOf(read.resource), "d1:parity-cf-users");
      });

      it("Workers are ES modules from the bundle, compatibility date pinned, CPU limit set, logs on", () => {
        for (const fn of catalog) {
          const script = scriptOf(run, fn.name);
          const bundle = bundleFunction(fn, "cloudflare");
          assert.equal(script.inputs.mainModule, "index.js");
          assert.equal(script.inputs.bodyPart, undefined, "module syntax, not a service worker");
          assert.equal(script.inputs.compatibilityDate, WORKERS_COMPATIBILITY_DATE);
          assert.equal(script.inputs.contentFile, bundle.file);
          assert.equal(script.inputs.contentSha256, crypto.createHash("sha256").update(fs.readFileSync(bundle.file)).digest("hex"));
          if (fn.trigger.kind !== "schedule") assert.deepEqual(script.inputs.limits, { cpuMs: settings(fn.name).timeoutSeconds * 1000 });
          assert.equal(script.inputs.observability.enabled, true);
          assert.equal(script.inputs.observability.logs.enabled, true);
          assert.equal(script.inputs.observability.logs.invocationLogs, true);
        }
      });

      it("users-api is on workers.dev and its endpoint is that URL; the worker and the reconciler declare workers.dev off", async () => {
        const routes = run.ofType(T.subdomain);
        assert.deepEqual(
          routes.map((r) => [r.inputs.scriptName, r.inputs.enabled, r.inputs.previewsEnabled]).sort(),
          [["parity-cf-queue-worker", false, false], ["parity-cf-reconciler", false, false], ["parity-cf-users-api", true, false]],
        );
        assert.equal(await valueOf(run.result.endpoint!), "https://parity-cf-users-api.parity-team.workers.dev");
        assert.equal(await valueOf(run.result.queues!.deadLetter), "parity-cf-events-dlq");
        assert.equal(await valueOf(run.result.functionNames["queue-worker"]), "parity-cf-queue-worker");
      });

      it("the schema step gets every migration file by ledger name, the pending index among them", () => {
        const schema = run.ofType(T.dynamic).find((r) => r.name === "parity-cf-users-schema")!;
        assert.equal(schema.inputs.databaseId, "uuid-of-parity-cf-users");
        assert.equal(schema.inputs.accountId, ACCOUNT);
        const migrations = schema.inputs.migrations as { name: string; statements: string[] }[];
        assert.deepEqual(migrations, migrationsAsStatements(readD1Migrations()));
        const statements = migrations.flatMap((m) => m.statements);
        assert.ok(statements.some((s) => /^CREATE TABLE IF NOT EXISTS users .*email TEXT NOT NULL UNIQUE/.test(s)));
        assert.ok(statements.includes("CREATE INDEX IF NOT EXISTS users_pending ON users (created_at, id) WHERE welcomed_at IS NULL"));
      });

      it("warns for every setting Workers cannot express, naming it", () => {
        const warned = run.result.warnings.map((w) => `${w.function}:${w.setting}`).sort();
        const expected = [
          "*:logRetentionDays",
          "users-api:reservedConcurrency",
          "users-api:timeoutSeconds",
          "queue-worker:timeoutSeconds",
          "reconciler:timeoutSeconds",
          "reconciler:reservedConcurrency",
        ];
        for (const fn of ["users-api", "queue-worker", "reconciler"] as const) {
          if (settings(fn).memoryMb !== 128) expected.push(`${fn}:memoryMb`);
          if (settings(fn).warmInstances > 0) expected.push(`${fn}:warmInstances`);
        }
        assert.deepEqual(warned, expected.sort());
        const memory = run.result.warnings.find((w) => w.setting === "memoryMb" && w.function === "users-api")!;
        assert.equal(memory.applied, 128);
        assert.equal(memory.platform, "cloudflare");
        const reconcilerTimeout = run.result.warnings.find((w) => w.function === "reconciler" && w.setting === "timeoutSeconds")!;
        const timeout = settings("reconciler").timeoutSeconds;
        assert.equal(reconcilerTimeout.applied, `run budget ${Math.floor(timeout * 0.8)} s wall clock (of at most 900), cpuMs ${Math.min(timeout * 1000, 30_000)}`);
      });

      it(`protectData=${config.protectData}: the D1 database is ${config.protectData ? "" : "not "}protected from deletion`, () => {
        // Resource options are not part of what the mock monitor sees; read the resource's own flag.
        assert.equal(Boolean((run.result.usersDatabase as unknown as { __protect?: boolean }).__protect), config.protectData);
      });
    });
  }

  describe("a second catalog: one HTTP function only", () => {
    const hello: FunctionDeployment = {
      definition: { ...helloDefinition, capabilities: ["users.read"] },
      bundle: bundleFunction(helloDefinition, "cloudflare"),
      settings: { memoryMb: 128, timeoutSeconds: 5, reservedConcurrency: 3, warmInstances: 0 },
    };
    let run: MockRun<CloudflareFunctions>;
    before(async () => {
      run = await deploy([hello], { workersDevSubdomain: "my-team" });
    });

    it("deploys one Worker with only the D1 binding it declared, no consumer, no secret, no producer", () => {
      const script = run.one(T.script);
      assert.equal(script.inputs.scriptName, "parity-cf-hello");
      assert.deepEqual(bindingsOf(script).map((b) => b.name).sort(), ["PARITY_PLATFORM", "USERS_DB"]);
      assert.equal(run.ofType(T.consumer).length, 0);
      assert.equal(run.ofType(T.cron).length, 0);
      assert.deepEqual(run.result.schedules, {});
      assert.deepEqual(run.result.grants.map((g) => g.capability), ["users.read"]);
    });

    it("uses the given workers.dev subdomain without an API lookup", async () => {
      assert.equal(await valueOf(run.result.endpoint!), "https://parity-cf-hello.my-team.workers.dev");
      assert.ok(!run.ofType(T.dynamic).some((r) => r.name.endsWith("workers-dev-subdomain")));
      assert.deepEqual(Object.keys(run.result.nodes), ["hello"]);
      assert.equal(run.result.nodes.hello.consumer, undefined);
    });

    it("a memory of exactly 128 MB and no warm instances are not warned about", () => {
      const settings = run.result.warnings.filter((w) => w.function === "hello").map((w) => w.setting).sort();
      assert.deepEqual(settings, ["reservedConcurrency", "timeoutSeconds"]);
    });
  });

  describe("the policy pack's Cron Trigger count on this component's graph", () => {
    it("exactly 250 Cron Triggers (the Workers Paid limit) pass; 251 fire cloudflare-cron-triggers-per-account", async () => {
      const run = await deploy(deploymentsFor(stackConfig("dev"), "cloudflare"));
      const withSchedules = (n: number) =>
        run.resources.map((r) => {
          if (r.type !== T.cron) return r;
          // Stack rules read the state (outputs), as the engine sends them (policies/evaluate.ts): set both.
          const schedules = Array.from({ length: n }, () => ({ cron: "*/5 * * * *" }));
          return { ...r, inputs: { ...r.inputs, schedules }, state: { ...r.state, schedules } };
        });
      const fired = async (n: number) => (await evaluatePolicies(withSchedules(n), cloudflarePolicies)).map((v) => v.policy);
      assert.deepEqual(await fired(250), []);
      assert.deepEqual(await fired(251), ["cloudflare-cron-triggers-per-account"]);
    });
  });

  describe("the deploy API token", () => {
    it("a plain-string deployApiToken reaches both deploy-time steps as a secret, never in clear in the state", async () => {
      const run = await deploy(deploymentsFor(stackConfig("dev"), "cloudflare"), { deployApiToken: "plain-deploy-token" });
      const steps = run.ofType(T.dynamic);
      assert.deepEqual(steps.map((r) => r.name).sort(), ["parity-cf-users-schema", "parity-cf-workers-dev-subdomain"]);
      for (const step of steps) assert.deepEqual(unwrapSecret(step.inputs.apiToken), { secret: true, value: "plain-deploy-token" }, step.name);
    });
  });

  describe("argument checks", () => {
    it("rejects args it cannot deploy, with a sentence naming the component and the problem", async () => {
      const functions = deploymentsFor(stackConfig("dev"), "cloudflare");
      const api = functions.find((f) => f.definition.name === "users-api")!;
      const worker = functions.find((f) => f.definition.name === "queue-worker")!;
      const attempts: [string, FunctionDeployment[], RegExp][] = [
        ["parity-cf", [], /CloudflareFunctions "parity-cf": `functions` is empty/],
        ["parity-cf", [api, { ...api, definition: { ...api.definition, name: "users-api-2" } }], /only one HTTP function.*users-api, users-api-2/],
        ["parity-cf", [{ ...worker, settings: { ...worker.settings, maxAttempts: undefined } }], /needs settings\.batchSize and settings\.maxAttempts/],
        ["Parity", [api], /Worker name "Parity-users-api" must be at most 63 lower-case/],
      ];
      const reconciler = functions.find((f) => f.definition.name === "reconciler")!;
      attempts.push(["parity-cf", [{ ...reconciler, settings: { ...reconciler.settings, everyMinutes: 7 } }], /needs settings\.everyMinutes that divides an hour/]);
      for (const [name, fns, message] of attempts) {
        await assert.rejects(
          runWithMocks(() => new CloudflareFunctions(name, { functions: fns, apiKey: TEST_API_KEY, accountId: ACCOUNT }), { stateFor }).then(() => undefined),
          message,
        );
      }
    });

    it("Cron Triggers per account on Workers Free: 5 deploy, a sixth is refused before any resource exists", async () => {
      const reconciler = deploymentsFor(stackConfig("dev"), "cloudflare").find((f) => f.definition.name === "reconciler")!;
      const schedules = (n: number) => Array.from({ length: n }, (_, i) => ({ ...reconciler, definition: { ...reconciler.definition, name: `reconciler-${i}` } }));
      const free = (n: number) => runWithMocks(() => new CloudflareFunctions("parity-cf", { functions: schedules(n), apiKey: TEST_API_KEY, accountId: ACCOUNT, workersPlan: "free" }), { stateFor });
      assert.equal((await free(5)).ofType(T.cron).length, 5);
      await assert.rejects(free(6).then(() => undefined), /CloudflareFunctions "parity-cf": 6 schedule functions need 6 Cron Triggers, but a Workers Free account holds at most 5/);
    });
  });
});
