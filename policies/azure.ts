/** Azure constraints the mocks cannot see, from components/azure/rules.ts, each with its source. */
import type { PolicyResource } from "@pulumi/policy";
import { azureLimits, azureNameRules, azureRoles, capabilityRoles, FLEX_REJECTED_SITE_CONFIG, HOST_STORAGE_TAG, hostAccessRoles, type AzureRole } from "../components/azure/rules";
import { capabilities, type Capability } from "../components/catalog";
import { CAPABILITIES_TAG } from "../components/platform";
import { azureEnv } from "../functions/azure/contract";
import { nameProblem, namePolicy, ofType, resourcePolicy, stackPolicy, type ParityPolicy } from "./policy";

const T = {
  plan: "azure-native:web:AppServicePlan",
  app: "azure-native:web:WebApp",
  publish: "pulumi-nodejs:dynamic:Resource",
  role: "azure-native:authorization:RoleAssignment",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  account: "azure-native:storage:StorageAccount",
  vault: "azure-native:keyvault:Vault",
  workspace: "azure-native:operationalinsights:Workspace",
} as const;

const KEY_VAULT_REFERENCE = "@Microsoft.KeyVault(";

const isFlexPlan = (r: PolicyResource) => r.type === T.plan && r.props.sku?.tier === "FlexConsumption";
/**
 * An app's settings, from its INPUTS: azure-native's WebApp outputs carry no
 * `siteConfig.appSettings` (SiteConfigResponse has no such property; App Service returns the
 * settings only from a separate list call), so only resource rules (`Analyze`, inputs) may read them.
 */
const appSettingsOf = (props: Record<string, any>): Array<{ name: string; value: unknown }> => props.siteConfig?.appSettings ?? [];
/**
 * The user-assigned identity ids of an app in either shape: its inputs list them
 * (`ManagedServiceIdentity.userAssignedIdentities: string[]`), azure-native's outputs map
 * each id to its principal and client ids (`ManagedServiceIdentityResponse.userAssignedIdentities`,
 * "dictionary keys will be ARM resource ids"; types/output.d.ts).
 */
export const userAssignedIdentityIds = (identity: { userAssignedIdentities?: unknown } | undefined): string[] => {
  const assigned = identity?.userAssignedIdentities;
  if (Array.isArray(assigned)) return assigned.map(String);
  return assigned && typeof assigned === "object" ? Object.keys(assigned) : [];
};
/** The built-in role an assignment grants, by its definition id's GUID; undefined for any role outside parity's table. */
const roleOf = (assignment: { props: Record<string, any> }): AzureRole | undefined => {
  const guid = String(assignment.props.roleDefinitionId ?? "").split("/").pop();
  return (Object.keys(azureRoles) as AzureRole[]).find((role) => azureRoles[role] === guid);
};
/** A scope wider than one resource: the subscription, a resource group, a whole storage account or vault. */
const BROAD_SCOPE = /^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?\/?$|\/providers\/Microsoft\.(Storage\/storageAccounts|KeyVault\/vaults)\/[^/]+\/?$/i;
/** An app's own host storage account (components/azure/rules.ts hostAccountFor), by its tag, which outputs carry too. */
const isHostAccount = (r: PolicyResource) => r.type === T.account && typeof r.props.tags?.[HOST_STORAGE_TAG] === "string";
/** A scope that is a whole storage account, capturing its name; a subscription or resource group. */
const ACCOUNT_SCOPE = /\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)\/?$/i;
const GROUP_SCOPE = /^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?\/?$/i;
/** The role the host needs on its own host account, the one grant allowed a whole account. */
const HOST_STORAGE_ROLE: AzureRole = "Storage Blob Data Owner";
/** The resource types a role assignment may be scoped to: one table, queue, container, secret or Application Insights component. */
const NARROW_SCOPES = ["azure-native:storage:Table", "azure-native:storage:Queue", "azure-native:storage:BlobContainer", "azure-native:keyvault:Secret", "azure-native:applicationinsights:Component"];

