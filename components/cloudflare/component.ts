/**
 * `CloudflareFunctions`: the functions as Workers (module syntax), with a D1 users database
 * (and parity's migrations) only when a function declares `users.*`, and Queues only when one
 * publishes or consumes events. Identity on Workers is the binding: a script can reach exactly
 * the resources bound to it, so each declared capability compiles to one binding (or the queue
 * consumer) and nothing else; the API key is a `secret_text` binding of the Workers that read it.
 *
 * check → plan → create: `planCloudflare` (./rules.ts) decides every value before any
 * resource exists; the constructor only creates what the plan says, in dependency order.
 */
import * as fs from "node:fs";
import * as cloudflare from "./sdk";
import * as pulumi from "@pulumi/pulumi";
import { workerBindings, type WorkerBinding } from "../../functions/cloudflare/contract";
import { sha256Hex } from "../bundle";
import { created, platformOutputs, reportWarnings } from "../component";
import { OFFLINE_CLOUDFLARE_ACCOUNT_ID } from "../config";
import { checkApiKey, ComponentArgsError, describe, planInputOf, runsReconciler, sharedResourcesFor, type DeployedSchedule, type FunctionDeployment, type Grant, type NativeSettings, type PlatformFunctionsArgs, type PlatformOutputs, type SettingWarning } from "../platform";
import { D1Migrations, WorkersDevSubdomain } from "./dynamic";
import { migrationsAsStatements, readD1Migrations } from "./migrations";
import {
  capabilitiesAnnotation,
  cloudflareNativeSummary,
  compileCloudflareGrants,
  grantResourceNames,
  planCloudflare,
  WORKERS_COMPATIBILITY_DATE,
  type CloudflareConsumerSettings,
  type CloudflarePlan,
  type CloudflarePlannedFunction,
  type CloudflareScheduleSettings,
  type WorkersPlan,
} from "./rules";

export interface CloudflareFunctionsArgs extends PlatformFunctionsArgs {
  /**
   * The functions to deploy: at most one HTTP function (it is served on workers.dev) and at
   * most one queue function (it is the events queue's consumer). Each becomes a Worker named
   * `<component name>-<function name>` (63 lower-case characters at most).
   * @example
   * functions: deploymentsFor(config, "cloudflare")
   */
  functions: FunctionDeployment[];
  /**
   * The API key, given only to Workers that declare `apiKey.read`, as a `secret_text`
   * binding (write-only in the API, never shown in the dashboard). Required when a function
   * declares `apiKey.read`. Pass a secret Output.
   * @example
   * apiKey: new pulumi.Config("parity").requireSecret("apiKey")
   */
  apiKey?: pulumi.Input<string>;
  /**
   * Workers Logs retention is fixed by the account's plan; any value is reported with a
   * warning and the plan's retention applies.
   * @default 7
   * @example
   * logRetentionDays: 30
   */
  logRetentionDays?: number;
  /**
   * Protects the users D1 database from `pulumi destroy` and replacement (D1 has no
   * deletion-protection flag; Time Travel point-in-time restore is always on).
   * @default false
   * @example
   * protectData: pulumi.getStack() === "prod"
   */
  protectData?: boolean;
  /**
   * The Cloudflare account that owns every resource (32 hex characters), from
   * `parity:cloudflareAccountId`.
   * @example "0123456789abcdef0123456789abcdef"
   */
  accountId: pulumi.Input<string>;
  /**
   * The account's workers.dev subdomain, giving the HTTP function the URL
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
   * The account's Workers plan. Cron Triggers are counted per account: at most 5 on Workers
   * Free, 250 on Workers Paid (https://developers.cloudflare.com/workers/platform/limits/#account-plan-limits);
   * more schedule functions than the plan holds are refused before any resource exists.
   * @default "paid"
   * @example
   * workersPlan: "free"
   */
  workersPlan?: WorkersPlan;
  /**
   * D1 region hint for the users database.
   * @default none: created close to the deployer
   * @example "weur"
   */
  primaryLocationHint?: pulumi.Input<string>;
}

