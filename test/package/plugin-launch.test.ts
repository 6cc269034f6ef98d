/**
 * The component package started the way the Pulumi CLI starts a source plugin: the CLI runs the
 * plugin directory itself as the Node program (pulumi/pulumi sdk/go/common/resource/plugin/plugin.go,
 * `NewProgramInfo(pluginDir, pluginDir, ".")`; PluginProject has no `main`), through
 * `@pulumi/pulumi/cmd/run-plugin <program directory> <engine address>` (the Node.js language
 * host's RunPlugin, sdk/nodejs/cmd/pulumi-language-nodejs/main.go). So Node loads `provider/package.json`
 * `main`: the compiled provider in dist/, with no TypeScript compiled at run time.
 *
 * Here the same command starts it; the test then speaks gRPC to it as the engine would:
 * GetSchema, then Construct against a stand-in engine and resource monitor (no CLI exists here)
 * that record what the component registers.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { projectRoot } from "../../components/bundle";
import { ensureBuilt } from "./build";

/* eslint-disable @typescript-eslint/no-require-imports -- the generated gRPC modules have no ES exports */
const proto = (name: string) => require(path.join(projectRoot, "node_modules", "@pulumi", "pulumi", "proto", name));
const providerRpc = proto("provider_grpc_pb.js");
const providerPb = proto("provider_pb.js");
const resourceRpc = proto("resource_grpc_pb.js");
const resourcePb = proto("resource_pb.js");
const engineRpc = proto("engine_grpc_pb.js");
const enginePb = proto("engine_pb.js");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

type Callback = (error: grpc.ServiceError | null, response?: unknown) => void;
interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** The engine's and the resource monitor's side, as far as a Construct needs them; records every registration. */
function startStandInEngine(): Promise<{ address: string; registered: Registered[]; logged: string[]; server: grpc.Server }> {
  const registered: Registered[] = [];
  const logged: string[] = [];
  const server = new grpc.Server();
  server.addService(engineRpc.EngineService, {
    log: (call: { request: { getMessage(): string } }, callback: Callback) => {
      logged.push(call.request.getMessage());
      callback(null, new Empty());
    },
    getRootResource: (_call: unknown, callback: Callback) => callback(null, new enginePb.GetRootResourceResponse()),
    setRootResource: (_call: unknown, callback: Callback) => callback(null, new enginePb.SetRootResourceResponse()),
  });
  server.addService(resourceRpc.ResourceMonitorService, {
    supportsFeature: (call: { request: { getId(): string } }, callback: Callback) => {
      const response = new resourcePb.SupportsFeatureResponse();
      response.setHassupport(["secrets", "resourceReferences"].includes(call.request.getId()));
      callback(null, response);
    },
    registerResource: (call: { request: { getType(): string; getName(): string; getCustom(): boolean; getObject(): { toJavaScript(): Record<string, unknown> } | undefined } }, callback: Callback) => {
      const request = call.request;
      const inputs = request.getObject()?.toJavaScript() ?? {};
      registered.push({ type: request.getType(), name: request.getName(), inputs });
      const response = new resourcePb.RegisterResourceResponse();
      response.setUrn(`urn:pulumi:test::launch::${request.getType()}::${request.getName()}`);
      if (request.getCustom()) response.setId(`${request.getName()}-id`);
      response.setObject(Struct.fromJavaScript(inputs));
      callback(null, response);
    },
    registerResourceOutputs: (_call: unknown, callback: Callback) => callback(null, new Empty()),
    // Provider functions (the Lambda quota check): an answer the component accepts.
    invoke: (_call: unknown, callback: Callback) => {
      const response = new providerPb.InvokeResponse();
      response.setReturn(Struct.fromJavaScript({ value: 1000, accountId: "123456789012" }));
      callback(null, response);
    },
  });
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve({ address: `127.0.0.1:${port}`, registered, logged, server }))),
  );
}

/** Starts the plugin as the CLI does and resolves with the port it prints. */
function launchPlugin(pluginDir: string, engineAddress: string, cwd: string): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const runPlugin = path.join(projectRoot, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin");
  const child = spawn(process.execPath, [runPlugin, pluginDir, engineAddress], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && /^\d+$/.test(line.trim())) resolve({ child, port: Number(line.trim()), stderr: () => stderr });
    });
    child.on("exit", (code) => reject(new Error(`the plugin exited (${code}) before printing its port:\n${stdout}\n${stderr}`)));
  });
}

interface SchemaProperty {
  type?: string;
  $ref?: string;
  items?: SchemaProperty;
}
interface Schema {
  name: string;
  resources: Record<string, { isComponent: boolean; inputProperties: Record<string, SchemaProperty>; requiredInputs: string[] }>;
  types: Record<string, { type: string; enum?: { name: string; value: string }[]; properties?: Record<string, SchemaProperty> }>;
}

