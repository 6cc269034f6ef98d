/** `npm start`: the local cloud comes up, prints its endpoints and key, serves, and Ctrl-C stops every child. */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../components/bundle";
import type { Results } from "../../compare/results";

/** Every descendant pid of `root`, from the process table. */
function descendants(root: number): number[] {
  const table = execFileSync("ps", ["-eo", "pid=,ppid="]).toString().trim().split("\n").map((line) => line.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [pid, ppid] of table) if (ppid === parent) (found.push(pid), walk(pid));
  };
  walk(root);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("npm start: the local cloud (and compare --endpoints against it)", function () {
  this.timeout(300_000);
  // The fastest launcher keeps this short; compare.e2e.ts (npm run test:e2e) covers every platform.
  const platform = "cloudflare";
  let child: ChildProcess | undefined;

  after(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("prints the endpoint table and API key, serves requests, and stops every child on SIGINT", async function () {
    child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/start.ts", "--platforms", platform], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stderr!.resume();
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on("data", (chunk) => {
        stdout += chunk;
        if (/API key: \S+/.test(stdout) && /Try:/.test(stdout)) resolve();
      });
      void exited.then((code) => reject(new Error(`npm start exited (${code}) before printing the table:\n${stdout}`)));
    });

    const url = new RegExp(`${platform}\\s+(http://127\\.0\\.0\\.1:\\d+)`).exec(stdout)?.[1];
    const apiKey = /API key: (\S+)/.exec(stdout)?.[1];
    assert.ok(url, `endpoint table lists ${platform}:\n${stdout}`);
    assert.match(apiKey!, /^local-[0-9a-f]{32}$/, "a generated key");
    assert.match(stdout, /local emulation, not cloud performance/);

    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    const created = await fetch(`${url}/users`, {
      method: "POST",
      headers: { "x-api-key": apiKey!, "content-type": "application/json" },
      body: JSON.stringify({ email: `start-${Date.now()}@example.com`, name: "Start" }),
    });
    assert.equal(created.status, 201);
    const unauthorized = await fetch(`${url}/users`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(unauthorized.status, 401, "the printed key is the one the functions check");

    // The deployed-stack path of the experiment, pointed at this running cloud through an
    // endpoints file (what a machine without the Pulumi CLI uses).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-endpoints-"));
    try {
      const endpointsFile = path.join(dir, "endpoints.json");
      fs.writeFileSync(endpointsFile, JSON.stringify({ endpoints: { [platform]: url }, apiKey, stack: "dev" }));
      const compare = spawnSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "scripts/compare.ts", "--endpoints", endpointsFile, "--quick", "--out", path.join(dir, "out")],
        // A guard against a hang, not a speed limit: a quick run took 40 s on a machine at load 17.
        { cwd: projectRoot, encoding: "utf8", timeout: 150_000 },
      );
      assert.equal(compare.status, 0, `compare ${compare.signal ? `killed (${compare.signal}) by the hang guard` : `exited ${compare.status}`}: ${compare.stderr}`);
      const results = JSON.parse(fs.readFileSync(path.join(dir, "out", "results.json"), "utf8")) as Results;
      assert.equal(results.target.kind, "endpoints");
      assert.equal(results.label, null, "an endpoints run is not labelled local");
      assert.deepEqual(results.platforms.map((p) => [p.platform, p.measured]), [[platform, true]]);
      const measured = results.platforms[0];
      assert.match(measured.coldStart!.method, /first request of this run/);
      assert.ok(measured.warm!.ok > 0 && measured.queue!.welcomed === measured.queue!.posted);
      assert.ok(measured.cost!.perMillion > 0, "memory for the cost came from the stack named in the file");
      assert.doesNotMatch(fs.readFileSync(path.join(dir, "out", "report.md"), "utf8"), /Local emulation/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const children = descendants(child.pid!);
    child.kill("SIGINT");
    assert.equal(await exited, 0);
    const deadline = Date.now() + 5_000;
    while (children.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(children.filter(alive), [], "no child process outlives npm start");
  });
});
