/**
 * What every platform shares: the functions a component deploys, the args and outputs every
 * component has, the grants it reports, and the recorder of inexact translations.
 *
 * Pure: only type imports from Pulumi, so the rules modules, the local cloud and the policy
 * pack load it without any Pulumi package.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { FunctionDeployment } from "./bundle";
import { capabilities as knownCapabilities, describe, triggerKinds, type Capability, type Platform, type TriggerKind } from "./catalog";
import type { FunctionSpec } from "./config";
import { allowedEveryMinutes, isAllowedEveryMinutes } from "./schedule";

// Declared where bundle.ts and config.ts can use them without importing this module (no import cycle).
export type { FunctionSpec } from "./config";
export type { FunctionDeployment } from "./bundle";
// Kept where users of the platform module have always found them; they live with the catalog, below bundle.ts.
export { checkPlatform, describe } from "./catalog";

/**
 * The store deadline (`STORE_TIMEOUT_MS`) of a function that uses the users store: 40 % of its
 * timeout, so that a store that does not answer gives parity's 500 internal_error (logged with
 * its cause) before the platform's own answer at the timeout. A create (one store operation, then
 * a publish of at most half the timeout) still ends within 90 % of it. Not less: a cold
 * instance's first Firestore call (channel set-up) took up to 2.9 s against the local emulator on
 * a loaded 2-core machine (measured), and a 10 s timeout leaves it 4 s. Undefined without a
 * `users.*` capability.
 */
export function storeTimeoutMsFor(capabilities: readonly Capability[], timeoutSeconds: number): number | undefined {
  return capabilities.some((capability) => capability.startsWith("users.")) ? timeoutSeconds * 400 : undefined;
}

/**
 * The shared resources a component creates, each only when a function needs it: the users
 * store for a `users.*` capability, the events queue (and its dead-letter queue) for a
 * function that publishes or consumes events, the API key's secret for `apiKey.read`. A
 * component of functions that declare nothing creates each function, its identity, its logs
 * and its front, and nothing shared.
 */
export interface SharedResources {
  usersStore: boolean;
  events: boolean;
  apiKey: boolean;
}

export function sharedResourcesFor(functions: readonly Pick<FunctionSpec, "definition">[]): SharedResources {
  const declared = new Set(functions.flatMap((f) => f.definition.capabilities));
  const any = (prefix: string) => [...declared].some((capability) => capability.startsWith(prefix));
  return { usersStore: any("users."), events: any("events."), apiKey: declared.has("apiKey.read") };
}

/**
 * Whether a schedule function is a reconciler of the users store (parity's `reconciler` and any
 * function like it): it finds pending users, so it gets the reconciler's run settings
 * (`RECONCILE_GRACE_SECONDS`, `RECONCILE_TIME_BUDGET_SECONDS`; functions/core/reconciler.ts). Any
 * other schedule function gets none of them.
 */
export function runsReconciler(capabilities: readonly Capability[]): boolean {
  return capabilities.includes("users.listPending");
}

/**
 * Refuses a missing API key when a function reads it; a component whose functions do not read it
 * needs none (and creates no secret).
 */
export function checkApiKey(platform: Platform, name: string, functions: readonly FunctionSpec[], apiKey: unknown): void {
  const readers = functions.filter((f) => f.definition.capabilities.includes("apiKey.read")).map((f) => f.definition.name);
  if (readers.length === 0) return;
  if (apiKey === undefined || apiKey === null || apiKey === "") {
    throw new ComponentArgsError(platform, name, `\`apiKey\` is required: ${readers.map((n) => `"${n}"`).join(", ")} declare${readers.length === 1 ? "s" : ""} apiKey.read. Pass it as a secret, e.g. new pulumi.Config().requireSecret("apiKey").`);
  }
}

/** Arguments every platform component shares. */
export interface PlatformFunctionsArgs {
  /**
   * The functions to deploy. At most one HTTP function (it is the endpoint) and at most one
   * queue-triggered function (it consumes the events queue).
   * @example
   * functions: deploymentsFor(config, "azure")
   */
  functions: FunctionDeployment[];
  /**
   * The API key, stored in the platform's secret store. Needed only when a function declares
   * `apiKey.read`; without one, no secret is created. Pass a secret Output.
   * @example
   * apiKey: new pulumi.Config("parity").requireSecret("apiKey")
   */
  apiKey?: pulumi.Input<string>;
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

/** The shared args as plain data, for a rules module's `plan`. */
export interface PlanInput {
  /** The component's name; prefixes physical names. */
  name: string;
  functions: FunctionSpec[];
  logRetentionDays: number;
  protectData: boolean;
}

/** The plain-data part of the shared args, with defaults applied. */
export function planInputOf(name: string, args: { functions: FunctionSpec[] } & Pick<PlatformFunctionsArgs, "logRetentionDays" | "protectData">): PlanInput {
  return {
    name,
    functions: args.functions.map(({ definition, settings }) => ({ definition, settings })),
    logRetentionDays: args.logRetentionDays ?? 7,
    protectData: args.protectData ?? false,
  };
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
  /** The function, or `*` for a stack-wide setting. */
  function: string;
  setting: string;
  asked: string | number;
  applied: string | number;
  reason: string;
}

/**
 * Records the inexact translations of one plan. Pure: the component reports them with
 * `pulumi.log.warn` (see `reportWarnings`), the local cloud and `npm run plan` list them.
 */
export class Decisions {
  readonly warnings: SettingWarning[] = [];

