/**
 * `--stack`: the honest-translation warnings the team's own stack gets, from the same plan
 * functions the components run (no bundle, no Pulumi: a plan needs only the specs).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { projectRoot } from "../components/bundle";
import type { Platform } from "../components/catalog";
import { componentNameFor, specsFor, type ParityConfig } from "../components/config";
import { ComponentArgsError, formatWarning, planInputOf, type PlanInput, type PlatformPlan } from "../components/platform";
import { readStackFile } from "../local/stack";
import { planAws } from "../components/aws/rules";
import { planGcp } from "../components/gcp/rules";
import { planAzure } from "../components/azure/rules";
import { planCloudflare } from "../components/cloudflare/rules";
import type { Reason } from "./verdict";

/** Stands in for the secret API key, which the plan never reads (as `npm run plan` does). */
const PLACEHOLDER_API_KEY = "offline-choose-placeholder-key";

const planners: Record<Platform, { name: string; plan: (input: PlanInput, project: string, stack: string) => Pick<PlatformPlan, "warnings"> }> = {
  aws: { name: "planAws", plan: (input) => planAws(input) },
  gcp: { name: "planGcp", plan: (input) => planGcp(input) },
  azure: { name: "planAzure", plan: (input, project, stack) => planAzure({ ...input, project, stack }) },
  cloudflare: { name: "planCloudflare", plan: (input) => planCloudflare(input) },
};

/** Reads `Pulumi.<stack>.yaml` and validates it as the program would. */
export function readStack(stack: string): ParityConfig {
  return readStackFile(stack, PLACEHOLDER_API_KEY);
}

/** The plan input `deployStack` would hand each component (components/program.ts), without bundles. */
export function planInputFor(config: ParityConfig, platform: Platform): PlanInput {
  return planInputOf(componentNameFor(config.stack), { functions: specsFor(config, platform), logRetentionDays: config.logRetentionDays, protectData: config.protectData });
}

/** Each enabled platform's plan warnings as caveats; a plan that rejects the stack is a "no". */
export function stackReasons(config: ParityConfig): Partial<Record<Platform, Reason[]>> {
  const requirement = `stack ${config.stack}`;
  const project = projectName();
  const out: Partial<Record<Platform, Reason[]>> = {};
  for (const [platform, planner] of Object.entries(planners) as [Platform, (typeof planners)[Platform]][]) {
    const source = `components/${platform}/rules.ts ${planner.name} (Pulumi.${config.stack}.yaml)`;
    if (!config.platforms.includes(platform)) {
      out[platform] = [{ verdict: "fits", requirement, text: `stack ${config.stack} does not enable ${platform}; no plan to check`, source: `Pulumi.${config.stack}.yaml` }];
      continue;
    }
    try {
      const plan = planner.plan(planInputFor(config, platform), project, config.stack);
      out[platform] =
        plan.warnings.length === 0
          ? [{ verdict: "fits", requirement, text: `stack ${config.stack}: every setting translates exactly`, source }]
          : plan.warnings.map((w) => ({ verdict: "caveats", requirement, text: `stack ${config.stack}: ${formatWarning(w)}`, source }));
    } catch (error) {
      const message = (error as Error).message;
      out[platform] = [
        error instanceof ComponentArgsError
          ? { verdict: "no", requirement, text: `stack ${config.stack} cannot deploy: ${message}`, source }
          : { verdict: "caveats", requirement, text: `stack ${config.stack}: the plan could not be evaluated (${message})`, source },
      ];
    }
  }
  return out;
}

function projectName(): string {
  const document = parseYaml(fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as { name?: string } | null;
  return document?.name ?? "parity";
}

