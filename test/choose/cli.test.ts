/**
 * `npm run choose` end to end on the shipped example (a child process, as a user runs it),
 * its errors, and the files written with a results file (in process: the HTML section).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { choose } from "../../choose/choose";
import { readRequirements } from "../../choose/requirements";
import { writeChoice } from "../../choose/render";
import { resultsWith } from "./fixtures";

const root = path.join(__dirname, "..", "..");
const example = path.join(root, "requirements.example.yaml");

/** Runs the CLI; resolves with its exit code and output whatever the code. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/choose.ts", ...args], { cwd: root, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("choose: CLI", function () {
  // Three CLI processes at once, each loading the program: minutes on a loaded two-core machine, seconds on an idle one.
  this.timeout(180_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "choose-cli-"));
  const bad = path.join(tmp, "bad.yaml");
  fs.writeFileSync(bad, "memoryMb: 256\nlatency: 100\n");

  // Three runs at once: each process spends most of its time loading modules.
  const runs = {
    example: cli(["--requirements", example, "--out", path.join(tmp, "out")]),
    bad: cli(["--requirements", bad, "--out", path.join(tmp, "bad-out")]),
    none: cli([]),
  };

  it("writes choice.md, choice.json and choice.html for the shipped example, and prints the summary", async () => {
    const { code, stdout, stderr } = await runs.example;
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^Choosing a provider for .*requirements\.example\.yaml$/m);
    assert.match(stdout, /latency and cold start are unmeasured/);
    assert.match(stdout, /✗ cloudflare +does not fit/);
    assert.match(stdout, /memoryMb 256: Workers memory is fixed at 128 MB per isolate — https:\/\/developers\.cloudflare\.com\/workers\/platform\/limits\/#memory/);
    assert.match(stdout, /Ranked by: cost\. Left out: latency/);
    assert.match(stdout, /^ {2}1\. gcp +score 1\.00/m);
    const out = path.join(tmp, "out");
    assert.deepEqual(fs.readdirSync(out).sort(), ["choice.html", "choice.json", "choice.md"]);
    const json = JSON.parse(fs.readFileSync(path.join(out, "choice.json"), "utf8"));
    assert.equal(json.schema, "parity-choose/1");
    assert.deepEqual(Object.fromEntries(Object.entries(json.platforms).map(([p, v]) => [p, (v as { verdict: string }).verdict])), { aws: "caveats", gcp: "caveats", azure: "caveats", cloudflare: "no" });
    // Azure fits the example's $40 budget at $36.65: one 512 MB instance billed by its activity windows (91.8 % of the month at 7.6 requests a second), not 20M executions at 1 s each ($265.30 before issue 27).
    assert.match(stdout, /^ {2}3\. azure +score 0\.31 +cost \$36\.65/m);
    for (const v of Object.values(json.platforms) as { reasons: { text: string; source: string }[] }[]) {
      assert.ok(v.reasons.length > 0 && v.reasons.every((r) => r.text && r.source));
    }
    const md = fs.readFileSync(path.join(out, "choice.md"), "utf8");
    assert.match(md, /^## Verdicts$/m);
    assert.match(md, /^\| cloudflare \| Workers \| does not fit \|/m);
    assert.match(fs.readFileSync(path.join(out, "choice.html"), "utf8"), /<section id="parity-choice">[\s\S]*<svg/);
  });

  it("exits non-zero naming the key of an invalid requirements file", async () => {
    const { code, stdout, stderr } = await runs.bad;
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.match(stderr, /latency: unknown key; allowed keys: monthlyRequests/);
    assert.ok(!fs.existsSync(path.join(tmp, "bad-out")));
  });

  it("prints usage without --requirements", async () => {
    const { code, stderr } = await runs.none;
    assert.equal(code, 2);
    assert.match(stderr, /--requirements <file> is required/);
    assert.match(stderr, /usage: npm run choose -- --requirements <file\.yaml>/);
  });

  it("with a results file, adds the choice to that run's report.html (once, however often it runs)", async () => {
    const runDir = path.join(tmp, "run");
    fs.mkdirSync(runDir);
    const file = path.join(runDir, "results.json");
    fs.writeFileSync(file, JSON.stringify(resultsWith({ aws: { p99: 200, coldStart: 700, mean: 40 } }, { local: true })));
    fs.writeFileSync(path.join(runDir, "report.html"), "<html><body><h1>parity comparison</h1>\n</body></html>\n");
    const choice = choose({ requirements: readRequirements(example), requirementsFile: example, run: { file, results: JSON.parse(fs.readFileSync(file, "utf8")) } });
    for (let i = 0; i < 2; i++) {
      const written = await writeChoice(path.join(tmp, "with-results"), choice);
      assert.equal(written.report, path.join(runDir, "report.html"));
    }
    const report = fs.readFileSync(path.join(runDir, "report.html"), "utf8");
    assert.equal(report.match(/<section id="parity-choice">/g)?.length, 1);
    assert.match(report, /<h1>parity comparison<\/h1>[\s\S]*<section id="parity-choice">[\s\S]*Local emulation, not cloud performance[\s\S]*<\/section>\n<\/body>/);
    const md = fs.readFileSync(path.join(tmp, "with-results", "choice.md"), "utf8");
    assert.match(md, /\| aws \| Lambda \| fits with caveats \| 0 \| \d+ \| \$[\d.]+ \| 200 \(local\) \| 700 \(local\) \|/);
  });
});
