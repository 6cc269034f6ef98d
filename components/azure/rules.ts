/**
 * Azure rules, pure: Flex Consumption, Storage and Log Analytics limits with their sources, the
 * capability → built-in role table, the role assignments the Functions host itself needs,
 * physical names, host.json, and `planAzure`: portable settings in, native settings and
 * recorded decisions out. The component, the local cloud, `npm run plan` and the policy pack
 * all decide with this module; it imports no Pulumi package (the component passes the project
 * and stack that globally unique names derive from).
 */
import type { Capability } from "../catalog";
import type { FunctionSettings } from "../config";
import { checkFunctions, ComponentArgsError, Decisions, nativeSettingsOf, storeTimeoutMsFor, type NativeSettings, type PlanInput, type PlannedFunction, type PlatformPlan } from "../platform";
import { ncrontab } from "../schedule";
import { reconcilerRunSettings } from "../../functions/core/reconciler";

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

export const azureLimits = {
  /** https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#instance-memory (512, 2048 default, 4096). */
  instanceMemoryMb: [512, 2048, 4096] as const,
  /**
   * "Currently the lowest maximum instance count value is 1, and the highest supported
   * maximum instance count value is 1000" (it was 40 during the preview; older pages still
   * say so). https://learn.microsoft.com/azure/azure-functions/event-driven-scaling#limit-scale-out
   */
  maximumInstanceCount: { min: 1, max: 1000 },
  /**
   * "Apps per Plan: Only one app is allowed per Flex Consumption plan."
   * https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#considerations
   */
  appsPerPlan: 1,
  /**
   * HTTP-triggered functions must answer within 230 s whatever functionTimeout says (the
   * front end's idle timeout). https://learn.microsoft.com/azure/azure-functions/functions-scale#timeout
   */
  httpResponseSeconds: 230,
  /**
   * host.json `extensions.queues.batchSize`: 1 to 32 (default 16); `maxDequeueCount` default 5.
   * https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json
   */
  queueBatchSize: { min: 1, max: 32 },
  /**
   * Workspace-level analytics retention of Log Analytics: 30 to 730 days (shorter only per
   * table, and billed as 31 days anyway).
   * https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure
   */
  logRetentionDays: { min: 30, max: 730 },
} as const;

/**
 * The lowest `maximumInstanceCount` Flex Consumption accepts, by region. Values under 40 were
 * enabled region by region: "Currently in West Europe, Australia East, and West US 2 we have
 * enabled so that … you can reduce a Flex Consumption function app maximum instance count to
 * less than 40 … We plan to roll it out to all regions over time" (Azure/azure-functions-host#10523,
 * 2026-01-05); elsewhere the documented floor is 40
 * (https://learn.microsoft.com/azure/azure-functions/event-driven-scaling#flex-consumption-plan;
 * MicrosoftDocs/azure-docs#128255). A region not listed gets 40 until a source says otherwise.
 */
export const flexMaximumInstanceFloor = {
  /** Regions where any count from 1 is accepted (the source above). */
  belowFortyRegions: ["westeurope", "australiaeast", "westus2"] as readonly string[],
  elsewhere: 40,
} as const;

/** The floor for `location` (`West Europe` and `westeurope` alike); undefined when the region is not known at plan time. */
export function maximumInstanceFloorFor(location: string | undefined): number | undefined {
  if (location === undefined) return undefined;
  const region = location.toLowerCase().replace(/\s+/g, "");
  return flexMaximumInstanceFloor.belowFortyRegions.includes(region) ? azureLimits.maximumInstanceCount.min : flexMaximumInstanceFloor.elsewhere;
}

/**
 * Site configuration properties Flex Consumption refuses ("The following site configuration
 * property (Site.SiteConfig.NetFrameworkVersion) for Flex Consumption sites is invalid. Please
 * remove or rename it before retrying", pulumi/pulumi-azure-native#4168; the same for
 * LinuxFxVersion, Azure/terraform-azurerm-avm-res-web-site#283; the runtime is
 * `functionAppConfig.runtime` instead:
 * https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations).
 * azure-native's WebApp adds `netFrameworkVersion: "v4.6"` to every `siteConfig`
 * (`siteConfigArgsProvideDefaults` in @pulumi/azure-native/types/input.js), so the component
 * removes these from what it registers (a `transforms` resource option).
 */
