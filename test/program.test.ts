import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { catalog, platforms } from "../components/catalog";
import { formatWarning } from "../components/platform";
import { deployStack } from "../components/program";
import { formatPlan, mandatoryViolations, planStack } from "../scripts/plan";
import { formatViolation } from "../policies/evaluate";
import { parityPolicies } from "../policies/pack";
import { SECRET_SIG, SIG_KEY } from "../scripts/analyzer-requests";
import { endpointState, runIndex, runWithMocks, stackConfig, valueOf, TEST_API_KEY } from "./infra/harness";

/**
 * Where `needle` appears in a recorded input outside any secret, as property paths. The SDK
 * registers a `pulumi.secret` wrapped in Pulumi's secret signature (the mocks record it so);
 * the policy pack cannot make this check, because the CLI hands rules every secret already
 * unwrapped (@pulumi/policy deserialize.ts), so it is made here.
 */
function plainOccurrences(value: unknown, needle: string, path: string): string[] {
  if (typeof value === "string") return value.includes(needle) ? [path] : [];
  if (value === null || typeof value !== "object") return [];
  if ((value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG) return [];
  return Object.entries(value).flatMap(([key, v]) => plainOccurrences(v, needle, `${path}.${key}`));
}

describe("the stack program (index.ts) and npm run plan", function () {
  this.timeout(120_000);

  it("creates one component per enabled platform and exports endpoints, queues and functions for each; no secret in a plain input", async () => {
    const config = stackConfig("prod");
    const run = await runWithMocks(() => deployStack(config, pulumi.secret(TEST_API_KEY)), { stack: "prod", stateFor: endpointState });
    const { outputs, components } = run.result;
    assert.deepEqual(Object.keys(components).sort(), [...platforms].sort());
    for (const platform of platforms) {
      assert.match(String(await valueOf(outputs.endpoints[platform]!)), /^https:\/\/[a-z0-9.-]+[a-z0-9](\/[\w-]+)?$/, `${platform} endpoint`);
      const queues = outputs.queues[platform]!;
      assert.ok(await valueOf(queues.queue), `${platform} queue`);
      assert.ok(await valueOf(queues.deadLetter), `${platform} dead-letter queue`);
      assert.notEqual(await valueOf(queues.queue), await valueOf(queues.deadLetter));
      assert.deepEqual(Object.keys(outputs.functions[platform]!).sort(), catalog.map((fn) => fn.name).sort());
      for (const fn of catalog) assert.match(String(await valueOf(outputs.functions[platform]![fn.name])), /parity-prod/);
    }
    // No stack output is a secret or carries the API key: `pulumi stack output` prints outputs in
    // plain text, and the policy pack cannot see outputs (CrossGuard judges resources).
    const everyOutput = [
      ...Object.values(outputs.endpoints),
      ...Object.values(outputs.queues).flatMap((q) => [q!.queue, q!.deadLetter]),
      ...Object.values(outputs.functions).flatMap((fns) => Object.values(fns!)),
    ];
    for (const output of everyOutput) {
      assert.equal(await pulumi.isSecret(output as pulumi.Output<string>), false, "a stack output is never a secret");
      assert.ok(!String(await valueOf(output!)).includes(TEST_API_KEY), "no stack output carries the API key");
    }
    // No secret in a plain input: the API key reaches every platform only as a Pulumi secret.
    assert.deepEqual(run.resources.flatMap((r) => plainOccurrences(r.inputs, TEST_API_KEY, `${r.type} ${r.name}`)), []);
    // It is stored on every platform (the check above is not vacuous).
    const holders = run.resources.filter((r) => JSON.stringify(r.inputs).includes(TEST_API_KEY)).map((r) => r.type.split(":")[0]);
    assert.deepEqual([...new Set(holders)].sort(), ["aws", "azure-native", "cloudflare", "gcp"]);
    // A component that stored it plain (AWS's SecretVersion given the value, not the secret) is found.
    const version = run.one("aws:secretsmanager/secretVersion:SecretVersion");
    const stored = version.inputs.secretString;
    assert.equal(stored?.[SIG_KEY], SECRET_SIG, "the SecretVersion's secretString is registered as a secret");
    assert.deepEqual(plainOccurrences({ ...version.inputs, secretString: stored.value }, TEST_API_KEY, version.name), [`${version.name}.secretString`]);

    // Every inexact translation is said out loud through pulumi.log.warn, once.
    const recorded = Object.values(components).flatMap((c) => c!.warnings.map(formatWarning));
    assert.ok(recorded.length > 0);
    assert.deepEqual([...run.loggedWarnings].sort(), recorded.sort());
    const componentTypes = run.resources.filter((r) => r.type.startsWith("parity:")).map((r) => `${r.type} ${r.name}`);
    assert.deepEqual(componentTypes.sort(), platforms.map((p) => `parity:${p}:Functions parity-prod`).sort());
  });

  it("index.ts reads the stack config through Pulumi and exports the stack outputs", async () => {
    const run = await runIndex({ platforms: ["aws"], functions: { "users-api": { memoryMb: 512 } }, apiKey: TEST_API_KEY });
    assert.deepEqual(Object.keys(run.result.endpoints), ["aws"]);
    assert.match(String(await valueOf(run.result.endpoints.aws!)), /^https:\/\//);
    const lambdas = run.ofType("aws:lambda/function:Function");
    assert.deepEqual(
      Object.fromEntries(lambdas.map((l) => [l.name, l.inputs.memorySize])),
      { "parity-dev-users-api": 512, "parity-dev-queue-worker": 256, "parity-dev-reconciler": 256 },
      "the stack's setting reaches users-api; the others keep the defaults",
    );
  });

  it("index.ts stops on bad stack config before any resource is created", async () => {
    let error: Error | undefined;
    const run = await runIndex({ platforms: ["aws"], functions: { "users-api": { reservedConcurency: 3 } }, apiKey: TEST_API_KEY }).catch((e) => {
      error = e as Error;
      return undefined;
    });
    assert.equal(run, undefined);
    assert.match(String(error?.message), /Invalid stack config for stack "dev" \(nothing was created\)/);
    assert.match(String(error?.message), /parity:functions\.users-api\.reservedConcurency: unknown setting/);
  });

  it("index.ts refuses to deploy cloudflare without a real account id, and passes a given one to every resource", async () => {
    await assert.rejects(runIndex({ platforms: ["cloudflare"], apiKey: TEST_API_KEY }), /parity:cloudflareAccountId: is required to deploy cloudflare/);
    await assert.rejects(
      runIndex({ platforms: ["cloudflare"], apiKey: TEST_API_KEY, cloudflareAccountId: "0123456789abcdef0123456789abcdef" }),
      /is a placeholder, not an account id/,
    );
    const accountId = "9f2c4e1a7b3d5f6e8a0c2e4f6b8d0a1c";
    const run = await runIndex({ platforms: ["cloudflare"], apiKey: TEST_API_KEY, cloudflareAccountId: accountId });
    const owned = run.resources.filter((r) => r.type.startsWith("cloudflare:"));
    assert.ok(owned.length > 0);
    for (const resource of owned) assert.equal(resource.inputs.accountId, accountId, `${resource.type} ${resource.name}`);
  });

  it("deploys only the platforms the stack enables", async () => {
    const config = { ...stackConfig("dev"), platforms: ["cloudflare" as const] };
    const run = await runWithMocks(() => deployStack(config, TEST_API_KEY), { stack: "dev" });
    assert.deepEqual(Object.keys(run.result.outputs.endpoints), ["cloudflare"]);
    assert.equal(run.resources.filter((r) => r.type.startsWith("aws:")).length, 0);
  });

  it("plan reports, offline, a grant for every declared capability on every platform, and the warnings", async () => {
    const report = await planStack(stackConfig("dev"));
    for (const platform of platforms) {
      for (const fn of catalog) {
        const granted = new Set(report.grants.filter((g) => g.platform === platform && g.function === fn.name).map((g) => g.capability));
        assert.deepEqual([...granted].sort(), [...fn.capabilities].sort(), `${platform} ${fn.name}`);
      }
      assert.ok(Object.keys(report.resources[platform] ?? {}).length > 0, `${platform} resources`);
    }
    assert.ok(report.warnings.some((w) => w.startsWith("[cloudflare] users-api: memoryMb")));
    assert.equal(report.bundles.length, platforms.length * catalog.length);
    assert.deepEqual(report.cost.estimates.map((e) => e.platform).sort(), [...platforms].sort());
    for (const estimate of report.cost.estimates) assert.ok(estimate.perMillion > 0, `${estimate.platform} costs something`);
    const text = formatPlan(report);
    assert.match(text, /Cost estimate of the stack per month .*assumed 50 ms per request, 10,000,000 users-api requests a month/);
    // The whole bill of the stack, by kind of line, for every platform.
    for (const estimate of report.cost.estimates) assert.match(text, new RegExp(`  ${estimate.platform}: USD [0-9.]+ a month`));
    assert.equal((text.match(/by kind: compute [0-9.]+, front [0-9.]+, store [0-9.]+, queue [0-9.]+, secrets [0-9.]+, scheduler [0-9.]+, logs [0-9.]+/g) ?? []).length, platforms.length);
    assert.match(text, /OFFLINE: evaluated under Pulumi mocks\. No provider was asked and nothing was created/);
    assert.match(text, /Grants \(compiled from each function's declared capabilities\)/);

    // The schedule of every platform, in its own dialect, at the same UTC minutes.
    assert.deepEqual(
      Object.fromEntries(report.schedules.map((s) => [s.platform, s.expression])),
      { aws: "cron(0/5 * * * ? *)", gcp: "*/5 * * * *", azure: "0 */5 * * * *", cloudflare: "*/5 * * * *" },
    );
    assert.match(text, /Schedules \(UTC, clock-aligned/);

    // The policy pack ran over this graph and passes; the section says so.
    assert.deepEqual(report.policies.violations.map(formatViolation), []);
    assert.equal(report.policies.evaluated, parityPolicies.length);
    assert.match(text, new RegExp(`Policies \\(${parityPolicies.length} rules of the cloud-rules pack, policies/; 0 violations\\)\\n  every rule passes`));
    assert.equal(mandatoryViolations(report), 0);

    // A mandatory violation is listed with rule, resource and source, and makes the plan fail.
    const violation = { policy: "aws-sqs-queue-name", enforcementLevel: "mandatory" as const, resource: "aws:sqs/queue:Queue parity-events", message: "too long", url: "https://docs.aws.amazon.com/x" };
    const broken = { ...report, policies: { ...report.policies, violations: [violation, { ...violation, enforcementLevel: "advisory" as const }] } };
    assert.equal(mandatoryViolations(broken), 1, "only the mandatory one stops a deploy");
    assert.match(formatPlan(broken), /\[mandatory\] aws-sqs-queue-name on aws:sqs\/queue:Queue parity-events: too long \(https:\/\/docs\.aws\.amazon\.com\/x\)/);
    assert.match(formatPlan(broken), /1 mandatory violation\(s\): `pulumi up` with the policy pack would refuse this stack/);
  });

  it("plan rejects bad stack config before evaluating anything, naming key and stack", () => {
    const root = path.resolve(__dirname, "..");
    const run = (args: string[]) => {
      try {
        execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", ...args], { cwd: root, encoding: "utf8", stdio: "pipe" });
        return { status: 0, stderr: "" };
      } catch (error) {
        const failed = error as { status: number; stderr: string };
        return { status: failed.status, stderr: failed.stderr };
      }
    };
    const badPlatform = run(["--stack", "dev", "--platforms", "aws,heroku"]);
    assert.equal(badPlatform.status, 1);
    assert.match(badPlatform.stderr, /stack "dev"/);
    assert.match(badPlatform.stderr, /parity:platforms: unknown platform "heroku"; allowed values: aws, gcp, azure, cloudflare/);
    const noStack = run(["--stack", "staging"]);
    assert.equal(noStack.status, 1);
    assert.match(noStack.stderr, /No stack file Pulumi\.staging\.yaml; known stacks: dev, prod/);
  });
});
