/**
 * AzureFunctions under Pulumi mocks, from the checked-in dev and prod stacks and from a
 * second, different catalog: what each resource is asked for, what each package holds, which
 * role assignments are made on which exact scope, and that no secret reaches a plain app
 * setting. The rules on their own are tested in components/azure/rules.test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { AzureFunctions, azureRoles, capabilityRoles, nearestInstanceMemory, type AzureFunctionsArgs, type AzureRole } from "../../components/azure";
import { azureEnv } from "../../functions/azure/contract";
import { reconcilerEnv, reconcilerRunSettings } from "../../functions/core/reconciler";
import { policyResources } from "../../policies/evaluate";
import { transitiveDependencies } from "../../policies/policy";
import { bundleFunction, deploymentsFor } from "../../components/bundle";
import { catalog, type Capability } from "../../components/catalog";
import type { FunctionDeployment } from "../../components/platform";
import { helloDefinition } from "../fixtures/hello/catalog";
import { runWithMocks, stackConfig, TEST_API_KEY, valueOf, type MockRun, type RecordedResource } from "./harness";

const SUBSCRIPTION = "00000000-0000-0000-0000-000000000003";
const T = {
  rg: "azure-native:resources:ResourceGroup",
  account: "azure-native:storage:StorageAccount",
  table: "azure-native:storage:Table",
  queue: "azure-native:storage:Queue",
  container: "azure-native:storage:BlobContainer",
  vault: "azure-native:keyvault:Vault",
  secret: "azure-native:keyvault:Secret",
  workspace: "azure-native:operationalinsights:Workspace",
  insights: "azure-native:applicationinsights:Component",
  plan: "azure-native:web:AppServicePlan",
  app: "azure-native:web:WebApp",
  role: "azure-native:authorization:RoleAssignment",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  random: "random:index/randomString:RandomString",
  dynamic: "pulumi-nodejs:dynamic:Resource",
};
/** The secret wire form Pulumi gives a secret input. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const ENTRA_TOKEN = "entra-token-for-the-scm-sites";

/** Fake provider outputs shaped like Azure's: ARM ids, endpoints, identities. */
function azureState(args: pulumi.runtime.MockResourceArgs): Record<string, any> {
  const i = args.inputs;
  const rg = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${args.name}-rg-name`;
  const account = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${i.accountName}`;
  switch (args.type) {
    case T.rg:
      return { id: rg, name: `${args.name}-name` };
    case T.account:
      return {
        id: account,
        name: i.accountName,
        primaryEndpoints: {
          blob: `https://${i.accountName}.blob.core.windows.net/`,
          table: `https://${i.accountName}.table.core.windows.net/`,
          queue: `https://${i.accountName}.queue.core.windows.net/`,
        },
      };
    case T.table:
      return { id: `${account}/tableServices/default/tables/${i.tableName}`, name: i.tableName };
    case T.queue:
      return { id: `${account}/queueServices/default/queues/${i.queueName}`, name: i.queueName };
    case T.container:
      return { id: `${account}/blobServices/default/containers/${i.containerName}`, name: i.containerName };
    case T.vault:
      return { id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${i.vaultName}`, name: i.vaultName };
    case T.secret:
      return {
        id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${i.vaultName}/secrets/${i.secretName}`,
        name: i.secretName,
        // Key Vault gives every value a new version: here a hash of the value stands in for its id.
        properties: {
          secretUri: `https://${i.vaultName}.vault.azure.net/secrets/${i.secretName}`,
          secretUriWithVersion: `https://${i.vaultName}.vault.azure.net/secrets/${i.secretName}/${createHash("sha256").update(JSON.stringify(i.properties)).digest("hex").slice(0, 32)}`,
        },
      };
    case T.insights:
      return { id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Insights/components/${args.name}`, connectionString: "InstrumentationKey=00000000-0000-0000-0000-00000000abcd;IngestionEndpoint=https://westeurope.in.applicationinsights.azure.com/" };
    case T.identity:
      return { id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${args.name}`, clientId: `client-of-${args.name}`, principalId: `principal-of-${args.name}` };
    case T.random:
      // What RandomString makes: `length` lowercase letters and digits.
      return { result: "k3v9x2m7q8w1z5t4".slice(0, i.length) };
    case T.app:
      return { name: i.name, defaultHostName: `${i.name}.azurewebsites.net` };
    default:
      return {};
  }
}

const deploy = (functions: FunctionDeployment[], extra: Partial<AzureFunctionsArgs> = {}, name = "parity-azure", stack?: string) =>
  runWithMocks(() => new AzureFunctions(name, { functions, apiKey: TEST_API_KEY, tags: { project: "parity" }, ...extra }), {
    stateFor: azureState,
    stack,
    invokes: { "azure-native:authorization:getClientToken": { token: ENTRA_TOKEN } },
  });

/** A file of the package one deploy publishes for a function, as text. */
const packageFile = (run: MockRun<AzureFunctions>, fn: string, file: string) => Buffer.from(run.result.nodes[fn].package.files[file]).toString("utf8");