describe("package: the component plugin started as the Pulumi CLI starts it", function () {
  this.timeout(300_000);
  const pluginDir = path.join(projectRoot, "provider");
  let engine: Awaited<ReturnType<typeof startStandInEngine>>;
  let plugin: Awaited<ReturnType<typeof launchPlugin>>;
  let client: grpc.Client & Record<string, (request: unknown, callback: Callback) => void>;
  let project: string;
  const rpc = <T>(method: string, request: unknown) => new Promise<T>((resolve, reject) => client[method](request, (error, response) => (error ? reject(error) : resolve(response as T))));

  before(async () => {
    await ensureBuilt();
    project = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "parity-plugin-")));
    engine = await startStandInEngine();
    plugin = await launchPlugin(pluginDir, engine.address, project);
    const Client = grpc.makeGenericClientConstructor(providerRpc.ResourceProviderService, "ResourceProvider");
    client = new Client(`127.0.0.1:${plugin.port}`, grpc.credentials.createInsecure()) as typeof client;
  });

  after(async () => {
    client?.close();
    plugin?.child.kill();
    engine?.server.forceShutdown();
    if (project) fs.rmSync(project, { recursive: true, force: true });
  });

  it("is a plugin directory of its own: PulumiPlugin.yaml with the runtime, package.json whose main is the compiled provider", () => {
    assert.match(fs.readFileSync(path.join(pluginDir, "PulumiPlugin.yaml"), "utf8"), /^runtime: nodejs$/m);
    const manifest = JSON.parse(fs.readFileSync(path.join(pluginDir, "package.json"), "utf8")) as { main: string };
    assert.equal(manifest.main, "../dist/provider/index.js");
    assert.ok(fs.existsSync(path.resolve(pluginDir, manifest.main)));
    assert.ok(!fs.existsSync(path.join(projectRoot, "PulumiPlugin.yaml")), "the repository root is the library, not a plugin: the CLI would load package.json main (the library)");
  });

  it("GetSchema: the four components, integers as integers, the trigger as an enum", async () => {
    const request = new providerPb.GetSchemaRequest();
    const response = await rpc<{ getSchema(): string }>("getSchema", request);
    const schema = JSON.parse(response.getSchema()) as Schema;
    assert.equal(schema.name, "parity");
    assert.deepEqual(Object.keys(schema.resources).sort(), ["parity:index:AwsServerless", "parity:index:AzureServerless", "parity:index:CloudflareServerless", "parity:index:GcpServerless"]);
    for (const [type, resource] of Object.entries(schema.resources)) {
      assert.ok(resource.isComponent, type);
      assert.deepEqual(resource.requiredInputs.filter((input) => input !== "accountId"), ["functions"], `${type}: apiKey is optional`);
      assert.equal(resource.inputProperties.logRetentionDays.type, "integer", type);
    }
    const routes = schema.resources["parity:index:AwsServerless"].inputProperties.routes;
    assert.deepEqual([routes.type, routes.items?.type], ["array", "string"], "the AWS wrapper takes routes, as AwsFunctions does");
    const fn = schema.types["parity:index:FunctionArgs"];
    for (const key of ["memoryMb", "timeoutSeconds", "reservedConcurrency", "warmInstances", "batchSize", "maxAttempts", "everyMinutes"]) assert.equal(fn.properties![key].type, "integer", key);
    assert.equal(fn.properties!.trigger.$ref, "#/types/parity:index:Trigger");
    const trigger = schema.types["parity:index:Trigger"];
    assert.equal(trigger.type, "string");
    assert.deepEqual(trigger.enum!.map((member) => [member.name, member.value]), [
      ["Http", "http"],
      ["Queue", "queue"],
      ["Schedule", "schedule"],
    ]);
  });

  it("Construct: an AWS hello that declares nothing registers its function, identity, logs and routes serving /, and nothing shared", async () => {
    const request = new providerPb.ConstructRequest();
    request.setProject("launch");
    request.setStack("test");
    request.setParallel(1);
    request.setDryrun(true);
    request.setMonitorendpoint(engine.address);
    request.setType("parity:index:AwsServerless");
    request.setName("team");
    request.setInputs(
      Struct.fromJavaScript({
        functions: [{ name: "hello", trigger: "http", handler: path.join(projectRoot, "test", "fixtures", "hello", "hello.ts"), memoryMb: 256 }],
        projectDir: project,
      }),
    );
    const started = Date.now();
    const response = await rpc<{ getUrn(): string; getState(): { toJavaScript(): Record<string, unknown> } }>("construct", request).catch((error: Error) => {
      throw new Error(`${error.message}\nengine log:\n${engine.logged.join("\n")}\nplugin stderr:\n${plugin.stderr()}`);
    });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(response.getUrn(), "urn:pulumi:test::launch::parity:index:AwsServerless::team");
    const types = engine.registered.map((r) => r.type);
    for (const type of ["parity:aws:Functions", "aws:lambda/function:Function", "aws:iam/role:Role", "aws:cloudwatch/logGroup:LogGroup", "aws:apigatewayv2/api:Api"]) assert.ok(types.includes(type), `${type} among ${types.join(", ")}`);
    for (const type of ["aws:dynamodb/table:Table", "aws:sqs/queue:Queue", "aws:secretsmanager/secret:Secret"]) assert.ok(!types.includes(type), `no ${type}`);
    const routes = engine.registered.filter((r) => r.type === "aws:apigatewayv2/route:Route").map((r) => r.inputs.routeKey);
    assert.deepEqual(routes.sort(), ["ANY /", "ANY /{proxy+}"]);
    assert.ok(fs.existsSync(path.join(project, ".parity", "build", "aws")), "bundled under the given projectDir");
    // Compiled JavaScript: no ts-node type-check of the components and providers on first use.
    console.log(`      (Construct answered in ${seconds.toFixed(1)} s)`);
  });
});
