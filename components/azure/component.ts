/**
 * `AzureFunctions`: the functions on Azure Functions Flex Consumption, one Function App per
 * function on its own Flex plan (one app per plan), each with its own user-assigned managed
 * identity created and granted before its app, Table Storage for users (`users.*`), a Storage
 * Queue (and `<queue>-poison`) for events (`events.*`), the API key in Key Vault (RBAC mode)
 * behind a Key Vault reference (`apiKey.read`), each only when a function declares it, logs in Log Analytics through Application Insights, and each package published
 * through one deploy (./one-deploy.ts). A schedule function is a timer trigger in its own app.
 *
 * No storage key or connection string reaches an app setting: every connection is
 * identity-based, and both storage accounts refuse shared-key access.
 *
 * check → plan → create: `planAzure` (./rules.ts) decides every value before any resource
 * exists; the constructor only creates what the plan says, in dependency order: identity,
 * its role assignments, plan, app, publish.
 */
import * as pulumi from "@pulumi/pulumi";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as web from "@pulumi/azure-native/web";
import * as random from "@pulumi/random";
import type * as azureInputs from "@pulumi/azure-native/types/input";
import { azureDeadlineEnvironment, azureEnv, azureEnvironment, azureQueueConnection, azureScheduleEnvironment } from "../../functions/azure/contract";
import { packageFunction, packageJsonFor, type FunctionPackage } from "../bundle";
import { created, platformOutputs, reportWarnings } from "../component";
import {
  CAPABILITIES_TAG,
  checkApiKey,
  planInputOf,
  runsReconciler,
  sharedResourcesFor,
  type DeployedSchedule,
  type FunctionDeployment,
  type Grant,
  type NativeSettings,
  type PlatformFunctionsArgs,
  type PlatformOutputs,
  type SettingWarning,
} from "../platform";
import { OneDeploy, scmUrlFor } from "./one-deploy";
import {
  azureNativeSummary,
  HOST_STORAGE_TAG,
  hostAccessRoles,
  planAzure,
  roleDefinitionIdFor,
  VAULT_RANDOM_LENGTH,
  vaultNameFor,
  vaultProtectionFor,
  withoutFlexRejectedSiteConfig,
  type AzurePlan,
  type AzurePlannedFunction,
  type AzureRole,
  type GrantTarget,
  type HostAccessPurpose,
  type HostAccessTarget,
} from "./rules";

export interface AzureFunctionsArgs extends PlatformFunctionsArgs {
  /**
   * The functions to deploy: at most one HTTP function (its app's hostname is the endpoint),
   * at most one queue function (it consumes the events queue), and schedule functions (a timer
   * trigger each, schedule in the app setting `RECONCILE_SCHEDULE`). Each becomes a Function
   * App named `<component>-<hash>-<function>` (60 characters at most) on its own Flex plan,
   * with its own user-assigned identity.
   * @example
   * functions: deploymentsFor(config, "azure")
   */
  functions: FunctionDeployment[];
  /**
   * The API key. Stored as a Key Vault secret; functions that declare `apiKey.read` get a
   * Key Vault reference in `API_KEY`, resolved by the platform with the app's user-assigned
   * identity (granted before the app starts), never the value in an app setting. Required when
   * a function declares `apiKey.read`; otherwise no vault is created. Pass a secret Output.
   * @example
   * apiKey: new pulumi.Config("parity").requireSecret("apiKey")
   */
  apiKey?: pulumi.Input<string>;
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
  /** The app's only identity: created, and granted, before the app. */
  identity: managedidentity.UserAssignedIdentity;
  /** The app's own Flex Consumption plan (one app per plan). */
  servicePlan: web.AppServicePlan;
  app: web.WebApp;
  /** The app's own host storage account (AzureWebJobsStorage): its host keys, leases and timer locks, reachable by its identity only. */
  hostAccount: storage.StorageAccount;
  deploymentContainer: storage.BlobContainer;
  /** What one deploy publishes: the bundle, its source map, host.json and package.json. */
  package: FunctionPackage;
  /** The package's publish, re-run when its hash changes. */
  publish: OneDeploy;
  /** The role assignments of its declared capabilities and of its host's needs; the app waits for all of them. */
  roleAssignments: authorization.RoleAssignment[];
}