/** A function of another catalog, bundled from the hello fixture. */
const otherFunction = (definition: FunctionDeployment["definition"], settings: FunctionDeployment["settings"]): FunctionDeployment => ({
  definition,
  settings,
  bundle: bundleFunction(helloDefinition, "azure"),
});

const appSettings = (app: RecordedResource) =>
  Object.fromEntries((app.inputs.siteConfig.appSettings as Array<{ name: string; value: string }>).map((s) => [s.name, s.value]));

const appOf = (run: MockRun<AzureFunctions>, fn: string, name = "parity-azure") => run.ofType(T.app).find((r) => r.name === `${name}-${fn}`)!;

const roleIdOf = (role: AzureRole) => `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${azureRoles[role]}`;

/** Every role assignment as (function, role, scope, resource), the function found by its identity's principal. */
function assignments(run: MockRun<AzureFunctions>) {
  const byPrincipal = new Map(run.ofType(T.identity).map((identity) => [`principal-of-${identity.name}`, identity.name.replace(/^parity-azure-/, "").replace(/-identity$/, "")]));
  return run.ofType(T.role).map((r) => {
    const role = (Object.keys(azureRoles) as AzureRole[]).find((name) => roleIdOf(name) === r.inputs.roleDefinitionId);
    assert.ok(role, `unknown role definition ${r.inputs.roleDefinitionId}`);
    assert.equal(r.inputs.principalType, "ServicePrincipal");
    return { function: byPrincipal.get(r.inputs.principalId)!, role, scope: r.inputs.scope as string, resource: r };
  });
}

/** The URNs of every resource `resource` waits for, directly or through others (the policy pack's own walk). */
function upstream(run: MockRun<AzureFunctions>, resource: RecordedResource): Set<string> {
  const graph = policyResources(run.resources);
  return new Set([...transitiveDependencies(graph.find((r) => r.urn === resource.urn)!)].map((r) => r.urn));
}

