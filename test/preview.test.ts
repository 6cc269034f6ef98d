/**
 * A new stack's first `pulumi preview` of the whole program (index.ts, loaded as
 * test/program.test.ts loads it), under mocks shaped like a preview:
 * `pulumi.runtime.setMocks(mocks, project, stack, /* preview *\/ true)` with every resource's
 * state its inputs only, so every provider-computed output (ARNs, ids, URLs) is unknown
 * (scripts/offline.ts, `preview`). Compared with the same program deployed under mocks.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { oneDeployProvider } from "../components/azure/one-deploy";
import { d1MigrationsProvider, subdomainProvider } from "../components/cloudflare/dynamic";
import { iamPropagationWaitProvider } from "../components/gcp/iam-wait";
import { platforms } from "../components/catalog";
import { engineProperties, UNKNOWN } from "../scripts/analyzer-requests";
import { runWithMocks, stackFileValues, TEST_API_KEY, type MockRun } from "./infra/harness";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
const ACCOUNT_ID = "9f2c4e1a7b3d5f6e8a0c2e4f6b8d0a1c";

/** Each dynamic provider of the program, recognised by the inputs it takes (a new one without an entry fails the test). */
const dynamicProviders: { name: string; takes: (inputs: Record<string, unknown>) => boolean; provider: pulumi.dynamic.ResourceProvider }[] = [
  { name: "OneDeploy (Azure)", takes: (i) => "zipPath" in i && "scmUrl" in i, provider: oneDeployProvider() },
  { name: "D1Migrations (Cloudflare)", takes: (i) => "databaseId" in i && "migrations" in i, provider: d1MigrationsProvider },
  { name: "WorkersDevSubdomain (Cloudflare)", takes: (i) => Object.keys(i).filter((k) => !k.startsWith("__") && k !== "apiToken" && k !== "apiBaseUrl").join() === "accountId", provider: subdomainProvider },
  { name: "IamPropagationWait (Google Cloud)", takes: (i) => "triggers" in i, provider: iamPropagationWaitProvider(0) },
];

/**
 * The stack outputs a first preview cannot know, and why: each is made of a value only the
 * provider assigns on create. Every other output must be known in the first preview.
 */
const unknownInFirstPreview: Record<string, string> = {
  "endpoints.aws": "API Gateway assigns the API's endpoint host (apiEndpoint) on create",
  "endpoints.gcp": "Cloud Run assigns the function's URL (serviceConfig.uri) on create",
  "endpoints.azure": "App Service assigns the app's defaultHostName on create",
  "endpoints.cloudflare": "the account's workers.dev subdomain is read from Cloudflare's API on create (WorkersDevSubdomain)",
  "queues.aws.queue": "SQS assigns the queue URL on create",
  "queues.aws.deadLetter": "SQS assigns the queue URL on create",
};

/** Every leaf path of a value with the recorded value there. */
function leaves(value: unknown, path = ""): [string, unknown][] {
  if (value === null || typeof value !== "object") return [[path, value]];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, `${path}/${k}`));
}

/** A copy of `value` with the given leaf paths set to the engine's unknown sentinel. */
function withUnknownAt(value: Record<string, unknown>, paths: Set<string>): Record<string, unknown> {
  const walk = (v: unknown, path: string): unknown => {
    if (paths.has(path)) return UNKNOWN;
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((e, i) => walk(e, `${path}/${i}`));
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, `${path}/${k}`)]));
  };
  return walk(value, "") as Record<string, unknown>;
}