export class AzureFunctions extends pulumi.ComponentResource implements PlatformOutputs {
  /** Every value decided before any resource was created (./rules.ts). */
  readonly plan: AzurePlan;
  readonly resourceGroup: resources.ResourceGroup;
  /**
   * The users table and the events queues; shared-key access off. Created only when a function
   * declares a `users.*` or `events.*` capability: host storage is each app's own (`nodes[fn].hostAccount`).
   */
  readonly storageAccount: storage.StorageAccount | undefined;
  /** Deployment packages only, written by one deploy with each app's identity; shared-key access off. */
  readonly packageAccount: storage.StorageAccount;
  /** The users table; created only when a function declares a `users.*` capability. */
  readonly usersTable: storage.Table | undefined;
  /** The events queue and its poison queue; created only when a function declares `events.publish` or `events.consume`. */
  readonly eventsQueue: storage.Queue | undefined;
  readonly eventsPoisonQueue: storage.Queue | undefined;
  /** The vault name's random suffix, made once per deployment (a deleted vault's name stays taken). Like the vault, only with `apiKey.read`. */
  readonly vaultSuffix: random.RandomString | undefined;
  readonly vault: keyvault.Vault | undefined;
  readonly apiKeySecret: keyvault.Secret | undefined;
  readonly logWorkspace: operationalinsights.Workspace;
  readonly appInsights: applicationinsights.Component;
  /** Function name → every resource made for it. */
  readonly nodes: Record<string, AzureFunctionNodes> = {};

  readonly endpoint: pulumi.Output<string> | undefined;
  readonly queues: { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> } | undefined;
  readonly functionNames: Record<string, pulumi.Output<string>> = {};
  readonly grants: Grant[] = [];
  /**
   * A timer trigger lives in its function's app and runs with no identity of its own: no
   * scheduler identity exists, so `identity` and `invoke` are undefined.
   */
  readonly schedules: Record<string, DeployedSchedule>;
  /** Role assignments the host needs to run each app (package, host storage, telemetry). */
  readonly hostAccess: HostAccess[] = [];
  readonly warnings: SettingWarning[];
  readonly nativeSettings: Record<string, NativeSettings>;

  private readonly client = authorization.getClientConfigOutput();
  /**
   * A Microsoft Entra token for the apps' SCM sites, for the audience the Azure CLI uses
   * (`get_scm_site_headers_flex` → the cloud's active_directory_resource_id). Fresh on every
   * run; one deploy's diff ignores it.
   */
  private readonly scmToken = pulumi.secret(authorization.getClientTokenOutput({ endpoint: "https://management.core.windows.net/" }).token);

