/**
 * The cloud-rules pack over offline graphs: every rule passes on the checked-in stacks, a
 * 20-character stack name and a second catalog, and every rule fires on a graph broken for it;
 * then the same graphs through the pack loaded the way the CLI loads it (the second suite).
 * Both suites share one evaluation of each graph (the program under mocks is the slow part).
 */
import assert from "node:assert/strict";
import { analyzeGraph, evaluatePolicies, formatViolation, toViolations } from "../../policies/evaluate";
import { PACK_NAME, parityPolicies } from "../../policies/pack";
import type { RecordedResource } from "../../scripts/offline";
import { helloCatalog } from "../fixtures/hello/catalog";
import { breakers } from "./breakers/index";
import { userAssignedIdentityIds } from "../../policies/azure";
import { analyzeRequest, analyzeStackRequest, SECRET_SIG, SIG_KEY, type AnalyzerDiagnostic } from "../../scripts/analyzer-requests";
import { startCliAnalyzer, type CliAnalyzer } from "./cli-analyzer";
import { copyGraph, LONG_STACK, stackGraph } from "./graphs";

/** The shipped stacks' graphs, each with its stack name and, for two of them, its first preview. */
export const graphCases = [
  { name: "dev", stack: "dev", options: { file: "dev" as const }, preview: false },
  { name: "prod", stack: "prod", options: { file: "prod" as const }, preview: true },
  { name: `${LONG_STACK} (20 characters)`, stack: LONG_STACK, options: { file: "prod" as const, stack: LONG_STACK }, preview: false },
  { name: "second catalog (hello)", stack: "dev", options: { file: "dev" as const, catalog: helloCatalog }, preview: true },
];
const graphs: Record<string, RecordedResource[]> = {};
const previews: Record<string, RecordedResource[]> = {};
let evaluated: Promise<void> | undefined;
/**
 * Evaluates every graph once for both suites. First previews for prod and the second catalog
 * only: each evaluation of the program costs seconds of CPU, and the names of the other two
 * are known in a preview as in a deploy (they come from the stack name, not from a provider).
 */
const evaluateGraphs = () =>
  (evaluated ??= (async () => {
    for (const c of graphCases) {
      graphs[c.name] = await stackGraph(c.options);
      if (c.preview) previews[c.name] = await stackGraph({ ...c.options, preview: true });
    }
  })());

