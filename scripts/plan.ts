/**
 * `npm run plan -- --stack prod`: the program evaluated offline for a stack, under Pulumi's
 * mocks. It shows the resources each platform would get, the grants compiled from each
 * function's capabilities, the concurrency mapping and every inexact setting. No provider
 * is asked and nothing is created; values only a provider knows (ARNs, URLs) are mock values.
 */
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { catalog, platforms, type Platform } from "../components/catalog";
import { parseStackConfig, settingsFor, StackConfigError, type ParityConfig } from "../components/config";
import { deploymentsFor } from "../components/bundle";
import { formatWarning, type NativeSettings, type PlatformOutputs } from "../components/platform";
import { AwsFunctions, LAMBDA_CONCURRENCY_QUOTA } from "../components/aws";
import { deployStack } from "../components/program";
import { knownStacks, stackFileValues } from "../components/stack-file";
import { columns as table, DEFAULT_POST_SHARE, estimateCost, formatCostSection, freeTierNote, loadPricing, notModelled, parseTrafficShape, pricingFor, stackUseFor, trafficShapes, unverifiedPrices, type CostSection } from "../compare/cost";
import { stackRegions } from "../components/stack-file";
import { evaluatePolicies, formatViolation, type Violation } from "../policies/evaluate";
import { parityPolicies } from "../policies/pack";
import { runWithMocks, valueOf, type RecordedResource } from "./offline";
import { deployerPermissionsFor, type DeployerPermissions } from "./deployer-permissions";
import type { CostAssumptions } from "../compare/cost";

export type { CostAssumptions } from "../compare/cost";

/** Stands in for the secret API key, which only the Pulumi CLI can decrypt. */
const PLACEHOLDER_API_KEY = "offline-plan-placeholder-key";

export interface PlanReport {
  stack: string;
  platforms: Platform[];
  resources: Partial<Record<Platform, Record<string, number>>>;
  /** Resources of no single provider, e.g. dynamic resources that call an API at deploy time. */
  otherResources: Record<string, number>;
  settings: { platform: Platform; function: string; settings: Record<string, number | undefined> }[];
  /** The native values each platform's rules applied, per function (what the deploy sets). */
  native: { platform: Platform; function: string; settings: NativeSettings }[];
  /** The bundle each function would upload, as built for this plan. */
  bundles: { platform: Platform; function: string; bytes: number; gzipBytes: number }[];
  grants: { platform: Platform; function: string; capability: string; permissions: string[]; resource: string }[];
  warnings: string[];
  /** Account quotas the stack needs before it can deploy (AWS: Lambda concurrent executions). */
  quotas: { platform: Platform; quota: string; code: string; needed: number; why: string }[];
  /** Each schedule function's trigger: the native expression and the scheduler's own identity, if it has one. */
  schedules: { platform: Platform; function: string; expression: string; identity: string | undefined; invoke: string | undefined }[];
  /** The cloud-rules policy pack (policies/) over this graph, as `pulumi preview --policy-pack policies` runs it. */
  policies: { evaluated: number; violations: Violation[] };
  /** What the identity running `pulumi up` and `pulumi destroy` needs, per platform, from the types and invokes this stack registers (scripts/deployer-permissions.ts). */
  deployer: DeployerPermissions;
  /** The stack's monthly bill per platform: users-api at the assumed duration, its front, the other functions and the services, at the stack's settings and regions. */
  cost: CostSection;
}

