/**
 * `AzureFunctions`: the functions on Azure Functions Flex Consumption, one Function App per
 * function, each with its own system-assigned managed identity, Table Storage for users, a
 * Storage Queue (and `<queue>-poison`) for events, the API key in Key Vault (RBAC mode) behind
 * a Key Vault reference, logs in Log Analytics through Application Insights.
 *
 * No storage key or connection string reaches an app setting: every connection is
 * identity-based, and the data account (tables, queues, host storage) refuses shared-key
 * access. Only the package account allows keys, for the Pulumi provider's upload.
 *
 * check → plan → create: `planAzure` (./rules.ts) decides every value before any resource
 * exists; the constructor only creates what the plan says, in dependency order.
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
import { azureEnv, azureEnvironment } from "../../functions/azure/contract";
import { packageFunction, packageJsonFor, type Bundle, type FunctionPackage } from "../bundle";
import { packageAsset, platformOutputs, reportWarnings } from "../component";
import { planInputOf, type FunctionDeployment, type Grant, type NativeSettings, type PlatformFunctionsArgs, type PlatformOutputs, type SettingWarning } from "../platform";
import {
  azureNativeSummary,
  HOST_CONTAINERS,
  hostAccessRoles,
  PACKAGE_BLOB_NAME,
  planAzure,
  roleDefinitionIdFor,
  type AzurePlan,
  type AzurePlannedFunction,
  type AzureRole,
  type GrantTarget,
  type HostAccessPurpose,
  type HostAccessTarget,
} from "./rules";

export interface AzureFunctionsArgs extends PlatformFunctionsArgs {
  /**
   * The functions to deploy: at most one HTTP function (its app's hostname is the endpoint)
   * and at most one queue function (it consumes the events queue). Each becomes a Function
   * App named `<component>-<hash>-<function>` (60 characters at most).
   * @example
   * functions: deploymentsFor(config, "azure")
   */
  functions: FunctionDeployment[];
  /**
   * The API key. Stored as a Key Vault secret; functions that declare `apiKey.read` get a
   * Key Vault reference in `API_KEY`, resolved by the platform with the app's identity, never
   * the value in an app setting. Pass a secret Output.
   * @example
   * apiKey: new pulumi.Config("parity").requireSecret("apiKey")
   */
  apiKey: pulumi.Input<string>;
  /**
   * Days the Log Analytics workspace keeps the functions' logs. The workspace keeps 30 to 730
   * days; other values are clamped, with a warning.
   * @default 7 (applied as 30)
   * @example
   * logRetentionDays: 90
   */
  logRetentionDays?: number;
  /**
   * Protects the storage account and users table from deletion (`protect`), and keeps deleted
   * vault secrets 90 days with purge protection (7 days without).
   * @default false
   * @example
   * protectData: pulumi.getStack() === "prod"
   */
  protectData?: boolean;
  /**
   * Tags applied to every resource that takes tags.
   * @default {}
   * @example
   * tags: { project: "parity", stack: pulumi.getStack() }
   */
  tags?: Record<string, string>;
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
  purpose: HostAccessPurpose;
  role: AzureRole;
  resource: pulumi.Output<string>;
}

/** One function's deployed resources. */
export interface AzureFunctionNodes {
  app: web.WebApp;
  deploymentContainer: storage.BlobContainer;
  /** The uploaded package (`released-package.zip`). */
  packageBlob: storage.Blob;
  /** What the blob holds: the bundle, its source map, host.json and package.json. */
  package: FunctionPackage;
  /** The role assignments of its declared capabilities and of its host's needs. */
  roleAssignments: authorization.RoleAssignment[];
}

