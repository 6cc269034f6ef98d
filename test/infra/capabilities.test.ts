/**
 * Resources follow capabilities, on every platform in the same shape: a component of functions
 * that declare nothing creates each function, its identity, its logs and its front, and no
 * users store, events queue or secret; each shared resource appears with the first function
 * that declares what uses it; the API key is needed only when a function reads it; and the
 * reconciler's run settings reach only a function that reconciles the users store.
 *
 * The expected resource lists are written out here, not derived from the components, so the
 * test checks them against the contract and not against themselves.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { AwsFunctions } from "../../components/aws";
import { AzureFunctions } from "../../components/azure";
import { bundleFunction } from "../../components/bundle";
import type { Capability, FunctionDefinition, Platform } from "../../components/catalog";
import { CloudflareFunctions } from "../../components/cloudflare";
import { defaultsFor } from "../../components/config";
import { GcpFunctions } from "../../components/gcp";
import type { FunctionDeployment, PlatformFunctionsArgs, PlatformOutputs } from "../../components/platform";
import { helloDefinition } from "../fixtures/hello/catalog";
import { runWithMocks, TEST_API_KEY, valueOf, type MockRun } from "./harness";

const ACCOUNT_ID = "0123456789abcdef0123456789abcdef";

/** A function of the hello fixture's handler with the given trigger and capabilities (the handler is never run here). */
function userFunction(platform: Platform, name: string, trigger: FunctionDefinition["trigger"], capabilities: Capability[]): FunctionDeployment {
  const definition: FunctionDefinition = { ...helloDefinition, name, trigger, capabilities };
  const settings = defaultsFor(definition);
  return { definition, settings, bundle: bundleFunction({ ...helloDefinition, name, trigger: { kind: "http" } }, platform) };
}

const components: Record<Platform, (args: PlatformFunctionsArgs) => PlatformOutputs & pulumi.ComponentResource> = {
  aws: (args) => new AwsFunctions("team", args),
  gcp: (args) => new GcpFunctions("team", args),
  azure: (args) => new AzureFunctions("team", args),
  cloudflare: (args) => new CloudflareFunctions("team", { ...args, accountId: ACCOUNT_ID, workersDevSubdomain: "team" }),
};

const deploy = (platform: Platform, args: PlatformFunctionsArgs) => runWithMocks(() => components[platform](args));

/** Resource type → how many, without the component itself. */
function census(run: MockRun<unknown>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { type } of run.resources) if (!type.startsWith("parity:")) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** What a lone `hello` with no capabilities deploys: the function, its identity, its logs and its front. */
const helloOnly: Record<Platform, Record<string, number>> = {
  aws: {
    "aws:lambda/function:Function": 1,
    "aws:iam/role:Role": 1,
    "aws:iam/rolePolicy:RolePolicy": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
    "aws:apigatewayv2/api:Api": 1,
    "aws:apigatewayv2/stage:Stage": 1,
    "aws:apigatewayv2/integration:Integration": 1,
    "aws:apigatewayv2/route:Route": 2,
    "aws:lambda/permission:Permission": 1,
  },
  gcp: {
    // Cloud Functions, Cloud Run, Cloud Build, Artifact Registry, Cloud Storage, IAM: the function's own.
    "gcp:projects/service:Service": 6,
    "gcp:artifactregistry/repository:Repository": 1,
    "gcp:storage/bucket:Bucket": 1,
    "gcp:storage/bucketObject:BucketObject": 1,
    // The function's runtime identity and the build identity, with the build's roles and the wait for them (components/gcp/iam-wait.ts).
    "gcp:serviceaccount/account:Account": 2,
    "gcp:projects/iAMMember:IAMMember": 2,
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": 1,
    "pulumi-nodejs:dynamic:Resource": 1,
    "gcp:cloudfunctionsv2/function:Function": 1,
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": 1,
  },
  azure: {
    "azure-native:resources:ResourceGroup": 1,
    "azure-native:managedidentity:UserAssignedIdentity": 1,
    "azure-native:operationalinsights:Workspace": 1,
    "azure-native:applicationinsights:Component": 1,
    "azure-native:web:AppServicePlan": 1,
    "azure-native:web:WebApp": 1,
    // The app's own host storage and the deployment package's account (one container: its
    // package): what the Functions host itself runs on. No shared account: nothing declares a store or queue.
    "azure-native:storage:StorageAccount": 2,
    "azure-native:storage:BlobContainer": 1,
    "azure-native:authorization:RoleAssignment": 3,
    "pulumi-nodejs:dynamic:Resource": 1,
  },
  cloudflare: {
    "cloudflare:index/workersScript:WorkersScript": 1,
    "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain": 1,
  },
};

/** The shared resources' types on each platform, by what brings them. */
const sharedTypes: Record<Platform, { usersStore: string[]; events: string[]; apiKey: string[] }> = {
  aws: { usersStore: ["aws:dynamodb/table:Table"], events: ["aws:sqs/queue:Queue"], apiKey: ["aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretVersion:SecretVersion"] },
  gcp: { usersStore: ["gcp:firestore/database:Database"], events: ["gcp:pubsub/topic:Topic"], apiKey: ["gcp:secretmanager/secret:Secret", "gcp:secretmanager/secretVersion:SecretVersion"] },
  azure: { usersStore: ["azure-native:storage:Table"], events: ["azure-native:storage:Queue"], apiKey: ["azure-native:keyvault:Vault", "azure-native:keyvault:Secret"] },
  cloudflare: { usersStore: ["cloudflare:index/d1Database:D1Database"], events: ["cloudflare:index/queue:Queue"], apiKey: [] },
};

