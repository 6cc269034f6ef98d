/**
 * The cloud-rules pack loaded the way the Pulumi CLI loads it (./cli-analyzer.ts: run-policy-pack,
 * type-checked by ts-node with policies/tsconfig.json, served over gRPC), fed the program's own
 * registrations encoded as the engine encodes them (scripts/analyzer-requests.ts): inputs for
 * `Analyze`, outputs for `AnalyzeStack`, secrets wrapped (the library unwraps them), and for a
 * new stack's first preview, unknowns as the engine's sentinel. One pack process serves every case.
 */
import assert from "node:assert/strict";
import { parseStackConfig } from "../../components/config";
import { stackFileValues } from "../../components/stack-file";
import { analyzeGraph, formatViolation, toViolations } from "../../policies/evaluate";
import { PACK_NAME, parityPolicies } from "../../policies/pack";
import { analyzeRequest, analyzeStackRequest, type AnalyzerDiagnostic } from "../../scripts/analyzer-requests";
import type { RecordedResource } from "../../scripts/offline";
import { formatPlan, mandatoryViolations, planStack } from "../../scripts/plan";
import { helloCatalog } from "../fixtures/hello/catalog";
import { breakers } from "./breakers/index";
import { startCliAnalyzer, type CliAnalyzer } from "./cli-analyzer";
import { LONG_STACK, stackGraph } from "./graphs";

const cases = [
  { name: "dev", stack: "dev", graph: { file: "dev" as const } },
  { name: "prod", stack: "prod", graph: { file: "prod" as const } },
  { name: `${LONG_STACK} (20 characters)`, stack: LONG_STACK, graph: { file: "prod" as const, stack: LONG_STACK } },
  { name: "second catalog (hello)", stack: "dev", graph: { file: "dev" as const, catalog: helloCatalog } },
];

/** The library's message for a rule that read an unknown (@pulumi/policy server.ts, UnknownValueError). */
const CANNOT_DECIDE = new RegExp(`^can't run policy '[\\w-]+' from policy pack '${PACK_NAME}@v0\\.1\\.0' during preview: \\w+ value at \\.[\\w.]+ can't be known during preview$`);

describe("policy pack loaded as the CLI loads it (run-policy-pack, gRPC, the engine's encoding)", function () {
  // One type-checked compile of the pack (tens of seconds on a busy machine) and eight program evaluations.
  this.timeout(900_000);
  let analyzer: CliAnalyzer;
  const graphs: Record<string, { update: RecordedResource[]; preview: RecordedResource[] }> = {};

  before(async () => {
    // The pack compiles in its own process while the graphs are evaluated here.
    const starting = startCliAnalyzer();
    starting.catch(() => undefined);
    for (const c of cases) graphs[c.name] = { update: await stackGraph(c.graph), preview: await stackGraph({ ...c.graph, preview: true }) };
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

  for (const c of cases) {
    it(`${c.name}: no violation, the same verdict npm run plan computes in-process`, async () => {
      const cli = await viaCli(graphs[c.name].update, c.stack, false);
      assert.deepEqual(cli, await analyzeGraph(graphs[c.name].update, parityPolicies));
      assert.deepEqual(cli.map((d) => `${d.policyName}: ${d.message}`), []);
    });

    it(`${c.name}, a first preview (provider-computed values unknown): no mandatory violation; a rule that meets an unknown says it cannot decide`, async () => {
      const graph = graphs[c.name].preview;
      assert.ok(graph.some((r) => JSON.stringify(r.inputs).includes("04da6b54-80e4-46f7-96ec-b56ff0331ba9")), "the preview graph holds unknowns");
      const cli = await viaCli(graph, c.stack, true);
      assert.deepEqual(cli, await analyzeGraph(graph, parityPolicies));
      for (const d of cli) {
        assert.equal(d.enforcementLevel, "advisory", `${d.policyName}: ${d.message}`);
        assert.match(d.message, CANNOT_DECIDE);
      }
    });
  }

  it("agrees with `npm run plan -- --stack prod`'s Policies section", async () => {
    const report = await planStack(parseStackConfig({ ...stackFileValues("prod"), apiKey: "offline-plan-placeholder-key" }, "prod"));
    const cli = toViolations(await viaCli(graphs.prod.update, "prod", false), graphs.prod.update, parityPolicies);
    assert.deepEqual(report.policies.violations.map(formatViolation), cli.map(formatViolation));
    assert.equal(mandatoryViolations(report), 0);
    assert.match(formatPlan(report), new RegExp(`Policies \\(${parityPolicies.length} rules of the cloud-rules pack, policies/; 0 violations\\)\\n  every rule passes`));
  });

  it("every rule fires through this path on the graph broken for it, as npm run plan reports it", async () => {
    const clean = new Map(graphs.prod.update.map((r) => [r.urn, JSON.stringify(r)]));
    for (const policy of parityPolicies) {
      const broken = breakers[policy.name](graphs.prod.update);
      // Analyze for the resources the break changed or added (the clean ones were shown above to
      // pass), AnalyzeStack for the whole graph.
      const cli = await viaCli(broken, "prod", false, (r) => clean.get(r.urn) !== JSON.stringify(r));
      const violations = toViolations(cli, broken, parityPolicies);
      assert.ok(violations.some((v) => v.policy === policy.name && v.enforcementLevel === "mandatory"), `${policy.name} did not fire through run-policy-pack`);
      assert.deepEqual(violations.map(formatViolation), toViolations(await analyzeGraph(broken, parityPolicies), broken, parityPolicies).map(formatViolation), policy.name);
    }
  });

  it("the pack logged no error to the engine", () => {
    // engine.proto LogSeverity: DEBUG 0, INFO 1, WARNING 2, ERROR 3.
    assert.deepEqual(analyzer.engineLogs.filter((l) => l.severity >= 3), []);
  });
});
