/**
 * Cloudflare rules, pure: Workers and Queues limits with their sources, the pinned
 * compatibility date, the capability → grant table (a binding, or the queue consumer),
 * physical names, and `planCloudflare`: portable settings in, Worker knobs and recorded
 * decisions out. The component, the local cloud and `npm run plan` all decide with this
 * module; it imports no Pulumi package.
 */
import type { Capability } from "../catalog";
import type { FunctionSettings } from "../config";
import { unixCron } from "../schedule";
import { reconcilerRunSettings } from "../../functions/core/reconciler";
import { cloudflareCapabilityBindings, cloudflareEnv, type CapabilityBinding, type ScheduleRunSettings } from "../../functions/cloudflare/contract";
import { CAPABILITIES_TAG, checkFunctions, ComponentArgsError, Decisions, nativeSettingsOf, runsReconciler, type NativeSettings, type PlanInput, type PlannedFunction, type PlatformPlan } from "../platform";

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/**
 * Pinned so a runtime change never reaches a deployed Worker unannounced; the tests run the
 * bundles on workerd with the same date. It must not be later than the installed workerd
 * (miniflare 4.20260426.0 supports dates up to 2026-04-26).
 * Source: https://developers.cloudflare.com/workers/configuration/compatibility-dates/
 */
export const WORKERS_COMPATIBILITY_DATE = "2026-04-01";

/** Workers' and Queues' hard limits. */
export const cloudflareLimits = {
  // 128 MB per isolate, every plan: https://developers.cloudflare.com/workers/platform/limits/#memory
  memoryMb: 128,
  // cpu_ms up to 300,000: https://developers.cloudflare.com/changelog/2025-03-25-higher-cpu-limits/
  cpuMs: { max: 300_000 },
  // Batch ≤ 100 messages, ≤ 100 retries, 250 concurrent consumer invocations:
  // https://developers.cloudflare.com/queues/platform/limits/
  queue: { batchSize: { min: 1, max: 100 }, maxRetries: 100, maxConcurrency: { min: 1, max: 250 } },
  cron: {
    // "Number of Cron Triggers per account: 5 (Workers Free), 250 (Workers Paid)" (the account
    // plan limits table). The Cron Triggers page says "per Worker"; the docs disagree
    // (https://github.com/cloudflare/cloudflare-docs/issues/29326): checked per account here, the stricter reading.
    // https://developers.cloudflare.com/workers/platform/limits/#account-plan-limits
    triggersPerAccount: { free: 5, paid: 250 },
    // A Cron Trigger invocation may run 15 min wall clock; its CPU time is at most 30 s when the
    // schedule interval is under 1 hour (up to 15 min from 1 hour on). `limits.cpu_ms` itself goes
    // to 300,000. https://developers.cloudflare.com/workers/platform/limits/#cpu-time and #duration
    wallSeconds: 900,
    cpuMsUnderAnHour: 30_000,
  },
} as const;

/** The Workers plan of the account: it bounds the Cron Triggers (and CPU time) per account. */
export type WorkersPlan = keyof typeof cloudflareLimits.cron.triggersPerAccount;

const workersLimitsUrl = "https://developers.cloudflare.com/workers/platform/limits/";
const queuesLimitsUrl = "https://developers.cloudflare.com/queues/platform/limits/";

/**
 * Physical-name rules:
 * - Worker script name: `^[a-z0-9_][a-z0-9-_]*$` (the API's `script_name`:
 *   https://developers.cloudflare.com/api/resources/workers/subresources/scripts/methods/update/),
 *   and at most 63 characters, since the HTTP Worker's name is a DNS label of its
 *   `<script>.<subdomain>.workers.dev` URL (RFC 1035 §2.3.4: https://www.rfc-editor.org/rfc/rfc1035#section-2.3.4).
 */