export const azurePolicies: ParityPolicy[] = [
  stackPolicy({
    name: "azure-flex-one-app-per-plan",
    description: "A Flex Consumption plan holds one Function App; a second app on it fails to create.",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#considerations",
    validate: ({ resources }, report) => {
      for (const plan of resources.filter(isFlexPlan)) {
        const apps = ofType(resources, T.app).filter((app) => app.dependencies.includes(plan));
        if (apps.length > azureLimits.appsPerPlan) report(`${plan.name} holds ${apps.length} apps (${apps.map((a) => a.name).join(", ")}); Flex allows ${azureLimits.appsPerPlan}`, plan.urn);
      }
    },
  }),
  stackPolicy({
    name: "azure-flex-app-published-by-one-deploy",
    description: "Every Flex Consumption app gets its package through one deploy, after its identity may write its deployment container.",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/azure-functions/functions-infrastructure-as-code?pivots=flex-consumption-plan#deployment-sources",
    validate: ({ resources }, report) => {
      // Known even in a first preview: the hash is computed before any resource exists.
      const publishes = ofType(resources, T.publish).filter((r) => typeof r.props.hash === "string" && typeof r.props.zipPath === "string");
      for (const app of ofType(resources, T.app).filter((a) => a.dependencies.some(isFlexPlan))) {
        const publish = publishes.find((p) => p.dependencies.includes(app));
        if (!publish) {
          report(`${app.name} has no one-deploy publish: a Flex app starts empty`, app.urn);
          continue;
        }
        const afterContainerGrant = publish.dependencies.some((d) => d.type === T.role && roleOf(d) === "Storage Blob Data Contributor");
        if (!afterContainerGrant) report(`${publish.name} may run before ${app.name}'s identity can write its deployment container`, publish.urn);
      }
    },
  }),
  resourcePolicy({
    name: "azure-key-vault-reference-identity",
    description: "An app with a Key Vault reference resolves it with one of its own user-assigned identities (keyVaultReferenceIdentity).",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/app-service/app-service-key-vault-references#access-vaults-with-a-user-assigned-identity",
    types: [T.app],
    validate: (props, _args, report) => {
      if (!appSettingsOf(props).some((s) => typeof s.value === "string" && s.value.startsWith(KEY_VAULT_REFERENCE))) return;
      const identity = props.keyVaultReferenceIdentity;
      if (!identity || !String(props.identity?.type ?? "").includes("UserAssigned") || !userAssignedIdentityIds(props.identity).includes(identity)) {
        report("resolves its Key Vault reference without a user-assigned identity (keyVaultReferenceIdentity), so it holds the reference text until a restart");
      }
    },
  }),
  stackPolicy({
    name: "azure-key-vault-reference-granted-first",
    description: "An app whose identity declares apiKey.read (its API key is a Key Vault reference) waits for that identity's Key Vault Secrets User grant.",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/app-service/app-service-key-vault-references#access-vaults-with-a-user-assigned-identity",
    validate: ({ resources }, report) => {
      // Outputs carry no app settings (appSettingsOf), so which app resolves the key's reference
      // is read from its identity's declared capabilities (a tag, which outputs carry).
      for (const app of ofType(resources, T.app)) {
        const readers = app.dependencies.filter((d) => d.type === T.identity && String(d.props.tags?.[CAPABILITIES_TAG] ?? "").split(" ").includes("apiKey.read"));
        if (readers.length === 0) continue;
        const granted = app.dependencies.some((d) => d.type === T.role && roleOf(d) === "Key Vault Secrets User" && d.dependencies.some((i) => readers.includes(i)));
        if (!granted) report(`${app.name} may start before its identity holds Key Vault Secrets User`, app.urn);
      }
    },
  }),
  namePolicy({
    name: "azure-storage-account-name",
    description: "Storage account names are 3–24 lowercase letters and digits.",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftstorage",
    type: T.account,
    nameProperty: "accountName",
    rule: { ...azureNameRules.storageAccount, alphabet: "[a-z0-9]" },
  }),
  resourcePolicy({
    name: "azure-key-vault-name",
    description: "Key Vault names are 3–24 letters, digits and hyphens, start with a letter, end with a letter or digit, no consecutive hyphens.",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftkeyvault",
    types: [T.vault],
    validate: (props, _args, report) => {
      // The name ends with a random suffix: unknown in the very first preview (nothing to judge
      // then, and no autoname to guess: the component always names the vault), known after.
      if (typeof props.vaultName !== "string") return;
      const problem = nameProblem(props.vaultName, { ...azureNameRules.vault, alphabet: "a letter, then [a-zA-Z0-9-] without '--', ending in a letter or digit" });
      if (problem) report(problem);
    },
  }),
  resourcePolicy({
    name: "azure-function-host-id",
    description: "Every Function App sets AzureFunctionsWebHost__hostid: 1–32 lowercase letters, digits and single dashes (distinct per app: planAzure refuses a collision before anything is registered).",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/azure-functions/functions-app-settings#azurefunctionswebhost__hostid",
    types: [T.app],
    validate: (props, _args, report) => {
      // A resource rule: the setting is in the app's inputs only (appSettingsOf), so the
      // across-apps comparison the engine cannot offer a stack rule is made by the component.
      const id = appSettingsOf(props).find((s) => s.name === "AzureFunctionsWebHost__hostid")?.value;
      if (typeof id !== "string" || !azureNameRules.hostId.pattern.test(id)) report(`host id ${JSON.stringify(id)} is not 1–32 lowercase letters, digits and single dashes`);
    },
  }),
  stackPolicy({
    name: "azure-role-assignment-narrow",
    description: "A role assignment grants a role of parity's table (never Owner or Contributor) on one resource, never a subscription, group, account or vault; the one account-wide grant is Blob Data Owner on an app's own host storage account.",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/role-based-access-control/best-practices#only-grant-the-access-users-need",
    validate: ({ resources }, report) => {
      for (const assignment of ofType(resources, T.role)) {
        const problems: string[] = [];
        if (!roleOf(assignment)) problems.push(`role ${assignment.props.roleDefinitionId} is not one of parity's narrow built-in roles`);
        const scope = String(assignment.props.scope ?? "");
        // The host's own account: the docs' role for host storage is account-wide, and the account
        // holds one app's host data only (azure-host-storage-own checks whose).
        const hostAccount = assignment.dependencies.find(isHostAccount);
        // Its scope is that account: where the scope names an account, it names this one, and it
        // is never a subscription or a group (under mocks the scope is a placeholder id).
        const namedAccount = ACCOUNT_SCOPE.exec(scope)?.[1].toLowerCase();
        const hostGrant =
          hostAccount !== undefined &&
          roleOf(assignment) === HOST_STORAGE_ROLE &&
          !GROUP_SCOPE.test(scope) &&
          (namedAccount === undefined || namedAccount === String(hostAccount.props.accountName ?? hostAccount.props.name).toLowerCase());
        if (BROAD_SCOPE.test(scope) && !hostGrant) problems.push(`scope ${scope} is wider than one resource`);
        // What it is scoped to, as the engine wires it: every dependency but the identity.
        for (const d of assignment.dependencies.filter((r) => r.type !== T.identity)) {
          if (!NARROW_SCOPES.includes(d.type) && !(hostGrant && d === hostAccount)) problems.push(`scoped to ${d.type} ${d.name}, not one table, queue, container, secret or component`);
        }
        for (const problem of problems) report(`${assignment.name}: ${problem}`, assignment.urn);
      }
    },
  }),
  stackPolicy({
    name: "azure-host-storage-own",
    description: "Each app's host storage account (its host keys, leases and timer locks) is used by that one app and reached by that app's identity only, so no app can rewrite another's keys or locks.",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/azure-functions/storage-considerations#storage-account-guidance",
    validate: ({ resources }, report) => {
      const assignments = ofType(resources, T.role);
      for (const account of resources.filter(isHostAccount)) {
        const apps = ofType(resources, T.app).filter((app) => app.dependencies.includes(account));
        if (apps.length !== 1) {
          report(`${account.name} is the host storage of ${apps.length} apps (${apps.map((a) => a.name).join(", ") || "none"}); each app has its own`, account.urn);
          continue;
        }
        const ownIdentities = apps[0].dependencies.filter((d) => d.type === T.identity);
        for (const assignment of assignments.filter((a) => a.dependencies.includes(account))) {
          const holder = assignment.dependencies.filter((d) => d.type === T.identity);
          if (holder.length === 0 || holder.some((identity) => !ownIdentities.includes(identity))) {
            report(`${assignment.name} gives ${holder.map((i) => i.name).join(", ") || "an unknown principal"} access to ${apps[0].name}'s host storage ${account.name}`, assignment.urn);
          }
        }
      }
    },
  }),
  stackPolicy({
    name: "azure-grants-equal-capabilities",
    description: "Each identity's role assignments are exactly its declared capabilities' roles plus the host's four documented needs.",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/role-based-access-control/best-practices#only-grant-the-access-users-need",
    validate: ({ resources }, report) => {
      const assignments = ofType(resources, T.role);
      for (const identity of ofType(resources, T.identity)) {
        const tag = identity.props.tags?.[CAPABILITIES_TAG];
        const declared = String(tag ?? "").split(" ").filter(Boolean);
        if (typeof tag !== "string" || declared.some((c) => !(capabilities as readonly string[]).includes(c))) {
          report(`${identity.name} does not declare its capabilities in the "${CAPABILITIES_TAG}" tag`, identity.urn);
          continue;
        }
        // One assignment per distinct (role, target): Azure refuses a duplicate (rules.ts planGrants).
        const pairs = new Set(declared.flatMap((c) => capabilityRoles[c as Capability].map((r) => `${r.role}@${r.target}`)));
        const expected = [...[...pairs].map((p) => p.split("@")[0]), ...hostAccessRoles.map((h) => h.role)].sort();
        const actual = assignments.filter((a) => a.dependencies.includes(identity)).map((a) => roleOf(a) ?? String(a.props.roleDefinitionId)).sort();
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          report(`${identity.name} holds [${actual.join(", ")}]; its capabilities (${declared.join(", ") || "none"}) and the host need [${expected.join(", ")}]`, identity.urn);
        }
      }
    },
  }),
  resourcePolicy({
    name: "azure-flex-site-config",
    description: `A Function App on Flex Consumption sets none of the site configuration properties Flex refuses (${FLEX_REJECTED_SITE_CONFIG.join(", ")}); the runtime is functionAppConfig.runtime.`,
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations",
    types: [T.app],
    validate: (props, _args, report) => {
      // Flex apps are the ones with a functionAppConfig (only Flex Consumption takes it).
      if (!props.functionAppConfig) return;
      const present = FLEX_REJECTED_SITE_CONFIG.filter((property) => props.siteConfig?.[property] !== undefined);
      if (present.length > 0) report(`siteConfig sets ${present.join(", ")}, which Flex Consumption refuses ("…for Flex Consumption sites is invalid", pulumi-azure-native#4168)`);
    },
  }),
  resourcePolicy({
    name: "azure-no-plain-secret-app-setting",
    description: "No storage key or SAS in an app setting; the API key only as a Key Vault reference.",
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/app-service/app-service-key-vault-references",
    types: [T.app],
    validate: (props, _args, report) => {
      // By shape and name: a secret arrives unwrapped (policy.ts); the program test proves the key travels as a secret.
      for (const setting of appSettingsOf(props)) {
        const value = setting.value;
        if (typeof value === "string" && /AccountKey=|SharedAccessSignature=|[?&]sig=/i.test(value)) report(`app setting ${setting.name} holds a storage key or SAS`);
        // A reference is built from the secret's URI: unknown until the secret exists, judged after.
        if (setting.name === azureEnv.apiKey && typeof value === "string" && !value.startsWith(KEY_VAULT_REFERENCE)) report(`app setting ${setting.name} is not a Key Vault reference`);
      }
    },
  }),
  resourcePolicy({
    name: "azure-log-retention",
    description: `The Log Analytics workspace keeps logs for a set ${azureLimits.logRetentionDays.min}–${azureLimits.logRetentionDays.max} days.`,
    enforcementLevel: "mandatory",
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure",
    types: [T.workspace],
    validate: (props, _args, report) => {
      const days = props.retentionInDays;
      const { min, max } = azureLimits.logRetentionDays;
      if (typeof days !== "number" || days < min || days > max) report(`retentionInDays ${days} is not within ${min}–${max}`);
    },
  }),
];
