/**
 * AzureFunctions under Pulumi mocks, from the checked-in dev and prod stacks and from a
 * second, different catalog: what each resource is asked for, what each package holds, which
 * role assignments are made on which exact scope, and that no secret reaches a plain app
 * setting. The rules on their own are tested in components/azure/rules.test.ts.
 */
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { AzureFunctions, azureRoles, capabilityRoles, nearestInstanceMemory, type AzureFunctionsArgs, type AzureRole } from "../../components/azure";
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
};

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
        properties: { secretUri: `https://${i.vaultName}.vault.azure.net/secrets/${i.secretName}` },
      };
    case T.insights:
      return { id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Insights/components/${args.name}`, connectionString: "InstrumentationKey=00000000-0000-0000-0000-00000000abcd;IngestionEndpoint=https://westeurope.in.applicationinsights.azure.com/" };
    case T.app:
      return { name: i.name, defaultHostName: `${i.name}.azurewebsites.net`, identity: { type: "SystemAssigned", principalId: `principal-of-${i.name}` } };
    default:
      return {};
  }
}

const deploy = (functions: FunctionDeployment[], extra: Partial<AzureFunctionsArgs> = {}) =>
  runWithMocks(() => new AzureFunctions("parity-azure", { functions, apiKey: TEST_API_KEY, tags: { project: "parity" }, ...extra }), { stateFor: azureState });

/** A file of the package a function's blob uploads, as text. */
const packageFile = (run: MockRun<AzureFunctions>, fn: string, file: string) => Buffer.from(run.result.nodes[fn].package.files[file]).toString("utf8");

/** A function of another catalog, bundled from the hello fixture. */
const otherFunction = (definition: FunctionDeployment["definition"], settings: FunctionDeployment["settings"]): FunctionDeployment => ({
  definition,
  settings,
  bundle: bundleFunction(helloDefinition, "azure"),
});

const appSettings = (app: RecordedResource) =>
  Object.fromEntries((app.inputs.siteConfig.appSettings as Array<{ name: string; value: string }>).map((s) => [s.name, s.value]));

const appOf = (run: MockRun<AzureFunctions>, fn: string) => run.ofType(T.app).find((r) => r.name === `parity-azure-${fn}`)!;

const roleIdOf = (role: AzureRole) => `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${azureRoles[role]}`;

/** Every role assignment as (function, role, scope), the function found by its principal. */
function assignments(run: MockRun<AzureFunctions>) {
  const byPrincipal = new Map(run.ofType(T.app).map((app) => [`principal-of-${app.inputs.name}`, app.name.replace("parity-azure-", "")]));
  return run.ofType(T.role).map((r) => {
    const role = (Object.keys(azureRoles) as AzureRole[]).find((name) => roleIdOf(name) === r.inputs.roleDefinitionId);
    assert.ok(role, `unknown role definition ${r.inputs.roleDefinitionId}`);
    assert.equal(r.inputs.principalType, "ServicePrincipal");
    return { function: byPrincipal.get(r.inputs.principalId)!, role, scope: r.inputs.scope as string };
  });
}

for (const stack of ["dev", "prod"] as const) {
  describe(`infra: azure (${stack} stack)`, function () {
    this.timeout(60_000);
    const config = stackConfig(stack);
    let run: MockRun<AzureFunctions>;
    before(async () => {
      run = await deploy(deploymentsFor(config, "azure"), { logRetentionDays: config.logRetentionDays, protectData: config.protectData });
    });

    it("one Flex Consumption plan, one Function App per catalog function, each with its own identity on Node 22", () => {
      const plan = run.one(T.plan);
      assert.deepEqual(plan.inputs.sku, { name: "FC1", tier: "FlexConsumption" });
      assert.equal(plan.inputs.reserved, true);
      const apps = run.ofType(T.app);
      assert.deepEqual(apps.map((a) => a.name).sort(), catalog.map((fn) => `parity-azure-${fn.name}`).sort());
      for (const app of apps) {
        assert.deepEqual(app.inputs.identity, { type: "SystemAssigned" });
        assert.equal(app.inputs.serverFarmId, plan.name + "-id");
        assert.deepEqual(app.inputs.functionAppConfig.runtime, { name: "node", version: "22" });
        assert.equal(app.inputs.functionAppConfig.deployment.storage.authentication.type, "SystemAssignedIdentity");
        assert.equal(app.inputs.httpsOnly, true);
        const fnName = app.name.replace("parity-azure-", "");
        const pkg = run.one("azure-native:storage:Blob", `-${fnName}-package`);
        assert.equal(pkg.inputs.blobName, "released-package.zip");
        assert.equal(app.inputs.functionAppConfig.deployment.storage.value, `https://${run.one(T.account, "-packages").inputs.accountName}.blob.core.windows.net/deploy-${fnName}`);
        assert.equal(pkg.inputs.containerName, `deploy-${fnName}`);
      }
      const principals = new Set(assignments(run).map((a) => a.function));
      assert.deepEqual([...principals].sort(), catalog.map((fn) => fn.name).sort(), "each app's own identity holds its grants");
    });

    it("each blob uploads the function's one package: bundle, source map, host.json and a package.json without host-provided externals", async () => {
      for (const fn of catalog) {
        const nodes = run.result.nodes[fn.name];
        assert.deepEqual(Object.keys(nodes.package.files).sort(), ["host.json", "index.js", "index.js.map", "package.json"]);
        const packageJson = JSON.parse(packageFile(run, fn.name, "package.json"));
        assert.equal(packageJson.main, "index.js");
        assert.deepEqual(packageJson.engines, { node: "22" });
        // The host injects @azure/functions-core; nothing else is left external, so nothing is to install.
        assert.deepEqual(packageJson.dependencies, {});
        assert.match(nodes.package.hash, /^[0-9a-f]{64}$/);
        const blob = run.one("azure-native:storage:Blob", `-${fn.name}-package`);
        assert.equal(blob.inputs.contentType, "application/zip");
        assert.equal(await blob.inputs.source.path, nodes.package.zipFile, "the blob is the package's zip, as-is");
      }
    });

    it("settings reach the plan's apps and host.json, with a warning for every rounded or clamped value", async () => {
      for (const fn of catalog) {
        const settings = { ...config.functions[fn.name], ...config.overrides.azure?.[fn.name] };
        const scale = appOf(run, fn.name).inputs.functionAppConfig.scaleAndConcurrency;
        assert.equal(scale.instanceMemoryMB, nearestInstanceMemory(settings.memoryMb));
        assert.equal(scale.maximumInstanceCount, settings.reservedConcurrency);
        if (settings.warmInstances > 0) {
          assert.deepEqual(scale.alwaysReady, [{ name: fn.trigger.kind === "http" ? "http" : `function:${fn.name}`, instanceCount: settings.warmInstances }]);
        } else assert.equal(scale.alwaysReady, undefined);
        const hostJson = JSON.parse(packageFile(run, fn.name, "host.json"));
        assert.equal(hostJson.extensions.http.routePrefix, "");
        assert.equal(hostJson.functionTimeout, hhmmss(Math.min(settings.timeoutSeconds, fn.trigger.kind === "http" ? 230 : Infinity)));
        if (fn.trigger.kind === "queue") {
          assert.deepEqual(hostJson.extensions.queues, { batchSize: settings.batchSize, maxDequeueCount: settings.maxAttempts, messageEncoding: "base64" });
        } else {
          assert.equal(hostJson.extensions.queues, undefined);
          assert.deepEqual(scale.triggers, { http: { perInstanceConcurrency: 1 } });
        }
      }
      const expected = (await expectedWarnings(config)).sort();
      assert.deepEqual(run.result.warnings.map((w) => `${w.function}.${w.setting}:${w.asked}->${w.applied}`).sort(), expected);
      assert.equal(run.loggedWarnings.length, expected.length, "every inexact value is logged");
      for (const line of run.loggedWarnings) assert.match(line, /^\[azure\] \S+: \S+ asked .+, applied .+ \(.+\)$/);
      assert.equal(run.one(T.workspace).inputs.retentionInDays, Math.max(30, config.logRetentionDays));
    });

    it("each role assignment's role and scope equal the function's declared capabilities", async () => {
      const made = assignments(run);
      const table = run.one(T.table).state.id ?? (await idOf(run, T.table));
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
      }
      assert.ok(made.some((a) => a.scope === table));
    });

    it("no role assignment is scoped to the subscription, the resource group, the storage account or the vault", () => {
      const made = assignments(run);
      const host = run.result.hostAccess;
      const assigned = run.result.plan.functions.flatMap((fn) => fn.grants).filter((g) => g.assign);
      assert.equal(made.length, assigned.length + host.length, "every assignment is a declared grant or documented host access");
      for (const a of made) {
        assert.match(a.scope, /\/(tables|queues|containers|secrets)\/[^/]+$|\/components\/[^/]+$/, `${a.function} ${a.role} on ${a.scope}`);
      }
      for (const a of made.filter((x) => x.role === "Storage Blob Data Owner")) {
        assert.match(a.scope, /\/containers\/azure-webjobs-(hosts|secrets)$/);
      }
      for (const a of made.filter((x) => x.role === "Storage Blob Data Contributor")) {
        assert.match(a.scope, new RegExp(`/containers/deploy-${a.function}$`), "each app reads only its own package container");
      }
    });

    it("no secret or storage key in plain app settings; identity-based storage; API key only as a Key Vault reference", () => {
      const account = run.one(T.account, "-storage");
      assert.equal(account.inputs.allowSharedKeyAccess, false);
      assert.equal(account.inputs.allowBlobPublicAccess, false);
      // The package account allows keys only because the provider uploads with them; it holds packages only.
      const packages = run.one(T.account, "-packages");
      assert.equal(packages.inputs.allowBlobPublicAccess, false);
      const inPackageAccount = run.ofType(T.container).filter((c) => c.inputs.accountName === packages.inputs.accountName).map((c) => c.inputs.containerName);
      assert.deepEqual(inPackageAccount.sort(), catalog.map((fn) => `deploy-${fn.name}`).sort());
      assert.ok(!run.ofType(T.table).concat(run.ofType(T.queue)).some((r) => r.inputs.accountName === packages.inputs.accountName));
      for (const app of run.ofType(T.app)) {
        const settings = appSettings(app);
        const text = JSON.stringify(app.inputs);
        assert.doesNotMatch(text, /AccountKey=|SharedAccessSignature|DefaultEndpointsProtocol|PARITY_STORAGE_CONNECTION_STRING/);
        assert.ok(!text.includes(TEST_API_KEY), `${app.name} carries the API key in clear`);
        assert.equal(settings.AzureWebJobsStorage, undefined);
        assert.equal(settings.AzureWebJobsStorage__accountName, account.inputs.accountName);
        assert.equal(settings.PARITY_PLATFORM, "azure");
        assert.equal(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING, "Authorization=AAD");
      }
      const api = appSettings(appOf(run, "users-api"));
      const secret = run.one(T.secret);
      assert.equal(api.API_KEY, `@Microsoft.KeyVault(SecretUri=https://${secret.inputs.vaultName}.vault.azure.net/secrets/api-key)`);
      assert.equal(api.USERS_TABLE, "users");
      assert.equal(api.EVENTS_QUEUE, "user-events");
      assert.equal(api.PARITY_STORAGE__tableServiceUri, `https://${account.inputs.accountName}.table.core.windows.net/`);
      const worker = appSettings(appOf(run, "queue-worker"));
      assert.equal(worker.API_KEY, undefined, "the worker did not declare apiKey.read");
      // The key goes to Key Vault only, as a Pulumi secret (the wire form of a secret input).
      const secretProperties = secret.inputs.properties;
      assert.equal(secretProperties["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "secret input");
      assert.equal(secretProperties.value.value, TEST_API_KEY);
      assert.equal(run.one(T.vault).inputs.properties.enableRbacAuthorization, true);
      assert.equal(run.one(T.insights).inputs.disableLocalAuth, true);
    });

    it("table, events queue and <queue>-poison exist; outputs name them and the app URL", async () => {
      assert.deepEqual(run.ofType(T.queue).map((q) => q.inputs.queueName).sort(), ["user-events", "user-events-poison"]);
      assert.equal(await valueOf(run.result.queues.queue), "user-events");
      assert.equal(await valueOf(run.result.queues.deadLetter), "user-events-poison");
      assert.equal(await valueOf(run.result.endpoint!), `https://${appOf(run, "users-api").inputs.name}.azurewebsites.net`);
      assert.equal(await valueOf(run.result.functionNames["queue-worker"]), appOf(run, "queue-worker").inputs.name);
    });

    it(`protectData=${config.protectData} reaches the vault`, () => {
      const props = run.one(T.vault).inputs.properties;
      assert.equal(props.enablePurgeProtection, config.protectData ? true : undefined);
      assert.equal(props.softDeleteRetentionInDays, config.protectData ? 90 : 7);
    });
  });
}

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
    const scale = run.one(T.app).inputs.functionAppConfig.scaleAndConcurrency;
    assert.deepEqual({ memory: scale.instanceMemoryMB, max: scale.maximumInstanceCount, ready: scale.alwaysReady }, { memory: 2048, max: 50, ready: [{ name: "http", instanceCount: 1 }] });
    assert.equal(run.result.nodes["lookup-api"].package.files["index.js"].length, helloBundleBytes(), "the other catalog's own bundle ships");
    assert.deepEqual(run.result.nativeSettings["lookup-api"], {
      instanceMemoryMB: 2048,
      maximumInstanceCount: 50,
      alwaysReady: 1,
      httpPerInstanceConcurrency: 1,
      functionTimeout: "00:00:20",
      logRetentionDays: 30,
    });
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
    assert.equal(run.one(T.table).inputs.tableName, "customers");
    assert.equal(appSettings(run.one(T.app)).EVENTS_QUEUE, "mail");
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
    if (s.batchSize !== undefined && s.batchSize > 32) out.push(`${fn.name}.batchSize:${s.batchSize}->32`);
  }
  return out;
}

function hhmmss(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

async function idOf(run: MockRun<AzureFunctions>, type: string): Promise<string> {
  return run.one(type).state.id;
}

function targetOf(run: MockRun<AzureFunctions>, scope: string): string {
  if (scope === run.one(T.table).state.id) return "usersTable";
  if (scope === run.one(T.secret).state.id) return "apiKeySecret";
  const queue = run.ofType(T.queue).find((q) => q.state.id === scope);
  if (queue) return queue.inputs.queueName.endsWith("-poison") ? "eventsPoisonQueue" : "eventsQueue";
  return `unexpected scope ${scope}`;
}