describe("a first preview of the whole program (index.ts)", function () {
  this.timeout(300_000);
  type Program = typeof import("../index");
  let deployed: MockRun<Program>;
  let preview: MockRun<Program>;

  const runIndex = (options: { preview: boolean }) => {
    const values: Record<string, unknown> = { ...stackFileValues("prod"), apiKey: TEST_API_KEY, cloudflareAccountId: ACCOUNT_ID };
    const config = Object.fromEntries(Object.entries(values).map(([key, value]) => [`parity:${key}`, typeof value === "string" ? value : JSON.stringify(value)]));
    const indexPath = require.resolve("../index");
    delete require.cache[indexPath];
    return runWithMocks(() => require(indexPath) as Program, { stack: "prod", config, preview: options.preview });
  };

  before(async () => {
    deployed = await runIndex({ preview: false });
    preview = await runIndex({ preview: true });
  });

  const byKey = (run: MockRun<Program>) => new Map(run.resources.map((r) => [`${r.type}::${r.name}`, r]));

  it("runs, registering the same resources a deploy registers, with provider-computed inputs unknown", () => {
    assert.deepEqual([...byKey(preview).keys()].sort(), [...byKey(deployed).keys()].sort());
    assert.ok(preview.resources.some((r) => JSON.stringify(r.inputs).includes(UNKNOWN)), "some inputs are unknown in a first preview");
  });

  it("every input the preview knows is the value the deploy registers (nothing differs from run to run)", () => {
    const deployedByKey = byKey(deployed);
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

  it("no dynamic resource plans a replacement of an unchanged resource, with or without its provider-computed inputs unknown", async () => {
    const previewByKey = byKey(preview);
    const dynamic = deployed.ofType(DYNAMIC);
    assert.ok(dynamic.length >= 4);
    const seen = new Set<string>();
    for (const resource of dynamic) {
      const matches = dynamicProviders.filter((p) => p.takes(resource.inputs));
      assert.equal(matches.length, 1, `${resource.name}: ${matches.length} dynamic providers take inputs ${Object.keys(resource.inputs).join(", ")}`);
      const { name, provider } = matches[0];
      seen.add(name);
      // The dynamic provider's diff gets the raw protobuf values (cmd/dynamic-provider/index.ts
      // `diff`: `req.getNews().toJavaScript()`): an unknown is the engine's sentinel, a secret its wrapper.
      const olds = engineProperties(resource.state);
      const unchanged = engineProperties(resource.inputs);
      const unknownPaths = new Set(leaves(previewByKey.get(`${DYNAMIC}::${resource.name}`)!.inputs).filter(([, v]) => v === UNKNOWN).map(([p]) => p));
      const upstreamUnknown = withUnknownAt(unchanged, unknownPaths);
      const same = await provider.diff!(`${resource.name}-id`, olds, unchanged);
      assert.equal(same.changes, false, `${name} ${resource.name}: a re-preview of the unchanged stack plans a change`);
      assert.deepEqual(same.replaces ?? [], [], `${name} ${resource.name}`);
      const pending = await provider.diff!(`${resource.name}-id`, olds, upstreamUnknown);
      assert.deepEqual(pending.replaces ?? [], [], `${name} ${resource.name}: with ${[...unknownPaths].join(", ") || "nothing"} unknown it plans a replacement`);
    }
    assert.deepEqual([...seen].sort(), dynamicProviders.map((p) => p.name).sort(), "every dynamic provider was exercised");
  });

  it("every stack output is known in a first preview, or the reason it is not is listed", async () => {
    const outputs: [string, pulumi.Output<unknown>][] = [];
    const { endpoints, queues, functions } = preview.result;
    for (const platform of platforms) {
      outputs.push([`endpoints.${platform}`, pulumi.output(endpoints[platform]!)]);
      outputs.push([`queues.${platform}.queue`, pulumi.output(queues[platform]!.queue)], [`queues.${platform}.deadLetter`, pulumi.output(queues[platform]!.deadLetter)]);
      for (const [fn, name] of Object.entries(functions[platform]!)) outputs.push([`functions.${platform}.${fn}`, pulumi.output(name)]);
    }
    const unknown: string[] = [];
    for (const [path, output] of outputs) {
      // An Output's own promise of whether its value is known (what the CLI shows as `output<string>` when not).
      if (!(await (output as unknown as { isKnown: Promise<boolean> }).isKnown)) unknown.push(path);
    }
    assert.deepEqual(unknown.sort(), Object.keys(unknownInFirstPreview).sort());
  });
});