const platformList: Platform[] = ["aws", "gcp", "azure", "cloudflare"];

describe("components: resources follow capabilities", function () {
  this.timeout(120_000);

  for (const platform of platformList) {
    describe(platform, () => {
      it("a lone hello that declares nothing: its function, identity, logs and front, and nothing shared; no API key needed", async () => {
        const run = await deploy(platform, { functions: [userFunction(platform, "hello", { kind: "http" }, [])] });
        assert.deepEqual(census(run), helloOnly[platform]);
        assert.equal(run.result.queues, undefined, "no events queue to name");
        assert.deepEqual(run.result.grants, []);
        assert.ok(run.result.endpoint, "the HTTP function is the endpoint");
      });

      it("each shared resource comes with the first function that declares what uses it, and only then", async () => {
        const types = (run: MockRun<unknown>) => new Set(run.resources.map((r) => r.type));
        const shared = sharedTypes[platform];
        const consumer = await deploy(platform, { functions: [userFunction(platform, "hello", { kind: "http" }, []), userFunction(platform, "work", { kind: "queue" }, ["events.consume"])] });
        for (const type of shared.events) assert.ok(types(consumer).has(type), `${type} with a queue consumer`);
        for (const type of [...shared.usersStore, ...shared.apiKey]) assert.ok(!types(consumer).has(type), `no ${type} without users.* or apiKey.read`);
        assert.ok(consumer.result.queues, "the queue's names are reported");

        const reader = await deploy(platform, { functions: [userFunction(platform, "hello", { kind: "http" }, ["users.read", "apiKey.read"])], apiKey: pulumi.secret(TEST_API_KEY) });
        for (const type of [...shared.usersStore, ...shared.apiKey]) assert.ok(types(reader).has(type), `${type} with users.read and apiKey.read`);
        for (const type of shared.events) assert.ok(!types(reader).has(type), `no ${type} without events.*`);
        assert.equal(reader.result.queues, undefined);
      });

      it("refuses a missing API key when a function reads it, naming the function; accepts none when none does", async () => {
        const reads = userFunction(platform, "greeter", { kind: "http" }, ["apiKey.read"]);
        assert.throws(() => components[platform]({ functions: [reads] }), /`apiKey` is required: "greeter" declares apiKey\.read\. Pass it as a secret/);
        assert.throws(() => components[platform]({ functions: [reads], apiKey: "" }), /`apiKey` is required/);
      });

      it("a schedule function that does not reconcile the users store gets none of the reconciler's settings", async () => {
        const run = await deploy(platform, { functions: [userFunction(platform, "nightly", { kind: "schedule", everyMinutes: 60 }, [])] });
        const text = JSON.stringify(run.resources.map((r) => r.inputs));
        assert.doesNotMatch(text, /RECONCILE_GRACE_SECONDS|RECONCILE_TIME_BUDGET_SECONDS/);
        for (const warning of run.result.warnings) assert.doesNotMatch(warning.reason, /reconciler/, `${warning.setting}: ${warning.reason}`);
        assert.equal(Object.keys(run.result.schedules).length, 1);
      });

      it("a schedule function that finds pending users gets them", async () => {
        const run = await deploy(platform, { functions: [userFunction(platform, "sweeper", { kind: "schedule", everyMinutes: 5 }, ["users.listPending"])] });
        const text = JSON.stringify(run.resources.map((r) => r.inputs));
        assert.match(text, /RECONCILE_GRACE_SECONDS/);
        assert.match(text, /RECONCILE_TIME_BUDGET_SECONDS/);
      });
    });
  }

  it("Cloudflare: a user's schedule function's warnings name it and what it must do itself", async () => {
    const run = await deploy("cloudflare", { functions: [userFunction("cloudflare", "nightly", { kind: "schedule", everyMinutes: 60 }, [])] });
    const reasons = run.result.warnings.map((w) => w.reason);
    assert.ok(reasons.some((r) => r.includes('"nightly" must stop itself within 60 s')), reasons.join("\n"));
    assert.ok(reasons.some((r) => r.includes('a run of "nightly" that outlasts the interval overlaps the next')), reasons.join("\n"));
  });

  it("Cloudflare: refuses a malformed account id before any resource exists, naming the value; an Output is left to Cloudflare", async () => {
    const hello = userFunction("cloudflare", "hello", { kind: "http" }, []);
    for (const accountId of ["0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0"]) {
      assert.throws(() => new CloudflareFunctions("team", { functions: [hello], accountId }), new RegExp(`\`accountId\` must be 32 lower-case hex characters; got "${accountId}"\\.`));
    }
    assert.throws(() => new CloudflareFunctions("team", { functions: [hello], accountId: undefined as unknown as string }), /`accountId` is required/);
    const run = await runWithMocks(() => new CloudflareFunctions("team", { functions: [hello], accountId: pulumi.output("not-checked-here"), workersDevSubdomain: "team" }));
    assert.equal(await valueOf(run.one("cloudflare:index/workersScript:WorkersScript").inputs.accountId), "not-checked-here");
  });
});
