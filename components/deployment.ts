/**
 * What every platform component takes and exposes: the functions to deploy (bundle,
 * trigger, capabilities, decided settings), the grants it made, and the settings it could
 * not express exactly.
 */
import * as pulumi from "@pulumi/pulumi";
import { bundleFunction, type Bundle } from "./bundle";
import { catalog, type Capability, type FunctionDefinition, type Platform } from "./catalog";
import { settingsFor, type FunctionSettings, type ParityConfig } from "./config";

/** One function to deploy on one platform. */
export interface FunctionDeployment {
  /** Name, trigger and declared capabilities (from the catalog, or your own). */
  definition: Pick<FunctionDefinition, "name" | "trigger" | "capabilities" | "description">;
  /** The bundle to upload; see `bundleFunction`. */
  bundle: Bundle;
  /** Portable settings; the component maps them to native knobs. */
  settings: FunctionSettings;
}

/** Arguments every platform component shares. */
export interface PlatformFunctionsArgs {
  /**
   * The functions to deploy. At most one queue-triggered function consumes the events queue.
   * @example
   * functions: deploymentsFor(config, "azure")
   */
  functions: FunctionDeployment[];
  /**
   * The API key, stored in the platform's secret store. Pass a secret Output.
   * @example
   * apiKey: new pulumi.Config("parity").requireSecret("apiKey")
   */
  apiKey: pulumi.Input<string>;
  /**
   * Retention of each function's logs, days; platforms that cannot honour it warn.
   * @default 7
   * @example
   * logRetentionDays: 90
   */
  logRetentionDays?: number;
  /**
   * Deletion protection and point-in-time recovery on the users store.
   * @default false
   * @example
   * protectData: pulumi.getStack() === "prod"
   */
  protectData?: boolean;
  /**
   * Tags / labels applied to every resource that takes them.
   * @default {}
   * @example
   * tags: { project: "parity", stack: pulumi.getStack() }
   */
  tags?: Record<string, string>;
}

/** A permission the component granted one function, on one exact resource. */
export interface Grant {
  function: string;
  /** The declared capability this grant serves. */
  capability: Capability;
  /** Native permissions: IAM actions, a role, or a binding type. */
  permissions: string[];
  /** The exact resource (ARN, resource name, scope, binding). */
  resource: pulumi.Output<string>;
}

/** A setting a platform could not express exactly. */
export interface SettingWarning {
  platform: Platform;
  function: string;
  setting: string;
  asked: string | number;
  applied: string | number;
  reason: string;
}

/**
 * Collects the inexact translations of one component and reports each with
 * `pulumi.log.warn`, so nothing is adjusted silently.
 */
export class SettingDecisions {
  readonly warnings: SettingWarning[] = [];

  constructor(
    private readonly platform: Platform,
    private readonly resource?: pulumi.Resource,
  ) {}

  /** Records and reports that `asked` became `applied` for `reason`; returns `applied`. */
  adjust<T extends string | number>(fn: string, setting: string, asked: string | number, applied: T, reason: string): T {
    const warning: SettingWarning = { platform: this.platform, function: fn, setting, asked, applied, reason };
    this.warnings.push(warning);
    pulumi.log.warn(formatWarning(warning), this.resource);
    return applied;
  }

  /** Clamps into [min, max], reporting when it had to. */
  clamp(fn: string, setting: string, asked: number, min: number, max: number, reason: string): number {
    const applied = Math.min(max, Math.max(min, asked));
    return applied === asked ? asked : this.adjust(fn, setting, asked, applied, reason);
  }
}

export function formatWarning(w: SettingWarning): string {
  return `[${w.platform}] ${w.function}: ${w.setting} asked ${w.asked}, applied ${w.applied} (${w.reason})`;
}

/** The catalog's functions for one platform, bundled, with the stack's settings for that platform. */
export function deploymentsFor(config: ParityConfig, platform: Platform): FunctionDeployment[] {
  return catalog.map((definition) => ({
    definition,
    bundle: bundleFunction(definition, platform),
    settings: settingsFor(config, platform, definition.name),
  }));
}

/** Rejects args a component cannot deploy, with a sentence the user can act on. */
export function checkFunctions(component: string, functions: FunctionDeployment[]): void {
  if (functions.length === 0) throw new Error(`${component}: \`functions\` is empty; pass at least one function to deploy.`);
  const names = functions.map((f) => f.definition.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) throw new Error(`${component}: function "${repeated}" is listed twice; names must be unique.`);
  const consumers = functions.filter((f) => f.definition.trigger.kind === "queue");
  if (consumers.length > 1) {
    throw new Error(`${component}: only one queue-triggered function can consume the events queue; got ${consumers.map((f) => f.definition.name).join(", ")}.`);
  }
  for (const fn of consumers) {
    if (fn.settings.batchSize === undefined || fn.settings.maxAttempts === undefined) {
      throw new Error(`${component}: queue function "${fn.definition.name}" needs settings.batchSize and settings.maxAttempts.`);
    }
  }
}

/** What every platform component exposes to `index.ts` for the stack outputs. */
export interface PlatformOutputs {
  /** Base URL of the HTTP function (users-api); undefined when no HTTP function is deployed. */
  endpoint: pulumi.Output<string> | undefined;
  /** Native names of the events queue and its dead-letter queue. */
  queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> };
  /** Function name → native function name (Lambda name, Cloud Function name, Function App name, Worker script name). */
  functionNames: Record<string, pulumi.Output<string>>;
  /** Every grant made, for tests and `npm run plan`. */
  grants: Grant[];
  /** Every setting that could not be expressed exactly. */
  warnings: SettingWarning[];
}