export const FLEX_REJECTED_SITE_CONFIG = ["netFrameworkVersion", "linuxFxVersion"] as const;

/** `siteConfig` without the properties Flex Consumption refuses. */
export function withoutFlexRejectedSiteConfig<T extends Record<string, unknown> | undefined>(siteConfig: T): T {
  if (!siteConfig) return siteConfig;
  const kept = { ...siteConfig } as Record<string, unknown>;
  for (const property of FLEX_REJECTED_SITE_CONFIG) delete kept[property];
  return kept as T;
}

/**
 * Physical-name rules, each from Azure's naming rules:
 * - Storage account: 3–24 lowercase letters and digits, globally unique
 *   (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftstorage)
 * - Key Vault: 3–24 letters, digits and hyphens, starting with a letter, ending with a letter or
 *   digit, no consecutive hyphens, globally unique
 *   (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftkeyvault)
 * - Function App (Microsoft.Web/sites): 2–60 letters, digits and hyphens, not starting or ending
 *   with a hyphen; a global hostname `<name>.azurewebsites.net`
 *   (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftweb)
 * - Blob container: 3–63 lowercase letters, digits and single hyphens, starting and ending with
 *   a letter or digit (https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata)
 * - Queue: the same as a container (https://learn.microsoft.com/rest/api/storageservices/naming-queues-and-metadata)
 * - Table: 3–63 letters and digits, not starting with a digit
 *   (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model#table-names)
 */
export const azureNameRules = {
  storageAccount: { min: 3, max: 24, pattern: /^[a-z0-9]{3,24}$/ },
  vault: { min: 3, max: 24, pattern: /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/ },
  /**
   * `AzureFunctionsWebHost__hostid`: 1–32 lowercase letters, digits and dashes, not starting or
   * ending with a dash, no consecutive dashes.
   * https://learn.microsoft.com/azure/azure-functions/functions-app-settings#azurefunctionswebhost__hostid
   */
  hostId: { min: 1, max: 32, pattern: /^(?!.*--)[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/ },
  functionApp: { max: 60, pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,58}[a-zA-Z0-9])?$/ },
  container: { max: 63, pattern: /^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/ },
  queue: { max: 63, pattern: /^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/ },
  table: { max: 63, pattern: /^[A-Za-z][A-Za-z0-9]{2,62}$/ },
} as const;

/** Names the component uses unless told otherwise. */
export const DEFAULT_USERS_TABLE = "users";
export const DEFAULT_EVENTS_QUEUE = "user-events";
/** The host moves a message that failed maxDequeueCount times to `<queue>-poison`. */
export const poisonQueueNameFor = (queue: string) => `${queue}-poison`;
/**
 * Host keys, leases and timers live in these two containers of an app's host storage account
 * (https://learn.microsoft.com/azure/azure-functions/storage-considerations). The host creates
 * them itself; each app has its own account (`hostAccountFor`), so no app can reach another's.
 */
export const HOST_CONTAINERS = ["azure-webjobs-hosts", "azure-webjobs-secrets"] as const;

/** Globally unique names, derived from project, stack and component name. */
export interface AzureResourceNames {
  /** Tables, queues and host storage. */
  storageAccount: string;
  /** The deployment-package account. */
  packageAccount: string;
  /** The vault's name is `<vaultPrefix>-<random>` (see `vaultNameFor`). */
  vaultPrefix: string;
  /** Function App names are `<appPrefix>-<function>`. */
  appPrefix: string;
  /** Host ids are `<function, cut>-<hash of project/stack/name/function>` (see `hostIdFor`). */
  hostIdSeed: string;
}

/**
 * Globally unique names are derived from project, stack and component name, so two stacks
 * never collide and a redeploy keeps its names. The vault is the exception: a deleted vault
 * stays soft-deleted (7 to 90 days) and keeps its name, so a stack destroyed and created again
 * needs a new one: its name ends with a random suffix made once per deployment (`@pulumi/random`).
 * https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview
 */
export function resourceNames(name: string, project: string, stack: string): AzureResourceNames {
  const seed = `${project}/${stack}/${name}`;
  const suffix = nameSuffix(seed);
  const alnum = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  return {
    storageAccount: `${alnum.slice(0, 16)}${suffix}`,
    packageAccount: `${alnum.slice(0, 14)}pk${suffix}`,
    vaultPrefix: `kv${alnum.slice(0, VAULT_PREFIX_CHARACTERS)}`,
    appPrefix: `${name.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 30)}-${suffix}`,
    hostIdSeed: seed,
  };
}