/** Evaluates the stack's program under mocks and summarises what it would create. */
export async function planStack(
  config: ParityConfig,
  assumptions: CostAssumptions = { durationMs: 50, monthlyRequests: 10_000_000 },
): Promise<PlanReport> {
  const run = await runWithMocks(() => deployStack(config, pulumi.secret(PLACEHOLDER_API_KEY)), { stack: config.stack });
  const { components } = run.result;
  const report: PlanReport = { stack: config.stack, platforms: config.platforms, resources: {}, otherResources: {}, settings: [], native: [], bundles: [], grants: [], warnings: [], quotas: [], schedules: [], policies: { evaluated: parityPolicies.length, violations: await evaluatePolicies(run.resources, parityPolicies) }, deployer: deployerPermissionsFor(run.resources, run.invoked), cost: { assumptions, estimates: [], notModelled, freeTier: freeTierNote, unverified: {} } };
  const pricing = loadPricing();
  const regions = knownStacks().includes(config.stack) ? stackRegions(config.stack) : {};
  const providerResources = (r: RecordedResource) => platforms.some((p) => r.type.startsWith(providerPrefix(p)));
  report.otherResources = countByType(run.resources.filter((r) => !providerResources(r) && !r.type.startsWith("parity:")));
  for (const platform of config.platforms) {
    const component = components[platform] as PlatformOutputs;
    report.resources[platform] = countByType(run.resources.filter((r) => r.type.startsWith(providerPrefix(platform))));
    for (const fn of catalog) {
      report.settings.push({ platform, function: fn.name, settings: { ...settingsFor(config, platform, fn.name) } });
    }
    for (const [fn, settings] of Object.entries(component.nativeSettings)) report.native.push({ platform, function: fn, settings });
    for (const fn of deploymentsFor(config, platform)) {
      report.bundles.push({ platform, function: fn.definition.name, bytes: fn.bundle.bytes, gzipBytes: fn.bundle.gzipBytes });
    }
    for (const grant of component.grants) {
      report.grants.push({
        platform,
        function: grant.function,
        capability: grant.capability,
        permissions: grant.permissions,
        resource: String(await valueOf(grant.resource)),
      });
    }
    report.warnings.push(...component.warnings.map(formatWarning));
    for (const [fn, schedule] of Object.entries(component.schedules)) {
      report.schedules.push({
        platform,
        function: fn,
        expression: schedule.expression,
        identity: schedule.identity && String(await valueOf(schedule.identity)),
        invoke: schedule.invoke && `${schedule.invoke.permissions.join(", ")} on ${String(await valueOf(schedule.invoke.resource))}`,
      });
    }
    if (component instanceof AwsFunctions) {
      const { reserved, accountQuotaNeeded } = component.plan.concurrency;
      report.quotas.push({
        platform,
        quota: "Lambda concurrent executions",
        code: `${LAMBDA_CONCURRENCY_QUOTA.serviceCode}/${LAMBDA_CONCURRENCY_QUOTA.quotaCode}`,
        needed: accountQuotaNeeded,
        why: `${reserved} reserved by this stack + 100 Lambda keeps unreserved`,
      });
    }
    const priced = pricingFor(pricing, platform, regions[platform]);
    const http = catalog.find((fn) => fn.trigger.kind === "http");
    if (priced && http) {
      const { memoryMb, warmInstances } = settingsFor(config, platform, http.name);
      report.cost.estimates.push(
        estimateCost(
          priced.table,
          {
            durationMs: assumptions.durationMs,
            memoryMb,
            warmInstances,
            monthlyRequests: assumptions.monthlyRequests,
            freeTier: assumptions.freeTier ?? true,
            traffic: assumptions.traffic ?? "steady",
            stack: stackUseFor(config, platform, assumptions.postShare ?? DEFAULT_POST_SHARE),
          },
          priced.region,
        ),
      );
      const unverified = unverifiedPrices(priced.table);
      if (unverified.length > 0) report.cost.unverified[platform] = unverified;
    }
  }
  return report;
}

function providerPrefix(platform: Platform): string {
  return { aws: "aws:", gcp: "gcp:", azure: "azure-native:", cloudflare: "cloudflare:" }[platform];
}

function countByType(resources: RecordedResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}


export function formatPlan(report: PlanReport): string {
  const out: string[] = [];
  out.push(`parity plan: stack "${report.stack}", platforms ${report.platforms.join(", ")}`);
  out.push("OFFLINE: evaluated under Pulumi mocks. No provider was asked and nothing was created;");
  out.push("ARNs, ids and URLs below are mock values. Deploy with `pulumi up --stack " + report.stack + "`.\n");

  out.push("Resources");
  for (const platform of report.platforms) {
    const counts = report.resources[platform] ?? {};
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    out.push(`  ${platform}: ${total} resources`);
    for (const [type, count] of Object.entries(counts).sort()) out.push(`    ${String(count).padStart(3)} × ${type}`);
  }

  const others = Object.entries(report.otherResources);
  if (others.length > 0) {
    out.push("  other (not tied to one provider package):");
    for (const [type, count] of others.sort()) out.push(`    ${String(count).padStart(3)} × ${type}`);
  }

  out.push("\nSettings (portable intent per platform; inexact translations are listed under Warnings)");
  const keys = ["memoryMb", "timeoutSeconds", "reservedConcurrency", "warmInstances", "batchSize", "maxAttempts"];
  out.push(
    table([
      ["platform", "function", ...keys],
      ...report.settings.map((s) => [s.platform, s.function, ...keys.map((k) => (s.settings[k] === undefined ? "-" : String(s.settings[k])))]),
    ]).replace(/^/gm, "  "),
  );

  out.push("\nNative settings (what each platform's rules apply; components/<platform>/rules.ts)");
  for (const platform of report.platforms) {
    out.push(`  ${platform}`);
    for (const entry of report.native.filter((n) => n.platform === platform)) {
      const values = Object.entries(entry.settings).map(([key, value]) => `${key} ${typeof value === "string" ? value : JSON.stringify(value)}`);
      out.push(`    ${entry.function}: ${values.join(", ")}`);
    }
  }

  out.push("\nBundles (esbuild, minified; what `pulumi up` uploads)");
  out.push(
    table([
      ["platform", "function", "bytes", "gzip"],
      ...report.bundles.map((b) => [b.platform, b.function, b.bytes.toLocaleString("en"), b.gzipBytes.toLocaleString("en")]),
    ]).replace(/^/gm, "  "),
  );

  out.push("\nGrants (compiled from each function's declared capabilities)");
  out.push(
    table([
      ["platform", "function", "capability", "permissions", "resource"],
      ...report.grants.map((g) => [g.platform, g.function, g.capability, g.permissions.join(", "), g.resource]),
    ]).replace(/^/gm, "  "),
  );

  out.push(...formatCostSection(report.cost));

  if (report.quotas.length > 0) {
    out.push("\nAccount quotas this stack needs (check them before `pulumi up`; docs/platforms.md)");
    for (const q of report.quotas) out.push(`  ${q.platform}: ${q.quota} (${q.code}) ≥ ${q.needed}: ${q.why}`);
  }

  if (report.schedules.length > 0) {
    out.push("\nSchedules (UTC, clock-aligned; the scheduler's identity may invoke its one function only)");
    out.push(
      table([
        ["platform", "function", "expression", "scheduler identity", "may"],
        ...report.schedules.map((s) => [s.platform, s.function, s.expression, s.identity ?? "none (trigger inside the function)", s.invoke ?? "-"]),
      ]).replace(/^/gm, "  "),
    );
  }

  out.push(`\nWarnings (${report.warnings.length})`);
  for (const warning of report.warnings) out.push(`  ${warning}`);

  out.push(...formatDeployerSection(report.deployer));

  const { evaluated, violations } = report.policies;
  out.push(`\nPolicies (${evaluated} rules of the cloud-rules pack, policies/; ${violations.length} violation${violations.length === 1 ? "" : "s"})`);
  if (violations.length === 0) out.push("  every rule passes");
  for (const violation of violations) out.push(`  ${formatViolation(violation)}`);
  const mandatory = mandatoryViolations(report);
  if (mandatory > 0) out.push(`\n${mandatory} mandatory violation(s): \`pulumi up\` with the policy pack would refuse this stack.`);
  return out.join("\n");
}

