/**
 * CloudflareFunctions: the catalog's functions as Workers (module syntax) on D1 and Queues.
 * Identity on Workers is the binding: a script can reach exactly the resources bound to it,
 * so each declared capability compiles to one binding (or the queue consumer) and nothing else.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { Capability } from "./catalog";
import type { FunctionSettings } from "./config";
import { D1Migrations, WorkersDevSubdomain, migrationStatements, readD1Migrations } from "./cloudflare-d1";
import {
  SettingDecisions,
  checkFunctions,
  type FunctionDeployment,
  type Grant,
  type PlatformFunctionsArgs,
  type PlatformOutputs,
  type SettingWarning,
} from "./deployment";

/**
 * Pinned so a runtime change never reaches a deployed Worker unannounced; the tests run the
 * bundles on workerd with the same date. It must not be later than the installed workerd
 * (miniflare 4.20260426.0 supports dates up to 2026-04-26).
 * Source: https://developers.cloudflare.com/workers/configuration/compatibility-dates/
 */
export const WORKERS_COMPATIBILITY_DATE = "2026-04-01";

/** The binding names the driver reads (functions/cloudflare/bindings.ts). */
export const bindingNames = {
  usersDb: "USERS_DB",
  events: "EVENTS",
  apiKey: "API_KEY",
  platform: "PARITY_PLATFORM",
} as const;

/** A binding a Worker gets, independent of how it is provisioned (Pulumi or Miniflare). */
export type WorkerBinding =
  | { kind: "d1"; name: typeof bindingNames.usersDb }
  | { kind: "queue"; name: typeof bindingNames.events }
  | { kind: "secret_text"; name: typeof bindingNames.apiKey }
  | { kind: "plain_text"; name: typeof bindingNames.platform; text: "cloudflare" };

/**
 * Capability → what grants it on Workers. A D1 binding is all-or-nothing on one database
 * (no read-only binding exists), so users.read/create/update share the one USERS_DB binding;
 * events.consume is not a binding but the queue's consumer registration.
 * Sources: https://developers.cloudflare.com/d1/worker-api/ ,
 * https://developers.cloudflare.com/queues/configuration/configure-queues/
 */
export const capabilityBindings: Record<Capability, WorkerBinding | "queue-consumer"> = {
  "users.read": { kind: "d1", name: bindingNames.usersDb },
  "users.create": { kind: "d1", name: bindingNames.usersDb },
  "users.update": { kind: "d1", name: bindingNames.usersDb },
  "events.publish": { kind: "queue", name: bindingNames.events },
  "events.consume": "queue-consumer",
  "apiKey.read": { kind: "secret_text", name: bindingNames.apiKey },
};

/** The bindings of one Worker: one per distinct capability binding, plus PARITY_PLATFORM. */
export function workerBindings(capabilities: readonly Capability[]): WorkerBinding[] {
  const byName = new Map<string, WorkerBinding>();
  for (const capability of capabilities) {
    const binding = capabilityBindings[capability];
    if (binding !== "queue-consumer") byName.set(binding.name, binding);
  }
  return [...byName.values(), { kind: "plain_text", name: bindingNames.platform, text: "cloudflare" }];
}

/** The native resources a binding points at. */
export interface BindingTargets {
  databaseId: pulumi.Input<string>;
  eventsQueueName: pulumi.Input<string>;
  apiKey: pulumi.Input<string>;
}

/** A binding in the shape `cloudflare.WorkersScript` takes. */
export function toScriptBinding(binding: WorkerBinding, targets: BindingTargets): cloudflare.types.input.WorkersScriptBinding {
  switch (binding.kind) {
    case "d1":
      return { type: "d1", name: binding.name, id: targets.databaseId };
    case "queue":
      return { type: "queue", name: binding.name, queueName: targets.eventsQueueName };
    case "secret_text":
      // secret_text: write-only in the API, never shown in the dashboard or returned by reads.
      return { type: "secret_text", name: binding.name, text: pulumi.secret(targets.apiKey) };
    case "plain_text":
      return { type: "plain_text", name: binding.name, text: binding.text };
  }
}

/** The exact resources grants name. */
export interface GrantTargets {
  databaseName: pulumi.Output<string>;
  eventsQueueName: pulumi.Output<string>;
  scriptName: pulumi.Output<string>;
}