export const cloudflareNameRules = {
  script: { max: 63, pattern: /^[a-z0-9_][a-z0-9_-]*$/ },
  /**
   * D1 database name: `^[a-z0-9][a-z0-9-_]*$` in the API schema (`d1_database-name`:
   * https://developers.cloudflare.com/api/resources/d1/subresources/database/methods/create/);
   * one published copy of that schema allows upper case too, so the stricter one is used. No
   * length is documented: only the alphabet is checked.
   */
  d1Database: { max: Number.MAX_SAFE_INTEGER, pattern: /^[a-z0-9][a-z0-9_-]*$/ },
  /**
   * Queue name: lower-case letters, digits and dashes, not starting or ending with a dash, at
   * most 63 characters (`validateQueueName` of create-cloudflare, Cloudflare's own CLI:
   * https://github.com/cloudflare/workers-sdk/tree/main/packages/create-cloudflare).
   */
  queue: { max: 63, pattern: /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/ },
} as const;

export const scriptNameFor = (component: string, fn: string) => `${component}-${fn}`;

/** The names of the resources every component creates once. */
export interface CloudflareResourceNames {
  /** D1 database name. */
  usersDatabase: string;
  eventsQueue: string;
  eventsDeadLetterQueue: string;
}

export const resourceNamesFor = (component: string): CloudflareResourceNames => ({
  usersDatabase: `${component}-users`,
  eventsQueue: `${component}-events`,
  eventsDeadLetterQueue: `${component}-events-dlq`,
});

// ---------------------------------------------------------------------------------------------
// Capabilities → grants
// ---------------------------------------------------------------------------------------------

/** The resources a grant can name. */
export interface CloudflareGrantResources<T> {
  usersDatabase: T;
  eventsQueue: T;
  /** The API key's secret_text binding on the function's own script. */
  apiKeySecret: T;
}

/**
 * What grants each binding of the contract's capability → binding table, on which resource.
 * The binding is the whole permission: a Worker reaches exactly what is bound to it.
 */
export const cloudflareBindingGrants: Record<CapabilityBinding, { resource: keyof CloudflareGrantResources<unknown>; permission: string }> = {
  d1: { resource: "usersDatabase", permission: `d1 binding ${cloudflareEnv.usersDb}` },
  queue: { resource: "eventsQueue", permission: `queue binding ${cloudflareEnv.events}` },
  secret_text: { resource: "apiKeySecret", permission: `secret_text binding ${cloudflareEnv.apiKey}` },
  "queue-consumer": { resource: "eventsQueue", permission: "queue consumer" },
};

/**
 * A Worker carries its declared capabilities in its version message
 * (`annotations.workersMessage`, "Human-readable message about the version", at most 1000
 * bytes: https://www.pulumi.com/registry/packages/cloudflare/api-docs/workersscript/), the
 * nearest Workers have to a tag, so the policy pack can compare its bindings with them.
 */
export const capabilitiesAnnotation = (capabilities: readonly Capability[]) => `${CAPABILITIES_TAG}: ${capabilities.join(" ")}`;

/** The capabilities a version message written by {@link capabilitiesAnnotation} declares; undefined when it is not one. */
export function capabilitiesOfAnnotation(message: unknown): string[] | undefined {
  if (typeof message !== "string" || !message.startsWith(`${CAPABILITIES_TAG}:`)) return undefined;
  return message.slice(CAPABILITIES_TAG.length + 1).split(" ").filter(Boolean);
}

/** How a grant names its resource: `d1:<database>`, `queue:<queue>`, `secret:<script>/API_KEY`. */
export const grantResourceNames = {
  usersDatabase: (databaseName: string) => `d1:${databaseName}`,
  eventsQueue: (queueName: string) => `queue:${queueName}`,
  apiKeySecret: (scriptName: string) => `secret:${scriptName}/${cloudflareEnv.apiKey}`,
} as const;

export interface CloudflareCompiledGrant<T> {
  capability: Capability;
  permissions: string[];
  resource: T;
}

/** One grant per declared capability, on its exact resource. */
export function compileCloudflareGrants<T>(capabilities: readonly Capability[], resources: CloudflareGrantResources<T>): CloudflareCompiledGrant<T>[] {
  return capabilities.map((capability) => {
    const rule = cloudflareBindingGrants[cloudflareCapabilityBindings[capability]];
    return { capability, permissions: [rule.permission], resource: resources[rule.resource] };
  });
}

// ---------------------------------------------------------------------------------------------
// Settings → native knobs
// ---------------------------------------------------------------------------------------------

/** The queue consumer's settings (QueueConsumer `settings`). */
export interface CloudflareConsumerSettings {
  batchSize: number;
  /** Retries after the first delivery: maxAttempts − 1. */
  maxRetries: number;
  maxConcurrency: number;
}

