import assert from "node:assert/strict";
import { coldStartResult, type ColdSample } from "../../compare/phases";
import { renderMarkdown } from "../../compare/report";
import { resultsWith } from "../choose/fixtures";

const sample = (ms: number, instance?: string, cold?: boolean): ColdSample => ({ ms, status: 404, ...(instance ? { instance } : {}), ...(cold === undefined ? {} : { cold }) });

describe("compare: each cold sample is checked against the instance headers", () => {
  it("confirms samples answered cold by instances not seen before", () => {
    const result = coldStartResult([sample(300, "a", true), sample(200, "b", true), sample(250, "c", true)], "test", { ms: null, note: "" });
    assert.deepEqual(result.samples.map((s) => s.newInstance), [true, true, true]);
    assert.equal(result.notNewInstance, 0);
  });

  it("flags a warm answer, a repeated instance and an answer without headers", () => {
    const result = coldStartResult(
      [sample(300, "a", true), sample(20, "a", false), sample(40, "a", true), sample(250, "b", false), sample(500)],
      "test",
      { ms: null, note: "" },
    );
    assert.deepEqual(result.samples.map((s) => s.newInstance), [true, false, false, false, false]);
    assert.equal(result.notNewInstance, 4);
    // Flagged, not dropped: the median still covers every sample, and the report says which.
    assert.equal(result.median, 250);
  });

  it("the report marks flagged samples and counts them per platform", () => {
    const results = resultsWith({ aws: { p99: 10, coldStart: 300, mean: 5 }, gcp: { p99: 12, coldStart: 400, mean: 6 } });
    results.platforms[0].coldStart = coldStartResult([sample(300, "a", true), sample(20, "a", false)], "test", { ms: null, note: "" });
    results.platforms[1].coldStart = coldStartResult([sample(400, "x", true)], "test", { ms: null, note: "" });
    const markdown = renderMarkdown(results);
    assert.match(markdown, /\| aws \| 300, 20(\.0)? ⚠ \|/);
    assert.match(markdown, /did not hit a new instance[^\n]*aws 1 of 2/);
    assert.doesNotMatch(markdown, /gcp 0 of/);
  });
});
