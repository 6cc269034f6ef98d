/**
 * parity as an installed package: `npm pack` the repository, install the tarball into a
 * throwaway project outside the repository, and there deploy the project's own `hello` fetch
 * handler through each of the four components under Pulumi mocks, using `parity/*` only.
 *
 * Kept cheap (issue 19's budget): the tarball is packed with `--ignore-scripts` from `dist/`,
 * which `npm install` built (`prepare`) and this test rebuilds only when a source is newer; the
 * consumer's `node_modules` holds a symlink per parity dependency into this repository's
 * `node_modules`, so `npm install <tarball> --offline` adds the one package and nothing else
 * (npm keeps a dependency it finds satisfied on disk).
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

interface ConsumerReport {
  bundles: Record<string, { file: string; inputs: string[] }>;
  functionNames: Record<string, string>;
  resources: { type: string; name: string }[];
  modules: string[];
}

describe("package: parity installed into another project", function () {
  this.timeout(300_000);
  let temp: string;
  let consumer: string;
  let report: ConsumerReport;
  let packageFilesBefore: string[];

  const installedParity = () => path.join(consumer, "node_modules", "parity");
  const listFiles = (dir: string) => fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();

  before(async () => {
    await ensureBuilt();
    temp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "parity-consumer-")));
    const { stdout } = await run(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", temp], { cwd: projectRoot });
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];

    consumer = path.join(temp, "team-infra");
    fs.cpSync(path.join(__dirname, "consumer"), consumer, { recursive: true });
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "team-infra", private: true }));
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    // One link per package, never per scope folder, and only to the exact version parity pins: npm
    // then finds every dependency satisfied and touches none. A linked scope folder (`@types`) would
    // make the packages inside it extraneous, and npm would delete them through the link.
    for (const [name, pinned] of Object.entries(manifest.dependencies)) {
      const target = fs.realpathSync(path.join(projectRoot, "node_modules", name));
      const installed = (JSON.parse(fs.readFileSync(path.join(target, "package.json"), "utf8")) as { version: string }).version;
      if (installed !== pinned) throw new Error(`${name}: node_modules holds ${installed}, package.json pins ${pinned}; run npm install first`);
      const link = path.join(consumer, "node_modules", name);
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(target, link, "dir");
    }
    await run(npm, ["install", path.join(temp, filename), "--no-save", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: consumer });
    packageFilesBefore = listFiles(installedParity());

    const program = await run(process.execPath, ["program.js"], { cwd: consumer, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: "error" } });
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

  it("deploys the consumer's hello through each of the four components", () => {
    assert.deepEqual(Object.keys(report.functionNames).sort(), [...platforms].sort());
    for (const platform of platforms) assert.match(report.functionNames[platform], /hello/, platform);
    const types = new Set(report.resources.map((r) => r.type));
    for (const type of ["aws:lambda/function:Function", "gcp:cloudfunctionsv2/function:Function", "azure-native:web:WebApp", "cloudflare:index/workersScript:WorkersScript"]) {
      assert.ok(types.has(type), `${type} among ${[...types].join(", ")}`);
    }
  });

  it("builds each bundle from the consumer's file with parity's shipped driver, under the consumer's project", () => {
    const handler = path.join(consumer, "src", "hello.ts");
    for (const platform of platforms) {
      const bundle = report.bundles[platform];
      assert.ok(bundle.file.startsWith(path.join(consumer, ".parity", "build", platform) + path.sep), `${platform}: ${bundle.file}`);
      assert.ok(fs.existsSync(bundle.file));
      assert.ok(bundle.inputs.includes(handler), `${platform} bundles the consumer's handler`);
      assert.ok(bundle.inputs.includes(path.join(installedParity(), "functions", platform, "driver.ts")), `${platform} bundles the installed driver`);
      assert.deepEqual(bundle.inputs.filter(fromRepositorySource), [], `${platform} reads nothing from the repository`);
    }
  });

  it("never writes inside the installed package, and loads parity only from it", () => {
    assert.deepEqual(listFiles(installedParity()), packageFilesBefore);
    const fromRepository = report.modules.filter(fromRepositorySource);
    assert.deepEqual(fromRepository, [], "no module of parity's source tree");
    assert.ok(report.modules.includes(path.join(installedParity(), "dist", "components", "aws", "index.js")));
  });
});