/** Characters of the random vault suffix: lowercase letters and digits (`RandomString`, `upper: false, special: false`). */
export const VAULT_RANDOM_LENGTH = 8;
/** `kv` + up to 13 characters of the component name + `-` + 8 random = at most 24, Key Vault's limit. */
const VAULT_PREFIX_CHARACTERS = azureNameRules.vault.max - 2 - 1 - VAULT_RANDOM_LENGTH;
/** The vault's name: a fixed prefix that starts with a letter, one hyphen, the random suffix. */
export const vaultNameFor = (names: AzureResourceNames, random: string) => `${names.vaultPrefix}-${random}`;

export const appNameFor = (names: AzureResourceNames, fn: string) => `${names.appPrefix}-${fn}`;

/**
 * `AzureFunctionsWebHost__hostid` of a function's app: its name cut to fit, then a hash of
 * project, stack, component and function, so every app of every stack has its own (the host's
 * default is the app name's first 32 characters, which long stack names share).
 * https://learn.microsoft.com/azure/azure-functions/storage-considerations#host-id-considerations
 */
export function hostIdFor(names: AzureResourceNames, fn: string): string {
  const hash = nameSuffix(`${names.hostIdSeed}/${fn}`);
  const cut = fn.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, azureNameRules.hostId.max - hash.length - 1);
  // Stryker disable next-line Regex: every run of dashes is one dash already (the replace above), so `^-` trims what `^-+` does and `-$` what `-+$` does
  const head = cut.replace(/^-+|-+$/g, "");
  return head ? `${head}-${hash}` : hash;
}
/**
 * The host storage account of a function's app (`AzureWebJobsStorage`): one per app, so an app's
 * identity owns its own host keys, leases and timer locks and nothing of another app's. The
 * host account holds "access keys, and other important service-related data", and access to it
 * is to be limited "based on a least-privilege model"
 * (https://learn.microsoft.com/azure/azure-functions/storage-considerations#storage-account-guidance);
 * the role the host needs is account-wide (`hostAccessRoles`), so only an account of its own
 * keeps one app from rewriting another's keys and locks. A storage account name is 3–24 lowercase letters and digits,
 * globally unique (azureNameRules.storageAccount): up to 6 characters of the component name, `h`,
 * up to 9 of the function name, then a hash of project, stack, component and function (8 hex),
 * so at most 6 + 1 + 9 + 8 = 24, and two functions whose names share their first 9 characters
 * still get two accounts.
 */
export function hostAccountFor(names: AzureResourceNames, fn: string): string {
  const alnum = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, "");
  const component = alnum(names.hostIdSeed.split("/").slice(2).join("/"));
  return `${component.slice(0, HOST_ACCOUNT_COMPONENT_CHARACTERS)}h${alnum(fn).slice(0, HOST_ACCOUNT_FUNCTION_CHARACTERS)}${nameSuffix(`${names.hostIdSeed}/host/${fn}`)}`;
}
/** The tag naming the function whose app a host storage account serves; the policy pack finds host accounts by it. */
export const HOST_STORAGE_TAG = "parity:host-storage-of";
/** Characters of the component and function names in a host account's name (with `h` and the 8-digit hash: 24, the limit). */
export const HOST_ACCOUNT_COMPONENT_CHARACTERS = 6;
export const HOST_ACCOUNT_FUNCTION_CHARACTERS = azureNameRules.storageAccount.max - HOST_ACCOUNT_COMPONENT_CHARACTERS - 1 - 8;

/** One container per app: apps sharing a container would overwrite each other's package. */
export const deploymentContainerFor = (fn: string) => `deploy-${fn}`;

/**
 * 32-bit FNV-1a, 8 hex digits: a name suffix, not a content hash. Deployed accounts, vaults and
 * apps are named with it, so it must never change (a new suffix would replace them).
 */
function nameSuffix(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, "0");
}

// ---------------------------------------------------------------------------------------------
// Capabilities → role assignments
// ---------------------------------------------------------------------------------------------

/**
 * Built-in role definition ids.
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security (Key Vault)
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/monitor
 */
