/**
 * parity as an installed package, for one team on two clouds: `npm pack` the repository, install
 * the tarball into a throwaway project outside the repository that has only `@pulumi/pulumi`,
 * `@pulumi/aws` and `@pulumi/cloudflare`, and there deploy the project's own `hello` (no
 * capabilities), queue consumer and schedule through `parity/aws` and `parity/cloudflare` under
 * Pulumi mocks, and a `greet` through the component package's `AwsServerless` (`parity/provider`).
 * The clouds' providers are parity's optional peer dependencies (issue 28): npm must install no
 * other, and `parity/aws` must load no other.
 *
 * Kept cheap (issue 19's budget) and offline (npm reaches no registry here): the tarball is
 * packed with `--ignore-scripts` from `dist/`, which `npm install` built (`prepare`) and this test
 * rebuilds only when a source is newer; the consumer's `node_modules` starts as one symlink per
 * package it declares and per parity hard dependency, into this repository's `node_modules`, so
 * `npm install <tarball> --offline` finds every dependency and peer satisfied and adds parity
 * alone. Were a provider a hard dependency again it would be linked here, and were it a required
 * peer npm would install it: either way it shows up in the consumer's `node_modules`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../../components/bundle";
import { platforms } from "../../components/catalog";
import { ensureBuilt, npm } from "./build";

const run = promisify(execFile);

/**
 * A file of parity's source tree. The consumer's third-party dependencies are links into this
 * repository's `node_modules` (see the header), so their real paths are under it and do not count.
 */
function fromRepositorySource(file: string): boolean {
  return file.startsWith(projectRoot + path.sep) && !file.startsWith(path.join(projectRoot, "node_modules") + path.sep);
}

/** The Pulumi packages (`@pulumi/<name>`) among loaded module paths, sorted. */
function pulumiPackagesOf(modules: string[]): string[] {
  return [...new Set(modules.map((file) => /[\\/]node_modules[\\/](@pulumi[\\/][^\\/]+)[\\/]/.exec(file)?.[1].replace("\\", "/")).filter((name): name is string => name !== undefined))].sort();
}

/** What the consumer installs: the Pulumi SDK it shares with parity and the two clouds it deploys to. */
const consumerDependencies = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/cloudflare"];
const consumerPlatforms = ["aws", "cloudflare"] as const;
/** The consumer's functions (test/package/consumer/program.js): only `consume` declares a capability. */
const consumerFunctions = ["consume", "hello", "tick"];

interface ConsumerReport {
  bundles: Record<string, Record<string, { file: string; inputs: string[] }>>;
  functionNames: Record<string, Record<string, string>>;
  wrapperFunctionNames: Record<string, string>;
  grants: Record<string, { function: string; capability: string; permissions: string[] }[]>;
  resources: { type: string; name: string; inputs: Record<string, unknown> }[];
  /** Loaded modules right after `require("parity/aws")`, and at the end. */
  modulesAfterAws: string[];
  modules: string[];
}

