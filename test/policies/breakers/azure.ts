/** Azure: a graph broken for each azure policy (see ./index.ts). */
import { azureRoles } from "../../../components/azure/rules";
import type { RecordedResource } from "../../../scripts/offline";
import { breakOne, copyGraph, type Breaker } from "../graphs";

const T = {
  plan: "azure-native:web:AppServicePlan",
  app: "azure-native:web:WebApp",
  publish: "pulumi-nodejs:dynamic:Resource",
  role: "azure-native:authorization:RoleAssignment",
  account: "azure-native:storage:StorageAccount",
  vault: "azure-native:keyvault:Vault",
  workspace: "azure-native:operationalinsights:Workspace",
};

const setting = (app: RecordedResource, name: string, value: unknown) => {
  const entry = (app.inputs.siteConfig.appSettings as Array<{ name: string; value: unknown }>).find((s) => s.name === name)!;
  entry.value = value;
};

export const azureBreakers: Record<string, Breaker> = {
  // The queue worker's app moves onto the users API's plan: two apps on one Flex plan.
  "azure-flex-one-app-per-plan": (g) => {
    const copy = copyGraph(g);
    const apiPlan = copy.find((r) => r.type === T.plan && r.name.endsWith("-users-api-plan"))!;
    const workerPlan = copy.find((r) => r.type === T.plan && r.name.endsWith("-queue-worker-plan"))!;
    const worker = copy.find((r) => r.type === T.app && r.name.endsWith("-queue-worker"))!;
    worker.dependencies = worker.dependencies.map((urn) => (urn === workerPlan.urn ? apiPlan.urn : urn));
    worker.inputs.serverFarmId = apiPlan.state.id ?? `${apiPlan.name}-id`;
    return copy;
  },
  // The old way: no one deploy for the users API, its package never reaches the app.
  "azure-flex-app-published-by-one-deploy": (g) => copyGraph(g).filter((r) => !(r.type === T.publish && r.name.endsWith("-users-api-publish"))),
  // What the SDK's siteConfig defaults put back without the component's transform.
  "azure-flex-site-config": (g) => breakOne(g, T.app, (r) => (r.inputs.siteConfig.netFrameworkVersion = "v4.6"), "-users-api"),
  "azure-key-vault-reference-identity": (g) => breakOne(g, T.app, (r) => delete r.inputs.keyVaultReferenceIdentity, "-users-api"),
  "azure-storage-account-name": (g) => breakOne(g, T.account, (r) => (r.inputs.accountName = "Parity_Storage"), "-storage"),
  "azure-key-vault-name": (g) => breakOne(g, T.vault, (r) => (r.inputs.vaultName = "kv--parity-prod-0123456789")),
  // An upper-case host id with an underscore (collisions are refused by planAzure before registration).
  "azure-function-host-id": (g) => breakOne(g, T.app, (r) => setting(r, "AzureFunctionsWebHost__hostid", "Parity_Users_API"), "-users-api"),
  // The users API no longer waits for its identity's Key Vault Secrets User grant.
  "azure-key-vault-reference-granted-first": (g) => {
    const secretsUser = new Set(g.filter((r) => r.type === T.role && String(r.inputs.roleDefinitionId).endsWith(azureRoles["Key Vault Secrets User"])).map((r) => r.urn));
    return breakOne(g, T.app, (r) => (r.dependencies = r.dependencies.filter((urn) => !secretsUser.has(urn))), "-users-api");
  },
  // Table read widened from the users table to the whole resource group.
  "azure-role-assignment-narrow": (g) => breakOne(g, T.role, (r) => (r.inputs.scope = "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/parity-prod-rg"), "-users-api-users.read-storage-table-data-reader"),
  // The queue worker's host grant points at the users API's host storage: the worker could rewrite the API's host keys.
  "azure-host-storage-own": (g) => {
    const copy = copyGraph(g);
    const apiHost = copy.find((r) => r.type === T.account && r.name.endsWith("-users-api-host"))!;
    const workerHost = copy.find((r) => r.type === T.account && r.name.endsWith("-queue-worker-host"))!;
    const grant = copy.find((r) => r.type === T.role && r.name.includes("-queue-worker-host-") && String(r.inputs.roleDefinitionId).endsWith(azureRoles["Storage Blob Data Owner"]))!;
    grant.dependencies = grant.dependencies.map((urn) => (urn === workerHost.urn ? apiHost.urn : urn));
    const [from, to] = [workerHost.state.id ?? `${workerHost.name}-id`, apiHost.state.id ?? `${apiHost.name}-id`];
    for (const props of [grant.inputs, grant.state]) props.scope = String(props.scope).replace(from, to);
    return copy;
  },
  // users.read granted as Table Data Contributor: a narrow role, but more than declared.
  "azure-grants-equal-capabilities": (g) =>
    breakOne(
      g,
      T.role,
      (r) => (r.inputs.roleDefinitionId = String(r.inputs.roleDefinitionId).replace(azureRoles["Storage Table Data Reader"], azureRoles["Storage Blob Data Owner"])),
      "-users-api-users.read-storage-table-data-reader",
    ),
  "azure-no-plain-secret-app-setting": (g) => breakOne(g, T.app, (r) => setting(r, "API_KEY", "the-api-key-in-clear"), "-users-api"),
  "azure-log-retention": (g) => breakOne(g, T.workspace, (r) => delete r.inputs.retentionInDays),
};