export class AzureFunctions extends pulumi.ComponentResource implements PlatformOutputs {
  /** Every value decided before any resource was created (./rules.ts). */
  readonly plan: AzurePlan;
  readonly resourceGroup: resources.ResourceGroup;
  /** Tables, queues and host storage; shared-key access off. */
  readonly storageAccount: storage.StorageAccount;
  /** Deployment packages only (see createPackageAccount for why it is separate). */
  readonly packageAccount: storage.StorageAccount;
  readonly usersTable: storage.Table;
  /**
   * Always created, even when no function publishes or consumes (an idle queue costs nothing
   * and `queues` is part of every platform's outputs); only functions that declare `events.*`
   * are granted access to it.
   */
  readonly eventsQueue: storage.Queue;
  readonly eventsPoisonQueue: storage.Queue;
  readonly vault: keyvault.Vault;
  readonly apiKeySecret: keyvault.Secret;
  readonly logWorkspace: operationalinsights.Workspace;
  readonly appInsights: applicationinsights.Component;
  /** The Flex Consumption plan every app runs on. */
  readonly servicePlan: web.AppServicePlan;
  /** Function name → every resource made for it. */
  readonly nodes: Record<string, AzureFunctionNodes> = {};

  readonly endpoint: pulumi.Output<string> | undefined;
  readonly queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> };
  readonly functionNames: Record<string, pulumi.Output<string>> = {};
  readonly grants: Grant[] = [];
  /** Role assignments the host needs to run each app (package, host storage, telemetry). */
  readonly hostAccess: HostAccess[] = [];
  readonly warnings: SettingWarning[];
  readonly nativeSettings: Record<string, NativeSettings>;

  private readonly client = authorization.getClientConfigOutput();
  private readonly hostContainers: Record<(typeof HOST_CONTAINERS)[number], storage.BlobContainer>;

  constructor(name: string, args: AzureFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:azure:Functions", name, {}, opts);
    this.plan = planAzure({
      ...planInputOf(name, args),
      project: pulumi.getProject(),
      stack: pulumi.getStack(),
      usersTableName: args.usersTableName,
      eventsQueueName: args.eventsQueueName,
    });
    this.warnings = this.plan.warnings;
    this.nativeSettings = Object.fromEntries(this.plan.functions.map((fn) => [fn.definition.name, azureNativeSummary(fn)]));
    reportWarnings(this, this.warnings);
    const tags = args.tags ?? {};
    const protect = this.plan.protectData;
    const bundles = new Map(args.functions.map((fn) => [fn.definition.name, fn.bundle]));

    this.resourceGroup = new resources.ResourceGroup(`${name}-rg`, { location: args.location, tags }, { parent: this });
    this.storageAccount = this.createStorageAccount(name, tags, protect);
    this.packageAccount = this.createPackageAccount(name, tags);
    this.usersTable = this.createTable(name, this.plan.usersTable, protect);
    this.eventsQueue = this.createQueue(`${name}-events`, this.plan.eventsQueue);
    this.eventsPoisonQueue = this.createQueue(`${name}-events-poison`, this.plan.poisonQueue);
    this.hostContainers = Object.fromEntries(
      HOST_CONTAINERS.map((container) => [container, this.createContainer(`${name}-${container}`, container, this.storageAccount)]),
    ) as AzureFunctions["hostContainers"];
    this.vault = this.createVault(name, tags, protect);
    this.apiKeySecret = this.createApiKeySecret(name, args.apiKey);
    this.logWorkspace = this.createLogWorkspace(name, this.plan.logRetentionDays, tags);
    this.appInsights = this.createAppInsights(name, tags);
    this.servicePlan = this.createServicePlan(name, tags);

    for (const fn of this.plan.functions) {
      const nodes = this.createFunctionApp(name, fn, bundles.get(fn.definition.name)!, tags);
      this.nodes[fn.definition.name] = nodes;
      this.functionNames[fn.definition.name] = nodes.app.name;
      this.grantCapabilities(name, fn, nodes);
      this.grantHostAccess(name, fn, nodes);
    }

    const http = this.plan.httpFunction;
    this.endpoint = http ? pulumi.interpolate`https://${this.nodes[http.definition.name].app.defaultHostName}` : undefined;
    this.queues = { queue: this.eventsQueue.name, deadLetter: this.eventsPoisonQueue.name };
    this.registerOutputs(platformOutputs(this));
  }

  /** Tables, queues and host storage. */
  private createStorageAccount(name: string, tags: Record<string, string>, protect: boolean): storage.StorageAccount {
    return this.createAccount(
      `${name}-storage`,
      this.plan.names.storageAccount,
      // Identity only: Flex Consumption supports identity-based host storage and deployment.
      // https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent
      { allowSharedKeyAccess: false, defaultToOAuthAuthentication: true },
      tags,
      protect,
    );
  }

  /**
   * The Pulumi provider uploads blobs with the account key only (pulumi-azure-native#2015,
   * #2948: KeyBasedAuthenticationNotPermitted otherwise), so the packages live in a second
   * account that allows shared keys and holds nothing else. The apps still read their
   * package with their identity; no key reaches an app setting.
   */
  private createPackageAccount(name: string, tags: Record<string, string>): storage.StorageAccount {
    return this.createAccount(`${name}-packages`, this.plan.names.packageAccount, { allowSharedKeyAccess: true }, tags, false);
  }

  private createAccount(
    resourceName: string,
    accountName: string,
    access: Pick<storage.StorageAccountArgs, "allowSharedKeyAccess" | "defaultToOAuthAuthentication">,
    tags: Record<string, string>,
    protect: boolean,
  ): storage.StorageAccount {
    return new storage.StorageAccount(
      resourceName,
      {
        accountName,
        resourceGroupName: this.resourceGroup.name,
        kind: storage.Kind.StorageV2,
        sku: { name: storage.SkuName.Standard_LRS },
        ...access,
        allowBlobPublicAccess: false,
        minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
        enableHttpsTrafficOnly: true,
        tags,
      },
      { parent: this, protect },
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
    return new storage.Queue(resourceName, { queueName, accountName: this.storageAccount.name, resourceGroupName: this.resourceGroup.name }, { parent: this });
  }

  private createContainer(resourceName: string, containerName: string, account: storage.StorageAccount): storage.BlobContainer {
    return new storage.BlobContainer(
      resourceName,
      { containerName, accountName: account.name, resourceGroupName: this.resourceGroup.name, publicAccess: storage.PublicAccess.None },
      { parent: this },
    );
  }

  private createVault(name: string, tags: Record<string, string>, protect: boolean): keyvault.Vault {
    return new keyvault.Vault(
      `${name}-vault`,
      {
        vaultName: this.plan.names.vault,
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
      { secretName: "api-key", vaultName: this.vault.name, resourceGroupName: this.resourceGroup.name, properties: { value: pulumi.secret(apiKey) } },
      { parent: this },
    );
  }

  private createLogWorkspace(name: string, retentionInDays: number, tags: Record<string, string>): operationalinsights.Workspace {
    return new operationalinsights.Workspace(
      `${name}-logs`,
      { resourceGroupName: this.resourceGroup.name, sku: { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 }, retentionInDays, tags },
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

  private createServicePlan(name: string, tags: Record<string, string>): web.AppServicePlan {
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

  private createFunctionApp(name: string, fn: AzurePlannedFunction, bundle: Bundle, tags: Record<string, string>): AzureFunctionNodes {
    const { definition, native } = fn;
    const fnName = definition.name;
    const deploymentContainer = this.createContainer(`${name}-${fnName}-deploy`, native.deploymentContainer, this.packageAccount);
    // The Node.js v4 model loads the file named by package.json `main`; no remote build runs on a
    // blob deployment, so only runtime-provided externals may stay out of the zip.
    const pkg = packageFunction(bundle, { "host.json": JSON.stringify(fn.hostJson, null, 2), "package.json": packageJsonFor(bundle) });
    const packageBlob = new storage.Blob(
      `${name}-${fnName}-package`,
      {
        blobName: PACKAGE_BLOB_NAME,
        containerName: deploymentContainer.name,
        accountName: this.packageAccount.name,
        resourceGroupName: this.resourceGroup.name,
        type: storage.BlobType.Block,
        contentType: "application/zip",
        source: packageAsset(pkg),
      },
      { parent: this },
    );

    const app = new web.WebApp(
      `${name}-${fnName}`,
      {
        name: native.appName,
        resourceGroupName: this.resourceGroup.name,
        kind: "functionapp,linux",
        serverFarmId: this.servicePlan.id,
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
            instanceMemoryMB: native.instanceMemoryMB,
            maximumInstanceCount: native.maximumInstanceCount,
            ...(native.alwaysReady.length > 0 ? { alwaysReady: native.alwaysReady } : {}),
            ...(native.httpPerInstanceConcurrency !== undefined ? { triggers: { http: { perInstanceConcurrency: native.httpPerInstanceConcurrency } } } : {}),
          },
        },
        tags,
      },
      { parent: this, dependsOn: [packageBlob] },
    );
    return { app, deploymentContainer, packageBlob, package: pkg, roleAssignments: [] };
  }

  /** Host settings, then the contract's settings for the function's capabilities: a function only learns of what it may use. */
  private appSettingsFor(fn: AzurePlannedFunction): azureInputs.web.NameValuePairArgs[] {
    const settings: Record<string, pulumi.Input<string>> = {
      // First, as before the contract existed: reordering app settings is a diff on every app.
      [azureEnv.platform]: "azure",
      // Identity-based host storage: no AzureWebJobsStorage connection string.
      // https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
      AzureWebJobsStorage__accountName: this.storageAccount.name,
      APPLICATIONINSIGHTS_CONNECTION_STRING: this.appInsights.connectionString,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD",
      ...azureEnvironment<pulumi.Input<string>>(fn.definition.capabilities, {
        usersTable: this.usersTable.name,
        tableServiceUri: this.storageAccount.primaryEndpoints.table,
        eventsQueue: this.eventsQueue.name,
        queueServiceUri: this.storageAccount.primaryEndpoints.queue,
        // Resolved by the platform with the app's identity; the value never sits in app settings.
        // https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
        // The URI is not secret, but it comes out of the resource whose value is: unsecret it so
        // the app settings are not all masked in previews.
        apiKey: pulumi.unsecret(pulumi.interpolate`@Microsoft.KeyVault(SecretUri=${this.apiKeySecret.properties.secretUri})`),
      }),
    };
    return Object.entries(settings).map(([name, value]) => ({ name, value }));
  }

  private scopeOf(target: GrantTarget | HostAccessTarget, nodes: AzureFunctionNodes): pulumi.Output<string> {
    switch (target) {
      case "usersTable":
        return this.usersTable.id;
      case "eventsQueue":
        return this.eventsQueue.id;
      case "eventsPoisonQueue":
        return this.eventsPoisonQueue.id;
      case "apiKeySecret":
        return this.apiKeySecret.id;
      case "deploymentContainer":
        return nodes.deploymentContainer.id;
      case "appInsights":
        return this.appInsights.id;
      default:
        return this.hostContainers[target].id;
    }
  }

  private grantCapabilities(name: string, fn: AzurePlannedFunction, nodes: AzureFunctionNodes): void {
    for (const grant of fn.grants) {
      const scope = this.scopeOf(grant.target, nodes);
      if (grant.assign) this.assignRole(`${name}-${grant.function}-${grant.capability}-${slug(grant.role)}`, nodes, grant.role, scope);
      this.grants.push({ function: grant.function, capability: grant.capability, permissions: [grant.role], resource: scope });
    }
  }

  private grantHostAccess(name: string, fn: AzurePlannedFunction, nodes: AzureFunctionNodes): void {
    const fnName = fn.definition.name;
    hostAccessRoles.forEach((need, index) => {
      const scope = this.scopeOf(need.target, nodes);
      this.assignRole(`${name}-${fnName}-host-${index}-${slug(need.role)}`, nodes, need.role, scope);
      this.hostAccess.push({ function: fnName, purpose: need.purpose, role: need.role, resource: scope });
    });
  }

  private assignRole(resourceName: string, nodes: AzureFunctionNodes, role: AzureRole, scope: pulumi.Output<string>): void {
    nodes.roleAssignments.push(
      new authorization.RoleAssignment(
        resourceName,
        {
          principalId: nodes.app.identity.apply((identity) => identity?.principalId ?? ""),
          principalType: authorization.PrincipalType.ServicePrincipal,
          roleDefinitionId: this.client.subscriptionId.apply((subscription) => roleDefinitionIdFor(subscription, role)),
          scope,
        },
        { parent: this },
      ),
    );
  }
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