for (const stack of ["dev", "prod"] as const) {
  describe(`infra: azure (${stack} stack)`, function () {
    this.timeout(60_000);
    const config = stackConfig(stack);
    let run: MockRun<AzureFunctions>;
    before(async () => {
      run = await deploy(deploymentsFor(config, "azure"), { logRetentionDays: config.logRetentionDays, protectData: config.protectData });
    });

    it("one Flex Consumption plan per app (Flex allows one app per plan), one Function App per catalog function, on Node 22", () => {
      const plans = run.ofType(T.plan);
      const apps = run.ofType(T.app);
      assert.deepEqual(apps.map((a) => a.name).sort(), catalog.map((fn) => `parity-azure-${fn.name}`).sort());
      assert.equal(plans.length, apps.length);
      for (const plan of plans) {
        assert.deepEqual(plan.inputs.sku, { name: "FC1", tier: "FlexConsumption" });
        assert.equal(plan.inputs.reserved, true);
        assert.equal(apps.filter((a) => a.inputs.serverFarmId === `${plan.name}-id`).length, 1, `${plan.name} holds exactly one app`);
      }
      for (const app of apps) {
        const fnName = app.name.replace("parity-azure-", "");
        assert.equal(app.inputs.serverFarmId, `parity-azure-${fnName}-plan-id`);
        assert.deepEqual(app.inputs.functionAppConfig.runtime, { name: "node", version: "22" });
        assert.equal(app.inputs.httpsOnly, true);
        assert.equal(app.inputs.functionAppConfig.deployment.storage.value, `https://${run.one(T.account, "-packages").inputs.accountName}.blob.core.windows.net/deploy-${fnName}`);
      }
      assert.equal(run.ofType("azure-native:storage:Blob").length, 0, "no blob put into a deployment container: Flex does not deploy those");
    });

    it("each app's only identity is its own user-assigned identity, used for Key Vault references, deployment storage, host storage and telemetry", () => {
      for (const fn of catalog) {
        const app = appOf(run, fn.name);
        const identity = run.one(T.identity, `-${fn.name}-identity`);
        const id = identity.state.id;
        assert.deepEqual(app.inputs.identity, { type: "UserAssigned", userAssignedIdentities: [id] });
        assert.equal(app.inputs.keyVaultReferenceIdentity, id);
        assert.deepEqual(app.inputs.functionAppConfig.deployment.storage.authentication, { type: "UserAssignedIdentity", userAssignedIdentityResourceId: id });
        const settings = appSettings(app);
        // Host storage is the app's own account, blob service only: no table URI (no diagnostic
        // tables to grant), no queue URI, no account name from which the host would derive both.
        const hostAccount = run.one(T.account, `-${fn.name}-host`).inputs.accountName;
        assert.equal(settings.AzureWebJobsStorage__credential, "managedidentity");
        assert.equal(settings.AzureWebJobsStorage__clientId, identity.state.clientId);
        assert.equal(settings.AzureWebJobsStorage__blobServiceUri, `https://${hostAccount}.blob.core.windows.net/`);
        assert.equal(settings.AzureWebJobsStorage__queueServiceUri, undefined);
        assert.equal(settings.AzureWebJobsStorage__tableServiceUri, undefined);
        assert.equal(settings.AzureWebJobsStorage__accountName, undefined);
        // The queue trigger's own identity-based connection, on the consumer only.
        const consumer = fn.trigger.kind === "queue";
        assert.equal(settings.PARITY_STORAGE__credential, consumer ? "managedidentity" : undefined);
        assert.equal(settings.PARITY_STORAGE__clientId, consumer ? identity.state.clientId : undefined);
        if (consumer) assert.equal(settings.PARITY_STORAGE__queueServiceUri, `https://${run.one(T.account, "-storage").inputs.accountName}.queue.core.windows.net/`);
        assert.equal(settings.AZURE_CLIENT_ID, identity.state.clientId);
        assert.equal(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING, `ClientId=${identity.state.clientId};Authorization=AAD`);
        assert.equal(identity.inputs.tags["parity:capabilities"], fn.capabilities.join(" "));
      }
      const principals = new Set(assignments(run).map((a) => a.function));
      assert.deepEqual([...principals].sort(), catalog.map((fn) => fn.name).sort(), "each app's own identity holds its grants");
    });

    it("no app is created before its grants: every role assignment of its identity, the Key Vault secret reader first of all, is upstream of the app", () => {
      const made = assignments(run);
      for (const fn of catalog) {
        const app = appOf(run, fn.name);
        const before = upstream(run, app);
        const own = made.filter((a) => a.function === fn.name);
        assert.ok(own.length > 0);
        for (const a of own) assert.ok(before.has(a.resource.urn), `${fn.name}'s app could be created before ${a.role} on ${a.scope}`);
        assert.ok(before.has(run.one(T.identity, `-${fn.name}-identity`).urn));
      }
      const secretReader = made.find((a) => a.function === "users-api" && a.role === "Key Vault Secrets User")!;
      assert.ok(appOf(run, "users-api").dependencies.includes(secretReader.resource.urn), "users-api waits for its Key Vault role before its reference is first resolved");
      assert.ok(!upstream(run, secretReader.resource).has(appOf(run, "users-api").urn), "and the grant does not wait for the app (no system identity to wait for)");
    });

    it("one deploy publishes each package: after its app and its deployment-container grant, carrying the package hash and a secret token", async () => {
      const made = assignments(run);
      for (const fn of catalog) {
        const publish = run.one(T.dynamic, `-${fn.name}-publish`);
        const app = appOf(run, fn.name);
        const canReadPackage = made.find((a) => a.function === fn.name && a.role === "Storage Blob Data Contributor")!;
        assert.match(canReadPackage.scope, new RegExp(`/containers/deploy-${fn.name}$`));
        assert.ok(publish.dependencies.includes(app.urn), "publishes to an app that exists");
        assert.ok(publish.dependencies.includes(canReadPackage.resource.urn), "after the app's identity may write its deployment container");
        const pkg = run.result.nodes[fn.name].package;
        assert.equal(publish.inputs.hash, pkg.hash);
        assert.match(pkg.hash, /^[0-9a-f]{64}$/);
        assert.equal(publish.inputs.zipPath, pkg.zipFile);
        assert.equal(publish.inputs.scmUrl, `https://${app.inputs.name}.scm.azurewebsites.net`);
        assert.equal(publish.inputs.token[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270", "the token is a secret input");
        assert.equal(publish.inputs.token.value, ENTRA_TOKEN);
      }
    });

    it("each package holds the bundle, source map, host.json and a package.json without host-provided externals", () => {
      for (const fn of catalog) {
        const nodes = run.result.nodes[fn.name];
        assert.deepEqual(Object.keys(nodes.package.files).sort(), ["host.json", "index.js", "index.js.map", "package.json"]);
        const packageJson = JSON.parse(packageFile(run, fn.name, "package.json"));
        assert.equal(packageJson.main, "index.js");
        assert.deepEqual(packageJson.engines, { node: "22" });
        // The host injects @azure/functions-core; nothing else is left external, so nothing is to install.
        assert.deepEqual(packageJson.dependencies, {});
      }
    });

    it("settings reach each app and host.json, with a warning for every inexact value (the batch's meaning, listPending's scope)", async () => {
      for (const fn of catalog) {
        const settings = { ...config.functions[fn.name], ...config.overrides.azure?.[fn.name] };
        const scale = appOf(run, fn.name).inputs.functionAppConfig.scaleAndConcurrency;
        assert.equal(scale.instanceMemoryMB, nearestInstanceMemory(settings.memoryMb));
        assert.equal(scale.maximumInstanceCount, settings.reservedConcurrency);
        if ((settings.warmInstances ?? 0) > 0) {
          assert.deepEqual(scale.alwaysReady, [{ name: fn.trigger.kind === "http" ? "http" : `function:${fn.name}`, instanceCount: settings.warmInstances }]);
        } else assert.equal(scale.alwaysReady, undefined);
        const hostJson = JSON.parse(packageFile(run, fn.name, "host.json"));
        assert.equal(hostJson.extensions.http.routePrefix, "");
        assert.equal(hostJson.functionTimeout, hhmmss(Math.min(settings.timeoutSeconds, fn.trigger.kind === "http" ? 230 : Infinity)));
        if (fn.trigger.kind === "queue") {
          assert.deepEqual(hostJson.extensions.queues, { batchSize: settings.batchSize, maxDequeueCount: settings.maxAttempts, messageEncoding: "base64" });
        } else assert.equal(hostJson.extensions.queues, undefined);
        if (fn.trigger.kind === "http") assert.deepEqual(scale.triggers, { http: { perInstanceConcurrency: 1 } });
        else assert.equal(scale.triggers, undefined);
        // The store deadline: 40 % of the timeout host.json carries, so parity answers 500 before the host's timeout.
        const appliedTimeoutSeconds = Math.min(settings.timeoutSeconds, fn.trigger.kind === "http" ? 230 : Infinity);
        const storeTimeoutMs = appSettings(appOf(run, fn.name))[azureEnv.storeTimeoutMs];
        assert.ok(fn.capabilities.some((c) => c.startsWith("users.")), `${fn.name} uses the users store`);
        assert.equal(storeTimeoutMs, String(appliedTimeoutSeconds * 400), `${fn.name}: STORE_TIMEOUT_MS`);
        assert.ok(Number(storeTimeoutMs) < appliedTimeoutSeconds * 1000, `${fn.name}: the store deadline ends inside the function's timeout`);
      }
      const expected = (await expectedWarnings(config)).sort();
      assert.deepEqual(run.result.warnings.map((w) => `${w.function}.${w.setting}:${w.asked}->${w.applied}`).sort(), expected);
      assert.equal(run.loggedWarnings.length, expected.length, "every inexact value is logged");
      for (const line of run.loggedWarnings) assert.match(line, /^\[azure\] \S+: \S+ asked .+, applied .+ \(.+\)$/);
      const batch = run.result.warnings.find((w) => w.setting === "batchSize")!;
      assert.match(batch.reason, /maximumInstanceCount \(\d+\) × \(batchSize \+ newBatchThreshold\)/);
      assert.equal(run.one(T.workspace).inputs.retentionInDays, Math.max(30, config.logRetentionDays));
    });

    it(`the reconciler: its timer's schedule (${stack === "dev" ? "0 */5 * * * *" : "0 */10 * * * *"}) and run settings are app settings; schedules says no scheduler identity exists`, async () => {
      const settings = appSettings(appOf(run, "reconciler"));
      const expression = stack === "dev" ? "0 */5 * * * *" : "0 */10 * * * *";
      const { everyMinutes, timeoutSeconds } = config.functions.reconciler;
      const run_ = reconcilerRunSettings(everyMinutes!, timeoutSeconds);
      assert.equal(settings[azureEnv.reconcileSchedule], expression);
      assert.equal(settings[reconcilerEnv.graceSeconds], String(run_.graceSeconds));
      assert.equal(settings[reconcilerEnv.timeBudgetSeconds], String(run_.timeBudgetSeconds));
      assert.equal(settings.WEBSITE_TIME_ZONE, undefined, "UTC: Flex supports no other time zone");
      assert.equal(settings.USERS_TABLE, "users");
      assert.equal(settings.EVENTS_QUEUE, "user-events");
      assert.equal(settings.API_KEY, undefined);
      for (const other of ["users-api", "queue-worker"]) assert.equal(appSettings(appOf(run, other))[azureEnv.reconcileSchedule], undefined);
      assert.deepEqual(Object.keys(run.result.schedules), ["reconciler"]);
      assert.deepEqual(run.result.schedules.reconciler, { expression, identity: undefined, invoke: undefined });
      assert.equal(run.result.nativeSettings.reconciler.schedule, expression);
      assert.equal(JSON.parse(packageFile(run, "reconciler", "host.json")).functionTimeout, hhmmss(timeoutSeconds));
    });

    it("each role assignment's role and scope equal the function's declared capabilities", async () => {
      const made = assignments(run);
      for (const fn of catalog) {
        const grants = run.result.grants.filter((g) => g.function === fn.name);
        assert.deepEqual(new Set(grants.map((g) => g.capability)), new Set(fn.capabilities), `${fn.name}: every declared capability granted, nothing else`);
        for (const grant of grants) {
          assert.equal(grant.permissions.length, 1);
          assert.ok(capabilityRoles[grant.capability].some((r) => r.role === grant.permissions[0]), `${grant.capability} → ${grant.permissions[0]}`);
          const scope = await valueOf(grant.resource);
          assert.ok(made.some((a) => a.function === fn.name && a.role === grant.permissions[0] && a.scope === scope), `assignment for ${fn.name} ${grant.capability}`);
        }
        const expectedPairs = fn.capabilities.flatMap((c) => capabilityRoles[c].map((r) => `${r.role}@${r.target}`)).sort();
        const actualPairs = (await Promise.all(grants.map(async (g) => `${g.permissions[0]}@${targetOf(run, await valueOf(g.resource))}`))).sort();
        assert.deepEqual(actualPairs, expectedPairs);
        // And the identity holds nothing more: its declared roles plus the host's three.
        const distinct = new Set(expectedPairs);
        assert.equal(made.filter((a) => a.function === fn.name).length, distinct.size + 3, `${fn.name}'s identity holds its capabilities and the host's needs only`);
      }
      const reconciler = made.filter((a) => a.function === "reconciler" && !a.role.startsWith("Storage Blob") && a.role !== "Monitoring Metrics Publisher");
      assert.deepEqual(reconciler.map((a) => `${a.role}@${a.scope.split("/").slice(-2).join("/")}`).sort(), [
        "Storage Queue Data Message Sender@queues/user-events",
        "Storage Table Data Contributor@tables/users",
        "Storage Table Data Reader@tables/users",
      ]);
    });

    it("no role assignment is scoped to the subscription, the resource group, the shared storage accounts or the vault; the one account-wide grant is each app's own host account", () => {
      const made = assignments(run);
      const host = run.result.hostAccess;
      const assigned = run.result.plan.functions.flatMap((fn) => fn.grants).filter((g) => g.assign);
      assert.equal(made.length, assigned.length + host.length, "every assignment is a declared grant or documented host access");
      const hostAccountOf = (fn: string) => run.one(T.account, `-${fn}-host`).state.id as string;
      for (const a of made) {
        if (a.role === "Storage Blob Data Owner") assert.equal(a.scope, hostAccountOf(a.function), `${a.function}: Blob Data Owner on its own host account only`);
        else assert.match(a.scope, /\/(tables|queues|containers|secrets)\/[^/]+$|\/components\/[^/]+$/, `${a.function} ${a.role} on ${a.scope}`);
      }
      for (const a of made.filter((x) => x.role === "Storage Blob Data Contributor")) {
        assert.match(a.scope, new RegExp(`/containers/deploy-${a.function}$`), "each app reads only its own package container");
      }
    });

    it("host storage is isolated per app: each app's identity reaches its own host account and no other, and nothing else reaches it", () => {
      const made = assignments(run);
      const hostAccounts = catalog.map((fn) => run.one(T.account, `-${fn.name}-host`));
      assert.equal(new Set(hostAccounts.map((a) => a.inputs.accountName)).size, catalog.length, "one host account per app");
      for (const fn of catalog) {
        const own = run.one(T.account, `-${fn.name}-host`);
        assert.equal(own.inputs.accountName, run.result.plan.functions.find((f) => f.definition.name === fn.name)!.native.hostAccount);
        assert.equal(own.inputs.tags["parity:host-storage-of"], fn.name);
        // Under each account, whatever its path: the account itself, a container, a blob.
        const reaching = made.filter((a) => hostAccounts.some((h) => a.scope === h.state.id || a.scope.startsWith(`${h.state.id}/`)));
        for (const other of hostAccounts.filter((h) => h !== own)) {
          assert.ok(!reaching.some((a) => a.function === fn.name && (a.scope === other.state.id || a.scope.startsWith(`${other.state.id}/`))), `${fn.name}'s identity reaches ${other.name}`);
        }
        assert.deepEqual(reaching.filter((a) => a.scope === own.state.id || a.scope.startsWith(`${own.state.id}/`)).map((a) => `${a.function}: ${a.role}`), [`${fn.name}: Storage Blob Data Owner`]);
        // Nor does a shared account hold host data any more: no webjobs containers in it.
        assert.equal(run.ofType(T.container).filter((c) => String(c.inputs.containerName).startsWith("azure-webjobs-")).length, 0);
        assert.equal(own.inputs.allowSharedKeyAccess, false);
      }
    });

    it("no secret or storage key in plain app settings; every account refuses shared keys; API key only as a Key Vault reference", () => {
      for (const suffix of ["-storage", "-packages", ...catalog.map((fn) => `-${fn.name}-host`)]) {
        const account = run.one(T.account, suffix);
        assert.equal(account.inputs.allowSharedKeyAccess, false, suffix);
        assert.equal(account.inputs.allowBlobPublicAccess, false, suffix);
      }
      const packages = run.one(T.account, "-packages");
      const inPackageAccount = run.ofType(T.container).filter((c) => c.inputs.accountName === packages.inputs.accountName).map((c) => c.inputs.containerName);
      assert.deepEqual(inPackageAccount.sort(), catalog.map((fn) => `deploy-${fn.name}`).sort());
      for (const app of run.ofType(T.app)) {
        const settings = appSettings(app);
        const text = JSON.stringify(app.inputs);
        assert.doesNotMatch(text, /AccountKey=|SharedAccessSignature|DefaultEndpointsProtocol|PARITY_STORAGE_CONNECTION_STRING/);
        assert.ok(!text.includes(TEST_API_KEY), `${app.name} carries the API key in clear`);
        assert.ok(!text.includes(ENTRA_TOKEN), `${app.name} carries the deploy token`);
        assert.equal(settings.AzureWebJobsStorage, undefined);
        assert.equal(settings.PARITY_PLATFORM, "azure");
      }
      const api = appSettings(appOf(run, "users-api"));
      const secret = run.one(T.secret);
      assert.match(api.API_KEY, new RegExp(`^@Microsoft\\.KeyVault\\(SecretUri=https://${secret.inputs.vaultName}\\.vault\\.azure\\.net/secrets/api-key/[0-9a-f]{32}\\)$`), "the secret's version URI");
      assert.equal(api.USERS_TABLE, "users");
      assert.equal(api.EVENTS_QUEUE, "user-events");
      assert.equal(api.PARITY_STORAGE__tableServiceUri, `https://${run.one(T.account, "-storage").inputs.accountName}.table.core.windows.net/`);
      const worker = appSettings(appOf(run, "queue-worker"));
      assert.equal(worker.API_KEY, undefined, "the worker did not declare apiKey.read");
      // The key goes to Key Vault only, as a Pulumi secret (the wire form of a secret input).
      const secretProperties = secret.inputs.properties;
      assert.equal(secretProperties[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270", "secret input");
      assert.equal(secretProperties.value.value, TEST_API_KEY);
      assert.equal(run.one(T.vault).inputs.properties.enableRbacAuthorization, true);
      assert.equal(run.one(T.insights).inputs.disableLocalAuth, true);
    });

    it("registers no siteConfig property Flex refuses, though the SDK's defaults add netFrameworkVersion \"v4.6\" (removed by a transform)", () => {
      for (const fn of catalog) {
        const siteConfig = appOf(run, fn.name).inputs.siteConfig;
        // The recorded inputs are what the SDK registers, its defaults included: the other two stay.
        assert.equal(siteConfig.http20Enabled, true, "the SDK's siteConfig defaults were applied");
        assert.equal(siteConfig.localMySqlEnabled, false);
        assert.ok(!("netFrameworkVersion" in siteConfig), `${fn.name}: no netFrameworkVersion (pulumi-azure-native#4168)`);
        assert.ok(!("linuxFxVersion" in siteConfig), `${fn.name}: no linuxFxVersion`);
        assert.ok(siteConfig.appSettings.length > 0, "the rest of siteConfig is kept");
      }
    });

    it("host ids: one per app, distinct, at most 32 lowercase letters, digits and single dashes", () => {
      const ids = run.ofType(T.app).map((app) => appSettings(app).AzureFunctionsWebHost__hostid);
      assert.equal(ids.length, catalog.length);
      assert.equal(new Set(ids).size, ids.length);
      for (const id of ids) assert.match(id, /^(?!.*--)[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/, id);
    });

    it("table, events queue and <queue>-poison exist; outputs name them and the app URL", async () => {
      assert.deepEqual(run.ofType(T.queue).map((q) => q.inputs.queueName).sort(), ["user-events", "user-events-poison"]);
      assert.equal(await valueOf(run.result.queues!.queue), "user-events");
      assert.equal(await valueOf(run.result.queues!.deadLetter), "user-events-poison");
      assert.equal(await valueOf(run.result.endpoint!), `https://${appOf(run, "users-api").inputs.name}.azurewebsites.net`);
      assert.equal(await valueOf(run.result.functionNames["queue-worker"]), appOf(run, "queue-worker").inputs.name);
    });

    it(`protectData=${config.protectData} reaches the vault, and an update never asks Azure to shorten the retention or drop purge protection`, () => {
      const vault = run.one(T.vault);
      const props = vault.inputs.properties;
      assert.equal(props.enablePurgeProtection, config.protectData ? true : undefined);
      assert.equal(props.softDeleteRetentionInDays, config.protectData ? 90 : 7);
      assert.equal(vault.protect, config.protectData);
      // The retention is fixed at creation; purge protection can be turned on, never off.
      assert.deepEqual(vault.ignoreChanges, config.protectData ? ["properties.softDeleteRetentionInDays"] : ["properties.softDeleteRetentionInDays", "properties.enablePurgeProtection"]);
    });
  });
}

describe("infra: azure, a rotated API key reaches the apps on the same `pulumi up`", function () {
  this.timeout(60_000);
  it("the Key Vault reference names the secret's version, so a new key changes every reading app's setting (App Service re-fetches on a configuration change), and the same key changes nothing", async () => {
    const functions = deploymentsFor(stackConfig("dev"), "azure");
    const apiKeyOf = async (apiKey: string) => {
      const run = await deploy(functions, { apiKey });
      return Object.fromEntries(run.ofType(T.app).map((app) => [app.name, appSettings(app).API_KEY]));
    };
    const before = await apiKeyOf(TEST_API_KEY);
    const again = await apiKeyOf(TEST_API_KEY);
    const rotated = await apiKeyOf("rotated-api-key-9876543210");
    const readers = Object.keys(before).filter((app) => before[app] !== undefined);
    assert.ok(readers.length > 0);
    assert.deepEqual(again, before, "the same key: no app setting changes, no restart");
    for (const app of readers) {
      assert.notEqual(rotated[app], before[app], `${app}: a rotation changes its reference`);
      assert.equal(rotated[app].replace(/\/[0-9a-f]{32}\)$/, ")"), before[app].replace(/\/[0-9a-f]{32}\)$/, ")"), `${app}: only the version differs`);
    }
  });
});

describe("infra: azure, the vault name is unique per deployment and within Key Vault's rules", function () {
  this.timeout(60_000);
  it("for dev, prod and a 20-character stack: prefix, one hyphen, the random suffix made once per deployment", async () => {
    // A vault exists only for a function that reads the key.
    const hello = otherFunction({ name: "hello", trigger: { kind: "http" }, capabilities: ["apiKey.read"], description: "" }, { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 1, warmInstances: 0 });
    for (const stack of ["dev", "prod", "feature-branch-xy123"]) {
      assert.ok(stack !== "feature-branch-xy123" || stack.length === 20);
      const run = await deploy([hello], { logRetentionDays: 30 }, `parity-${stack}`, stack);
      const random = run.one(T.random);
      assert.deepEqual([random.inputs.length, random.inputs.upper, random.inputs.special], [8, false, false]);
      const vault = run.one(T.vault);
      assert.ok(vault.dependencies.includes(random.urn), "the name comes from the random suffix");
      const name: string = vault.inputs.vaultName;
      assert.match(name, /^kv[a-z0-9]{1,13}-[a-z0-9]{8}$/, name);
      assert.ok(name.length >= 3 && name.length <= 24, `${name} is ${name.length} characters`);
      assert.match(name, /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/);
    }
  });
});

describe("infra: azure, the lowest maximumInstanceCount of the region", function () {
  this.timeout(120_000);
  const lookup = () =>
    otherFunction({ name: "lookup-api", trigger: { kind: "http" }, capabilities: ["users.read"], description: "read-only lookups" }, { memoryMb: 2048, timeoutSeconds: 20, reservedConcurrency: 5, warmInstances: 0 });

  it("raises 5 to 40, with a warning, where counts under 40 are not enabled (brazilsouth); keeps 5 in westeurope", async () => {
    const elsewhere = await deploy([lookup()], { logRetentionDays: 30, location: "brazilsouth" });
    assert.equal(appOf(elsewhere, "lookup-api").inputs.functionAppConfig.scaleAndConcurrency.maximumInstanceCount, 40);
    assert.deepEqual(elsewhere.result.warnings.map((w) => [w.setting, w.asked, w.applied]), [["reservedConcurrency", 5, 40]]);
    assert.match(elsewhere.result.warnings[0].reason, /azure-functions-host#10523/);
    const westeurope = await deploy([lookup()], { logRetentionDays: 30, location: "westeurope" });
    assert.equal(appOf(westeurope, "lookup-api").inputs.functionAppConfig.scaleAndConcurrency.maximumInstanceCount, 5);
    assert.deepEqual(westeurope.result.warnings, []);
  });
});

describe("infra: azure, a second catalog through the same component", function () {
  this.timeout(60_000);
  it("deploys only that app, grants only what it declares, and needs no queue grants", async () => {
    const lookup = otherFunction(
      { name: "lookup-api", trigger: { kind: "http" }, capabilities: ["users.read"], description: "read-only lookups" },
      { memoryMb: 2048, timeoutSeconds: 20, reservedConcurrency: 50, warmInstances: 1 },
    );
    const run = await deploy([lookup], { logRetentionDays: 30 });
    assert.deepEqual(run.ofType(T.app).map((a) => a.name), ["parity-azure-lookup-api"]);
    assert.deepEqual(run.result.warnings, [], "exact settings need no warning");
    const made = assignments(run);
    const capabilityAssignments = made.filter((a) => !a.role.startsWith("Storage Blob") && a.role !== "Monitoring Metrics Publisher");
    assert.deepEqual(capabilityAssignments.map((a) => `${a.role}@${a.scope.split("/").slice(-2).join("/")}`), ["Storage Table Data Reader@tables/users"]);
    assert.deepEqual(run.result.grants.map((g) => g.capability), ["users.read"]);
    const settings = appSettings(run.one(T.app));
    assert.equal(settings.API_KEY, undefined);
    assert.equal(settings.EVENTS_QUEUE, undefined);
    assert.equal(settings.USERS_TABLE, "users");
    assert.equal(settings[azureEnv.storeTimeoutMs], "8000", "users.read alone brings the store deadline: 40 % of 20 s");
    const scale = run.one(T.app).inputs.functionAppConfig.scaleAndConcurrency;
    assert.deepEqual({ memory: scale.instanceMemoryMB, max: scale.maximumInstanceCount, ready: scale.alwaysReady }, { memory: 2048, max: 50, ready: [{ name: "http", instanceCount: 1 }] });
    assert.equal(run.result.nodes["lookup-api"].package.files["index.js"].length, helloBundleBytes(), "the other catalog's own bundle ships");
    assert.deepEqual(run.result.nativeSettings["lookup-api"], {
      instanceMemoryMB: 2048,
      maximumInstanceCount: 50,
      alwaysReady: 1,
      httpPerInstanceConcurrency: 1,
      functionTimeout: "00:00:20",
      hostId: run.result.plan.functions[0].native.hostId,
      logRetentionDays: 30,
    });
    // Its own plan, identity and publish, like every app.
    assert.equal(run.ofType(T.plan).length, 1);
    assert.equal(run.one(T.identity).inputs.tags["parity:capabilities"], "users.read");
    assert.ok(run.one(T.dynamic, "-lookup-api-publish").dependencies.includes(run.one(T.app).urn));
    assert.deepEqual(run.result.schedules, {}, "no schedule function, no schedule");
  });

  it("assigns a role shared by two capabilities once (Azure refuses a duplicate), and reports both grants", async () => {
    const writer = otherFunction(
      { name: "writer", trigger: { kind: "http" }, capabilities: ["users.create", "users.update"], description: "writes users" },
      { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 5, warmInstances: 0 },
    );
    const run = await deploy([writer], { logRetentionDays: 30 });
    const onTable = assignments(run).filter((a) => a.scope.endsWith("/tables/users"));
    assert.deepEqual(onTable.map((a) => a.role), ["Storage Table Data Contributor"]);
    assert.deepEqual(run.result.grants.map((g) => [g.capability, g.permissions[0]]), [
      ["users.create", "Storage Table Data Contributor"],
      ["users.update", "Storage Table Data Contributor"],
    ]);
  });

  it("a lone queue consumer: no endpoint, host.json queue knobs, names from the args", async () => {
    const mailer = otherFunction(
      { name: "mailer", trigger: { kind: "queue" }, capabilities: ["events.consume"], description: "sends mail" },
      { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 4, warmInstances: 1, batchSize: 8, maxAttempts: 3 },
    );
    const run = await deploy([mailer], { logRetentionDays: 30, usersTableName: "customers", eventsQueueName: "mail" });
    assert.equal(run.result.endpoint, undefined);
    assert.deepEqual(run.ofType(T.queue).map((q) => q.inputs.queueName).sort(), ["mail", "mail-poison"]);
    // No users.* capability, no apiKey.read: no table (whatever its name) and no vault.
    for (const type of [T.table, T.vault, T.random]) assert.equal(run.ofType(type).length, 0, type);
    assert.equal(appSettings(run.one(T.app)).EVENTS_QUEUE, "mail");
    assert.equal(appSettings(run.one(T.app))[azureEnv.storeTimeoutMs], undefined, "no users.* capability, no store deadline");
    assert.deepEqual(JSON.parse(packageFile(run, "mailer", "host.json")).extensions.queues, { batchSize: 8, maxDequeueCount: 3, messageEncoding: "base64" });
    const scale = run.one(T.app).inputs.functionAppConfig.scaleAndConcurrency;
    assert.deepEqual(scale.alwaysReady, [{ name: "function:mailer", instanceCount: 1 }]);
    assert.equal(scale.triggers, undefined);
  });

  it("rejects args it cannot deploy, with a sentence", async () => {
    const hello = otherFunction({ name: "hello", trigger: { kind: "http" }, capabilities: [] as Capability[], description: "" }, { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 1, warmInstances: 0 });
    const attempts: [FunctionDeployment[], Partial<AzureFunctionsArgs>, RegExp][] = [
      [[], {}, /AzureFunctions "parity-azure": `functions` is empty/],
      [[hello], { eventsQueueName: "Bad_Queue" }, /`eventsQueueName` "Bad_Queue"/],
      [[hello], { logRetentionDays: 0 }, /`logRetentionDays` must be a whole number/],
    ];
    for (const [functions, extra, message] of attempts) {
      await assert.rejects(deploy(functions, extra).then(() => undefined), message);
    }
  });
});

function helloBundleBytes(): number {
  return bundleFunction(helloDefinition, "azure").bytes;
}

/** The warnings the dev/prod settings must produce, derived from the documented limits. */
async function expectedWarnings(config: ReturnType<typeof stackConfig>): Promise<string[]> {
  const out: string[] = [];
  if (config.logRetentionDays < 30) out.push(`*.logRetentionDays:${config.logRetentionDays}->30`);
  for (const fn of catalog) {
    const s = { ...config.functions[fn.name], ...config.overrides.azure?.[fn.name] };
    const memory = nearestInstanceMemory(s.memoryMb);
    if (memory !== s.memoryMb) out.push(`${fn.name}.memoryMb:${s.memoryMb}->${memory}`);
    if (fn.trigger.kind === "http" && s.timeoutSeconds > 230) out.push(`${fn.name}.timeoutSeconds:${s.timeoutSeconds}->230`);
    // The queue batch never means on Azure what it means on AWS: always warned.
    if (fn.trigger.kind === "queue") out.push(`${fn.name}.batchSize:${s.batchSize}->${Math.min(s.batchSize!, 32)} per instance`);
    // Table Storage RBAC cannot narrow to the pending index: always warned.
    if ((fn.capabilities as readonly string[]).includes("users.listPending")) out.push(`${fn.name}.users.listPending:the pending index only->Storage Table Data Reader on the users table`);
  }
  return out;
}

function hhmmss(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

function targetOf(run: MockRun<AzureFunctions>, scope: string): string {
  if (scope === run.one(T.table).state.id) return "usersTable";
  if (scope === run.one(T.secret).state.id) return "apiKeySecret";
  const queue = run.ofType(T.queue).find((q) => q.state.id === scope);
  if (queue) return queue.inputs.queueName.endsWith("-poison") ? "eventsPoisonQueue" : "eventsQueue";
  return `unexpected scope ${scope}`;
}