export const azureRoles = {
  "Storage Table Data Reader": "76199698-9eea-4c19-bc75-cec21354c6b6",
  "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
  "Storage Queue Data Reader": "19e7f393-937e-4f77-808e-94535e297925",
  "Storage Queue Data Message Processor": "8a0f0c08-91a1-4084-bc3d-661d67233fed",
  "Storage Queue Data Message Sender": "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
  "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
  "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
  "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
} as const;
export type AzureRole = keyof typeof azureRoles;

/** The exact resources a capability's grant can be scoped to. */
export type GrantTarget = "usersTable" | "eventsQueue" | "eventsPoisonQueue" | "apiKeySecret";

/**
 * Each capability as the narrowest built-in roles on the exact resource. Storage has no
 * insert-only table role, so users.create and users.update need Table Data Contributor
 * (read, insert, update, delete) on the users table only.
 * Queue trigger roles: https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#grant-permission-to-the-identity
 */
export const capabilityRoles: Record<Capability, Array<{ role: AzureRole; target: GrantTarget }>> = {
  "users.read": [{ role: "Storage Table Data Reader", target: "usersTable" }],
  "users.create": [{ role: "Storage Table Data Contributor", target: "usersTable" }],
  "users.update": [{ role: "Storage Table Data Contributor", target: "usersTable" }],
  // The pending index is entities inside the users table; Table Storage RBAC scopes to a table at
  // the narrowest (https://learn.microsoft.com/azure/storage/tables/authorize-access-azure-active-directory#resource-scope),
  // so read on the users table is the narrowest grant (recorded as a warning by planAzure).
  "users.listPending": [{ role: "Storage Table Data Reader", target: "usersTable" }],
  "events.publish": [{ role: "Storage Queue Data Message Sender", target: "eventsQueue" }],
  "events.consume": [
    { role: "Storage Queue Data Reader", target: "eventsQueue" },
    { role: "Storage Queue Data Message Processor", target: "eventsQueue" },
    // The host moves a message to `<queue>-poison` after maxDequeueCount, calling
    // CreateIfNotExists first: that needs Contributor, scoped to the poison queue alone.
    { role: "Storage Queue Data Contributor", target: "eventsPoisonQueue" },
  ],
  "apiKey.read": [{ role: "Key Vault Secrets User", target: "apiKeySecret" }],
};

/** One role a function needs, for one declared capability. */
export interface AzureGrantPlan {
  function: string;
  capability: Capability;
  role: AzureRole;
  target: GrantTarget;
  /**
   * False when an earlier capability of the same function already assigns this role on this
   * target (users.create and users.update): Azure refuses a second identical assignment
   * (RoleAssignmentExists), so it is reported as a grant but assigned once.
   */
  assign: boolean;
}

/** Compiles declared capabilities into role grants, one role assignment per distinct (role, target). */
export function planGrants(functionName: string, declared: readonly Capability[]): AzureGrantPlan[] {
  const assigned = new Set<string>();
  return [...new Set(declared)].flatMap((capability) =>
    capabilityRoles[capability].map(({ role, target }) => {
      const key = `${role}@${target}`;
      const assign = !assigned.has(key);
      assigned.add(key);
      return { function: functionName, capability, role, target, assign };
    }),
  );
}

/** What the Functions host itself needs, whatever the function declares. */
export type HostAccessPurpose = "deployment package" | "host storage" | "telemetry";
export type HostAccessTarget = "deploymentContainer" | "hostAccount" | "appInsights";

/**
 * Role assignments every app's identity gets to run at all, each on one exact resource of its own:
 * - Blob Data Contributor on its own package container only, in the shared package account
 *   (https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to#configure-deployment-settings);
 * - Blob Data Owner on its own host storage account (`hostAccountFor`), the role the docs name
 *   for identity-based `AzureWebJobsStorage` with no extension using it: "the runtime needs both
 *   read and write access to blobs and the ability to create containers", which a container
 *   scope cannot give (and the host's storage check lists containers, an account-level call).
 *   Timer locks are blobs too. Diagnostic events would add Table Data Contributor: the app gets
 *   no table URI for host storage, so none is written and none is granted.
 *   https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
 *   (the table of roles per extension: "No extension (host only): Storage Blob Data Owner").
 *   The account holds nothing but this app's host data, so the account scope reaches no other app.
 * - Monitoring Metrics Publisher, since Application Insights accepts Entra-authenticated
 *   telemetry only (https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).
 * The order names the Pulumi resources (`-host-<index>-`).
 */