/** One function's deployed resources. */
export interface CloudflareFunctionNodes {
  script: cloudflare.WorkersScript;
  /** Its workers.dev state: on for the HTTP function (its endpoint), declared off for the others. */
  workersDev: cloudflare.WorkersScriptSubdomain;
  /** Present for the queue function: its registration as the events queue's consumer. */
  consumer?: cloudflare.QueueConsumer;
  /** Present for a schedule function: its Cron Trigger. */
  cronTrigger?: cloudflare.WorkersCronTrigger;
}

export class CloudflareFunctions extends pulumi.ComponentResource implements PlatformOutputs {
  /** Every value decided before any resource was created (./rules.ts). */
  readonly plan: CloudflarePlan;
  /** The users database and its schema; created only when a function declares a `users.*` capability. */
  readonly usersDatabase: cloudflare.D1Database | undefined;
  readonly usersSchema: D1Migrations | undefined;
  /** The events queue and its dead-letter queue; created only when a function declares `events.publish` or `events.consume`. */
  readonly eventsQueue: cloudflare.Queue | undefined;
  readonly eventsDeadLetterQueue: cloudflare.Queue | undefined;
  /** Function name → every resource made for it. */
  readonly nodes: Record<string, CloudflareFunctionNodes> = {};

  readonly endpoint: pulumi.Output<string> | undefined;
  readonly queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> } | undefined;
  readonly functionNames: Record<string, pulumi.Output<string>> = {};
  readonly grants: Grant[] = [];
  readonly warnings: SettingWarning[];
  readonly nativeSettings: Record<string, NativeSettings>;
  /**
   * Schedule function → its Cron Trigger expression. A Cron Trigger is part of the Worker
   * itself: no separate scheduler identity exists and the Worker needs no invoke grant, so
   * `identity` and `invoke` are undefined (Workers' identity is the bindings).
   */
  readonly schedules: Record<string, DeployedSchedule> = {};

  constructor(name: string, args: CloudflareFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:cloudflare:Functions", name, {}, opts);
    this.plan = planCloudflare({ ...planInputOf(name, args), workersPlan: args.workersPlan });
    checkApiKey("cloudflare", name, args.functions, args.apiKey);
    checkAccountId(name, args.accountId);
    const shared = sharedResourcesFor(args.functions);
    this.warnings = this.plan.warnings;
    this.nativeSettings = Object.fromEntries(this.plan.functions.map((fn) => [fn.definition.name, cloudflareNativeSummary(fn)]));
    reportWarnings(this, this.warnings);
    const bundles = new Map(args.functions.map((fn) => [fn.definition.name, fn.bundle]));
    const accountId = args.accountId;
    const names = this.plan.names;

    // Secret whatever the caller passed, so the token never lands unencrypted in the state.
    const deployApiToken = args.deployApiToken === undefined ? undefined : pulumi.secret(args.deployApiToken);
    if (shared.usersStore) {
      this.usersDatabase = this.createUsersDatabase(names.usersDatabase, accountId, args.primaryLocationHint);
      this.usersSchema = this.applySchema(name, this.usersDatabase, accountId, deployApiToken);
    }
    if (shared.events) {
      this.eventsDeadLetterQueue = this.createQueue(names.eventsDeadLetterQueue, accountId);
      this.eventsQueue = this.createQueue(names.eventsQueue, accountId);
    }
    for (const fn of this.plan.functions) {
      const nodes = this.createFunction(name, fn, bundles.get(fn.definition.name)!, args.apiKey, accountId);
      this.nodes[fn.definition.name] = nodes;
      this.functionNames[fn.definition.name] = nodes.script.scriptName;
      if (fn.native.schedule) this.schedules[fn.definition.name] = { expression: fn.native.schedule.cron, identity: undefined, invoke: undefined };
    }

    this.endpoint = this.plan.httpFunction ? this.endpointOf(name, this.nodes[this.plan.httpFunction.definition.name], { ...args, deployApiToken }) : undefined;
    this.queues = this.eventsQueue && this.eventsDeadLetterQueue ? { queue: this.eventsQueue.queueName, deadLetter: this.eventsDeadLetterQueue.queueName } : undefined;
    this.registerOutputs(platformOutputs(this));
  }

  private createUsersDatabase(databaseName: string, accountId: pulumi.Input<string>, primaryLocationHint: pulumi.Input<string> | undefined): cloudflare.D1Database {
    // D1 has no deletion-protection flag; Time Travel (point-in-time restore) is always on.
    // protectData therefore protects the database from `pulumi destroy` / replacement.
    // Source: https://developers.cloudflare.com/d1/reference/time-travel/
    return new cloudflare.D1Database(
      databaseName,
      { accountId, name: databaseName, primaryLocationHint },
      { parent: this, protect: this.plan.protectData },
    );
  }

  private applySchema(name: string, database: cloudflare.D1Database, accountId: pulumi.Input<string>, apiToken: pulumi.Input<string> | undefined): D1Migrations {
    return new D1Migrations(
      `${name}-users-schema`,
      { accountId, databaseId: database.uuid, migrations: migrationsAsStatements(readD1Migrations()), apiToken },
      { parent: this, dependsOn: [database] },
    );
  }

  private createQueue(queueName: string, accountId: pulumi.Input<string>): cloudflare.Queue {
    return new cloudflare.Queue(queueName, { accountId, queueName }, { parent: this });
  }

  private createFunction(
    name: string,
    fn: CloudflarePlannedFunction,
    bundle: FunctionDeployment["bundle"],
    apiKey: pulumi.Input<string> | undefined,
    accountId: pulumi.Input<string>,
  ): CloudflareFunctionNodes {
    const { definition, native } = fn;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read by the getters below
    const component = this;
    // Getters: each value is read only for a capability the function declares, so it exists (see `created`).
    const bindings = workerBindings<pulumi.Input<string>>(
      definition.capabilities,
      {
        get usersDatabaseId() {
          return created(component.usersDatabase, "users database").uuid;
        },
        get eventsQueueName() {
          return created(component.eventsQueue, "events queue").queueName;
        },
        get apiKey() {
          return created(apiKey, "API key");
        },
      },
      // Only a function that reconciles the users store reads the reconciler's run settings.
      runsReconciler(definition.capabilities) ? native.schedule : undefined,
    );
    const script = new cloudflare.WorkersScript(
      native.scriptName,
      {
        accountId,
        scriptName: native.scriptName,
        // A module Worker is one file, uploaded as-is (no zip); the hash says when it changed.
        contentFile: bundle.file,
        contentSha256: sha256Hex(fs.readFileSync(bundle.file)),
        mainModule: bundle.fileName,
        compatibilityDate: WORKERS_COMPATIBILITY_DATE,
        bindings: bindings.map(toScriptBinding),
        limits: { cpuMs: native.cpuMs },
        observability: { enabled: true, logs: { enabled: true, invocationLogs: true, headSamplingRate: 1 } },
        // Why the Worker holds the bindings it holds, for operators and the policy pack.
        annotations: { workersMessage: capabilitiesAnnotation(definition.capabilities) },
      },
      // The schema must exist before the first request reaches the Worker.
      { parent: this, dependsOn: this.usersSchema ? [this.usersSchema] : [] },
    );
    const grants = compileCloudflareGrants<pulumi.Output<string>>(definition.capabilities, {
      get usersDatabase() {
        return created(component.usersDatabase, "users database").name.apply(grantResourceNames.usersDatabase);
      },
      get eventsQueue() {
        return created(component.eventsQueue, "events queue").queueName.apply(grantResourceNames.eventsQueue);
      },
      apiKeySecret: script.scriptName.apply(grantResourceNames.apiKeySecret),
    });
    this.grants.push(...grants.map((g) => ({ function: definition.name, capability: g.capability, permissions: g.permissions, resource: g.resource })));

    // Every Worker declares its workers.dev state, not only the HTTP one: "All Workers are assigned
    // a workers.dev route when they are created" (https://developers.cloudflare.com/workers/configuration/routing/workers-dev/),
    // and a queue consumer or cron Worker has no business answering the internet (wrangler's
    // `workers_dev = false`). The HTTP Worker is served there; the others are switched off.
    const workersDev = new cloudflare.WorkersScriptSubdomain(
      `${name}-${definition.name}-workers-dev`,
      { accountId, scriptName: script.scriptName, enabled: definition.trigger.kind === "http", previewsEnabled: false },
      { parent: this },
    );
    const nodes: CloudflareFunctionNodes = { script, workersDev };
    if (native.consumer) nodes.consumer = this.createConsumer(name, script, native.consumer, accountId);
    if (native.schedule) nodes.cronTrigger = this.createCronTrigger(name, definition.name, script, native.schedule, accountId);
    return nodes;
  }

  /**
   * The Worker's Cron Triggers (`PUT …/workers/scripts/{script}/schedules` replaces the whole
   * list: one resource per script). `WorkersCronTrigger`, not the deprecated `WorkerCronTrigger`.
   * Source: https://www.pulumi.com/registry/packages/cloudflare/api-docs/workerscrontrigger/
   */
  private createCronTrigger(name: string, fn: string, script: cloudflare.WorkersScript, schedule: CloudflareScheduleSettings, accountId: pulumi.Input<string>): cloudflare.WorkersCronTrigger {
    return new cloudflare.WorkersCronTrigger(
      `${name}-${fn}-cron`,
      { accountId, scriptName: script.scriptName, schedules: [{ cron: schedule.cron }] },
      { parent: this },
    );
  }

  private createConsumer(name: string, script: cloudflare.WorkersScript, settings: CloudflareConsumerSettings, accountId: pulumi.Input<string>): cloudflare.QueueConsumer {
    return new cloudflare.QueueConsumer(
      `${name}-events-consumer`,
      {
        accountId,
        queueId: created(this.eventsQueue, "events queue").queueId,
        scriptName: script.scriptName,
        type: "worker",
        deadLetterQueue: created(this.eventsDeadLetterQueue, "dead-letter queue").queueName,
        settings: { batchSize: settings.batchSize, maxRetries: settings.maxRetries, maxConcurrency: settings.maxConcurrency },
      },
      { parent: this },
    );
  }

  private endpointOf(name: string, nodes: CloudflareFunctionNodes, args: CloudflareFunctionsArgs): pulumi.Output<string> {
    const subdomain =
      args.workersDevSubdomain ??
      new WorkersDevSubdomain(`${name}-workers-dev-subdomain`, { accountId: args.accountId, apiToken: args.deployApiToken }, { parent: this }).subdomain;
    // The URL only answers once the route is enabled.
    return pulumi.all([nodes.script.scriptName, subdomain, nodes.workersDev.enabled]).apply(([script, sub]) => `https://${script}.${sub}.workers.dev`);
  }
}