  constructor(name: string, args: AzureFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:azure:Functions", name, {}, opts);
    this.plan = planAzure({
      ...planInputOf(name, args),
      project: pulumi.getProject(),
      stack: pulumi.getStack(),
      usersTableName: args.usersTableName,
      eventsQueueName: args.eventsQueueName,
      // The region decides the lowest maximumInstanceCount; known when it is a plain value (the stack's config).
      location: typeof args.location === "string" ? args.location : args.location === undefined ? new pulumi.Config("azure-native").get("location") : undefined,
    });
    checkApiKey("azure", name, args.functions, args.apiKey);
    const shared = sharedResourcesFor(args.functions);
    this.warnings = this.plan.warnings;
    this.nativeSettings = Object.fromEntries(this.plan.functions.map((fn) => [fn.definition.name, azureNativeSummary(fn)]));
    reportWarnings(this, this.warnings);
    const tags = args.tags ?? {};
    const protect = this.plan.protectData;
    const bundles = new Map(args.functions.map((fn) => [fn.definition.name, fn.bundle]));

    this.resourceGroup = new resources.ResourceGroup(`${name}-rg`, { location: args.location, tags }, { parent: this });
    if (shared.usersStore || shared.events) this.storageAccount = this.createStorageAccount(name, tags, protect);
    this.packageAccount = this.createPackageAccount(name, tags);
    if (shared.usersStore) this.usersTable = this.createTable(name, this.plan.usersTable, protect);
    if (shared.events) {
      this.eventsQueue = this.createQueue(`${name}-events`, this.plan.eventsQueue);
      this.eventsPoisonQueue = this.createQueue(`${name}-events-poison`, this.plan.poisonQueue);
    }
    if (shared.apiKey) {
      this.vaultSuffix = new random.RandomString(`${name}-vault-suffix`, { length: VAULT_RANDOM_LENGTH, upper: false, special: false, lower: true, numeric: true }, { parent: this });
      this.vault = this.createVault(name, this.vaultSuffix, tags, protect);
      this.apiKeySecret = this.createApiKeySecret(name, this.vault, args.apiKey!);
    }
    this.logWorkspace = this.createLogWorkspace(name, this.plan.logRetentionDays, tags);
    this.appInsights = this.createAppInsights(name, tags);

    for (const fn of this.plan.functions) {
      const fnName = fn.definition.name;
      const identity = this.createIdentity(name, fn, tags);
      const deploymentContainer = this.createContainer(`${name}-${fnName}-deploy`, fn.native.deploymentContainer, this.packageAccount);
      const hostAccount = this.createHostAccount(name, fn, tags);
      const own = { deploymentContainer, hostAccount };
      const roleAssignments = [...this.grantCapabilities(name, fn, identity), ...this.grantHostAccess(name, fn, identity, own)];
      const servicePlan = this.createServicePlan(`${name}-${fnName}-plan`, tags);
      const app = this.createFunctionApp(name, fn, identity, servicePlan, own, roleAssignments.map((r) => r.assignment), tags);
      const pkg = packageFunction(bundles.get(fnName)!, { "host.json": JSON.stringify(fn.hostJson, null, 2), "package.json": packageJsonFor(bundles.get(fnName)!) });
      // Publish once the app exists and its identity may write its deployment container.
      const canReadPackage = roleAssignments.find((r) => r.purpose === "deployment package")!.assignment;
      const publish = new OneDeploy(
        `${name}-${fnName}-publish`,
        { scmUrl: scmUrlOf(app), zipPath: pkg.zipFile, hash: pkg.hash, token: this.scmToken },
        { parent: this, dependsOn: [app, canReadPackage] },
      );
      this.nodes[fnName] = { identity, servicePlan, app, hostAccount, deploymentContainer, package: pkg, publish, roleAssignments: roleAssignments.map((r) => r.assignment) };
      this.functionNames[fnName] = app.name;
    }

    const http = this.plan.httpFunction;
    this.endpoint = http ? pulumi.interpolate`https://${this.nodes[http.definition.name].app.defaultHostName}` : undefined;
    // The names this component gives the queues, through each queue's URN (known at registration)
    // so they wait for it: azure-native's `name` output is the provider's, unknown until the queue
    // exists, and a first preview would show the stack's queue names as unknown.
    const queueNamed = (queue: storage.Queue, queueName: string) => queue.urn.apply(() => queueName);
    this.queues = this.eventsQueue && this.eventsPoisonQueue ? { queue: queueNamed(this.eventsQueue, this.plan.eventsQueue), deadLetter: queueNamed(this.eventsPoisonQueue, this.plan.poisonQueue) } : undefined;
    this.schedules = Object.fromEntries(
      this.plan.scheduled.map((fn): [string, DeployedSchedule] => [fn.definition.name, { expression: fn.native.schedule!.expression, identity: undefined, invoke: undefined }]),
    );
    this.registerOutputs(platformOutputs(this));
  }