export const hostAccessRoles: ReadonlyArray<{ purpose: HostAccessPurpose; role: AzureRole; target: HostAccessTarget }> = [
  { purpose: "deployment package", role: "Storage Blob Data Contributor", target: "deploymentContainer" },
  { purpose: "host storage", role: "Storage Blob Data Owner", target: "hostAccount" },
  { purpose: "telemetry", role: "Monitoring Metrics Publisher", target: "appInsights" },
];

/**
 * The vault's deletion protection for `protectData`, and what an update of an existing vault
 * leaves alone, because Azure refuses to change it
 * (https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview):
 * - the soft-delete retention (7 to 90 days) "can only be configured during key vault creation"
 *   and "cannot be changed afterwards", in either direction, so it is set at creation and ignored
 *   on every update: a vault keeps the retention it was created with;
 * - purge protection can be turned on later but never off, so with `protectData` it is asked for
 *   (an existing vault gets it), and without it is ignored on updates: a vault created with it
 *   keeps it instead of failing the update.
 * docs/configuration.md says what switching `protectData` on an existing stack does.
 */
export function vaultProtectionFor(protectData: boolean): {
  properties: { softDeleteRetentionInDays: number; enablePurgeProtection?: true };
  ignoreChanges: string[];
} {
  return protectData
    ? { properties: { softDeleteRetentionInDays: 90, enablePurgeProtection: true }, ignoreChanges: ["properties.softDeleteRetentionInDays"] }
    : { properties: { softDeleteRetentionInDays: 7 }, ignoreChanges: ["properties.softDeleteRetentionInDays", "properties.enablePurgeProtection"] };
}

/** The role definition's resource id in a subscription. */
export const roleDefinitionIdFor = (subscriptionId: string, role: AzureRole) =>
  `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${azureRoles[role]}`;

// ---------------------------------------------------------------------------------------------
// Settings → Flex Consumption knobs and host.json
// ---------------------------------------------------------------------------------------------

/** One function's settings as Flex Consumption scale knobs and host.json values. */
export interface FlexSettings {
  instanceMemoryMB: number;
  maximumInstanceCount: number;
  /** Always-ready instances for the app's scale group (`http` or `function:<name>`). */
  alwaysReady: Array<{ name: string; instanceCount: number }>;
  /**
   * HTTP apps only: one request per instance, so instances bound concurrent executions as
   * on Lambda. (The queue app runs up to batchSize + newBatchThreshold messages per
   * instance; there the instance count bounds concurrent batches, not messages.)
   */
  httpPerInstanceConcurrency?: number;
  /** host.json functionTimeout, hh:mm:ss. */
  functionTimeout: string;
  /** Set on functions that use the users store: how long one store operation may take, retries included (STORE_TIMEOUT_MS). */
  storeTimeoutMs?: number;
  /** host.json extensions.queues, for the queue-triggered app. */
  queues?: { batchSize: number; maxDequeueCount: number };
  /**
   * The schedule-triggered app: its timer's 6-field NCRONTAB (app setting `RECONCILE_SCHEDULE`,
   * read by the trigger as `%RECONCILE_SCHEDULE%`) and the reconciler's run settings.
   */
  schedule?: AzureSchedule;
}

/** Everything decided for one function's app. */
/** A timer function's schedule as its app settings carry it (functions/azure/contract.ts `azureScheduleEnvironment`). */
export interface AzureSchedule {
  expression: string;
  graceSeconds: number;
  timeBudgetSeconds: number;
}

export interface AzureNativeSettings extends FlexSettings {
  appName: string;
  /** `AzureFunctionsWebHost__hostid`, distinct per app. */
  hostId: string;
  /** The app's own host storage account (`hostAccountFor`). */
  hostAccount: string;
  deploymentContainer: string;
  /** The workspace's retention, which this function's logs get. */
  logRetentionDays: number;
}

export interface AzurePlannedFunction extends PlannedFunction<AzureNativeSettings> {
  /** The host.json shipped in the package. */
  hostJson: Record<string, unknown>;
  grants: AzureGrantPlan[];
}