/** The "Deployer permissions" section: per platform, everything its deployer needs, then each registered type's share and its source. */
export function formatDeployerSection(deployer: DeployerPermissions): string[] {
  const out = ["\nDeployer permissions (what `pulumi up` and `pulumi destroy` of this stack need; docs/deploying.md)"];
  const kinds: Record<Platform, string> = { aws: "IAM actions", gcp: "roles on the project", azure: "built-in roles at the subscription", cloudflare: "API token permissions (account)" };
  for (const [platform, { permissions, needs }] of Object.entries(deployer.platforms) as [Platform, NonNullable<DeployerPermissions["platforms"][Platform]>][]) {
    out.push(`  ${platform}: ${permissions.length} ${kinds[platform]}: ${permissions.join(", ")}`);
    for (const need of needs) {
      out.push(`    ${need.what} (×${need.count}): ${need.permissions.join(", ") || "none"}${need.note ? `: ${need.note}` : ""} [${need.source}]`);
    }
  }
  if (deployer.missing.length > 0) out.push(`  NO ENTRY in scripts/deployer-permissions.ts for: ${deployer.missing.join(", ")}`);
  return out;
}

/** How many violations would stop a deploy; `npm run plan` exits non-zero when any. */
export function mandatoryViolations(report: PlanReport): number {
  return report.policies.violations.filter((v) => v.enforcementLevel === "mandatory").length;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "dev" },
      platforms: { type: "string" },
      json: { type: "boolean", default: false },
      "duration-ms": { type: "string", default: "50" },
      "monthly-requests": { type: "string", default: "10000000" },
      "no-free-tier": { type: "boolean", default: false },
      traffic: { type: "string", default: "steady" },
      "post-share": { type: "string", default: String(DEFAULT_POST_SHARE) },
    },
  });
  const stack = values.stack!;
  const raw: Record<string, unknown> = { ...stackFileValues(stack), apiKey: PLACEHOLDER_API_KEY };
  if (values.platforms) raw.platforms = values.platforms.split(",").map((p) => p.trim());
  const config = parseStackConfig(raw, stack);
  const assumptions = { durationMs: Number(values["duration-ms"]), monthlyRequests: Number(values["monthly-requests"]) };
  for (const [flag, value] of Object.entries(assumptions)) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${flag === "durationMs" ? "duration-ms" : "monthly-requests"} must be a positive number`);
  }
  const postShare = Number(values["post-share"]);
  if (!Number.isFinite(postShare) || postShare < 0 || postShare > 1) throw new Error("--post-share must be a number from 0 to 1");
  const report = await planStack(config, { ...assumptions, freeTier: !values["no-free-tier"], traffic: parseTrafficShape(values.traffic!), postShare });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatPlan(report));
  if (mandatoryViolations(report) > 0) process.exitCode = 2;
}

if (require.main === module) {
  main().catch((error) => {
    if (error instanceof StackConfigError) console.error(error.message);
    else if (error instanceof Error && /No stack file|must be a positive number|--traffic must be|--post-share must be/.test(error.message)) console.error(error.message);
    else console.error(error);
    console.error(`\nusage: npm run plan -- --stack <${knownStacks().join("|")}> [--platforms ${platforms.join(",")}] [--duration-ms 50] [--monthly-requests 10000000] [--traffic ${trafficShapes.join("|")}] [--post-share ${DEFAULT_POST_SHARE}] [--no-free-tier] [--json]`);
    process.exit(1);
  });
}
