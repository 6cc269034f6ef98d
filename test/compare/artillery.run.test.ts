/**
 * The Artillery engine with Artillery itself (installed in engines/artillery). Installing it
 * takes about a minute (measured: docs/comparing.md, Load engines), more than `npm test` can spend, so
 * these run when it is installed, and `npm run test:artillery` installs it and runs them all,
 * with the end-to-end compare.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../components/bundle";
import { ARTILLERY_DIR, artilleryArgs, artilleryEngine, artilleryInstalled, artilleryScript, runArtilleryScript, summaryFromReport } from "../../compare/engines/artillery";
import type { Results } from "../../compare/results";

const installed = artilleryInstalled();
const notInstalled = "skipped: Artillery is not installed in engines/artillery (its install took 48–99 s here, kept out of npm test; `npm run test:artillery` installs it and runs these)";
const e2e = installed && process.env.PARITY_ARTILLERY_E2E === "1";
const noE2e = "skipped: 4 Artillery runs per platform took 7 min here (2 shared cores), beyond npm test's budget; `npm run test:artillery` runs it";

describe("compare: Artillery engine, running Artillery", function () {
  this.timeout(60_000);

  it(installed ? "runs a 20 req/s × 2 s script against a loopback server: 40 requests, statuses counted, summary keys present" : `runs a 20 req/s × 2 s script against a loopback server (${notInstalled})`, async function () {
    if (!installed) return this.skip();
    let served = 0;
    const server = http.createServer((request, response) => {
      served++;
      // Every fourth request is throttled: the counts must land in their classes.
      response.writeHead(served % 4 === 0 ? 429 : 200, { "content-type": "application/json" });
      response.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const script = artilleryScript({ target: `http://127.0.0.1:${port}`, path: "/users/u1?parity-step=1", headers: { "x-api-key": "k" }, ratePerSecond: 20, durationMs: 2000, timeoutMs: 5000, workers: 1 });
      const report = await runArtilleryScript(script, { mode: "local", workers: 1 });
      const summary = summaryFromReport(report, { ratePerSecond: 20, durationMs: 2000 });
      assert.equal(served, 40, "the server saw 40 requests");
      assert.equal(report.aggregate.counters["http.requests"], 40);
      assert.deepEqual(summary.statuses, { "200": 30, "429": 10 });
      assert.deepEqual([summary.answered, summary.ok, summary.throttled, summary.networkErrors, summary.timeouts], [40, 30, 10, 0, 0]);
      assert.equal(summary.countMismatch, undefined);
      const keys = Object.keys(report.aggregate.summaries["http.response_time"]).sort();
      for (const key of ["count", "max", "mean", "min", "p50", "p75", "p90", "p95", "p99", "p999"]) assert.ok(keys.includes(key), `summary key ${key} in ${keys}`);
      assert.equal(summary.latency.count, 40);
    } finally {
      server.close();
    }
  });

  it(installed ? "builds distributed command lines from flags Artillery's own commands define (not run: no cloud here)" : `builds distributed command lines from Artillery's flags (${notInstalled})`, function () {
    if (!installed) return this.skip();
    for (const [mode, file] of [["lambda", "run-lambda"], ["fargate", "run-fargate"], ["aci", "run-aci"]] as const) {
      // The oclif command classes of the Artillery engines/artillery pins (2.0.34: compiled to
      // dist/, a default export): their static `flags` are what the CLI accepts.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const command = (require(path.join(ARTILLERY_DIR, "node_modules", "artillery", "dist", "lib", "cmds", `${file}.js`)) as { default: { flags: Record<string, unknown> } }).default;
      const args = artilleryArgs({ mode, workers: 10, region: "eu-west-1" }, "s.yml", "r.json");
      assert.equal(args[0], file);
      for (const flag of args.filter((a) => a.startsWith("--"))) assert.ok(flag.slice(2) in command.flags, `${file} defines ${flag}`);
    }
  });

  it(e2e ? "the engine's warm phase and ramp against a loopback server: tagged requests with the key, quantile CDF, ramp stops at the throttled step" : `the engine's warm phase and ramp against a loopback server (${installed ? noE2e : notInstalled})`, async function () {
    if (!e2e) return this.skip();
    this.timeout(300_000);
    const seen: { url: string; key: string | undefined }[] = [];
    const server = http.createServer((request, response) => {
      seen.push({ url: request.url ?? "", key: request.headers["x-api-key"] as string | undefined });
      // The second ramp step is throttled whole: the ramp must stop there.
      response.writeHead(request.url?.includes("parity-step=2") ? 429 : 200, { "content-type": "application/json" });
      response.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const endpoint = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: "k" };
      const engine = artilleryEngine({ name: "artillery", mode: "local", workers: 1 }, () => undefined);
      const warm = await engine.warm(endpoint, "u1", { ratePerSecond: 5, durationMs: 1000, warmupMs: 1000 });
      assert.deepEqual([warm.scheduled, warm.answered, warm.ok], [5, 5, 5]);
      assert.deepEqual(warm.cdf.map((p) => p.percentile), [0, 50, 75, 90, 95, 99, 99.9, 100]);
      assert.equal(engine.info.version, (JSON.parse(fs.readFileSync(path.join(ARTILLERY_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies.artillery, "the version engines/artillery pins");
      const ramp = await engine.ramp(endpoint, "u1", { rates: [5, 10, 20], stepMs: 1000, maxErrorRate: 0.01 });
      assert.equal(ramp.steps.length, 2, "no third step after the throttled one");
      assert.equal(ramp.steps[1].throttled, 10);
      assert.equal(ramp.sustainedRate, 5);
      assert.match(ramp.stoppedBecause, /errors at 10 req\/s: 100\.0 % \(10 × 429\)/);
      const tags = seen.map((s) => new URL(s.url, "http://x").search);
      assert.deepEqual([...new Set(tags)], ["?parity-phase=warmup", "?parity-phase=warm", "?parity-step=1", "?parity-step=2"]);
      assert.ok(seen.every((s) => s.key === "k" && s.url.startsWith("/users/u1?")));
    } finally {
      server.close();
    }
  });

  it(e2e ? "`npm run compare -- --quick --engine artillery` against the local cloud writes a report whose engine is Artillery" : `\`npm run compare -- --quick --engine artillery\` against the local cloud (${installed ? noE2e : notInstalled})`, async function () {
    if (!e2e) return this.skip();
    this.timeout(900_000);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-compare-artillery-"));
    try {
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/compare.ts", "--quick", "--engine", "artillery", "--out", outDir], { cwd: projectRoot, stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        child.stderr.on("data", (chunk) => (err += chunk));
        const timer = setTimeout(() => child.kill("SIGINT"), 880_000);
        child.on("error", reject);
        child.on("exit", (exitCode) => {
          clearTimeout(timer);
          resolve({ code: exitCode, stderr: err });
        });
      });
      assert.equal(code, 0, stderr.slice(-4000));
      const results = JSON.parse(fs.readFileSync(path.join(outDir, "results.json"), "utf8")) as Results;
      assert.equal(results.engine?.name, "artillery");
      assert.equal(results.engine?.cdfFrom, "quantiles");
      assert.match(results.engine?.version ?? "", /^2\.\d+\.\d+$/);
      const measured = results.platforms.filter((p) => p.measured);
      assert.ok(measured.length > 0, "at least one platform measured");
      for (const p of measured) {
        assert.ok(p.warm && p.warm.answered > 0, `${p.platform}: warm phase answered`);
        assert.ok(p.ramp && p.ramp.steps.length > 0, `${p.platform}: ramp ran`);
      }
      assert.match(fs.readFileSync(path.join(outDir, "report.md"), "utf8"), /Load engine: artillery 2\./);
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });
});