  constructor(readonly platform: Platform) {}

  /** Records that `asked` became `applied` for `reason`; returns `applied`. */
  adjust<T extends string | number>(fn: string, setting: string, asked: string | number, applied: T, reason: string): T {
    this.warnings.push({ platform: this.platform, function: fn, setting, asked, applied, reason });
    return applied;
  }

  /** Clamps into [min, max], recording when it had to. */
  clamp(fn: string, setting: string, asked: number, min: number, max: number, reason: string): number {
    const applied = Math.min(max, Math.max(min, asked));
    return applied === asked ? asked : this.adjust(fn, setting, asked, applied, reason);
  }
}

export function formatWarning(w: SettingWarning): string {
  return `[${w.platform}] ${w.function}: ${w.setting} asked ${w.asked}, applied ${w.applied} (${w.reason})`;
}

/** Native values of one function as a rules module applied them, for `npm run plan` and the local cloud. */
export type NativeSettings = Record<string, string | number | boolean>;

/** Native values for display, without the ones that do not apply. */
export function nativeSettingsOf(values: Record<string, string | number | boolean | undefined>): NativeSettings {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as NativeSettings;
}

/** What every rules module's `plan` returns, whatever else it holds. */
export interface PlatformPlan<F extends PlannedFunction<unknown> = PlannedFunction> {
  functions: F[];
  warnings: SettingWarning[];
}

/** One function in a plan: its spec and the native values decided for it. */
export interface PlannedFunction<N = NativeSettings> extends FunctionSpec {
  native: N;
}

/**
 * The tag (label, description) that carries a function's declared capabilities on its identity,
 * space-separated, so the policy pack can compare grants with declarations and an operator
 * can see why an identity holds what it holds.
 */
export const CAPABILITIES_TAG = "parity:capabilities";

/** The component class names, used to prefix argument errors the same way everywhere. */
export const componentNames: Record<Platform, string> = {
  aws: "AwsFunctions",
  gcp: "GcpFunctions",
  azure: "AzureFunctions",
  cloudflare: "CloudflareFunctions",
};

/** An argument a component cannot deploy, as a sentence the user can act on. */
export class ComponentArgsError extends Error {
  constructor(platform: Platform, name: string, sentence: string) {
    super(`${componentNames[platform]} "${name}": ${sentence}`);
    this.name = "ComponentArgsError";
  }
}

/**
 * Rejects function lists no platform can deploy: none, a repeated name, more than one
 * function of a trigger kind that the component wires once (the endpoint, the events
 * queue's consumer), a queue function without its queue settings, a schedule function
 * without a clock-aligned interval, and a trigger that contradicts the declared capabilities.
 */
export function checkFunctions(platform: Platform, name: string, functions: FunctionSpec[]): void {
  const fail = (sentence: string) => {
    throw new ComponentArgsError(platform, name, sentence);
  };
  if (!Array.isArray(functions)) fail(`\`functions\` must be an array of functions to deploy; got ${describe(functions)}.`);
  if (functions.length === 0) fail("`functions` is empty; pass at least one function to deploy.");
  functions.forEach((fn, i) => checkFunctionShape(fail, fn, i));
  const names = functions.map((f) => f.definition.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) fail(`function "${repeated}" is listed twice; names must be unique.`);
  for (const kind of ["http", "queue"] as const) {
    const of = functions.filter((f) => f.definition.trigger.kind === kind);
    if (of.length > 1) fail(`only one ${singleRole[kind]}; got ${of.map((f) => f.definition.name).join(", ")}. Deploy the others in a second component.`);
  }
  for (const fn of functions) {
    const kind: TriggerKind = fn.definition.trigger.kind;
    const consumes = fn.definition.capabilities.includes("events.consume");
    if (kind === "queue" && (fn.settings.batchSize === undefined || fn.settings.maxAttempts === undefined)) {
      fail(`queue function "${fn.definition.name}" needs settings.batchSize and settings.maxAttempts.`);
    }
    if (kind === "schedule" && !isAllowedEveryMinutes(fn.settings.everyMinutes)) {
      fail(`schedule function "${fn.definition.name}" needs settings.everyMinutes that divides an hour, or whole hours that divide a day: ${allowedEveryMinutes.join(", ")}; got ${fn.settings.everyMinutes}.`);
    }
    if (kind === "queue" && !consumes) fail(`queue function "${fn.definition.name}" must declare events.consume, or it may not read the queue.`);
    if (kind !== "queue" && consumes) fail(`"${fn.definition.name}" declares events.consume but is not queue-triggered; only the queue function consumes the events queue.`);
  }
}

/** What the TypeScript types guard, checked at run time for plain JavaScript: each value named, with the allowed ones. */
function checkFunctionShape(fail: (sentence: string) => never | void, fn: unknown, index: number): void {
  const at = `functions[${index}]`;
  if (!isObject(fn) || !isObject(fn.definition)) return void fail(`${at} must be { definition, settings, bundle } (see deploymentsFor); got ${describe(fn)}.`);
  const { definition, settings } = fn;
  if (typeof definition.name !== "string" || definition.name === "") fail(`${at}.definition.name must be a non-empty string; got ${describe(definition.name)}.`);
  const label = `function "${String(definition.name)}"`;
  const trigger = definition.trigger;
  if (!isObject(trigger) || !(triggerKinds as readonly unknown[]).includes(trigger.kind)) {
    fail(`${label}: trigger.kind must be one of ${triggerKinds.join(", ")}; got ${describe(isObject(trigger) ? trigger.kind : trigger)}.`);
  }
  if (!Array.isArray(definition.capabilities)) fail(`${label}: capabilities must be an array (possibly empty) of ${knownCapabilities.join(", ")}; got ${describe(definition.capabilities)}.`);
  const unknown = (definition.capabilities as unknown[]).filter((c) => !(knownCapabilities as readonly unknown[]).includes(c));
  if (unknown.length > 0) fail(`${label}: unknown capabilit${unknown.length === 1 ? "y" : "ies"} ${unknown.map(describe).join(", ")}; allowed: ${knownCapabilities.join(", ")}.`);
  if (!isObject(settings)) return void fail(`${label}: settings must be an object (see settingsOf / defaultsFor); got ${describe(settings)}.`);
  for (const key of ["memoryMb", "timeoutSeconds", "reservedConcurrency", "warmInstances"] as const) {
    const value = settings[key];
    if (typeof value !== "number" || !Number.isFinite(value)) fail(`${label}: settings.${key} must be a number; got ${describe(value)}.`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

const singleRole: Record<"http" | "queue", string> = {
  http: "HTTP function per component (it is the component's endpoint)",
  queue: "queue-triggered function per component (it consumes the events queue)",
};

/** What every platform component exposes, for the stack outputs, `npm run plan`, the policy pack and tests. */
export interface PlatformOutputs {
  /** Base URL of the HTTP function; undefined when no HTTP function is deployed. */
  endpoint: pulumi.Output<string> | undefined;
  /** Native names of the events queue and its dead-letter queue; undefined when no function publishes or consumes events. */
  queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> } | undefined;
  /** Function name → native function name (Lambda name, Cloud Function name, Function App name, Worker script name). */
  functionNames: Record<string, pulumi.Output<string>>;
  /** Every grant made, one per declared capability (and resource), for tests and `npm run plan`. */
  grants: Grant[];
  /** Every setting that could not be expressed exactly. */
  warnings: SettingWarning[];
  /** Function name → the native settings applied, from the platform's rules. */
  nativeSettings: Record<string, NativeSettings>;
  /** Schedule function name → its trigger as deployed, with the scheduler's own identity. */
  schedules: Record<string, DeployedSchedule>;
}

/**
 * A schedule function's trigger as deployed: the platform binding that invokes it, like
 * Pub/Sub's push identity for the queue function. Tests and the policy pack check that the
 * scheduler's identity holds one invoke permission on this one function and nothing else.
 */
export interface DeployedSchedule {
  /** The expression in the platform's dialect (components/schedule.ts). */
  expression: string;
  /**
   * The identity the platform's scheduler invokes the function with (an IAM role ARN, a
   * service-account email); undefined where the trigger lives in the function itself (an
   * Azure timer trigger in its app, a Workers cron trigger) and no separate identity exists.
   */
  identity: pulumi.Output<string> | undefined;
  /** What that identity may do: invoke this function only. Undefined with no identity. */
  invoke: { permissions: string[]; resource: pulumi.Output<string> } | undefined;
}