/** Capability → Grant: the binding (or consumer registration) and the resource it reaches. */
export function grantsFor(fn: string, capabilities: readonly Capability[], targets: GrantTargets): Grant[] {
  return capabilities.map((capability): Grant => {
    const binding = capabilityBindings[capability];
    if (binding === "queue-consumer") {
      return { function: fn, capability, permissions: ["queue consumer"], resource: pulumi.interpolate`queue:${targets.eventsQueueName}` };
    }
    switch (binding.kind) {
      case "d1":
        return { function: fn, capability, permissions: [`d1 binding ${binding.name}`], resource: pulumi.interpolate`d1:${targets.databaseName}` };
      case "queue":
        return { function: fn, capability, permissions: [`queue binding ${binding.name}`], resource: pulumi.interpolate`queue:${targets.eventsQueueName}` };
      case "secret_text":
        return { function: fn, capability, permissions: [`secret_text binding ${binding.name}`], resource: pulumi.interpolate`secret:${targets.scriptName}/${binding.name}` };
      case "plain_text":
        throw new Error(`capability ${capability} cannot map to a plain-text binding`);
    }
  });
}

// Limits, each from its source:
/** https://developers.cloudflare.com/workers/platform/limits/#memory — 128 MB per isolate, every plan. */
export const WORKER_MEMORY_MB = 128;
/** https://developers.cloudflare.com/changelog/2025-03-25-higher-cpu-limits/ — cpu_ms up to 300,000. */
export const MAX_CPU_MS = 300_000;
/** https://developers.cloudflare.com/queues/platform/limits/ — batch ≤ 100, retries ≤ 100, 250 concurrent consumers. */
export const QUEUE_LIMITS = { maxBatchSize: 100, maxRetries: 100, maxConcurrency: 250 } as const;

/** Native knobs of one Worker, decided from the portable settings. */
export interface WorkerKnobs {
  /** `limits.cpuMs` of the script. */
  cpuMs: number;
  /** Queue consumer settings; only for queue-triggered functions. */
  consumer?: { batchSize: number; maxRetries: number; maxConcurrency: number };
}

/**
 * Settings → Worker knobs. Whatever Workers cannot express is reported through `decisions`
 * (pulumi.log.warn), never dropped silently.
 */
export function workerKnobs(
  fn: Pick<FunctionDeployment["definition"], "name" | "trigger">,
  settings: FunctionSettings,
  decisions: SettingDecisions,
): WorkerKnobs {
  const name = fn.name;
  if (settings.memoryMb !== WORKER_MEMORY_MB) {
    decisions.adjust(name, "memoryMb", settings.memoryMb, WORKER_MEMORY_MB, "Workers memory is fixed at 128 MB per isolate (https://developers.cloudflare.com/workers/platform/limits/#memory)");
  }
  if (settings.warmInstances > 0) {
    decisions.adjust(name, "warmInstances", settings.warmInstances, 0, "Workers has no warm-instance knob: isolates start in milliseconds (https://developers.cloudflare.com/workers/reference/how-workers-works/)");
  }
  // Workers bound CPU time, not wall-clock time (an HTTP request may wait on I/O as long as the
  // client stays; a consumer invocation is capped at 15 min wall clock).
  const askedCpuMs = settings.timeoutSeconds * 1000;
  const cpuMs = Math.min(askedCpuMs, MAX_CPU_MS);
  decisions.adjust(
    name,
    "timeoutSeconds",
    settings.timeoutSeconds,
    `cpuMs ${cpuMs}`,
    "Workers limit CPU time per invocation, not wall-clock time; at most 300,000 ms (https://developers.cloudflare.com/workers/platform/limits/#cpu-time)",
  );

  if (fn.trigger.kind === "http") {
    decisions.adjust(name, "reservedConcurrency", settings.reservedConcurrency, "unlimited", "Workers has no per-script concurrency cap for HTTP requests; isolates scale with traffic (https://developers.cloudflare.com/workers/platform/limits/)");
    return { cpuMs };
  }

  const limitsUrl = "https://developers.cloudflare.com/queues/platform/limits/";
  const batchSize = decisions.clamp(name, "batchSize", settings.batchSize!, 1, QUEUE_LIMITS.maxBatchSize, `Queues consumer batches hold at most 100 messages (${limitsUrl})`);
  // maxAttempts counts deliveries; Queues counts retries after the first delivery.
  const askedRetries = settings.maxAttempts! - 1;
  const maxRetries = Math.min(askedRetries, QUEUE_LIMITS.maxRetries);
  if (maxRetries !== askedRetries) {
    decisions.adjust(name, "maxAttempts", settings.maxAttempts!, maxRetries + 1, `Queues retries a message at most 100 times (${limitsUrl})`);
  }
  const maxConcurrency = decisions.clamp(name, "reservedConcurrency", settings.reservedConcurrency, 1, QUEUE_LIMITS.maxConcurrency, `Queues runs at most 250 concurrent consumer invocations (${limitsUrl})`);
  return { cpuMs, consumer: { batchSize, maxRetries, maxConcurrency } };
}

