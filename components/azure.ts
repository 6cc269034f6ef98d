/**
 * Azure Functions on the Flex Consumption plan: one Function App per function, each with
 * its own system-assigned managed identity, Table Storage for users, a Storage Queue (and
 * `<queue>-poison`) for events, the API key in Key Vault (RBAC mode) behind a Key Vault
 * reference, logs in Log Analytics through Application Insights.
 *
 * No storage key or connection string reaches an app setting: every connection is
 * identity-based, and the data account (tables, queues, host storage) refuses shared-key
 * access. Only the package account allows keys, for the Pulumi provider's upload.
 */
import * as pulumi from "@pulumi/pulumi";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as web from "@pulumi/azure-native/web";
import type * as azureInputs from "@pulumi/azure-native/types/input";
import { bundleArchive } from "./bundle";
import type { Capability } from "./catalog";
import type { FunctionSettings } from "./config";
import {
  checkFunctions,
  SettingDecisions,
  type FunctionDeployment,
  type Grant,
  type PlatformFunctionsArgs,
  type PlatformOutputs,
  type SettingWarning,
} from "./deployment";

// ---------------------------------------------------------------------------------------
// Limits (each with its source)
// ---------------------------------------------------------------------------------------

export const flexLimits = {
  /** https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#instance-memory (512, 2048 default, 4096). */
  instanceMemoryMb: [512, 2048, 4096] as const,
  /**
   * "Currently the lowest maximum instance count value is 1, and the highest supported
   * maximum instance count value is 1000" (it was 40 during the preview; older pages still
   * say so). https://learn.microsoft.com/azure/azure-functions/event-driven-scaling#limit-scale-out
   */
  maximumInstanceCount: { min: 1, max: 1000 },
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
};

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

// ---------------------------------------------------------------------------------------
// Mapping rules: capabilities → role assignments
// ---------------------------------------------------------------------------------------

/** The exact resources a grant can be scoped to. */
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

/** One role assignment a function needs, for one declared capability. */
export interface AzureGrantPlan {
  function: string;
  capability: Capability;
  role: AzureRole;
  target: GrantTarget;
}

/** Compiles declared capabilities into role assignments (pure; the component scopes them). */
export function planGrants(functionName: string, declared: readonly Capability[]): AzureGrantPlan[] {
  return declared.flatMap((capability) =>
    capabilityRoles[capability].map(({ role, target }) => ({ function: functionName, capability, role, target })),
  );
}

// ---------------------------------------------------------------------------------------
// Mapping rules: settings → Flex Consumption knobs and host.json
// ---------------------------------------------------------------------------------------

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
  /** host.json extensions.queues, for the queue-triggered app. */
  queues?: { batchSize: number; maxDequeueCount: number };
}

/** Maps the portable settings of one function to Flex Consumption, reporting every inexact case. */
export function flexSettingsFor(
  fn: { name: string; trigger: { kind: "http" | "queue" } },
  settings: FunctionSettings,
  decisions: SettingDecisions,
): FlexSettings {
  const memory = nearestInstanceMemory(settings.memoryMb);
  const instanceMemoryMB =
    memory === settings.memoryMb
      ? memory
      : decisions.adjust(fn.name, "memoryMb", settings.memoryMb, memory, `Flex Consumption instance memory is one of ${flexLimits.instanceMemoryMb.join(", ")} MB`);

  const { min, max } = flexLimits.maximumInstanceCount;
  const maximumInstanceCount = decisions.clamp(
    fn.name,
    "reservedConcurrency",
    settings.reservedConcurrency,
    min,
    max,
    `Flex Consumption maximum instance count is ${min} to ${max}`,
  );

  const group = fn.trigger.kind === "http" ? "http" : `function:${fn.name}`;
  const alwaysReady = settings.warmInstances > 0 ? [{ name: group, instanceCount: settings.warmInstances }] : [];

  const timeoutSeconds =
    fn.trigger.kind === "http"
      ? decisions.clamp(fn.name, "timeoutSeconds", settings.timeoutSeconds, 1, flexLimits.httpResponseSeconds, `an HTTP response must start within ${flexLimits.httpResponseSeconds} s`)
      : settings.timeoutSeconds;

  const result: FlexSettings = {
    instanceMemoryMB,
    maximumInstanceCount,
    alwaysReady,
    functionTimeout: hhmmss(timeoutSeconds),
  };
  if (fn.trigger.kind === "http") result.httpPerInstanceConcurrency = 1;
  if (fn.trigger.kind === "queue") {
    const batch = flexLimits.queueBatchSize;
    result.queues = {
      batchSize: decisions.clamp(fn.name, "batchSize", settings.batchSize ?? 16, batch.min, batch.max, `host.json queues.batchSize is ${batch.min} to ${batch.max}`),
      maxDequeueCount: settings.maxAttempts ?? 5,
    };
  }
  return result;
}

