/**
 * The catalog's functions on one platform, with the stack defaults (as `index.ts` decides
 * them) and per-function overrides, planned by that platform's rules as a deploy plans them,
 * each with its bundle: what the driver and launcher tests start.
 */
import { deploymentsFor } from "../components/bundle";
import type { FunctionName, Platform } from "../components/catalog";
import { parseStackConfig, type FunctionSettings } from "../components/config";
import type { FunctionDeployment, PlannedFunction, PlanInput } from "../components/platform";

export type Overrides = Partial<Record<FunctionName, Partial<FunctionSettings>>>;

export function plannedCatalog<P extends { functions: PlannedFunction<unknown>[] }>(
  platform: Platform,
  plan: (input: PlanInput) => P,
  overrides: Overrides = {},
  logRetentionDays = 7,
): { plan: P; functions: Record<FunctionName, P["functions"][number] & FunctionDeployment> } {
  const config = parseStackConfig({ platforms: [platform], apiKey: "planned-test-api-key-0123456789" }, "test");
  const deployments = deploymentsFor(config, platform).map((fn) => ({ ...fn, settings: { ...fn.settings, ...overrides[fn.definition.name as FunctionName] } }));
  const planned = plan({ name: "parity-test", functions: deployments, logRetentionDays, protectData: false });
  const functions = Object.fromEntries(planned.functions.map((fn, i) => [fn.definition.name, { ...fn, bundle: deployments[i].bundle }]));
  return { plan: planned, functions: functions as Record<FunctionName, P["functions"][number] & FunctionDeployment> };
}