export interface CloudflareFunctionsArgs extends PlatformFunctionsArgs {
  /**
   * The Cloudflare account that owns every resource (32 hex characters), from
   * `parity:cloudflareAccountId`.
   * @example "0123456789abcdef0123456789abcdef"
   */
  accountId: pulumi.Input<string>;
  /**
   * The account's workers.dev subdomain, giving users-api the URL
   * `https://<script>.<subdomain>.workers.dev`.
   * @default read from the Cloudflare API at deploy time (`GET /accounts/{id}/workers/subdomain`)
   * @example "my-team"
   */
  workersDevSubdomain?: pulumi.Input<string>;
  /**
   * API token the deploy-time steps use (D1 migrations, subdomain lookup); needs D1 Edit and
   * Workers Scripts Read.
   * @default the `CLOUDFLARE_API_TOKEN` environment variable of `pulumi up`
   * @example new pulumi.Config("cloudflare").requireSecret("apiToken")
   */
  deployApiToken?: pulumi.Input<string>;
  /**
   * D1 region hint for the users database.
   * @default none: created close to the deployer
   * @example "weur"
   */
  primaryLocationHint?: pulumi.Input<string>;
}

export class CloudflareFunctions extends pulumi.ComponentResource implements PlatformOutputs {
  readonly endpoint: pulumi.Output<string> | undefined;
  readonly queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> };
  readonly functionNames: Record<string, pulumi.Output<string>> = {};
  readonly grants: Grant[] = [];
  readonly warnings: SettingWarning[];

  readonly usersDatabase: cloudflare.D1Database;
  readonly usersSchema: D1Migrations;
  readonly eventsQueue: cloudflare.Queue;
  readonly eventsDeadLetterQueue: cloudflare.Queue;
  readonly scripts: Record<string, cloudflare.WorkersScript> = {};
  readonly eventsConsumer: cloudflare.QueueConsumer | undefined;
  readonly workersDevRoutes: Record<string, cloudflare.WorkersScriptSubdomain> = {};

  constructor(name: string, args: CloudflareFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:cloudflare:Functions", name, {}, opts);
    checkFunctions("CloudflareFunctions", args.functions);
    const decisions = new SettingDecisions("cloudflare", this);
    const accountId = args.accountId;

    this.usersDatabase = this.createUsersDatabase(name, args);
    this.usersSchema = this.applySchema(name, args);
    this.eventsDeadLetterQueue = this.createQueue(`${name}-events-dlq`, accountId);
    this.eventsQueue = this.createQueue(`${name}-events`, accountId);
    reportLogRetention(args.logRetentionDays ?? 7, decisions);

    const targets: BindingTargets = {
      databaseId: this.usersDatabase.uuid,
      eventsQueueName: this.eventsQueue.queueName,
      apiKey: args.apiKey,
    };
    let consumer: cloudflare.QueueConsumer | undefined;
    for (const fn of args.functions) {
      const knobs = workerKnobs(fn.definition, fn.settings, decisions);
      const script = this.createScript(name, fn, knobs, targets, accountId);
      this.scripts[fn.definition.name] = script;
      this.functionNames[fn.definition.name] = script.scriptName;
      this.grants.push(
        ...grantsFor(fn.definition.name, fn.definition.capabilities, {
          databaseName: this.usersDatabase.name,
          eventsQueueName: this.eventsQueue.queueName,
          scriptName: script.scriptName,
        }),
      );
      if (fn.definition.trigger.kind === "http") this.workersDevRoutes[fn.definition.name] = this.exposeOnWorkersDev(name, fn, script, accountId);
      if (knobs.consumer) consumer = this.createConsumer(name, script, knobs.consumer, accountId);
    }
    this.eventsConsumer = consumer;
    this.endpoint = this.endpointOf(name, args);
    this.queues = { queue: this.eventsQueue.queueName, deadLetter: this.eventsDeadLetterQueue.queueName };
    this.warnings = decisions.warnings;

    this.registerOutputs({
      endpoint: this.endpoint,
      queues: this.queues,
      functionNames: this.functionNames,
      warnings: this.warnings,
    });
  }

  private createUsersDatabase(name: string, args: CloudflareFunctionsArgs): cloudflare.D1Database {
    // D1 has no deletion-protection flag; Time Travel (point-in-time restore) is always on.
    // protectData therefore protects the database from `pulumi destroy` / replacement.
    // Source: https://developers.cloudflare.com/d1/reference/time-travel/
    return new cloudflare.D1Database(
      `${name}-users`,
      { accountId: args.accountId, name: `${name}-users`, primaryLocationHint: args.primaryLocationHint },
      { parent: this, protect: args.protectData ?? false },
    );
  }

  private applySchema(name: string, args: CloudflareFunctionsArgs): D1Migrations {
    return new D1Migrations(
      `${name}-users-schema`,
      {
        accountId: args.accountId,
        databaseId: this.usersDatabase.uuid,
        statements: migrationStatements(readD1Migrations()),
        apiToken: args.deployApiToken,
      },
      { parent: this, dependsOn: [this.usersDatabase] },
    );
  }

  private createQueue(queueName: string, accountId: pulumi.Input<string>): cloudflare.Queue {
    return new cloudflare.Queue(queueName, { accountId, queueName }, { parent: this });
  }

  private createScript(
    name: string,
    fn: FunctionDeployment,
    knobs: WorkerKnobs,
    targets: BindingTargets,
    accountId: pulumi.Input<string>,
  ): cloudflare.WorkersScript {
    const scriptName = `${name}-${fn.definition.name}`;
    const content = fs.readFileSync(fn.bundle.file);
    return new cloudflare.WorkersScript(
      scriptName,
      {
        accountId,
        scriptName,
        contentFile: fn.bundle.file,
        contentSha256: crypto.createHash("sha256").update(content).digest("hex"),
        mainModule: fn.bundle.fileName,
        compatibilityDate: WORKERS_COMPATIBILITY_DATE,
        bindings: workerBindings(fn.definition.capabilities).map((binding) => toScriptBinding(binding, targets)),
        limits: { cpuMs: knobs.cpuMs },
        observability: { enabled: true, logs: { enabled: true, invocationLogs: true, headSamplingRate: 1 } },
      },
      // The schema must exist before the first request reaches the Worker.
      { parent: this, dependsOn: [this.usersSchema] },
    );
  }

  private exposeOnWorkersDev(name: string, fn: FunctionDeployment, script: cloudflare.WorkersScript, accountId: pulumi.Input<string>) {
    return new cloudflare.WorkersScriptSubdomain(
      `${name}-${fn.definition.name}-workers-dev`,
      { accountId, scriptName: script.scriptName, enabled: true, previewsEnabled: false },
      { parent: this },
    );
  }

  private createConsumer(
    name: string,
    script: cloudflare.WorkersScript,
    settings: NonNullable<WorkerKnobs["consumer"]>,
    accountId: pulumi.Input<string>,
  ): cloudflare.QueueConsumer {
    return new cloudflare.QueueConsumer(
      `${name}-events-consumer`,
      {
        accountId,
        queueId: this.eventsQueue.queueId,
        scriptName: script.scriptName,
        type: "worker",
        deadLetterQueue: this.eventsDeadLetterQueue.queueName,
        settings: { batchSize: settings.batchSize, maxRetries: settings.maxRetries, maxConcurrency: settings.maxConcurrency },
      },
      { parent: this },
    );
  }

  private endpointOf(name: string, args: CloudflareFunctionsArgs): pulumi.Output<string> | undefined {
    const http = args.functions.find((fn) => fn.definition.trigger.kind === "http");
    if (!http) return undefined;
    const subdomain =
      args.workersDevSubdomain ??
      new WorkersDevSubdomain(`${name}-workers-dev-subdomain`, { accountId: args.accountId, apiToken: args.deployApiToken }, { parent: this }).subdomain;
    const route = this.workersDevRoutes[http.definition.name];
    // The URL only answers once the route is enabled.
    return pulumi.all([this.scripts[http.definition.name].scriptName, subdomain, route.enabled]).apply(
      ([script, sub]) => `https://${script}.${sub}.workers.dev`,
    );
  }
}

/**
 * Workers Logs keep logs for a period set by the account's plan; there is no per-Worker
 * retention knob. Source: https://developers.cloudflare.com/workers/observability/logs/workers-logs/
 */
export function reportLogRetention(days: number, decisions: SettingDecisions): void {
  decisions.adjust("*", "logRetentionDays", days, "plan default", "Workers Logs retention is fixed by the account's plan, not per Worker (https://developers.cloudflare.com/workers/observability/logs/workers-logs/)");
}
