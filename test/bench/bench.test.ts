import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { goal, GOALS, loadableFile, loadOnce, spreadOf } from "../../bench/measure";
import { bundleRow, goalsOf, parseArgs, type Measured } from "../../bench/run";

const measured = (platform: Measured["platform"], functionName: string, bytes: number, loadMs: number): Measured => ({
  label: `${platform} ${functionName}`,
  platform,
  functionName,
  kind: "parity",
  bytes,
  gzipBytes: bytes / 3,
  load: spreadOf([loadMs]),
});

describe("bench: measurements and goals", () => {
  it("spreadOf gives median and quartiles", () => {
    assert.deepEqual(spreadOf([5, 1, 3, 2, 4]), { median: 3, p25: 2, p75: 4, min: 1, max: 5, samples: 5 });
    assert.equal(spreadOf([1, 2]).median, 1.5);
    assert.ok(Number.isNaN(spreadOf([]).median));
  });

  it("a goal is met at its limit and missed one past it", () => {
    assert.equal(goal("bytes", 1.1, GOALS.bundleVsBaseline).met, true);
    assert.equal(goal("bytes", 1.1001, GOALS.bundleVsBaseline).met, false);
    assert.equal(goal("warm", 0.9, GOALS.warmVsRaw, false).met, true);
    assert.equal(goal("warm", 0.8999, GOALS.warmVsRaw, false).met, false);
    assert.equal(goal("nan", NaN, 1).met, false);
  });

  it("goalsOf judges bundles against baselines, Workers against 60 KB, Google Cloud against AWS users-api", () => {
    const goals = goalsOf(
      [
        bundleRow(measured("aws", "users-api", 110, 50), measured("aws", "users-api", 100, 50)),
        bundleRow(measured("gcp", "users-api", 1000, 100.5)),
        bundleRow(measured("cloudflare", "users-api", 60 * 1024 + 1, 5)),
      ],
      [{ label: "web", coreRate: 900, rawRate: 1000, ratio: 0.9 }],
    );
    const byName = Object.fromEntries(goals.map((g) => [g.name, g.met]));
    assert.equal(byName["aws users-api: bytes ≤ 1.1× baseline"], true);
    assert.equal(byName["aws users-api: module load ≤ 1.1× baseline"], true);
    assert.equal(byName["gcp users-api: module load ≤ 2× AWS users-api"], false);
    assert.equal(byName["cloudflare users-api: ≤ 60 KB minified"], false);
    assert.equal(byName["web: core ≥ 0.9× raw handler"], true);
    assert.equal(goals.some((g) => g.name.startsWith("gcp users-api: bytes")), false, "no baseline, no ratio goal");
  });

  it("parseArgs: --quick bounds the run; fewer than 11 loads and unknown options are refused with the usage", () => {
    assert.deepEqual(parseArgs(["--quick"]), { loads: 11, warmMs: 1_000, loadgen: false });
    assert.equal(parseArgs(["--loads", "11"]).loads, 11);
    assert.throws(() => parseArgs(["--loads", "10"]), /at least 11[\s\S]*usage: npm run bench/);
    assert.throws(() => parseArgs(["--fast"]), /unknown option --fast[\s\S]*usage/);
    assert.throws(() => parseArgs(["--out"]), /--out needs a value/);
  });

  it("loadOnce times a require in a fresh process and reports a failing module with its error", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-bench-"));
    try {
      const good = path.join(dir, "good.js");
      fs.writeFileSync(good, "module.exports = 1;");
      const bad = path.join(dir, "bad.js");
      fs.writeFileSync(bad, "throw new Error('boom at load');");
      assert.ok(loadOnce(good) >= 0);
      assert.throws(() => loadOnce(bad), /boom at load/);
      // A Workers-style ES module in a .js file loads through an .mjs copy made elsewhere: a bundle's folder is what gets packaged.
      const workers = path.join(dir, "index.js");
      fs.writeFileSync(workers, "export default { fetch() {} };");
      assert.equal(loadableFile(good), good);
      const copy = loadableFile(workers);
      assert.match(copy, /\.mjs$/);
      assert.notEqual(path.dirname(copy), dir);
      assert.deepEqual(fs.readdirSync(dir).sort(), ["bad.js", "good.js", "index.js"]);
      assert.ok(loadOnce(copy) >= 0);
      fs.rmSync(path.dirname(copy), { recursive: true, force: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