export interface AzurePlanInput extends PlanInput {
  /** Project and stack, from which globally unique names derive (`pulumi.getProject()`, `pulumi.getStack()`). */
  project: string;
  stack: string;
  /** @default "users" */
  usersTableName?: string;
  /** @default "user-events" */
  eventsQueueName?: string;
  /** The region, when known at plan time: it decides the lowest maximumInstanceCount (`maximumInstanceFloorFor`). */
  location?: string;
}

/** Everything `AzureFunctions` decides before creating a resource. */
export interface AzurePlan extends PlatformPlan<AzurePlannedFunction> {
  names: AzureResourceNames;
  usersTable: string;
  eventsQueue: string;
  poisonQueue: string;
  /** The Log Analytics workspace's retention, days. */
  logRetentionDays: number;
  protectData: boolean;
  /** The HTTP function: its app's hostname is the endpoint. */
  httpFunction?: AzurePlannedFunction;
  /** The queue-triggered function. */
  consumer?: AzurePlannedFunction;
  /** The schedule-triggered functions: a timer trigger in each one's own app. */
  scheduled: AzurePlannedFunction[];
}

/** Checks the input, then decides every native value; throws a `ComponentArgsError` on args Azure cannot deploy. */
export function planAzure(input: AzurePlanInput): AzurePlan {
  checkAzureInput(input);
  const decisions = new Decisions("azure");
  const names = resourceNames(input.name, input.project, input.stack);
  const logRetentionDays = logRetentionFor(input.logRetentionDays, decisions);
  const eventsQueue = input.eventsQueueName ?? DEFAULT_EVENTS_QUEUE;
  const functions = input.functions.map((spec): AzurePlannedFunction => {
    const fn = spec.definition.name;
    const native: AzureNativeSettings = {
      appName: appNameFor(names, fn),
      hostId: hostIdFor(names, fn),
      hostAccount: hostAccountFor(names, fn),
      deploymentContainer: deploymentContainerFor(fn),
      logRetentionDays,
      ...azureSettingsFor(spec.definition, spec.settings, decisions, maximumInstanceFloorFor(input.location)),
    };
    if (spec.definition.capabilities.includes("users.listPending")) {
      decisions.adjust(
        fn,
        "users.listPending",
        "the pending index only",
        "Storage Table Data Reader on the users table",
        "Table Storage RBAC scopes to a whole table at the narrowest; the index entities share the users table",
      );
    }
    return { ...spec, native, hostJson: hostJsonFor(native), grants: planGrants(fn, spec.definition.capabilities) };
  });
  return {
    functions,
    warnings: decisions.warnings,
    names,
    usersTable: input.usersTableName ?? DEFAULT_USERS_TABLE,
    eventsQueue,
    poisonQueue: poisonQueueNameFor(eventsQueue),
    logRetentionDays,
    protectData: input.protectData,
    httpFunction: functions.find((f) => f.definition.trigger.kind === "http"),
    consumer: functions.find((f) => f.definition.trigger.kind === "queue"),
    scheduled: functions.filter((f) => f.definition.trigger.kind === "schedule"),
  };
}

