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
import { breakOne, LONG_STACK, stackGraph } from "./graphs";

describe("policy pack: cloud rules", function () {
  this.timeout(60_000);
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

  it("aws-no-plain-secret also fires when the stored API key is a plain string (unencrypted in the state)", async () => {
    const plain = breakOne(graphs.prod, "aws:secretsmanager/secretVersion:SecretVersion", (r) => (r.inputs.secretString = "the-key-itself"));
    const violations = await evaluatePolicies(plain, parityPolicies);
    assert.deepEqual(violations.map((v) => [v.policy, v.message]), [["aws-no-plain-secret", "secretString is a plain value: pass a pulumi.secret so the state encrypts it"]]);
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