/** A dependency's version as installed in this repository (the consumer links that copy). */
function repositoryVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(projectRoot, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

describe("package: parity installed into a project of one team's two clouds", function () {
  this.timeout(300_000);
  let temp: string;
  let consumer: string;
  let report: ConsumerReport;
  let packageFilesBefore: string[];

  const installedParity = () => path.join(consumer, "node_modules", "parity");
  const listFiles = (dir: string) => fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
  /** The resources of a type that the two `team` components registered (not the `wrapped` AwsServerless). */
  const resourcesOf = (type: string) => report.resources.filter((r) => r.type === type && r.name.startsWith("team"));

  before(async () => {
    await ensureBuilt();
    temp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "parity-consumer-")));
    const { stdout } = await run(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", temp], { cwd: projectRoot });
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];

    consumer = path.join(temp, "team-infra");
    fs.cpSync(path.join(__dirname, "consumer"), consumer, { recursive: true });
    // The consumer pins what this repository tested; parity's peer ranges (`^`) accept them.
    const dependencies = Object.fromEntries(consumerDependencies.map((name) => [name, repositoryVersion(name)]));
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "team-infra", private: true, dependencies }));
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    // One link per package, never per scope folder, and only to the exact version parity pins: npm
    // then finds every dependency satisfied and touches none. A linked scope folder (`@types`) would
    // make the packages inside it extraneous, and npm would delete them through the link.
    for (const [name, pinned] of [...Object.entries(manifest.dependencies), ...Object.entries(dependencies)]) {
      const installed = repositoryVersion(name);
      if (installed !== pinned) throw new Error(`${name}: node_modules holds ${installed}, package.json pins ${pinned}; run npm install first`);
      const link = path.join(consumer, "node_modules", name);
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(fs.realpathSync(path.join(projectRoot, "node_modules", name)), link, "dir");
    }
    await run(npm, ["install", path.join(temp, filename), "--no-save", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: consumer });
    packageFilesBefore = listFiles(installedParity());

    const program = await run(process.execPath, ["program.js"], { cwd: consumer, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: "error" } });
    // The report is the program's last JSON line; pulumi.log.info under mocks prints to stdout too
    // (the AWS component's note on the account's concurrency).
    const reportLine = program.stdout.split("\n").filter((line) => line.startsWith("{")).pop();
    report = JSON.parse(reportLine ?? program.stdout) as ConsumerReport;
  });

  after(() => {
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });

  it("installs as a real package folder beside the consumer's own dependencies", () => {
    assert.ok(!fs.lstatSync(installedParity()).isSymbolicLink(), "the tarball's contents, not a link to this repository");
    const files = packageFilesBefore;
    assert.ok(files.includes(path.join("dist", "components", "aws", "index.js")) && files.includes(path.join("dist", "components", "aws", "index.d.ts")));
    for (const platform of platforms) assert.ok(files.includes(path.join("functions", platform, "driver.ts")), `${platform} driver shipped as source`);
    assert.deepEqual(files.filter((file) => /(^|[\\/])(test|local|bench|compare|scripts|policies)[\\/]|\.test\.|\.tsbuildinfo$/.test(file)), [], "nothing a consumer does not need");
  });

  it("asks for no cloud: every provider an optional peer, the shared Pulumi SDK a required peer by range", () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(installedParity(), "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    assert.deepEqual(Object.keys(shipped.dependencies).filter((name) => name.startsWith("@pulumi/") || /^@(aws-sdk|azure|google-cloud)\//.test(name)), [], "no provider or cloud SDK is a hard dependency");
    for (const provider of ["@pulumi/aws", "@pulumi/gcp", "@pulumi/azure-native", "@pulumi/cloudflare"]) {
      assert.match(shipped.peerDependencies[provider] ?? "", /^\^\d+\.\d+\.\d+$/, `${provider} a peer by range`);
      assert.equal(shipped.peerDependenciesMeta[provider]?.optional, true, `${provider} optional`);
    }
    // One @pulumi/pulumi for the program and parity: a range, never a pin npm would satisfy with a second copy.
    assert.match(shipped.peerDependencies["@pulumi/pulumi"], /^\^3\.\d+\.\d+$/);
    assert.notEqual(shipped.peerDependenciesMeta["@pulumi/pulumi"]?.optional, true);
  });

  it("npm installs parity alone: @pulumi/gcp and @pulumi/azure-native are neither installed nor reachable", () => {
    const topLevel = fs.readdirSync(path.join(consumer, "node_modules")).filter((name) => !name.startsWith("."));
    const installed = topLevel.flatMap((name) => (name.startsWith("@") ? fs.readdirSync(path.join(consumer, "node_modules", name)).map((inner) => `${name}/${inner}`) : [name])).sort();
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.deepEqual(installed, [...consumerDependencies, ...Object.keys(manifest.dependencies), "parity"].sort());
    for (const absent of ["@pulumi/gcp", "@pulumi/azure-native", "@pulumi/random"]) {
      assert.ok(!fs.existsSync(path.join(consumer, "node_modules", absent)), `${absent} installed`);
      assert.throws(() => require.resolve(absent, { paths: [installedParity()] }), /Cannot find module/, `${absent} reachable from the installed parity`);
    }
  });

  it("parity/aws loads @pulumi/aws and no other provider; the whole program loads the two it uses", () => {
    assert.deepEqual(pulumiPackagesOf(report.modulesAfterAws), ["@pulumi/aws", "@pulumi/pulumi"]);
    assert.deepEqual(pulumiPackagesOf(report.modules), ["@pulumi/aws", "@pulumi/cloudflare", "@pulumi/pulumi"]);
  });

  it("the component package's AwsServerless constructs with @pulumi/aws alone too", () => {
    assert.deepEqual(Object.keys(report.wrapperFunctionNames), ["greet"]);
    assert.equal(report.resources.filter((r) => r.type === "aws:lambda/function:Function" && r.name.startsWith("wrapped")).length, 1);
  });

  it("deploys the consumer's hello, queue consumer and schedule on AWS and Cloudflare", () => {
    for (const platform of consumerPlatforms) assert.deepEqual(Object.keys(report.functionNames[platform]).sort(), consumerFunctions, platform);
    const types = new Set(report.resources.map((r) => r.type));
    for (const type of ["aws:lambda/eventSourceMapping:EventSourceMapping", "aws:scheduler/schedule:Schedule", "cloudflare:index/queueConsumer:QueueConsumer", "cloudflare:index/workersCronTrigger:WorkersCronTrigger"]) {
      assert.ok(types.has(type), `${type} among ${[...types].join(", ")}`);
    }
    assert.equal(resourcesOf("aws:lambda/function:Function").length, 3);
    assert.equal(resourcesOf("cloudflare:index/workersScript:WorkersScript").length, 3);
  });

  it("registers no users store and no secret: no function asked for one", () => {
    // test/infra/capabilities.test.ts names each platform's store and secret types.
    for (const type of ["aws:dynamodb/table:Table", "aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretVersion:SecretVersion", "cloudflare:index/d1Database:D1Database"]) {
      assert.deepEqual(report.resources.filter((r) => r.type === type), [], type);
    }
    // A Worker's secret and its store are bindings on its script.
    for (const script of resourcesOf("cloudflare:index/workersScript:WorkersScript")) {
      const bindings = (script.inputs.bindings ?? []) as { type: string; name: string }[];
      assert.deepEqual(bindings.filter((b) => ["secret_text", "d1"].includes(b.type)), [], script.name);
    }
  });

  it("serves / on AWS: the HTTP API has a route for the root beside the greedy one", () => {
    const routeKeys = resourcesOf("aws:apigatewayv2/route:Route").map((r) => r.inputs.routeKey).sort();
    assert.deepEqual(routeKeys, ["ANY /", "ANY /{proxy+}"]);
  });

  it("grants name only what the functions use: the consumer reads its queue, nothing else is granted", () => {
    assert.deepEqual(report.grants.aws, [{ function: "consume", capability: "events.consume", permissions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"] }]);
    assert.deepEqual(report.grants.cloudflare, [{ function: "consume", capability: "events.consume", permissions: ["queue consumer"] }]);
    // The roles' policies as written: no action on a store, a secret or a queue the functions do not use.
    const actions = report.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy").flatMap((r) =>
      (JSON.parse(String(r.inputs.policy)) as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) => [s.Action].flat()),
    );
    assert.deepEqual(actions.filter((action) => /^(dynamodb|secretsmanager|sqs:SendMessage)/.test(action)), []);
  });

  it("builds each bundle from the consumer's file with parity's shipped driver, under the consumer's project", () => {
    for (const platform of consumerPlatforms) {
      for (const name of consumerFunctions) {
        const bundle = report.bundles[platform][name];
        const handler = path.join(consumer, "src", `${name}.ts`);
        assert.ok(bundle.file.startsWith(path.join(consumer, ".parity", "build", platform) + path.sep), `${platform}: ${bundle.file}`);
        assert.ok(fs.existsSync(bundle.file));
        assert.ok(bundle.inputs.includes(handler), `${platform} bundles the consumer's ${name}`);
        assert.ok(bundle.inputs.includes(path.join(installedParity(), "functions", platform, "driver.ts")), `${platform} bundles the installed driver`);
        assert.deepEqual(bundle.inputs.filter(fromRepositorySource), [], `${platform} reads nothing from the repository`);
      }
    }
  });

  it("never writes inside the installed package, and loads parity only from it", () => {
    assert.deepEqual(listFiles(installedParity()), packageFilesBefore);
    const fromRepository = report.modules.filter(fromRepositorySource);
    assert.deepEqual(fromRepository, [], "no module of parity's source tree");
    assert.ok(report.modules.includes(path.join(installedParity(), "dist", "components", "aws", "index.js")));
  });
});