/** The smallest allowed size that is not less than asked (never less memory than asked, except above the largest). */
export function nearestInstanceMemory(askedMb: number): number {
  return flexLimits.instanceMemoryMb.find((size) => size >= askedMb) ?? flexLimits.instanceMemoryMb[flexLimits.instanceMemoryMb.length - 1];
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

/** Log Analytics retention for the stack's logRetentionDays. */
export function logRetentionFor(days: number, decisions: SettingDecisions): number {
  const { min, max } = flexLimits.logRetentionDays;
  return decisions.clamp("*", "logRetentionDays", days, min, max, `Log Analytics workspace retention is ${min} to ${max} days`);
}

function hhmmss(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

// ---------------------------------------------------------------------------------------
// The component
// ---------------------------------------------------------------------------------------

export interface AzureFunctionsArgs extends PlatformFunctionsArgs {
  /**
   * Azure region of every resource; it must offer Flex Consumption
   * (`az functionapp list-flexconsumption-locations`).
   * @default the provider's `azure-native:location`
   * @example "westeurope"
   */
  location?: pulumi.Input<string>;
  /**
   * Name of the users table.
   * @default "users"
   * @example "customers"
   */
  usersTableName?: string;
  /**
   * Name of the events queue; the host dead-letters into `<name>-poison`.
   * @default "user-events"
   * @example "signups"
   */
  eventsQueueName?: string;
}

/** A role assignment the Functions host itself needs (not a declared capability). */
export interface HostAccess {
  function: string;
  purpose: "deployment package" | "host storage" | "telemetry";
  role: AzureRole;
  resource: pulumi.Output<string>;
}

/** What each deployed function app consists of. */
export interface AzureFunctionApp {
  app: web.WebApp;
  deploymentContainer: storage.BlobContainer;
  package: storage.Blob;
  settings: FlexSettings;
  /** The host.json inside the package. */
  hostJson: Record<string, unknown>;
}

export class AzureFunctions extends pulumi.ComponentResource implements PlatformOutputs {
  readonly resourceGroup: resources.ResourceGroup;
  /** Tables, queues and host storage; shared-key access off. */
  readonly storageAccount: storage.StorageAccount;
  /** Deployment packages only (see createPackageAccount for why it is separate). */
  readonly packageAccount: storage.StorageAccount;
  readonly usersTable: storage.Table;
  readonly eventsQueue: storage.Queue;
  readonly eventsPoisonQueue: storage.Queue;
  readonly vault: keyvault.Vault;
  readonly apiKeySecret: keyvault.Secret;
  readonly logWorkspace: operationalinsights.Workspace;
  readonly appInsights: applicationinsights.Component;
  readonly plan: web.AppServicePlan;
  readonly apps: Record<string, AzureFunctionApp> = {};
  readonly roleAssignments: authorization.RoleAssignment[] = [];

  readonly endpoint: pulumi.Output<string> | undefined;
  readonly queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> };
  readonly functionNames: Record<string, pulumi.Output<string>> = {};
  readonly grants: Grant[] = [];
  /** Role assignments the host needs to run the app (package, host storage, telemetry). */
  readonly hostAccess: HostAccess[] = [];
  readonly warnings: SettingWarning[];

  private readonly names: ResourceNames;
  private readonly client = authorization.getClientConfigOutput();

  constructor(name: string, args: AzureFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:azure:Functions", name, {}, opts);
    checkFunctions("AzureFunctions", args.functions);
    const decisions = new SettingDecisions("azure", this);
    this.warnings = decisions.warnings;
    this.names = resourceNames(name);
    const tags = args.tags ?? {};
    const protect = args.protectData ?? false;

    this.resourceGroup = new resources.ResourceGroup(`${name}-rg`, { location: args.location, tags }, { parent: this });
    this.storageAccount = this.createStorageAccount(name, tags, protect);
    this.packageAccount = this.createPackageAccount(name, tags);
    this.usersTable = this.createTable(name, args.usersTableName ?? "users", protect);
    const queueName = args.eventsQueueName ?? "user-events";
    this.eventsQueue = this.createQueue(`${name}-events`, queueName);
    this.eventsPoisonQueue = this.createQueue(`${name}-events-poison`, `${queueName}-poison`);
    const hostContainers = ["azure-webjobs-hosts", "azure-webjobs-secrets"].map((container) => this.createContainer(`${name}-${container}`, container, this.storageAccount));
    this.vault = this.createVault(name, tags, protect);
    this.apiKeySecret = this.createApiKeySecret(name, args.apiKey);
    this.logWorkspace = this.createLogWorkspace(name, logRetentionFor(args.logRetentionDays ?? 7, decisions), tags);
    this.appInsights = this.createAppInsights(name, tags);
    this.plan = this.createPlan(name, tags);

    for (const fn of args.functions) {
      const settings = flexSettingsFor(fn.definition, fn.settings, decisions);
      const functionApp = this.createFunctionApp(name, fn, settings, tags);
      this.apps[fn.definition.name] = functionApp;
      this.functionNames[fn.definition.name] = functionApp.app.name;
      this.grantCapabilities(name, fn, functionApp.app);
      this.grantHostAccess(name, fn.definition.name, functionApp, hostContainers);
    }

    const http = args.functions.find((fn) => fn.definition.trigger.kind === "http");
    this.endpoint = http ? pulumi.interpolate`https://${this.apps[http.definition.name].app.defaultHostName}` : undefined;
    this.queues = { queue: this.eventsQueue.name, deadLetter: this.eventsPoisonQueue.name };

    this.registerOutputs({
      endpoint: this.endpoint,
      queues: this.queues,
      functionNames: this.functionNames,
      warnings: this.warnings,
    });
  }

  private createStorageAccount(name: string, tags: Record<string, string>, protect: boolean): storage.StorageAccount {
    return new storage.StorageAccount(
      `${name}-storage`,
      {
        accountName: this.names.storageAccount,
        resourceGroupName: this.resourceGroup.name,
        kind: storage.Kind.StorageV2,
        sku: { name: storage.SkuName.Standard_LRS },
        // Identity only: Flex Consumption supports identity-based host storage and deployment.
        // https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        allowBlobPublicAccess: false,
        minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
        enableHttpsTrafficOnly: true,
        tags,
      },
      { parent: this, protect },
    );
  }

  /**
   * The Pulumi provider uploads blobs with the account key only (pulumi-azure-native#2015,
   * #2948: KeyBasedAuthenticationNotPermitted otherwise), so the packages live in a second
   * account that allows shared keys and holds nothing else. The apps still read their
   * package with their identity; no key reaches an app setting.
   */
  private createPackageAccount(name: string, tags: Record<string, string>): storage.StorageAccount {
    return new storage.StorageAccount(
      `${name}-packages`,
      {
        accountName: this.names.packageAccount,
        resourceGroupName: this.resourceGroup.name,
        kind: storage.Kind.StorageV2,
        sku: { name: storage.SkuName.Standard_LRS },
        allowSharedKeyAccess: true,
        allowBlobPublicAccess: false,
        minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
        enableHttpsTrafficOnly: true,
        tags,
      },
      { parent: this },
    );
  }

  private createTable(name: string, tableName: string, protect: boolean): storage.Table {
    return new storage.Table(
      `${name}-users`,
      { tableName, accountName: this.storageAccount.name, resourceGroupName: this.resourceGroup.name },
      { parent: this, protect },
    );
  }

  private createQueue(resourceName: string, queueName: string): storage.Queue {
    return new storage.Queue(
      resourceName,
      { queueName, accountName: this.storageAccount.name, resourceGroupName: this.resourceGroup.name },
      { parent: this },
    );
  }

  private createContainer(resourceName: string, containerName: string, account: storage.StorageAccount): storage.BlobContainer {
    return new storage.BlobContainer(
      resourceName,
      {
        containerName,
        accountName: account.name,
        resourceGroupName: this.resourceGroup.name,
        publicAccess: storage.PublicAccess.None,
      },
      { parent: this },
    );
  }

  private createVault(name: string, tags: Record<string, string>, protect: boolean): keyvault.Vault {
    return new keyvault.Vault(
      `${name}-vault`,
      {
        vaultName: this.names.vault,
        resourceGroupName: this.resourceGroup.name,
        properties: {
          tenantId: this.client.tenantId,
          sku: { family: keyvault.SkuFamily.A, name: keyvault.SkuName.Standard },
          // RBAC mode: access is role assignments scoped to one secret, not vault-wide access policies.
          enableRbacAuthorization: true,
          // Soft delete is always on; 7 to 90 days. Purge protection cannot be turned off once on.
          // https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview
          softDeleteRetentionInDays: protect ? 90 : 7,
          ...(protect ? { enablePurgeProtection: true } : {}),
        },
        tags,
      },
      { parent: this, protect },
    );
  }

  private createApiKeySecret(name: string, apiKey: pulumi.Input<string>): keyvault.Secret {
    return new keyvault.Secret(
      `${name}-api-key`,
      {
        secretName: "api-key",
        vaultName: this.vault.name,
        resourceGroupName: this.resourceGroup.name,
        properties: { value: pulumi.secret(apiKey) },
      },
      { parent: this },
    );
  }

  private createLogWorkspace(name: string, retentionInDays: number, tags: Record<string, string>): operationalinsights.Workspace {
    return new operationalinsights.Workspace(
      `${name}-logs`,
      {
        resourceGroupName: this.resourceGroup.name,
        sku: { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 },
        retentionInDays,
        tags,
      },
      { parent: this },
    );
  }

  private createAppInsights(name: string, tags: Record<string, string>): applicationinsights.Component {
    return new applicationinsights.Component(
      `${name}-insights`,
      {
        resourceGroupName: this.resourceGroup.name,
        kind: "web",
        applicationType: applicationinsights.ApplicationType.Web,
        workspaceResourceId: this.logWorkspace.id,
        ingestionMode: applicationinsights.IngestionMode.LogAnalytics,
        // Telemetry is accepted only with an Entra token (Monitoring Metrics Publisher), so the
        // connection string in app settings authorises nothing by itself.
        // https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
        disableLocalAuth: true,
        tags,
      },
      { parent: this },
    );
  }

  private createPlan(name: string, tags: Record<string, string>): web.AppServicePlan {
    return new web.AppServicePlan(
      `${name}-plan`,
      {
        resourceGroupName: this.resourceGroup.name,
        kind: "functionapp",
        sku: { name: "FC1", tier: "FlexConsumption" },
        // Flex Consumption is Linux only.
        reserved: true,
        tags,
      },
      { parent: this },
    );
  }

  private createFunctionApp(name: string, fn: FunctionDeployment, settings: FlexSettings, tags: Record<string, string>): AzureFunctionApp {
    const fnName = fn.definition.name;
    const hostJson = hostJsonFor(settings);
    // One container per app: apps sharing a container would overwrite each other's package.
    // https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to#configure-deployment-settings
    const deploymentContainer = this.createContainer(`${name}-${fnName}-deploy`, `deploy-${fnName}`.slice(0, 63), this.packageAccount);
    const pkg = new storage.Blob(
      `${name}-${fnName}-package`,
      {
        // The name Flex Consumption loads the package from.
        // https://learn.microsoft.com/azure/azure-functions/functions-infrastructure-as-code?pivots=flex-consumption-plan#deployment-package
        blobName: "released-package.zip",
        containerName: deploymentContainer.name,
        accountName: this.packageAccount.name,
        resourceGroupName: this.resourceGroup.name,
        type: storage.BlobType.Block,
        contentType: "application/zip",
        source: bundleArchive(fn.bundle, {
          "host.json": JSON.stringify(hostJson, null, 2),
          // The Node.js v4 model loads the files named by package.json `main`.
          "package.json": JSON.stringify({ name: fnName, private: true, main: fn.bundle.fileName }, null, 2),
        }),
      },
      { parent: this },
    );

    const app = new web.WebApp(
      `${name}-${fnName}`,
      {
        name: `${this.names.appPrefix}-${fnName}`.slice(0, 60),
        resourceGroupName: this.resourceGroup.name,
        kind: "functionapp,linux",
        serverFarmId: this.plan.id,
        httpsOnly: true,
        identity: { type: web.ManagedServiceIdentityType.SystemAssigned },
        siteConfig: { appSettings: this.appSettingsFor(fn), minTlsVersion: web.SupportedTlsVersions.SupportedTlsVersions_1_2 },
        functionAppConfig: {
          deployment: {
            storage: {
              type: web.FunctionsDeploymentStorageType.BlobContainer,
              value: pulumi.interpolate`${this.packageAccount.primaryEndpoints.blob}${deploymentContainer.name}`,
              authentication: { type: web.AuthenticationType.SystemAssignedIdentity },
            },
          },
          runtime: { name: web.RuntimeName.Node, version: "22" },
          scaleAndConcurrency: {
            instanceMemoryMB: settings.instanceMemoryMB,
            maximumInstanceCount: settings.maximumInstanceCount,
            ...(settings.alwaysReady.length > 0 ? { alwaysReady: settings.alwaysReady } : {}),
            ...(settings.httpPerInstanceConcurrency !== undefined
              ? { triggers: { http: { perInstanceConcurrency: settings.httpPerInstanceConcurrency } } }
              : {}),
          },
        },
        tags,
      },
      { parent: this, dependsOn: [pkg] },
    );
    return { app, deploymentContainer, package: pkg, settings, hostJson };
  }

  /** App settings from the function's capabilities: a function only learns of what it may use. */
  private appSettingsFor(fn: FunctionDeployment): azureInputs.web.NameValuePairArgs[] {
    const declared = new Set(fn.definition.capabilities);
    const settings: Array<[string, pulumi.Input<string>]> = [
      ["PARITY_PLATFORM", "azure"],
      // Identity-based host storage: no AzureWebJobsStorage connection string.
      // https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
      ["AzureWebJobsStorage__accountName", this.storageAccount.name],
      ["APPLICATIONINSIGHTS_CONNECTION_STRING", this.appInsights.connectionString],
      ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "Authorization=AAD"],
    ];
    if (["users.read", "users.create", "users.update"].some((c) => declared.has(c as Capability))) {
      settings.push(["USERS_TABLE", this.usersTable.name]);
      settings.push(["PARITY_STORAGE__tableServiceUri", this.storageAccount.primaryEndpoints.table]);
    }
    if (declared.has("events.publish") || declared.has("events.consume")) {
      settings.push(["EVENTS_QUEUE", this.eventsQueue.name]);
      settings.push(["PARITY_STORAGE__queueServiceUri", this.storageAccount.primaryEndpoints.queue]);
    }
    if (declared.has("apiKey.read")) {
      // Resolved by the platform with the app's identity; the value never sits in app settings.
      // https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
      // The URI is not secret, but it comes out of the resource whose value is: unsecret it so
      // the app settings are not all masked in previews.
      settings.push(["API_KEY", pulumi.unsecret(pulumi.interpolate`@Microsoft.KeyVault(SecretUri=${this.apiKeySecret.properties.secretUri})`)]);
    }
    return settings.map(([name, value]) => ({ name, value }));
  }

  private scopeOf(target: GrantTarget): pulumi.Output<string> {
    switch (target) {
      case "usersTable":
        return this.usersTable.id;
      case "eventsQueue":
        return this.eventsQueue.id;
      case "eventsPoisonQueue":
        return this.eventsPoisonQueue.id;
      case "apiKeySecret":
        return this.apiKeySecret.id;
    }
  }

  private grantCapabilities(name: string, fn: FunctionDeployment, app: web.WebApp): void {
    for (const plan of planGrants(fn.definition.name, fn.definition.capabilities)) {
      const scope = this.scopeOf(plan.target);
      this.assignRole(`${name}-${plan.function}-${plan.capability}-${slug(plan.role)}`, app, plan.role, scope);
      this.grants.push({ function: plan.function, capability: plan.capability, permissions: [plan.role], resource: scope });
    }
  }

  private grantHostAccess(name: string, fnName: string, functionApp: AzureFunctionApp, hostContainers: storage.BlobContainer[]): void {
    const needs: Array<{ purpose: HostAccess["purpose"]; role: AzureRole; scope: pulumi.Output<string> }> = [
      // Reads its own package only. https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to#configure-deployment-settings
      { purpose: "deployment package", role: "Storage Blob Data Contributor", scope: functionApp.deploymentContainer.id },
      // Host keys, leases and timers live in these two containers; the host needs Blob Data
      // Owner for identity-based AzureWebJobsStorage, here scoped to them instead of the account.
      // https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
      ...hostContainers.map((container) => ({ purpose: "host storage" as const, role: "Storage Blob Data Owner" as AzureRole, scope: container.id })),
      { purpose: "telemetry", role: "Monitoring Metrics Publisher", scope: this.appInsights.id },
    ];
    needs.forEach((need, index) => {
      this.assignRole(`${name}-${fnName}-host-${index}-${slug(need.role)}`, functionApp.app, need.role, need.scope);
      this.hostAccess.push({ function: fnName, purpose: need.purpose, role: need.role, resource: need.scope });
    });
  }

  private assignRole(resourceName: string, app: web.WebApp, role: AzureRole, scope: pulumi.Output<string>): void {
    this.roleAssignments.push(
      new authorization.RoleAssignment(
        resourceName,
        {
          principalId: app.identity.apply((identity) => identity?.principalId ?? ""),
          principalType: authorization.PrincipalType.ServicePrincipal,
          roleDefinitionId: roleDefinitionId(this.client.subscriptionId, role),
          scope,
        },
        { parent: this },
      ),
    );
  }
}

