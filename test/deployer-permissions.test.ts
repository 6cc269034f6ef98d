/**
 * What the deployer needs (scripts/deployer-permissions.ts) covers everything the program
 * registers: every resource type, dynamic resource kind and invoke of the dev and prod stacks
 * and of the second catalog has an entry, with a source; `npm run plan` prints them.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { platforms } from "../components/catalog";
import { parseStackConfig } from "../components/config";
import { deployStack } from "../components/program";
import { stackFileValues } from "../components/stack-file";
import { deployerPermissionsFor, dynamicPermissions, invokePermissions, resourcePermissions, type DeployerPermissions } from "../scripts/deployer-permissions";
import { DYNAMIC_TYPE, dynamicKindOf } from "../scripts/dynamic-kinds";
import { formatPlan, planStack, type PlanReport } from "../scripts/plan";
import { helloCatalog } from "./fixtures/hello/catalog";
import { runWithMocks, TEST_API_KEY } from "./infra/harness";

const root = path.resolve(__dirname, "..");

describe("deployer permissions: every type and invoke the program registers has an entry", function () {
  // Three evaluations of the whole program (seconds of CPU each, minutes on a loaded machine).
  this.timeout(900_000);
  const plans: Record<"dev" | "prod", PlanReport> = {} as never;
  let hello: DeployerPermissions;
  /** Everything the three graphs register: type tokens, `dynamic <kind>`, `invoke <token>`. */
  const registered = new Set<string>();

  before(async () => {
    for (const stack of ["dev", "prod"] as const) plans[stack] = await planStack(parseStackConfig({ ...stackFileValues(stack), apiKey: TEST_API_KEY }, stack));
    const config = parseStackConfig({ ...stackFileValues("dev"), apiKey: TEST_API_KEY }, "dev");
    const run = await runWithMocks(() => deployStack(config, pulumi.secret(TEST_API_KEY), {}, helloCatalog), { stack: "dev" });
    hello = deployerPermissionsFor(run.resources, run.invoked);
    for (const r of run.resources) registered.add(r.type === DYNAMIC_TYPE ? `dynamic ${dynamicKindOf(r)}` : r.type);
    for (const token of run.invoked) registered.add(`invoke ${token}`);
    for (const plan of Object.values(plans)) {
      for (const need of [...Object.values(plan.deployer.platforms).flatMap((p) => p!.needs), ...plan.deployer.none]) registered.add(need.what);
    }
  });

  for (const graph of ["dev", "prod", "second catalog (hello)"]) {
    it(`${graph}: no registered type, dynamic resource or invoke lacks an entry; every enabled platform's deployer needs something`, () => {
      const deployer = graph === "second catalog (hello)" ? hello : plans[graph as "dev" | "prod"].deployer;
      assert.deepEqual(deployer.missing, []);
      for (const platform of platforms) assert.ok((deployer.platforms[platform]?.permissions.length ?? 0) > 0, `${graph}: ${platform}`);
    });
  }

  it("a type, an invoke or a dynamic resource with no entry is reported missing (the check above can fail)", () => {
    const deployer = deployerPermissionsFor(
      [
        { type: "aws:lambda/function:Function", name: "known", inputs: {} },
        { type: "aws:s3/bucket:Bucket", name: "new", inputs: {} },
        { type: DYNAMIC_TYPE, name: "parity-dev-mystery", inputs: { __provider: "exports.handler = () => 42" } },
      ],
      ["aws:ssm/getParameter:getParameter", "aws:index/getCallerIdentity:getCallerIdentity"],
    );
    assert.deepEqual(deployer.missing, ["aws:s3/bucket:Bucket", "dynamic parity-dev-mystery", "invoke aws:ssm/getParameter:getParameter"]);
    assert.ok(deployer.platforms.aws!.permissions.includes("lambda:CreateFunction"));
  });

  it("no entry is stale: each is registered by dev, prod or the second catalog", () => {
    const entries = [...Object.keys(resourcePermissions), ...Object.keys(dynamicPermissions).map((k) => `dynamic ${k}`), ...Object.keys(invokePermissions).map((t) => `invoke ${t}`)];
    assert.deepEqual(entries.filter((e) => !registered.has(e)), []);
  });

  it("every entry cites its source: provider documentation, or the project file that shows no permission is needed", () => {
    for (const [what, entry] of [...Object.entries(resourcePermissions), ...Object.entries(invokePermissions), ...Object.entries(dynamicPermissions)]) {
      if (entry.source.startsWith("https://")) continue;
      assert.ok(entry.permissions.length === 0 && fs.existsSync(path.join(root, entry.source)), `${what}: ${entry.source}`);
    }
  });

  it("each platform's list: AWS the quota read's two actions and PassRole, Azure role assignment beyond Contributor, Google the actAs role, Cloudflare D1, Queues and Workers", () => {
    const { aws, gcp, azure, cloudflare } = plans.prod.deployer.platforms;
    // getServiceQuota reads the default first (terraform-provider-aws service_quota_data_source.go).
    for (const action of ["servicequotas:GetAWSDefaultServiceQuota", "servicequotas:GetServiceQuota", "iam:PassRole", "lambda:PutProvisionedConcurrencyConfig"]) assert.ok(aws!.permissions.includes(action), action);
    assert.ok(!aws!.permissions.includes("sts:GetCallerIdentity"), "GetCallerIdentity needs no permission");
    assert.deepEqual(azure!.permissions, ["Contributor", "Role Based Access Control Administrator"]);
    for (const role of ["roles/cloudfunctions.developer", "roles/iam.serviceAccountUser", "roles/resourcemanager.projectIamAdmin"]) assert.ok(gcp!.permissions.includes(role), role);
    assert.deepEqual(cloudflare!.permissions, ["D1 Write", "Queues Write", "Workers Scripts Read", "Workers Scripts Write"]);
    // prod keeps API instances warm (provisioned concurrency), dev does not: the lists follow what each stack registers.
    assert.ok(!plans.dev.deployer.platforms.aws!.permissions.includes("lambda:PutProvisionedConcurrencyConfig"));
  });

  it("docs/deploying.md states prod's lists as the plan computes them, and dev's difference", () => {
    const doc = fs.readFileSync(path.join(root, "docs", "deploying.md"), "utf8");
    const { aws, gcp, azure, cloudflare } = plans.prod.deployer.platforms;
    assert.match(doc, new RegExp(`\\| AWS \\| IAM actions \\| ${aws!.permissions.length} IAM actions `));
    assert.match(doc, new RegExp(`\\| Google Cloud \\| roles on the project \\| ${gcp!.permissions.length} roles: `));
    for (const role of gcp!.permissions) assert.ok(doc.includes(`\`${role}\``), role);
    for (const role of azure!.permissions) assert.ok(doc.includes(`${role} (`), role);
    for (const permission of cloudflare!.permissions) assert.ok(doc.includes(permission), permission);
    const devAws = new Set(plans.dev.deployer.platforms.aws!.permissions);
    const prodOnly = aws!.permissions.filter((a) => !devAws.has(a));
    assert.equal(prodOnly.length, 7, prodOnly.join(", "));
    assert.ok(prodOnly.every((a) => /Alias|ProvisionedConcurrency/.test(a)), prodOnly.join(", "));
    assert.match(doc, /dev needs the same less the seven Lambda alias and provisioned-concurrency actions/);
  });

  it("npm run plan prints them: a Deployer permissions section per platform, each row with its source; --json carries `deployer`", () => {
    const text = formatPlan(plans.prod);
    assert.match(text, /\nDeployer permissions \(what `pulumi up` and `pulumi destroy` of this stack need; docs\/deploying\.md\)\n/);
    // One line per platform, in the catalog's order as every other section.
    const heads = [...text.split("\nDeployer permissions")[1]!.split("\nPolicies")[0]!.matchAll(/\n  ([a-z]+): \d+ /g)].map((m) => m[1]);
    assert.deepEqual(heads, [...platforms]);
    assert.match(text, /invoke aws:servicequotas\/getServiceQuota:getServiceQuota \(×1\): servicequotas:GetAWSDefaultServiceQuota, servicequotas:GetServiceQuota: .*\[https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_servicequotas\.html\]/);
    assert.doesNotMatch(text, /NO ENTRY/);
    assert.deepEqual(JSON.parse(JSON.stringify(plans.prod)).deployer, JSON.parse(JSON.stringify(plans.prod.deployer)));
  });
});
