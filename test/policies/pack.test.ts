/**
 * The cloud-rules pack over offline graphs: every rule passes on the checked-in stacks, a
 * 20-character stack name and a second catalog, and every rule fires on a graph broken for it.
 */
import assert from "node:assert/strict";
import { evaluatePolicies, formatViolation } from "../../policies/evaluate";
import { parityPolicies } from "../../policies/pack";
import type { RecordedResource } from "../../scripts/offline";
import { helloCatalog } from "../fixtures/hello/catalog";
import { breakers } from "./breakers/index";
import { userAssignedIdentityIds } from "../../policies/azure";
import { SECRET_SIG, SIG_KEY } from "../../scripts/analyzer-requests";
import { copyGraph, LONG_STACK, stackGraph } from "./graphs";

describe("policy pack: cloud rules", function () {
  this.timeout(180_000);
  const graphs: Record<string, RecordedResource[]> = {};

  before(async () => {
    graphs.dev = await stackGraph({ file: "dev" });
    graphs.prod = await stackGraph({ file: "prod" });
    graphs[`${LONG_STACK} (20 characters)`] = await stackGraph({ file: "prod", stack: LONG_STACK });
    graphs["second catalog (hello)"] = await stackGraph({ file: "dev", catalog: helloCatalog });
  });

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
