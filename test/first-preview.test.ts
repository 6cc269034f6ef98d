/**
 * A new stack's first `pulumi preview` of the whole program (index.ts, run as the CLI runs it:
 * test/infra/harness.ts `runIndex`), for the shipped stacks, under mocks shaped like a preview:
 * `pulumi.runtime.setMocks(mocks, project, stack, /* preview *\/ true)` with every resource's
 * state its inputs only, so every provider-computed output (ARNs, ids, URLs) is unknown
 * (scripts/offline.ts, `preview`). Each preview is compared with the same stack deployed under
 * mocks. The policy pack under a first preview is tested in test/policies/pack.test.ts.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { oneDeployProvider } from "../components/azure/one-deploy";
import { d1MigrationsProvider, subdomainProvider } from "../components/cloudflare/dynamic";
import { iamPropagationWaitProvider } from "../components/gcp/iam-wait";
import { engineProperties, UNKNOWN } from "../scripts/analyzer-requests";
import { dynamicKindOf, dynamicKinds, DYNAMIC_TYPE, type DynamicKind } from "../scripts/dynamic-kinds";
import { runIndex, stackFileValues, TEST_API_KEY, type MockRun } from "./infra/harness";

const ACCOUNT_ID = "9f2c4e1a7b3d5f6e8a0c2e4f6b8d0a1c";

/** Each dynamic provider of the program, as its `diff` runs in the dynamic provider host. */
const providers: Record<DynamicKind, pulumi.dynamic.ResourceProvider> = {
  OneDeploy: oneDeployProvider(),
  D1Migrations: d1MigrationsProvider,
  WorkersDevSubdomain: subdomainProvider,
  IamPropagationWait: iamPropagationWaitProvider(0),
};

/**
 * The stack outputs a first preview cannot know, and why: each is made of a value the provider,
 * not the program, decides. Every other output must be known in a first preview.
 */
const unknownInFirstPreview: Record<string, string> = {
  "endpoints.aws": "API Gateway assigns the API's host (apiEndpoint) when it creates the API",
  "endpoints.gcp": "Cloud Run assigns the function's service URL (serviceConfig.uri) when it creates the service",
  "endpoints.azure": "App Service assigns the app's defaultHostName when it creates the app",
  "endpoints.cloudflare": "the account's workers.dev subdomain is read from Cloudflare's API when WorkersDevSubdomain is created",
  // https://www.pulumi.com/docs/iac/concepts/resources/names/ ("Pulumi auto-names most resources
  // by default, using the logical name and a random suffix"): the provider makes the name.
  "queues.aws.queue": "the AWS provider auto-names the SQS queue (logical name plus a random suffix)",
  "queues.aws.deadLetter": "the AWS provider auto-names the SQS queue (logical name plus a random suffix)",
};

/** Every leaf path of a value with the value there. */
function leaves(value: unknown, path = ""): [string, unknown][] {
  if (value === null || typeof value !== "object") return [[path, value]];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, `${path}/${k}`));
}

/** A copy of `value` with the given leaf paths set to the engine's unknown sentinel. */
function withUnknownAt(value: Record<string, unknown>, paths: ReadonlySet<string>): Record<string, unknown> {
  const walk = (v: unknown, path: string): unknown => {
    if (paths.has(path)) return UNKNOWN;
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((e, i) => walk(e, `${path}/${i}`));
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, `${path}/${k}`)]));
  };
  return walk(value, "") as Record<string, unknown>;
}

/** Every Output a module exports, by dotted path, and whether its value is known. */
async function exportedOutputs(value: unknown, path = ""): Promise<[string, boolean][]> {
  // An Output's own promise of whether its value is known (the CLI shows `output<string>` when not).
  if (pulumi.Output.isInstance(value)) return [[path, await (value as unknown as { isKnown: Promise<boolean> }).isKnown]];
  if (value === null || typeof value !== "object") return [[path, true]];
  const nested = await Promise.all(Object.entries(value).map(([k, v]) => exportedOutputs(v, path ? `${path}.${k}` : k)));
  return nested.flat();
}

const byKey = (run: MockRun<unknown>) => new Map(run.resources.map((r) => [`${r.type}::${r.name}`, r]));