/** One function's settings as Worker knobs. */
export interface CloudflareNativeSettings {
  scriptName: string;
  /** `limits.cpuMs` of the script. */
  cpuMs: number;
  /** Fixed by the platform; listed so `npm run plan` shows what runs. */
  memoryMb: typeof cloudflareLimits.memoryMb;
  /** Queue functions: the consumer registration's settings. */
  consumer?: CloudflareConsumerSettings;
  /** Schedule functions: the Cron Trigger and the run settings bound to the Worker. */
  schedule?: CloudflareScheduleSettings;
}

/** A schedule function's Cron Trigger (5-field unix cron, UTC) and its run settings. */
export interface CloudflareScheduleSettings extends ScheduleRunSettings {
  cron: string;
}

export type CloudflarePlannedFunction = PlannedFunction<CloudflareNativeSettings>;

export interface CloudflarePlanInput extends PlanInput {
  /** The account's Workers plan; bounds the Cron Triggers. @default "paid" */
  workersPlan?: WorkersPlan;
}

/** Everything `CloudflareFunctions` decides before creating a resource. */
export interface CloudflarePlan extends PlatformPlan<CloudflarePlannedFunction> {
  names: CloudflareResourceNames;
  /** The HTTP function, served on workers.dev. */
  httpFunction?: CloudflarePlannedFunction;
  /** The queue function, registered as the events queue's consumer. */
  consumer?: CloudflarePlannedFunction & { native: { consumer: CloudflareConsumerSettings } };
  /** The schedule functions, each with its Cron Trigger. */
  scheduled: (CloudflarePlannedFunction & { native: { schedule: CloudflareScheduleSettings } })[];
  protectData: boolean;
}

/** Checks the input, then decides every native value; throws a `ComponentArgsError` on args Workers cannot deploy. */
export function planCloudflare(input: CloudflarePlanInput): CloudflarePlan {
  checkCloudflareInput(input);
  const decisions = new Decisions("cloudflare");
  cloudflareLogRetention(input.logRetentionDays, decisions);
  const functions = input.functions.map((spec): CloudflarePlannedFunction => ({
    ...spec,
    native: cloudflareSettingsFor(input.name, spec.definition, spec.settings, decisions),
  }));
  return {
    functions,
    warnings: decisions.warnings,
    names: resourceNamesFor(input.name),
    httpFunction: functions.find((f) => f.definition.trigger.kind === "http"),
    consumer: functions.find((f): f is NonNullable<CloudflarePlan["consumer"]> => f.native.consumer !== undefined),
    scheduled: functions.filter((f): f is CloudflarePlan["scheduled"][number] => f.native.schedule !== undefined),
    protectData: input.protectData,
  };
}

/**
 * Settings → Worker knobs. Whatever Workers cannot express is recorded, never dropped
 * silently.
 */
export function cloudflareSettingsFor(
  component: string,
  definition: Pick<PlannedFunction["definition"], "name" | "trigger"> & Partial<Pick<PlannedFunction["definition"], "capabilities">>,
  settings: FunctionSettings,
  decisions: Decisions,
): CloudflareNativeSettings {
  const fn = definition.name;
  const memoryMb = cloudflareLimits.memoryMb;
  if (settings.memoryMb !== memoryMb) {
    decisions.adjust(fn, "memoryMb", settings.memoryMb, memoryMb, `Workers memory is fixed at 128 MB per isolate (${workersLimitsUrl}#memory)`);
  }
  if (settings.warmInstances > 0) {
    decisions.adjust(fn, "warmInstances", settings.warmInstances, 0, "Workers has no warm-instance knob: isolates start in milliseconds (https://developers.cloudflare.com/workers/reference/how-workers-works/)");
  }
  if (definition.trigger.kind === "schedule") return scheduledSettingsFor(component, fn, settings, decisions, runsReconciler(definition.capabilities ?? []));
  // Workers bound CPU time, not wall-clock time (an HTTP request may wait on I/O as long as the
  // client stays; a consumer invocation is capped at 15 min wall clock), so this always differs.
  const cpuMs = Math.min(settings.timeoutSeconds * 1000, cloudflareLimits.cpuMs.max);
  decisions.adjust(
    fn,
    "timeoutSeconds",
    settings.timeoutSeconds,
    `cpuMs ${cpuMs}`,
    `Workers limit CPU time per invocation, not wall-clock time; at most 300,000 ms (${workersLimitsUrl}#cpu-time)`,
  );
  const native: CloudflareNativeSettings = { scriptName: scriptNameFor(component, fn), cpuMs, memoryMb };
  if (definition.trigger.kind === "http") {
    decisions.adjust(fn, "reservedConcurrency", settings.reservedConcurrency, "unlimited", `Workers has no per-script concurrency cap for HTTP requests; isolates scale with traffic (${workersLimitsUrl})`);
  }
  if (definition.trigger.kind === "queue") native.consumer = consumerSettingsFor(fn, settings, decisions);
  return native;
}

