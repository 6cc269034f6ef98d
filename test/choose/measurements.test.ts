/**
 * What choose takes from a compare run (choose/measurements.ts): each platform's warm p99, mean
 * service time and cold-start median, cloud or local, and for a figure that is missing the
 * reason the report shows.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isLocal, measurementOf, readResults } from "../../choose/measurements";
import { fullPhases } from "../../compare/presets";
import { LOCAL_LABEL } from "../../compare/results";
import { resultsWith } from "./fixtures";

const run = (results: ReturnType<typeof resultsWith>) => ({ file: "results.json", results });

describe("choose: measurements from a compare run", () => {
  it("takes a measured platform's warm p99, mean service time and cold-start median, as cloud figures", () => {
    const results = resultsWith({ aws: { p99: 120, coldStart: 400, mean: 30 }, gcp: { p99: 90, coldStart: 700, mean: 20 } });
    assert.deepEqual(measurementOf(run(results), "gcp"), { kind: "cloud", warmRate: fullPhases.warmRate, p99LatencyMs: 90, durationMs: 20, coldStartMs: 700, missing: {} });
  });

  it("local: by the local label or by a local target, either alone", () => {
    const local = resultsWith({ aws: { p99: 5, coldStart: 50, mean: 2 } }, { local: true });
    assert.equal(isLocal(local), true);
    assert.equal(measurementOf(run(local), "aws").kind, "local");
    assert.equal(isLocal({ ...local, target: { kind: "stack", stack: "dev" } }), true, "the label alone");
    assert.equal(isLocal({ ...local, label: null }), true, "the target alone");
    assert.equal(isLocal({ ...local, label: null, target: { kind: "stack", stack: "dev" } }), false);
    assert.equal(isLocal({ ...local, label: `${LOCAL_LABEL}!`, target: { kind: "stack", stack: "dev" } }), false, "another label");
  });

  it("a platform not in the run: both figures missing, with the run's reason or 'not part of this run'", () => {
    const results = resultsWith({ aws: { p99: 120, coldStart: 400, mean: 30 } });
    const why = "not deployed in this stack";
    assert.deepEqual(measurementOf(run(results), "azure"), { kind: "cloud", warmRate: fullPhases.warmRate, missing: { p99LatencyMs: why, coldStartMs: why } });
    const reasons = { ...results, unavailable: [{ platform: "gcp" as const, reason: "no URL for gcp" }, { platform: "azure" as const, reason: "azure: stack not deployed" }, { platform: "cloudflare" as const, reason: "no URL for cloudflare" }] };
    assert.equal(measurementOf(run(reasons), "azure").missing.coldStartMs, "azure: stack not deployed", "the platform's own reason");
    const unlisted = { ...results, unavailable: [] };
    assert.deepEqual(measurementOf(run(unlisted), "azure").missing, { p99LatencyMs: "not part of this run", coldStartMs: "not part of this run" });
  });

  it("a platform that failed the smoke: both figures missing, saying how many checks failed", () => {
    const results = resultsWith({ aws: { p99: 120, coldStart: 400, mean: 30 } });
    results.platforms[0] = { ...results.platforms[0], measured: false, smoke: { ...results.platforms[0].smoke, failed: 3 } };
    const why = "failed the correctness smoke (3 failed), so it was not measured";
    const measurement = measurementOf(run(results), "aws");
    assert.deepEqual(measurement.missing, { p99LatencyMs: why, coldStartMs: why });
    assert.equal(measurement.p99LatencyMs, undefined);
  });

  it("a phase that gave nothing usable: that figure missing with the phase's error, or 'no … phase'; the other kept", () => {
    const results = resultsWith({ aws: { p99: 120, coldStart: 400, mean: 30 } });
    const [aws] = results.platforms;
    const warmLess = { ...aws, warm: undefined, errors: [{ phase: "warm latency", message: "every request timed out" }] };
    results.platforms[0] = warmLess;
    assert.deepEqual(measurementOf(run(results), "aws"), { kind: "cloud", warmRate: fullPhases.warmRate, coldStartMs: 400, missing: { p99LatencyMs: "every request timed out" } });

    results.platforms[0] = { ...aws, warm: { ...aws.warm!, answered: 0 }, errors: [{ phase: "cold start", message: "unrelated" }] };
    assert.deepEqual(measurementOf(run(results), "aws").missing, { p99LatencyMs: "no warm latency phase in this run" });

    results.platforms[0] = { ...aws, warm: { ...aws.warm!, latency: { ...aws.warm!.latency, p99: NaN } } };
    assert.deepEqual(measurementOf(run(results), "aws").missing, { p99LatencyMs: "no warm latency phase in this run" });

    results.platforms[0] = { ...aws, coldStart: undefined, errors: [{ phase: "cold start", message: "the function never went cold" }] };
    const coldLess = measurementOf(run(results), "aws");
    assert.deepEqual(coldLess.missing, { coldStartMs: "the function never went cold" });
    assert.equal(coldLess.p99LatencyMs, 120);
    assert.equal(coldLess.durationMs, 30);

    results.platforms[0] = { ...aws, coldStart: { ...aws.coldStart!, median: NaN } };
    assert.deepEqual(measurementOf(run(results), "aws").missing, { coldStartMs: "no cold start phase in this run" });
  });

  it("readResults: a compare results file, or an error saying what to pass", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "choose-results-"));
    const file = path.join(dir, "results.json");
    const results = resultsWith({ aws: { p99: 120, coldStart: 400, mean: 30 } });
    fs.writeFileSync(file, JSON.stringify(results));
    assert.deepEqual(readResults(file), { file, results });
    const missing = path.join(dir, "missing.json");
    assert.throws(() => readResults(missing), { message: `--results: no such file ${missing}; pass reports/<timestamp>/results.json from npm run compare` });
    const other = path.join(dir, "other.json");
    fs.writeFileSync(other, JSON.stringify({ schema: "parity-bench/1" }));
    assert.throws(() => readResults(other), { message: `--results: ${other} is not a parity-compare/1 results file (schema "parity-bench/1")` });
    fs.writeFileSync(other, "null");
    assert.throws(() => readResults(other), { message: `--results: ${other} is not a parity-compare/1 results file (schema undefined)` });
  });
});