export function roleDefinitionId(subscriptionId: pulumi.Input<string>, role: AzureRole): pulumi.Output<string> {
  return pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${azureRoles[role]}`;
}

// ---------------------------------------------------------------------------------------
// Naming
// ---------------------------------------------------------------------------------------

interface ResourceNames {
  /** 3–24 lowercase letters and digits, globally unique. */
  storageAccount: string;
  /** Same rules; the deployment-package account. */
  packageAccount: string;
  /** 3–24 letters, digits and hyphens, globally unique. */
  vault: string;
  /** Function App names are global hostnames (<name>.azurewebsites.net). */
  appPrefix: string;
}

/**
 * Globally unique names are derived from project, stack and component name, so two stacks
 * never collide and a redeploy keeps its names.
 */
export function resourceNames(name: string, project = pulumi.getProject(), stack = pulumi.getStack()): ResourceNames {
  const suffix = shortHash(`${project}/${stack}/${name}`);
  const alnum = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  return {
    storageAccount: `${alnum.slice(0, 16)}${suffix}`,
    packageAccount: `${alnum.slice(0, 14)}pk${suffix}`,
    vault: `${alnum.slice(0, 12) || "kv"}-kv-${suffix}`.slice(0, 24),
    appPrefix: `${name.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 30)}-${suffix}`,
  };
}

function shortHash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, "0");
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