/** Maps the portable settings of one function to Flex Consumption, recording every inexact value. */
export function azureSettingsFor(
  definition: Pick<PlannedFunction["definition"], "name" | "trigger"> & Partial<Pick<PlannedFunction["definition"], "capabilities">>,
  settings: FunctionSettings,
  decisions: Decisions,
  /** The region's lowest maximumInstanceCount (`maximumInstanceFloorFor`); undefined: not known, the global minimum. */
  instanceFloor?: number,
): FlexSettings {
  const fn = definition.name;
  const kind = definition.trigger.kind;
  const memory = nearestInstanceMemory(settings.memoryMb);
  const instanceMemoryMB =
    memory === settings.memoryMb
      ? memory
      : decisions.adjust(fn, "memoryMb", settings.memoryMb, memory, `Flex Consumption instance memory is one of ${azureLimits.instanceMemoryMb.join(", ")} MB`);

  const { max } = azureLimits.maximumInstanceCount;
  const min = instanceFloor ?? azureLimits.maximumInstanceCount.min;
  const maximumInstanceCount = decisions.clamp(
    fn,
    "reservedConcurrency",
    settings.reservedConcurrency,
    min,
    max,
    min > azureLimits.maximumInstanceCount.min
      ? `Flex Consumption in this region accepts a maximum instance count of ${min} to ${max} (values under 40 are enabled region by region; azure-functions-host#10523)`
      : `Flex Consumption maximum instance count is ${min} to ${max}`,
  );

  const group = kind === "http" ? "http" : `function:${fn}`;
  const alwaysReady = settings.warmInstances > 0 ? [{ name: group, instanceCount: settings.warmInstances }] : [];

  const timeoutSeconds =
    kind === "http"
      ? decisions.clamp(fn, "timeoutSeconds", settings.timeoutSeconds, 1, azureLimits.httpResponseSeconds, `an HTTP response must start within ${azureLimits.httpResponseSeconds} s`)
      : settings.timeoutSeconds;

  const result: FlexSettings = { instanceMemoryMB, maximumInstanceCount, alwaysReady, functionTimeout: hhmmss(timeoutSeconds) };
  if (kind === "http") result.httpPerInstanceConcurrency = 1;
  // 40 % of the timeout (components/platform.ts): the store deadline answers parity's 500 before
  // the host reaches functionTimeout, for which Azure documents no HTTP answer (docs/reliability.md, Faults).
  // Stryker disable next-line ArrayDeclaration: a definition without capabilities gets no store deadline whether the fallback is [] or ["Stryker was here"]: only a users.* capability gives one
  const storeTimeoutMs = storeTimeoutMsFor(definition.capabilities ?? [], timeoutSeconds);
  if (storeTimeoutMs !== undefined) result.storeTimeoutMs = storeTimeoutMs;
  if (kind === "queue") {
    // checkFunctions has guaranteed batchSize and maxAttempts.
    const batch = azureLimits.queueBatchSize;
    const clamped = Math.min(batch.max, Math.max(batch.min, settings.batchSize!));
    // Even an exact batchSize means something else here: each message is its own invocation, and
    // the host fetches batchSize messages per instance, fetching again when fewer than
    // newBatchThreshold (default half a batch per vCPU) remain, so one instance runs up to
    // batchSize + newBatchThreshold messages at once and the app up to instances × that.
    // https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#concurrency
    // https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json
    decisions.adjust(
      fn,
      "batchSize",
      settings.batchSize!,
      `${clamped} per instance`,
      `${clamped === settings.batchSize ? "" : `host.json queues.batchSize is ${batch.min} to ${batch.max}; `}it bounds the messages one instance fetches at a time, each its own invocation, not a batch per invocation: up to maximumInstanceCount (${maximumInstanceCount}) × (batchSize + newBatchThreshold) messages run at once`,
    );
    result.queues = { batchSize: clamped, maxDequeueCount: settings.maxAttempts! };
  }
  if (definition.trigger.kind === "schedule") {
    // checkFunctions has guaranteed an aligned everyMinutes. The timer runs in UTC, the intent's
    // clock: WEBSITE_TIME_ZONE is not supported on Flex Consumption and is never set.
    // https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-time-zones
    const everyMinutes = settings.everyMinutes ?? definition.trigger.everyMinutes;
    result.schedule = azureScheduleFor(everyMinutes, timeoutSeconds);
  }
  return result;
}

/** A timer function's schedule: the 6-field NCRONTAB and the reconciler's run settings (the component and the local launcher both use it). */
export function azureScheduleFor(everyMinutes: number, timeoutSeconds: number): AzureSchedule {
  return { expression: ncrontab(everyMinutes), ...reconcilerRunSettings(everyMinutes, timeoutSeconds) };
}

/** The smallest allowed size that is not less than asked (never less memory than asked, except above the largest). */
export function nearestInstanceMemory(askedMb: number): number {
  const sizes = azureLimits.instanceMemoryMb;
  return sizes.find((size) => size >= askedMb) ?? sizes[sizes.length - 1];
}

/** The host.json shipped with each app. */
export function hostJsonFor(native: FlexSettings): Record<string, unknown> {
  return {
    version: "2.0",
    // Extension bundle 4.x is required for non-C# apps on Flex Consumption.
    // https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#considerations
    extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" },
    functionTimeout: native.functionTimeout,
    extensions: {
      // Routes are /users…, as on the other platforms (default prefix is "api").
      http: { routePrefix: "" },
      ...(native.queues
        ? {
            queues: {
              batchSize: native.queues.batchSize,
              maxDequeueCount: native.queues.maxDequeueCount,
              // The publisher base64-encodes; "base64" is also the default, stated to be explicit.
              messageEncoding: "base64",
            },
          }
        : {}),
    },
  };
}