/**
 * A schedule function: a Cron Trigger `*\/N * * * *` (UTC, the only time zone Cron Triggers
 * have: https://developers.cloudflare.com/workers/configuration/cron-triggers/), and the
 * timeout as the run's own wall-clock budget (Workers have no wall-clock knob; a cron
 * invocation may last 15 min), with the CPU limit the interval allows.
 */
export function scheduledSettingsFor(component: string, fn: string, settings: FunctionSettings, decisions: Decisions, reconciler = true): CloudflareNativeSettings {
  const everyMinutes = settings.everyMinutes!;
  const limits = cloudflareLimits.cron;
  const wallSeconds = Math.min(settings.timeoutSeconds, limits.wallSeconds);
  const cpuCap = everyMinutes < 60 ? limits.cpuMsUnderAnHour : cloudflareLimits.cpuMs.max;
  const cpuMs = Math.min(settings.timeoutSeconds * 1000, cpuCap);
  const run = reconcilerRunSettings(everyMinutes, wallSeconds);
  // A reconciler of the users store (platform.ts `runsReconciler`) stops itself within its run
  // budget and claims users so that overlapping runs cannot re-publish one twice; any other
  // schedule function gets neither, and its warnings name it and what it must do itself.
  decisions.adjust(
    fn,
    "timeoutSeconds",
    settings.timeoutSeconds,
    reconciler ? `run budget ${run.timeBudgetSeconds} s wall clock (of at most ${limits.wallSeconds}), cpuMs ${cpuMs}` : `cpuMs ${cpuMs}, no wall-clock limit below ${limits.wallSeconds} s`,
    reconciler
      ? `Workers have no wall-clock timeout: the reconciler stops itself within its budget; a Cron Trigger may run 15 min, and at most 30 s of CPU when it fires more often than hourly (${workersLimitsUrl}#cpu-time)`
      : `Workers have no wall-clock timeout: "${fn}" must stop itself within ${settings.timeoutSeconds} s; a Cron Trigger may run 15 min, and at most 30 s of CPU when it fires more often than hourly (${workersLimitsUrl}#cpu-time)`,
  );
  decisions.adjust(
    fn,
    "reservedConcurrency",
    settings.reservedConcurrency,
    "none",
    reconciler
      ? `Workers have no concurrency cap for Cron Triggers; a run that outlasts the interval overlaps the next, and the reconciler's claim keeps overlapping runs from re-publishing a user twice (${workersLimitsUrl})`
      : `Workers have no concurrency cap for Cron Triggers; a run of "${fn}" that outlasts the interval overlaps the next, so it must tolerate a concurrent run (${workersLimitsUrl})`,
  );
  return {
    scriptName: scriptNameFor(component, fn),
    cpuMs,
    memoryMb: cloudflareLimits.memoryMb,
    schedule: { cron: unixCron(everyMinutes), ...run },
  };
}