  /** The users table and the events queues. */
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
   * Packages only. One deploy writes each package into its app's container with the app's
   * identity, so nothing needs the account key any more (it was kept for the provider's blob
   * upload, pulumi-azure-native#2015). A separate account keeps the existing names.
   */
  private createPackageAccount(name: string, tags: Record<string, string>): storage.StorageAccount {
    return this.createAccount(`${name}-packages`, this.plan.names.packageAccount, { allowSharedKeyAccess: false, defaultToOAuthAuthentication: true }, tags, false);
  }

  /**
   * The app's own host storage account (rules.ts hostAccountFor): identity only, like the others.
   * Not protected by `protectData`: it holds host keys, leases and timer locks, which the host
   * makes again, not user data.
   */
  private createHostAccount(name: string, fn: AzurePlannedFunction, tags: Record<string, string>): storage.StorageAccount {
    const hostTags = { ...tags, [HOST_STORAGE_TAG]: fn.definition.name };
    return this.createAccount(`${name}-${fn.definition.name}-host`, fn.native.hostAccount, { allowSharedKeyAccess: false, defaultToOAuthAuthentication: true }, hostTags, false);
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
      { tableName, accountName: created(this.storageAccount, "storage account").name, resourceGroupName: this.resourceGroup.name },
      { parent: this, protect },
    );
  }

  private createQueue(resourceName: string, queueName: string): storage.Queue {
    return new storage.Queue(resourceName, { queueName, accountName: created(this.storageAccount, "storage account").name, resourceGroupName: this.resourceGroup.name }, { parent: this });
  }

  private createContainer(resourceName: string, containerName: string, account: storage.StorageAccount): storage.BlobContainer {
    return new storage.BlobContainer(
      resourceName,
      { containerName, accountName: account.name, resourceGroupName: this.resourceGroup.name, publicAccess: storage.PublicAccess.None },
      { parent: this },
    );
  }

  private createVault(name: string, suffix: random.RandomString, tags: Record<string, string>, protect: boolean): keyvault.Vault {
    const protection = vaultProtectionFor(protect);
    return new keyvault.Vault(
      `${name}-vault`,
      {
        vaultName: suffix.result.apply((suffix) => vaultNameFor(this.plan.names, suffix)),
        resourceGroupName: this.resourceGroup.name,
        properties: {
          tenantId: this.client.tenantId,
          sku: { family: keyvault.SkuFamily.A, name: keyvault.SkuName.Standard },
          // RBAC mode: access is role assignments scoped to one secret, not vault-wide access policies.
          enableRbacAuthorization: true,
          // Soft delete is always on; its retention is fixed at creation and purge protection
          // cannot be turned off: both are left alone on updates (rules.ts vaultProtectionFor).
          ...protection.properties,
        },
        tags,
      },
      { parent: this, protect, ignoreChanges: protection.ignoreChanges },
    );
  }