/** Log Analytics retention for the stack's logRetentionDays (a stack-wide setting: function `*`). */
export function logRetentionFor(days: number, decisions: Decisions): number {
  const { min, max } = azureLimits.logRetentionDays;
  return decisions.clamp("*", "logRetentionDays", days, min, max, `Log Analytics workspace retention is ${min} to ${max} days`);
}

/** `hh:mm:ss`, as host.json's functionTimeout wants it. */
export function hhmmss(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

/** The native values of one planned function, flat, for `npm run plan`. */
export function azureNativeSummary(fn: AzurePlannedFunction): NativeSettings {
  const n = fn.native;
  return nativeSettingsOf({
    instanceMemoryMB: n.instanceMemoryMB,
    maximumInstanceCount: n.maximumInstanceCount,
    alwaysReady: n.alwaysReady.length > 0 ? n.alwaysReady.reduce((sum, group) => sum + group.instanceCount, 0) : undefined,
    httpPerInstanceConcurrency: n.httpPerInstanceConcurrency,
    functionTimeout: n.functionTimeout,
    batchSize: n.queues?.batchSize,
    maxDequeueCount: n.queues?.maxDequeueCount,
    schedule: n.schedule?.expression,
    hostId: n.hostId,
    logRetentionDays: n.logRetentionDays,
  });
}

/** Rejects input this component cannot deploy, with a sentence the user can act on. */
export function checkAzureInput(input: AzurePlanInput): void {
  checkFunctions("azure", input.name, input.functions);
  const fail = (sentence: string) => {
    throw new ComponentArgsError("azure", input.name, sentence);
  };
  const fits = (rule: { pattern: RegExp }, value: string) => rule.pattern.test(value);
  const names = resourceNames(input.name, input.project, input.stack);
  const hostIds = new Map<string, string>();
  const hostAccounts = new Set<string>();
  for (const fn of input.functions) {
    const fnName = fn.definition.name;
    const container = deploymentContainerFor(fnName);
    if (!fits(azureNameRules.container, container)) {
      fail(`function name "${fnName}" gives the package container "${container}", which must be lowercase letters, digits and single hyphens (at most ${azureNameRules.container.max}); rename the function.`);
    }
    const hostId = hostIdFor(names, fnName);
    if (!fits(azureNameRules.hostId, hostId) || hostIds.has(hostId)) {
      fail(`function name "${fnName}" gives the host id "${hostId}", which must be 1 to 32 lowercase letters, digits and single dashes and differ from every other app's; rename the function.`);
    }
    hostIds.set(hostId, fnName);
    // Within the 24 characters by construction; distinct unless two hashes collide (checked, as for host ids).
    const hostAccount = hostAccountFor(names, fnName);
    if (!fits(azureNameRules.storageAccount, hostAccount) || hostAccounts.has(hostAccount)) {
      fail(`function name "${fnName}" gives the host storage account "${hostAccount}", which must be 3 to 24 lowercase letters and digits and differ from every other app's; rename the function.`);
    }
    hostAccounts.add(hostAccount);
    const app = appNameFor(names, fnName);
    if (!fits(azureNameRules.functionApp, app)) {
      fail(`Function App name "${app}" must be at most ${azureNameRules.functionApp.max} letters, digits or inner hyphens; use a shorter component or function name.`);
    }
  }
  const table = input.usersTableName ?? DEFAULT_USERS_TABLE;
  if (!fits(azureNameRules.table, table)) fail(`\`usersTableName\` "${table}" must be 3 to 63 letters and digits, starting with a letter.`);
  const queue = input.eventsQueueName ?? DEFAULT_EVENTS_QUEUE;
  if (!fits(azureNameRules.queue, poisonQueueNameFor(queue)) || !fits(azureNameRules.queue, queue)) {
    fail(`\`eventsQueueName\` "${queue}" must be lowercase letters, digits and single hyphens, at most ${azureNameRules.queue.max - "-poison".length} long (the host adds "-poison").`);
  }
  if (!Number.isInteger(input.logRetentionDays) || input.logRetentionDays < 1) {
    fail(`\`logRetentionDays\` must be a whole number of days ≥ 1; got ${input.logRetentionDays}.`);
  }
}