describe("policy pack: cloud rules", function () {
  this.timeout(170_000);
  before(evaluateGraphs);

  it("every policy names its source, a description and an enforcement level; names are unique", () => {
    const names = parityPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const policy of parityPolicies) {
      assert.match(policy.url, /^https:\/\//, policy.name);
      assert.ok(policy.description.length > 10, policy.name);
      assert.ok(["mandatory", "advisory"].includes(policy.enforcementLevel), policy.name);
    }
  });

  for (const graph of ["dev", "prod", `${LONG_STACK} (20 characters)`, "second catalog (hello)"]) {
    it(`passes on ${graph}`, async () => {
      const violations = await evaluatePolicies(graphs[graph], parityPolicies);
      assert.deepEqual(violations.map(formatViolation), []);
    });
  }

  it("no rule depends on a secret marker: the graph with every secret unwrapped (as the CLI hands it over) gets the same verdicts", async () => {
    const unwrap = (value: unknown): unknown => {
      if (value === null || typeof value !== "object") return value;
      if ((value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG) return unwrap((value as { value: unknown }).value);
      if (Array.isArray(value)) return value.map(unwrap);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    };
    for (const graph of [graphs.prod, breakers["aws-no-plain-secret"](graphs.prod), breakers["cloudflare-no-secret-in-plain-text"](graphs.prod)]) {
      const unwrapped = copyGraph(graph).map((r) => ({ ...r, inputs: unwrap(r.inputs) as Record<string, any>, state: unwrap(r.state) as Record<string, any> }));
      assert.deepEqual((await evaluatePolicies(unwrapped, parityPolicies)).map(formatViolation), (await evaluatePolicies(graph, parityPolicies)).map(formatViolation));
    }
  });

  it("the azure rules read an app's user-assigned identities in both shapes: inputs list them, azure-native's outputs map them", () => {
    const id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/parity-prod-users-api-identity";
    assert.deepEqual(userAssignedIdentityIds({ userAssignedIdentities: [id] }), [id]);
    assert.deepEqual(userAssignedIdentityIds({ userAssignedIdentities: { [id]: { principalId: "p", clientId: "c" } } }), [id]);
    assert.deepEqual(userAssignedIdentityIds(undefined), []);
    // The stack rules get the outputs: the recorded WebApps' state holds the map (scripts/offline.ts azureState).
    const app = graphs.prod.find((r) => r.type === "azure-native:web:WebApp" && r.name.endsWith("-users-api"))!;
    assert.ok(!Array.isArray(app.state.identity.userAssignedIdentities) && Object.keys(app.state.identity.userAssignedIdentities).length === 1);
    assert.equal(app.state.siteConfig.appSettings, undefined, "azure-native's WebApp outputs carry no app settings");
  });

  for (const policy of parityPolicies) {
    it(`${policy.name} fires on a graph broken for it, and only that rule does`, async () => {
      const breaker = breakers[policy.name];
      assert.ok(breaker, `no broken graph for ${policy.name}: a rule that is never shown to fire may never fire`);
      const violations = await evaluatePolicies(breaker(graphs.prod), parityPolicies);
      assert.ok(violations.some((v) => v.policy === policy.name), `${policy.name} did not fire`);
      assert.deepEqual([...new Set(violations.map((v) => v.policy))], [policy.name], violations.map(formatViolation).join("\n"));
    });
  }
});

/** The library's message for a rule that read an unknown (@pulumi/policy server.ts, UnknownValueError). */
const CANNOT_DECIDE = new RegExp(`^can't run policy '[\\w-]+' from policy pack '${PACK_NAME}@v0\\.1\\.0' during preview: \\w+ value at \\.[\\w.]+ can't be known during preview$`);

describe("policy pack loaded as the CLI loads it (run-policy-pack, gRPC, the engine's encoding)", function () {
  // One type-checked compile of the pack in its own process (about 13 s of CPU), while the graphs are evaluated here.
  this.timeout(170_000);
  let analyzer: CliAnalyzer;

  before(async () => {
    const starting = startCliAnalyzer();
    starting.catch(() => undefined);
    await evaluateGraphs();
    analyzer = await starting;
    const { wallSeconds, cpuSeconds } = analyzer.startup;
    console.log(`      run-policy-pack: port after ${wallSeconds.toFixed(1)} s (${cpuSeconds.toFixed(1)} s CPU: ts-node's type-checked compile of the pack)`);
  });
  after(async () => analyzer?.stop());

  /** Every call the engine makes for a graph: ConfigureStack, Analyze per resource, AnalyzeStack. */
  async function viaCli(graph: readonly RecordedResource[], stack: string, dryRun: boolean, only?: (r: RecordedResource) => boolean): Promise<AnalyzerDiagnostic[]> {
    await analyzer.configureStack(stack, dryRun);
    const diagnostics: AnalyzerDiagnostic[] = [];
    for (const resource of graph.filter(only ?? (() => true))) diagnostics.push(...(await analyzer.analyze(analyzeRequest(resource))));
    diagnostics.push(...(await analyzer.analyzeStack(analyzeStackRequest(graph))));
    return diagnostics;
  }

  it("GetAnalyzerInfo names the pack, its version and every rule at its enforcement level", async () => {
    const info = await analyzer.info();
    assert.equal(info.name, PACK_NAME);
    assert.equal(info.version, "0.1.0");
    // analyzer.proto EnforcementLevel: ADVISORY 0, MANDATORY 1.
    assert.deepEqual(
      info.policies.map((p) => [p.name, p.enforcementLevel]),
      parityPolicies.map((p) => [p.name, p.enforcementLevel === "mandatory" ? 1 : 0]),
    );
  });

  for (const c of graphCases) {
    it(`${c.name}: no violation, the verdict npm run plan computes in-process (policies/evaluate.ts, its Policies section)`, async () => {
      const cli = await viaCli(graphs[c.name], c.stack, false);
      assert.deepEqual(cli, await analyzeGraph(graphs[c.name], parityPolicies));
      assert.deepEqual(cli.map((d) => `${d.policyName}: ${d.message}`), []);
    });

    if (!c.preview) continue;
    it(`${c.name}, a first preview (provider-computed values unknown): no mandatory violation; a rule that meets an unknown says it cannot decide`, async () => {
      const graph = previews[c.name];
      assert.ok(graph.some((r) => JSON.stringify(r.inputs).includes("04da6b54-80e4-46f7-96ec-b56ff0331ba9")), "the preview graph holds unknowns");
      const cli = await viaCli(graph, c.stack, true);
      assert.deepEqual(cli, await analyzeGraph(graph, parityPolicies));
      for (const d of cli) {
        assert.equal(d.enforcementLevel, "advisory", `${d.policyName}: ${d.message}`);
        assert.match(d.message, CANNOT_DECIDE);
      }
    });
  }

  it("every rule fires through this path on the graph broken for it, as npm run plan reports it", async () => {
    const clean = new Map(graphs.prod.map((r) => [r.urn, JSON.stringify(r)]));
    for (const policy of parityPolicies) {
      const broken = breakers[policy.name](graphs.prod);
      // Analyze for the resources the break changed or added (the clean ones were shown above to
      // pass), AnalyzeStack for the whole graph.
      const cli = await viaCli(broken, "prod", false, (r) => clean.get(r.urn) !== JSON.stringify(r));
      const violations = toViolations(cli, broken, parityPolicies);
      assert.ok(violations.some((v) => v.policy === policy.name && v.enforcementLevel === "mandatory"), `${policy.name} did not fire through run-policy-pack`);
      // What npm run plan's Policies section lists for the same graph (scripts/plan.ts calls evaluatePolicies).
      assert.deepEqual(violations.map(formatViolation), (await evaluatePolicies(broken, parityPolicies)).map(formatViolation), policy.name);
    }
  });

  it("the pack logged no error to the engine", () => {
    // engine.proto LogSeverity: DEBUG 0, INFO 1, WARNING 2, ERROR 3.
    assert.deepEqual(analyzer.engineLogs.filter((l) => l.severity >= 3), []);
  });
});
