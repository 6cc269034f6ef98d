/**
 * Runs the pack's policies over an offline graph (the resources a program registered under
 * Pulumi's mocks, with their URNs, parents and dependencies; scripts/offline.ts) the way the
 * Pulumi CLI runs them: the graph is encoded as the engine sends it to a policy pack (inputs
 * for `Analyze`, outputs for `AnalyzeStack`, secrets and unknowns in the engine's encoding;
 * scripts/analyzer-requests.ts) and handed to @pulumi/policy's own Analyzer functions, the
 * ones its gRPC server serves. So a rule sees here exactly the values it sees under the CLI:
 * secrets unwrapped, unknowns behind the library's unknown-checking proxy, and a rule that
 * reads an unknown becomes the library's advisory "can't run policy … during preview".
 * `npm run plan` and the tests use it; test/policies/cli.test.ts checks that the pack
 * loaded by `@pulumi/pulumi/cmd/run-policy-pack` over gRPC says the same.
 */
import type { EnforcementLevel, PolicyResource } from "@pulumi/policy";
import { analyzeRequest, analyzeStackRequest, diagnosticsOf, type AnalyzerDiagnostic } from "../scripts/analyzer-requests";
import type { RecordedResource } from "../scripts/offline";
import type { ParityPolicy } from "./policy";

export interface Violation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  /** The offending resource's type and logical name; absent for a stack-wide violation. */
  resource?: string;
  /** The rule's own message (@pulumi/policy prefixes it with the policy's description; that prefix is left out). */
  message: string;
  /** Where the constraint is documented. */
  url: string;
}

/** The pack's version as the CLI reports it (policies/package.json). */
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const PACK_VERSION: string = require("./package.json").version;

/**
 * @pulumi/policy's Analyzer RPC implementations (server.js `makeAnalyzeRpcFun`,
 * `makeAnalyzeStackRpcFun`): exported by the package, marked internal, so required untyped.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const server = require("@pulumi/policy/server") as {
  makeAnalyzeRpcFun(name: string, version: string, level: EnforcementLevel, policies: readonly ParityPolicy[]): Rpc;
  makeAnalyzeStackRpcFun(name: string, version: string, level: EnforcementLevel, policies: readonly ParityPolicy[]): Rpc;
};
type Rpc = (call: { request: unknown }, callback: (error: unknown, response?: any) => void) => Promise<void>;

const callRpc = (rpc: Rpc, request: unknown) =>
  new Promise<AnalyzerDiagnostic[]>((resolve, reject) => {
    void rpc({ request }, (error, response) => (error ? reject(error) : resolve(diagnosticsOf(response))));
  });

/** Every analyzer call the engine makes for this graph: `Analyze` per resource, then `AnalyzeStack`. */
export async function analyzeGraph(recorded: readonly RecordedResource[], policies: readonly ParityPolicy[], packName = "parity-cloud-rules"): Promise<AnalyzerDiagnostic[]> {
  const analyze = server.makeAnalyzeRpcFun(packName, PACK_VERSION, "advisory", policies);
  const analyzeStack = server.makeAnalyzeStackRpcFun(packName, PACK_VERSION, "advisory", policies);
  const diagnostics: AnalyzerDiagnostic[] = [];
  for (const resource of recorded) diagnostics.push(...(await callRpc(analyze, analyzeRequest(resource))));
  diagnostics.push(...(await callRpc(analyzeStack, analyzeStackRequest(recorded))));
  return diagnostics;
}

/** Diagnostics as violations: named resource, the rule's own message, the rule's source; in policy order. */
export function toViolations(diagnostics: readonly AnalyzerDiagnostic[], recorded: readonly RecordedResource[], policies: readonly ParityPolicy[]): Violation[] {
  const byUrn = new Map(recorded.map((r) => [r.urn, r]));
  const order = new Map(policies.map((p, i) => [p.name, i]));
  return diagnostics
    .map((d, i) => {
      const policy = policies.find((p) => p.name === d.policyName);
      const resource = byUrn.get(d.urn);
      const prefix = `${policy?.description}\n`;
      return {
        i,
        violation: {
          policy: d.policyName,
          enforcementLevel: d.enforcementLevel as EnforcementLevel,
          resource: resource && `${resource.type} ${resource.name}`,
          message: d.message.startsWith(prefix) ? d.message.slice(prefix.length) : d.message,
          url: policy?.url ?? "",
        },
      };
    })
    .sort((a, b) => (order.get(a.violation.policy) ?? 0) - (order.get(b.violation.policy) ?? 0) || a.i - b.i)
    .map((x) => x.violation);
}

/**
 * The recorded graph as resources with their dependencies resolved (the shape a stack rule
 * gets), props being the inputs: for tests that walk the graph the way the rules do.
 */
export function policyResources(recorded: readonly RecordedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const resources = recorded.map((r) => {
    const resource = { type: r.type, props: r.inputs, urn: r.urn, name: r.name, dependencies: [] as PolicyResource[], propertyDependencies: {} } as unknown as PolicyResource;
    byUrn.set(r.urn, resource);
    return resource;
  });
  recorded.forEach((r, i) => {
    const resource = resources[i] as { dependencies: PolicyResource[]; parent?: PolicyResource };
    resource.dependencies = r.dependencies.map((urn) => byUrn.get(urn)).filter((d): d is PolicyResource => d !== undefined);
    resource.parent = byUrn.get(r.parent);
  });
  return resources;
}

/** Every violation of `policies` in the graph, as the CLI would report them, in policy order. */
export async function evaluatePolicies(recorded: readonly RecordedResource[], policies: readonly ParityPolicy[]): Promise<Violation[]> {
  return toViolations(await analyzeGraph(recorded, policies), recorded, policies);
}

/** A violation as one line: level, policy, resource, message and source. */
export function formatViolation(v: Violation): string {
  return `[${v.enforcementLevel}] ${v.policy}${v.resource ? ` on ${v.resource}` : ""}: ${v.message} (${v.url})`;
}