/**
 * A Cloudflare account id is 32 lower-case hex characters (the `account_id` of every API path,
 * https://developers.cloudflare.com/fundamentals/account/find-account-and-zone-ids/); checked
 * when known at construction (a plain string), so a typo fails before any resource exists.
 */
export const CLOUDFLARE_ACCOUNT_ID = /^[0-9a-f]{32}$/;

function checkAccountId(name: string, accountId: unknown): void {
  if (accountId === undefined || accountId === null || accountId === "") {
    throw new ComponentArgsError("cloudflare", name, "`accountId` is required: the Cloudflare account that owns the Workers (32 hex characters, on the dashboard's account home).");
  }
  // An Output is checked by Cloudflare; the offline plan's labelled stand-in is not an account.
  if (typeof accountId === "string" && accountId !== OFFLINE_CLOUDFLARE_ACCOUNT_ID && !CLOUDFLARE_ACCOUNT_ID.test(accountId)) {
    throw new ComponentArgsError("cloudflare", name, `\`accountId\` must be 32 lower-case hex characters; got ${describe(accountId)}.`);
  }
}

/** A contract binding in the shape `cloudflare.WorkersScript` takes. */
function toScriptBinding(binding: WorkerBinding<pulumi.Input<string>>): cloudflare.inputs.WorkersScriptBinding {
  switch (binding.kind) {
    case "d1":
      return { type: "d1", name: binding.name, id: binding.databaseId };
    case "queue":
      return { type: "queue", name: binding.name, queueName: binding.queueName };
    case "secret_text":
      // secret_text: write-only in the API, never shown in the dashboard or returned by reads.
      return { type: "secret_text", name: binding.name, text: pulumi.secret(binding.text) };
    case "plain_text":
      // Only non-secret values: the platform name and a schedule function's run settings.
      return { type: "plain_text", name: binding.name, text: binding.text };
  }
}