for (const stack of ["dev", "prod"] as const) {
  describe(`a first preview of the whole program (index.ts), stack ${stack}`, function () {
    // Two evaluations of the whole program; seconds of CPU each, minutes on a loaded machine.
    this.timeout(900_000);
    let deployed: MockRun<typeof import("../index")>;
    let preview: MockRun<typeof import("../index")>;

    before(async () => {
      const values = { ...stackFileValues(stack), apiKey: TEST_API_KEY, cloudflareAccountId: ACCOUNT_ID };
      deployed = await runIndex(values, { stack });
      preview = await runIndex(values, { stack, preview: true });
    });

    it("runs, registering what a deploy registers; every input it knows is the deploy's value (a re-preview of an unchanged stack differs in nothing)", () => {
      const deployedByKey = byKey(deployed);
      assert.deepEqual([...byKey(preview).keys()].sort(), [...deployedByKey.keys()].sort());
      assert.ok(preview.resources.some((r) => JSON.stringify(r.inputs).includes(UNKNOWN)), "some inputs are unknown in a first preview");
      const differences: string[] = [];
      for (const r of preview.resources) {
        const done = new Map(leaves(deployedByKey.get(`${r.type}::${r.name}`)!.inputs));
        for (const [path, value] of leaves(r.inputs)) {
          if (value === UNKNOWN) continue;
          if (JSON.stringify(done.get(path)) !== JSON.stringify(value)) differences.push(`${r.type} ${r.name} ${path}: ${JSON.stringify(value)} vs ${JSON.stringify(done.get(path))}`);
        }
      }
      assert.deepEqual(differences, []);
    });

    it("no dynamic resource plans a replacement of an unchanged resource: not when re-previewed, not with any input unknown", async () => {
      const previewByKey = byKey(preview);
      const dynamic = deployed.ofType(DYNAMIC_TYPE);
      const seen = new Set<DynamicKind>();
      for (const resource of dynamic) {
        const kind = dynamicKindOf(resource);
        seen.add(kind);
        const provider = providers[kind];
        // The dynamic provider host hands `diff` the engine's values (cmd/dynamic-provider/index.ts
        // `diff`: `req.getNews().toJavaScript()`): an unknown is the engine's sentinel string.
        const olds = engineProperties(resource.state);
        const unchanged = engineProperties(resource.inputs);
        const same = await provider.diff!(`${resource.name}-id`, olds, unchanged);
        assert.equal(same.changes, false, `${kind} ${resource.name}: a re-preview of the unchanged stack plans a change`);
        assert.deepEqual(same.replaces ?? [], [], `${kind} ${resource.name}`);
        // What this first preview left unknown (an upstream resource created, replaced or updated),
        // then each input alone unknown.
        const previewUnknown = new Set(leaves(previewByKey.get(`${DYNAMIC_TYPE}::${resource.name}`)!.inputs).filter(([, v]) => v === UNKNOWN).map(([p]) => p));
        const cases: [string, ReadonlySet<string>][] = [
          [[...previewUnknown].join(", ") || "nothing", previewUnknown],
          ...Object.keys(unchanged).map((key): [string, ReadonlySet<string>] => [`/${key}`, new Set([`/${key}`])]),
        ];
        for (const [label, paths] of cases) {
          const pending = await provider.diff!(`${resource.name}-id`, olds, withUnknownAt(unchanged, paths));
          assert.deepEqual(pending.replaces ?? [], [], `${kind} ${resource.name}: with ${label} unknown it plans a replacement`);
        }
      }
      assert.deepEqual([...seen].sort(), dynamicKinds.map((k) => k.kind).sort(), "every dynamic provider was exercised");
    });

    it("every stack output is known in a first preview, or the reason it is not is listed", async () => {
      const outputs = await exportedOutputs(preview.result);
      assert.ok(outputs.length > 10, `${outputs.length} outputs`);
      const unknown = outputs.filter(([, known]) => !known).map(([path]) => path);
      const unexplained = unknown.filter((path) => !(path in unknownInFirstPreview));
      assert.deepEqual(unexplained, [], "unknown in a first preview with no reason listed");
      // No stale reason: every listed output exists, and is unknown.
      assert.deepEqual(Object.keys(unknownInFirstPreview).sort(), unknown.sort());
      // A deploy knows them all.
      assert.deepEqual((await exportedOutputs(deployed.result)).filter(([, known]) => !known), []);
    });
  });
}
