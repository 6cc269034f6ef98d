/**
 * The report's charts draw their marks: each chart rendered to SVG (as the HTML report embeds it)
 * has, in every mark group of every view, marks with a paint. An empty plot (axes, no bars) fails
 * here without a browser; test/compare/compare.e2e.test.ts checks the same in headless Chromium.
 */
import assert from "node:assert/strict";
import { chartSpecs, renderSvg } from "../../compare/report";
import { estimateCost, loadPricing, pricingFor, stackUseFor } from "../../compare/cost";
import { platforms } from "../../components/catalog";
import { readStackFile } from "../../local/stack";
import { stackRegions } from "../../components/stack-file";
import { resultsWith } from "../choose/fixtures";

/** Per mark group (`concat_0_marks`, `marks`, …): how many marks it holds and how many carry a fill or stroke. */
export function marksOf(svg: string): { group: string; marks: number; painted: number }[] {
  return svg
    .split(/<g class="mark-/)
    .slice(1)
    .filter((chunk) => /^[a-z]+ role-mark /.test(chunk))
    .map((chunk) => {
      const group = /^[a-z]+ role-mark ([^"]*)"/.exec(chunk)![1];
      // A mark group of rects, lines or symbols holds only its marks, up to its closing tag.
      const body = chunk.slice(0, chunk.indexOf("</g>"));
      const marks = body.match(/<path [^>]*role="graphics-symbol"[^>]*>/g) ?? [];
      return { group, marks: marks.length, painted: marks.filter((m) => / fill="(?!none|transparent)[^"]+"| stroke="(?!none|transparent)[^"]+"/.test(m)).length };
    });
}

describe("compare: report charts", () => {
  it("the cost chart paints a bar for every platform's every kind of line, and the per-1M bars beside them", async () => {
    const pricing = loadPricing();
    const config = readStackFile("prod", "unused-0123456789abcdef");
    const regions = stackRegions("prod");
    const results = resultsWith({ aws: { p99: 30, coldStart: 300, mean: 20 }, gcp: { p99: 40, coldStart: 900, mean: 25 }, azure: { p99: 50, coldStart: 1200, mean: 30 }, cloudflare: { p99: 20, coldStart: 10, mean: 10 } });
    for (const result of results.platforms) {
      const { table, region } = pricingFor(pricing, result.platform, regions[result.platform])!;
      result.cost = { ...estimateCost(table, { durationMs: 50, memoryMb: 1024, warmInstances: 2, monthlyRequests: 10_000_000, freeTier: false, stack: stackUseFor(config, result.platform) }, region), durationSource: "stated" };
    }
    const chart = chartSpecs(results).find((c) => c.id === "cost")!;
    assert.match(chart.title, /^Cost of the stack: per month at 10,000,000 users-api requests \(steady traffic\), by kind of line \(free tiers left out\)/);
    const groups = marksOf(await renderSvg(chart.spec));
    assert.deepEqual(groups.map((g) => g.group), ["concat_0_marks", "concat_1_marks"]);
    // Left: one stacked bar per kind with a cost on each platform (AWS has all seven kinds; the others no front).
    const kinds = results.platforms.reduce((total, p) => total + new Set(p.cost!.breakdown.filter((l) => l.usd >= 0.005).map((l) => l.kind)).size, 0);
    assert.equal(groups[0].marks, kinds);
    assert.equal(groups[0].painted, kinds, "every bar has its colour (a colour scale shared with the per-1M view left them unpainted)");
    assert.equal(groups[1].marks, platforms.length);
    assert.equal(groups[1].painted, platforms.length);
  });

  it("counts an unpainted mark as a mark without paint", () => {
    const svg = '<svg><g class="mark-rect role-mark concat_0_marks" role="graphics-object"><path role="graphics-symbol" d="M0,0h1v1h-1Z"/><path role="graphics-symbol" d="M0,0h1v1h-1Z" fill="#4c78a8"/></g><g class="mark-line role-mark marks"><path role="graphics-symbol" d="M0,0L1,1" stroke="none"/></g></svg>';
    assert.deepEqual(marksOf(svg), [
      { group: "concat_0_marks", marks: 2, painted: 1 },
      { group: "marks", marks: 1, painted: 0 },
    ]);
  });
});
