/**
 * parity as a Pulumi component package, offline: the provider's schema (inferred from the
 * wrappers' TypeScript types, as `pulumi package add` would ask for it) describes the four
 * components with their inputs and outputs, and `construct()` builds each one under mocks, as
 * the engine would for a Python or YAML program.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import * as pulumi from "@pulumi/pulumi";
import { platforms } from "../../components/catalog";
import { ParityProvider, providerOptions } from "../../provider/options";
import { helloDefinition } from "../fixtures/hello/catalog";
import { runWithMocks, valueOf } from "../infra/harness";

interface SchemaProperty {
  type?: string;
  $ref?: string;
  items?: SchemaProperty;
  plain?: boolean;
}
interface Schema {
  name: string;
  version: string;
  resources: Record<string, { isComponent: boolean; inputProperties: Record<string, SchemaProperty>; requiredInputs: string[]; properties: Record<string, SchemaProperty>; required: string[] }>;
  types: Record<string, { properties: Record<string, SchemaProperty> }>;
}

const componentTypes = { aws: "parity:index:AwsServerless", gcp: "parity:index:GcpServerless", azure: "parity:index:AzureServerless", cloudflare: "parity:index:CloudflareServerless" } as const;

describe("package: the Pulumi component provider", function () {
  this.timeout(120_000);
  let schema: Schema;
  const provider: ComponentProvider = new ParityProvider(providerOptions());

  before(async () => {
    schema = JSON.parse(await provider.getSchema()) as Schema;
  });

  it("names the package parity at the npm package's version", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string };
    assert.equal(schema.name, "parity");
    assert.equal(schema.version, version);
  });

  it("describes the four components, their plain-data inputs and their outputs", () => {
    assert.deepEqual(Object.keys(schema.resources).sort(), Object.values(componentTypes).sort());
    for (const [platform, type] of Object.entries(componentTypes)) {
      const resource = schema.resources[type];
      assert.equal(resource.isComponent, true, type);
      // apiKey is optional: a component whose functions do not read it needs none.
      assert.deepEqual(resource.requiredInputs.sort(), (platform === "cloudflare" ? ["accountId", "functions"] : ["functions"]).sort(), type);
      assert.deepEqual(resource.inputProperties.functions, { ...resource.inputProperties.functions, type: "array", plain: true, items: { $ref: "#/types/parity:index:FunctionArgs", plain: true } });
      assert.equal(resource.inputProperties.apiKey.type, "string");
      assert.equal(resource.inputProperties.apiKey.plain, undefined, "the API key may be a secret Output");
      assert.deepEqual(resource.required.sort(), ["deadLetterQueueName", "endpoint", "functionNames", "queueName", "warnings"]);
      assert.equal(resource.properties.functionNames.type, "object");
      assert.deepEqual(resource.properties.warnings, { ...resource.properties.warnings, type: "array", items: { type: "string" } });
    }
  });

  it("describes a function as names, a handler path, a trigger kind, capabilities and settings", () => {
    const fn = schema.types["parity:index:FunctionArgs"].properties;
    assert.deepEqual(Object.keys(fn).sort(), ["batchSize", "capabilities", "description", "everyMinutes", "handler", "maxAttempts", "memoryMb", "name", "reservedConcurrency", "timeoutSeconds", "trigger", "warmInstances"]);
    assert.equal(fn.handler.type, "string");
    assert.equal(fn.capabilities.type, "array");
  });

  it("construct() builds each component from plain data under mocks, bundling under the given project", async () => {
    const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-provider-"));
    try {
      const functions = [{ name: "hello", trigger: "http", handler: helloDefinition.entry as string }];
      const run = await runWithMocks(() =>
        Promise.all(
          platforms.map((platform) =>
            provider.construct(`team-${platform}`, componentTypes[platform], { functions, apiKey: pulumi.secret("provider-api-key-0123456789"), projectDir, ...(platform === "cloudflare" ? { accountId: "0123456789abcdef0123456789abcdef" } : {}) }, {}),
          ),
        ),
      );
      const constructed = await run.result;
      for (const [index, platform] of platforms.entries()) {
        const { urn, state } = constructed[index];
        assert.match(await valueOf(urn), new RegExp(`::${componentTypes[platform].replace(/:/g, ":")}::team-${platform}$`));
        const names = (await valueOf(state.functionNames as pulumi.Output<Record<string, string>>)) as Record<string, string>;
        assert.deepEqual(Object.keys(names), ["hello"], platform);
        assert.equal(typeof (await valueOf(state.queueName as pulumi.Output<string>)), "string");
      }
      for (const type of ["aws:lambda/function:Function", "gcp:cloudfunctionsv2/function:Function", "azure-native:web:WebApp", "cloudflare:index/workersScript:WorkersScript"]) {
        assert.equal(run.ofType(type).length, 1, type);
      }
      for (const platform of platforms) assert.ok(fs.readdirSync(path.join(projectDir, ".parity", "build", platform, "hello")).length > 0, `${platform} bundle under the project`);
    } finally {
      fs.rmSync(projectDir, { recursive: true, force: true });
    }
  });

  it("rejects a trigger kind it does not know, naming the component and the function", async () => {
    await assert.rejects(
      runWithMocks(() => provider.construct("bad", componentTypes.aws, { functions: [{ name: "hello", trigger: "cron", handler: helloDefinition.entry as string }], apiKey: "provider-api-key-0123456789" }, {})).then((r) => r.result),
      /AwsFunctions "bad": function "hello": trigger must be one of http, queue, schedule; got "cron"/,
    );
  });
});
