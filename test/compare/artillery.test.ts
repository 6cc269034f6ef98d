/**
 * The Artillery engine without Artillery: the scripts and command lines it builds, and how it
 * reads Artillery's `--output` report (recorded from Artillery 2.0.21 runs against loopback
 * servers: fixtures/artillery-2.0.21-*.json). The runs themselves are in artillery.run.test.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { artilleryArgs, artilleryScript, cdfFromQuantiles, countMismatch, distributedModeProblem, installArgs, scriptDurationMs, missingAciEnvironment, parseArtilleryReport, summaryFromReport } from "../../compare/engines/artillery";
import { engineChoiceFrom } from "../../compare/engines/engine";
import { chartSpecs, engineLine } from "../../compare/report";
import type { Results } from "../../compare/results";

const fixture = (name: string) => parseArtilleryReport(JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8")), name);

describe("compare: Artillery engine (scripts, commands, reports)", () => {
  describe("engine flags", () => {
    it("defaults to the undici engine on this machine", () => {
      assert.deepEqual(engineChoiceFrom({}), { name: "undici", mode: "local", workers: 1 });
    });
    it("rejects an unknown engine, naming the allowed ones", () => {
      assert.throws(() => engineChoiceFrom({ engine: "k6" }), /--engine must be one of undici, artillery; got "k6"/);
    });
    it("takes --workers and --region as Lambda mode unless --mode says otherwise", () => {
      assert.deepEqual(engineChoiceFrom({ engine: "artillery", workers: "10", region: "eu-west-1" }), { name: "artillery", mode: "lambda", workers: 10, region: "eu-west-1" });
      assert.equal(engineChoiceFrom({ engine: "artillery", mode: "fargate", workers: "2", region: "us-east-1" }).mode, "fargate");
    });
    it("refuses distributed flags on the undici engine, and a distributed mode without a region", () => {
      assert.throws(() => engineChoiceFrom({ workers: "4", region: "eu-west-1" }), /need --engine artillery/);
      assert.throws(() => engineChoiceFrom({ engine: "artillery", mode: "lambda", workers: "4" }), /needs --region/);
      assert.throws(() => engineChoiceFrom({ engine: "artillery", mode: "ecs", region: "x" }), /--mode must be one of local, lambda, fargate, aci/);
    });
    it("bounds --workers at 1 and 1000 (both allowed) and refuses 0, 1001 and fractions", () => {
      const workers = (n: string) => engineChoiceFrom({ engine: "artillery", workers: n, region: "eu-west-1" }).workers;
      assert.equal(workers("1"), 1);
      assert.equal(workers("1000"), 1000);
      for (const bad of ["0", "1001", "2.5", "ten"]) assert.throws(() => workers(bad), /--workers must be a whole number from 1 to 1000/, bad);
    });
  });

  describe("script", () => {
    const spec = { target: "https://api.example.com", path: "/users/u1?parity-step=2", headers: { "x-api-key": "k" }, ratePerSecond: 40, durationMs: 3000, timeoutMs: 5000, workers: 1 };
    it("is one arrivalRate phase with a connection pool, a timeout in seconds and the tagged GET", () => {
      assert.deepEqual(artilleryScript(spec), {
        config: { target: "https://api.example.com", phases: [{ name: "measured", duration: 3, arrivalRate: 40 }], http: { pool: 64, timeout: 5 } },
        scenarios: [{ name: "read one user", flow: [{ get: { url: "/users/u1?parity-step=2", headers: { "x-api-key": "k" } } }] }],
      });
    });
    it("writes a duration below whole seconds in ms, which Artillery's phase parser reads", () => {
      const phases = (artilleryScript({ ...spec, durationMs: 500 }).config as { phases: { duration: unknown }[] }).phases;
      assert.equal(phases[0].duration, "500ms");
    });
    it("knows its own length, which bounds how long a run may take", () => {
      assert.equal(scriptDurationMs(artilleryScript(spec)), 3000);
      assert.equal(scriptDurationMs(artilleryScript({ ...spec, durationMs: 500 })), 500);
    });
    it("splits the total rate among the workers (each runs the whole script)", () => {
      const phases = (artilleryScript({ ...spec, ratePerSecond: 1000, workers: 10 }).config as { phases: { arrivalRate: number }[] }).phases;
      assert.equal(phases[0].arrivalRate, 100);
    });
  });

  describe("command lines (built and checked here; the distributed modes cannot run on this machine)", () => {
    it("runs locally with `artillery run --output`", () => {
      assert.deepEqual(artilleryArgs({ mode: "local", workers: 1 }, "s.yml", "r.json"), ["run", "--quiet", "--output", "r.json", "s.yml"]);
    });
    it("uses Artillery's own run-lambda, run-fargate and run-aci with --count and --region", () => {
      for (const [mode, command] of [["lambda", "run-lambda"], ["fargate", "run-fargate"], ["aci", "run-aci"]] as const) {
        assert.deepEqual(artilleryArgs({ mode, workers: 10, region: "eu-west-1" }, "s.yml", "r.json"), [command, "--count", "10", "--region", "eu-west-1", "--output", "r.json", "s.yml"]);
      }
    });
    it("names the Azure settings run-aci needs that are missing", () => {
      assert.deepEqual(missingAciEnvironment({ AZURE_TENANT_ID: "t", AZURE_SUBSCRIPTION_ID: "s", AZURE_RESOURCE_GROUP: "g" }), ["AZURE_STORAGE_ACCOUNT", "AZURE_BLOB_CONTAINER"]);
      assert.deepEqual(missingAciEnvironment({ AZURE_TENANT_ID: "t", AZURE_SUBSCRIPTION_ID: "s", AZURE_RESOURCE_GROUP: "g", AZURE_STORAGE_ACCOUNT: "a", AZURE_BLOB_CONTAINER: "c" }), []);
    });
    it("refuses a distributed mode against the local cloud, and run-aci without its Azure settings", () => {
      assert.match(distributedModeProblem({ mode: "lambda" }, "local", {}) ?? "", /cannot reach the local cloud/);
      assert.equal(distributedModeProblem({ mode: "lambda" }, "stack", {}), undefined);
      assert.equal(distributedModeProblem({ mode: "local" }, "local", {}), undefined);
      assert.match(distributedModeProblem({ mode: "aci" }, "endpoints", { AZURE_TENANT_ID: "t" }) ?? "", /--mode aci needs AZURE_SUBSCRIPTION_ID, AZURE_STORAGE_ACCOUNT/);
    });
    it("installs from engines/artillery's own lock file, without audit or fund calls", () => {
      const args = installArgs();
      assert.equal(args[0], "ci");
      assert.match(args[args.indexOf("--prefix") + 1], /engines[/\\]artillery$/);
      assert.ok(args.includes("--no-audit") && args.includes("--no-fund"));
    });
  });

  describe("report", () => {
    it("counts statuses into the phase's classes (recorded: 20 req/s × 2 s against 200,200,404,429,503 in turn)", () => {
      const summary = summaryFromReport(fixture("artillery-2.0.21-statuses.json"), { ratePerSecond: 20, durationMs: 2000 });
      assert.deepEqual(summary.statuses, { "200": 16, "404": 8, "429": 8, "503": 8 });
      assert.deepEqual(
        { scheduled: summary.scheduled, answered: summary.answered, ok: summary.ok, throttled: summary.throttled, unavailable: summary.unavailable, otherErrors: summary.otherErrors, networkErrors: summary.networkErrors, timeouts: summary.timeouts },
        { scheduled: 40, answered: 40, ok: 16, throttled: 8, unavailable: 8, otherErrors: 8, networkErrors: 0, timeouts: 0 },
      );
      assert.equal(summary.latency.count, 40);
      assert.equal(summary.countMismatch, undefined);
      assert.equal(summary.dispatchLag.count, 0, "Artillery does not report its own lateness: left empty, not zero");
    });
    it("counts refused connections as network errors and socket timeouts as timeouts, by name", () => {
      const refused = summaryFromReport(fixture("artillery-2.0.21-refused.json"), { ratePerSecond: 5, durationMs: 1000 });
      assert.deepEqual([refused.networkErrors, refused.timeouts, refused.answered], [5, 0, 0]);
      assert.deepEqual(refused.errors, { ECONNREFUSED: 5 });
      assert.ok(Number.isNaN(refused.latency.p50), "no answer, no latency");
      const timedOut = summaryFromReport(fixture("artillery-2.0.21-timeouts.json"), { ratePerSecond: 3, durationMs: 1000 });
      assert.deepEqual([timedOut.timeouts, timedOut.networkErrors], [3, 0]);
    });
    it("flags a count that is not rate × duration", () => {
      // The recorded run sent 40; asked as 30 req/s × 2 s it should have sent 60.
      const summary = summaryFromReport(fixture("artillery-2.0.21-statuses.json"), { ratePerSecond: 30, durationMs: 2000 });
      assert.match(summary.countMismatch ?? "", /sent 40 requests where rate × duration is 60/);
    });
    it("allows 1 % (at least one request) of rounding across workers, and no skipped users", () => {
      assert.equal(countMismatch(1000, 990, 0), undefined);
      assert.match(countMismatch(1000, 989, 0) ?? "", /sent 989/);
      assert.equal(countMismatch(40, 41, 0), undefined);
      assert.match(countMismatch(40, 42, 0) ?? "", /sent 42/);
      assert.match(countMismatch(40, 40, 3) ?? "", /3 virtual users skipped/);
    });
    it("builds the CDF from the report's quantiles, in order, ending at the max", () => {
      const summaryOf = fixture("artillery-2.0.21-statuses.json").aggregate.summaries["http.response_time"];
      const cdf = cdfFromQuantiles(summaryOf);
      assert.deepEqual(cdf.map((p) => p.percentile), [0, 50, 75, 90, 95, 99, 99.9, 100]);
      assert.equal(cdf[cdf.length - 1].ms, summaryOf.max);
      for (let i = 1; i < cdf.length; i++) assert.ok(cdf[i].ms >= cdf[i - 1].ms);
      assert.deepEqual(cdfFromQuantiles(undefined), []);
    });
    it("refuses a file that is not an Artillery report, saying what is missing", () => {
      assert.throws(() => parseArtilleryReport({ summary: {} }, "x.json"), /x.json: not an Artillery report/);
      assert.throws(() => parseArtilleryReport({ aggregate: {} }, "x.json"), /aggregate.counters/);
    });
  });

  it("labels the report: engine, where, workers, and a CDF built from quantiles", () => {
    const line = engineLine({ name: "artillery", version: "2.0.21", mode: "lambda", workers: 10, region: "eu-west-1", latencyMeasures: "x", cdfFrom: "quantiles", queueDelay: "built-in client" });
    assert.match(line, /artillery 2\.0\.21, Artillery lambda mode, 10 workers in eu-west-1/);
    assert.match(line, /drawn from the engine's reported quantiles/);
    assert.doesNotMatch(engineLine({ name: "undici", version: "6", mode: "local", workers: 1, region: null, latencyMeasures: "x", cdfFrom: "histogram", queueDelay: "q" }), /quantiles/);
  });

  it("titles the CDF chart by what it was built from", () => {
    const results = (engine?: Results["engine"]) =>
      ({ engine, platforms: [{ platform: "aws", measured: true, errors: [], warm: { cdf: [{ percentile: 50, ms: 3 }], latency: { p50: 3, p90: 4, p99: 5, p999: 6, max: 7 } } }], unavailable: [], phases: {} }) as unknown as Results;
    const title = (r: Results) => chartSpecs(r).find((c) => c.id === "latency-cdf")?.title;
    assert.match(title(results({ name: "artillery", version: "2.0.21", mode: "local", workers: 1, region: null, latencyMeasures: "x", cdfFrom: "quantiles", queueDelay: "q" })) ?? "", /from artillery's quantiles/);
    assert.match(title(results()) ?? "", /from the intended send time/);
  });
});