  private createApiKeySecret(name: string, vault: keyvault.Vault, apiKey: pulumi.Input<string>): keyvault.Secret {
    return new keyvault.Secret(
      `${name}-api-key`,
      { secretName: "api-key", vaultName: vault.name, resourceGroupName: this.resourceGroup.name, properties: { value: pulumi.secret(apiKey) } },
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

  /** One plan per app: "Only one app is allowed per Flex Consumption plan" (azureLimits.appsPerPlan). */
  private createServicePlan(resourceName: string, tags: Record<string, string>): web.AppServicePlan {
    return new web.AppServicePlan(
      resourceName,
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

  /**
   * The function's own identity, tagged with its declared capabilities so the policy pack can
   * compare its role assignments with them.
   */
  private createIdentity(name: string, fn: AzurePlannedFunction, tags: Record<string, string>): managedidentity.UserAssignedIdentity {
    return new managedidentity.UserAssignedIdentity(
      `${name}-${fn.definition.name}-identity`,
      { resourceGroupName: this.resourceGroup.name, tags: { ...tags, [CAPABILITIES_TAG]: [...new Set(fn.definition.capabilities)].join(" ") } },
      { parent: this },
    );
  }

  private createFunctionApp(
    name: string,
    fn: AzurePlannedFunction,
    identity: managedidentity.UserAssignedIdentity,
    servicePlan: web.AppServicePlan,
    { deploymentContainer, hostAccount }: OwnStorage,
    grants: authorization.RoleAssignment[],
    tags: Record<string, string>,
  ): web.WebApp {
    const { native } = fn;
    return new web.WebApp(
      `${name}-${fn.definition.name}`,
      {
        name: native.appName,
        resourceGroupName: this.resourceGroup.name,
        kind: "functionapp,linux",
        serverFarmId: servicePlan.id,
        httpsOnly: true,
        // Only the user-assigned identity, granted before the app exists: a Key Vault reference
        // resolves at the app's first start instead of holding its literal text until a restart.
        // https://learn.microsoft.com/azure/app-service/app-service-key-vault-references#access-vaults-with-a-user-assigned-identity
        identity: { type: web.ManagedServiceIdentityType.UserAssigned, userAssignedIdentities: [identity.id] },
        keyVaultReferenceIdentity: identity.id,
        siteConfig: { appSettings: this.appSettingsFor(fn, identity, hostAccount), minTlsVersion: web.SupportedTlsVersions.SupportedTlsVersions_1_2 },
        functionAppConfig: {
          deployment: {
            storage: {
              type: web.FunctionsDeploymentStorageType.BlobContainer,
              value: pulumi.interpolate`${this.packageAccount.primaryEndpoints.blob}${deploymentContainer.name}`,
              // https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to#configure-deployment-settings
              authentication: { type: web.AuthenticationType.UserAssignedIdentity, userAssignedIdentityResourceId: identity.id },
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
      // Never before its grants: the host reads storage and the Key Vault reference at start-up.
      // The transform removes what the SDK adds to siteConfig and Flex refuses (rules.ts FLEX_REJECTED_SITE_CONFIG).
      { parent: this, dependsOn: grants, transforms: flexTransforms() },
    );
  }

  /** Host settings, then the contract's settings for the function's capabilities: a function only learns of what it may use. */
  private appSettingsFor(fn: AzurePlannedFunction, identity: managedidentity.UserAssignedIdentity, hostAccount: storage.StorageAccount): azureInputs.web.NameValuePairArgs[] {
    const schedule = fn.native.schedule;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read by the getters below
    const component = this;
    const settings: Record<string, pulumi.Input<string>> = {
      // First, as before the contract existed: reordering app settings is a diff on every app.
      [azureEnv.platform]: "azure",
      // Identity-based host storage with the user-assigned identity, on the app's own account,
      // blob service only: the host alone uses this connection (the queue trigger has its own,
      // below), and blobs are all the host needs ("No extension (host only): Storage Blob Data
      // Owner"). No `__tableServiceUri`, which would make the host write diagnostic events into
      // tables (Table Data Contributor), and not `__accountName`, from which the host derives the
      // queue and table endpoints as well: the service-URI form names exactly what is used.
      // https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
      // https://learn.microsoft.com/azure/azure-functions/functions-reference#common-properties-for-identity-based-connections
      AzureWebJobsStorage__credential: "managedidentity",
      AzureWebJobsStorage__clientId: identity.clientId,
      AzureWebJobsStorage__blobServiceUri: hostAccount.primaryEndpoints.blob,
      // Distinct per app (rules.ts hostIdFor). The docs say Flex derives host ids that cannot
      // collide; set anyway, so the guarantee does not rest on the plan type.
      // https://learn.microsoft.com/azure/azure-functions/functions-app-settings#azurefunctionswebhost__hostid
      AzureFunctionsWebHost__hostid: fn.native.hostId,
      // The driver's ManagedIdentityCredential picks the user-assigned identity by this client id.
      // https://learn.microsoft.com/javascript/api/@azure/identity/managedidentitycredential
      AZURE_CLIENT_ID: identity.clientId,
      APPLICATIONINSIGHTS_CONNECTION_STRING: this.appInsights.connectionString,
      // https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication#environment-variable-configuration
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: pulumi.interpolate`ClientId=${identity.clientId};Authorization=AAD`,
      // Getters: each resource is read only for a capability the function declares, so it exists (see `created`).
      ...azureEnvironment<pulumi.Input<string>>(fn.definition.capabilities, {
        get usersTable() {
          return created(component.usersTable, "users table").name;
        },
        get tableServiceUri() {
          return created(component.storageAccount, "storage account").primaryEndpoints.table;
        },
        get eventsQueue() {
          return created(component.eventsQueue, "events queue").name;
        },
        get queueServiceUri() {
          return created(component.storageAccount, "storage account").primaryEndpoints.queue;
        },
        // Resolved by the platform with `keyVaultReferenceIdentity`; the value never sits in app settings.
        // https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
        // The secret's version URI, not the versionless one: a versionless reference picks up a
        // new version only when App Service re-fetches it, within 24 hours; "any configuration
        // changes to the app causes an immediate re-fetch" (ibid., "Rotation"). A rotated key is a
        // new version, so this setting changes and the app takes the new key on that `pulumi up`.
        // The URI is not secret, but it comes out of the resource whose value is: unsecret it so
        // the app settings are not all masked in previews.
        get apiKey() {
          return pulumi.unsecret(pulumi.interpolate`@Microsoft.KeyVault(SecretUri=${created(component.apiKeySecret, "API key secret").properties.secretUriWithVersion})`);
        },
      }),
      // The timer trigger reads `%RECONCILE_SCHEDULE%` (functions/azure/contract.ts); only a
      // function that reconciles the users store gets the reconciler's run settings too.
      ...(schedule ? azureScheduleEnvironment(schedule, runsReconciler(fn.definition.capabilities)) : {}),
      // STORE_TIMEOUT_MS on every app with a users.* capability (rules.ts).
      ...azureDeadlineEnvironment(fn.native),
      // The queue trigger's connection (functions/azure/contract.ts AZURE_QUEUE_TRIGGER): the events
      // queue lives in the shared account, not in the app's host storage, so the binding reads
      // `PARITY_STORAGE__queueServiceUri` with the app's identity, named here.
      // https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#identity-based-connections
      ...(fn.definition.trigger.kind === "queue" ? { [azureQueueConnection.credential]: "managedidentity", [azureQueueConnection.clientId]: identity.clientId } : {}),
    };
    return Object.entries(settings).map(([name, value]) => ({ name, value }));
  }

  private scopeOf(target: GrantTarget | HostAccessTarget, own?: OwnStorage): pulumi.Output<string> {
    switch (target) {
      case "usersTable":
        return created(this.usersTable, "users table").id;
      case "eventsQueue":
        return created(this.eventsQueue, "events queue").id;
      case "eventsPoisonQueue":
        return created(this.eventsPoisonQueue, "poison queue").id;
      case "apiKeySecret":
        return created(this.apiKeySecret, "API key secret").id;
      case "deploymentContainer":
        return own!.deploymentContainer.id;
      case "hostAccount":
        return own!.hostAccount.id;
      case "appInsights":
        return this.appInsights.id;
    }
  }

  private grantCapabilities(name: string, fn: AzurePlannedFunction, identity: managedidentity.UserAssignedIdentity): PurposefulAssignment[] {
    const made: PurposefulAssignment[] = [];
    for (const grant of fn.grants) {
      const scope = this.scopeOf(grant.target);
      if (grant.assign) made.push({ purpose: grant.capability, assignment: this.assignRole(`${name}-${grant.function}-${grant.capability}-${slug(grant.role)}`, identity, grant.role, scope) });
      this.grants.push({ function: grant.function, capability: grant.capability, permissions: [grant.role], resource: scope });
    }
    return made;
  }

  private grantHostAccess(name: string, fn: AzurePlannedFunction, identity: managedidentity.UserAssignedIdentity, own: OwnStorage): PurposefulAssignment[] {
    const fnName = fn.definition.name;
    return hostAccessRoles.map((need, index) => {
      const scope = this.scopeOf(need.target, own);
      this.hostAccess.push({ function: fnName, purpose: need.purpose, role: need.role, resource: scope });
      return { purpose: need.purpose, assignment: this.assignRole(`${name}-${fnName}-host-${index}-${slug(need.role)}`, identity, need.role, scope) };
    });
  }

  private assignRole(resourceName: string, identity: managedidentity.UserAssignedIdentity, role: AzureRole, scope: pulumi.Output<string>): authorization.RoleAssignment {
    return new authorization.RoleAssignment(
      resourceName,
      {
        principalId: identity.principalId,
        principalType: authorization.PrincipalType.ServicePrincipal,
        roleDefinitionId: this.client.subscriptionId.apply((subscription) => roleDefinitionIdFor(subscription, role)),
        scope,
      },
      // Explicit as well as through principalId: the policy pack reads whose grant this is.
      { parent: this, dependsOn: [identity] },
    );
  }
}

/** The storage each app has to itself: its package container (in the shared package account) and its host storage account. */
interface OwnStorage {
  deploymentContainer: storage.BlobContainer;
  hostAccount: storage.StorageAccount;
}

/** A role assignment and why it exists: a declared capability or a host need. */
interface PurposefulAssignment {
  purpose: string;
  assignment: authorization.RoleAssignment;
}

/**
 * The app's SCM site, from its default hostname once Azure reports it (a regional unique
 * hostname differs from the name); before that, the classic `<name>.azurewebsites.net` its
 * name gives (no `autoGeneratedDomainNameLabelScope` is set).
 */
function scmUrlOf(app: web.WebApp): pulumi.Output<string> {
  return pulumi.all([app.defaultHostName, app.name]).apply(([host, name]) => scmUrlFor(host || `${name}.azurewebsites.net`));
}

/**
 * A `transforms` resource option: runs on the properties as registered, after the SDK's
 * `siteConfigArgsProvideDefaults` added `netFrameworkVersion: "v4.6"`, which no input can unset.
 */
const withoutFlexRejectedProperties: pulumi.ResourceTransform = (args) =>
  args.type === "azure-native:web:WebApp" ? { props: { ...args.props, siteConfig: withoutFlexRejectedSiteConfig(args.props.siteConfig) }, opts: args.opts } : undefined;

/**
 * The transform where the engine can run it. `pulumi.runtime.setMocks` turns transforms off (the mock
 * monitor never calls them back) and @pulumi/pulumi then throws on any resource that asks for one, so
 * a user's own mock tests of this component would fail; under mocks nothing is sent to Azure, so the
 * property it removes does no harm there. parity's offline runner (scripts/offline.ts) turns them on
 * and runs them as the engine does, which is where the transform is tested.
 */
function flexTransforms(): pulumi.ResourceTransform[] {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const store = (require("@pulumi/pulumi/runtime/state") as { getStore(): { supportsSecrets?: boolean; supportsTransforms?: boolean } }).getStore();
  // Under a real engine every feature reads false until the monitor has answered (settings.js
  // awaitFeatureSupport, after the program has started building resources): keep the transform
  // then. setMocks answers at once, secrets on and transforms off (runtime/mocks.js): leave it out.
  const mockMonitorWithoutTransforms = store.supportsSecrets === true && store.supportsTransforms === false;
  return mockMonitorWithoutTransforms ? [] : [withoutFlexRejectedProperties];
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