/** Consumer settings; `checkFunctions` has guaranteed batchSize and maxAttempts. */
export function consumerSettingsFor(fn: string, settings: FunctionSettings, decisions: Decisions): CloudflareConsumerSettings {
  const limits = cloudflareLimits.queue;
  const batchSize = decisions.clamp(fn, "batchSize", settings.batchSize!, limits.batchSize.min, limits.batchSize.max, `Queues consumer batches hold at most 100 messages (${queuesLimitsUrl})`);
  // maxAttempts counts deliveries; Queues counts retries after the first delivery.
  const askedRetries = settings.maxAttempts! - 1;
  const maxRetries = Math.min(askedRetries, limits.maxRetries);
  if (maxRetries !== askedRetries) {
    decisions.adjust(fn, "maxAttempts", settings.maxAttempts!, maxRetries + 1, `Queues retries a message at most 100 times (${queuesLimitsUrl})`);
  }
  const maxConcurrency = decisions.clamp(
    fn,
    "reservedConcurrency",
    settings.reservedConcurrency,
    limits.maxConcurrency.min,
    limits.maxConcurrency.max,
    `Queues runs at most 250 concurrent consumer invocations (${queuesLimitsUrl})`,
  );
  return { batchSize, maxRetries, maxConcurrency };
}

/**
 * Workers Logs keep logs for a period set by the account's plan; there is no per-Worker
 * retention knob. Source: https://developers.cloudflare.com/workers/observability/logs/workers-logs/
 */
export function cloudflareLogRetention(days: number, decisions: Decisions): void {
  decisions.adjust("*", "logRetentionDays", days, "plan default", "Workers Logs retention is fixed by the account's plan, not per Worker (https://developers.cloudflare.com/workers/observability/logs/workers-logs/)");
}

/** The native values of one planned function, flat, for `npm run plan`. */
export function cloudflareNativeSummary(fn: CloudflarePlannedFunction): NativeSettings {
  const n = fn.native;
  return nativeSettingsOf({
    cpuMs: n.cpuMs,
    memoryMb: n.memoryMb,
    batchSize: n.consumer?.batchSize,
    maxRetries: n.consumer?.maxRetries,
    maxConcurrency: n.consumer?.maxConcurrency,
    cron: n.schedule?.cron,
    graceSeconds: n.schedule?.graceSeconds,
    timeBudgetSeconds: n.schedule?.timeBudgetSeconds,
  });
}

/** Rejects input this component cannot deploy, with a sentence the user can act on. */
export function checkCloudflareInput(input: CloudflarePlanInput): void {
  checkFunctions("cloudflare", input.name, input.functions);
  checkCronTriggerCount(input);
  for (const fn of input.functions) {
    const scriptName = scriptNameFor(input.name, fn.definition.name);
    const rule = cloudflareNameRules.script;
    if (scriptName.length > rule.max || !rule.pattern.test(scriptName)) {
      throw new ComponentArgsError(
        "cloudflare",
        input.name,
        `Worker name "${scriptName}" must be at most ${rule.max} lower-case letters, digits, "-" or "_"; use a shorter or lower-case component or function name.`,
      );
    }
  }
  const names = resourceNamesFor(input.name);
  const d1 = cloudflareNameRules.d1Database;
  if (!d1.pattern.test(names.usersDatabase)) {
    throw new ComponentArgsError("cloudflare", input.name, `D1 database name "${names.usersDatabase}" must be lower-case letters, digits, "-" or "_", starting with a letter or digit; use a lower-case component name.`);
  }
  const queue = cloudflareNameRules.queue;
  for (const queueName of [names.eventsQueue, names.eventsDeadLetterQueue]) {
    if (queueName.length > queue.max || !queue.pattern.test(queueName)) {
      throw new ComponentArgsError("cloudflare", input.name, `Queue name "${queueName}" must be at most ${queue.max} lower-case letters, digits or "-", not starting or ending with "-"; use a shorter or lower-case component name.`);
    }
  }
}

/** One Cron Trigger per schedule function; the account's plan bounds how many it may hold. */
export function checkCronTriggerCount(input: CloudflarePlanInput): void {
  const plan = input.workersPlan ?? "paid";
  const limit = cloudflareLimits.cron.triggersPerAccount[plan];
  const count = input.functions.filter((fn) => fn.definition.trigger.kind === "schedule").length;
  if (count > limit) {
    throw new ComponentArgsError(
      "cloudflare",
      input.name,
      `${count} schedule functions need ${count} Cron Triggers, but a Workers ${plan === "free" ? "Free" : "Paid"} account holds at most ${limit} (${workersLimitsUrl}#account-plan-limits); deploy fewer schedule functions${plan === "free" ? " or use Workers Paid" : ""}.`,
    );
  }
}
