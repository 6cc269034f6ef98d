/**
 * The ranking on its own (choose/rank.ts), over verdicts built here: which platforms take part,
 * which criteria are used or skipped and why, each figure's score (best / value), the weighted
 * mean, and the order on ties. Every figure is chosen so that a wrong rule gives another number.
 */
import assert from "node:assert/strict";
import type { Platform } from "../../components/catalog";
import { criterionLabel, rankPlatforms } from "../../choose/rank";
import type { Figures, PlatformVerdict, Verdict } from "../../choose/verdict";

const verdict = (platform: Platform, verdict: Verdict, figures: Figures): PlatformVerdict => ({ platform, verdict, reasons: [], figures });
const cloud = (cost: number, p99: number, coldStart: number): Figures => ({ costUsdPerMonth: cost, p99LatencyMs: p99, coldStartMs: coldStart, measuredOn: "cloud" });
const all = { cost: 1, latency: 1, coldStart: 1 };

describe("choose: ranking", () => {
  it("scores each criterion best / value and weighs them: the figures, the scores, the mean", () => {
    const ranking = rankPlatforms(
      [verdict("aws", "fits", cloud(10, 100, 400)), verdict("gcp", "caveats", cloud(20, 50, 800)), verdict("azure", "fits", cloud(40, 200, 200))],
      { cost: 2, latency: 1, coldStart: 1 },
    );
    assert.deepEqual(ranking.used, { cost: 2, latency: 1, coldStart: 1 });
    assert.deepEqual(ranking.skipped, []);
    const aws = ranking.ranked.find((r) => r.platform === "aws")!;
    assert.deepEqual(aws.figures, { cost: { value: 10, score: 1 }, latency: { value: 100, score: 0.5 }, coldStart: { value: 400, score: 0.5 } });
    assert.equal(aws.score, (2 * 1 + 1 * 0.5 + 1 * 0.5) / 4);
    const gcp = ranking.ranked.find((r) => r.platform === "gcp")!;
    assert.deepEqual(gcp.figures, { cost: { value: 20, score: 0.5 }, latency: { value: 50, score: 1 }, coldStart: { value: 800, score: 0.25 } });
    assert.equal(gcp.score, (2 * 0.5 + 1 + 0.25) / 4);
    assert.equal(gcp.verdict, "caveats");
    const azure = ranking.ranked.find((r) => r.platform === "azure")!;
    assert.equal(azure.score, (2 * 0.25 + 0.25 + 1) / 4);
    assert.deepEqual(ranking.ranked.map((r) => r.platform), ["aws", "gcp", "azure"], "best score first");
  });

  it("leaves out platforms that do not fit, and a best figure comes from those that do", () => {
    const ranking = rankPlatforms([verdict("aws", "no", cloud(1, 1, 1)), verdict("gcp", "fits", cloud(20, 50, 800)), verdict("azure", "caveats", cloud(40, 100, 400))], all);
    assert.deepEqual(ranking.ranked.map((r) => r.platform), ["gcp", "azure"]);
    assert.deepEqual(ranking.ranked[0].figures.cost, { value: 20, score: 1 });
    assert.deepEqual(ranking.ranked[1].figures.coldStart, { value: 400, score: 1 });
  });

  it("a figure of 0 scores 1 (no division by zero), as does the best", () => {
    const ranking = rankPlatforms([verdict("aws", "fits", { costUsdPerMonth: 0 }), verdict("cloudflare", "fits", { costUsdPerMonth: 5 })], { cost: 1, latency: 0, coldStart: 0 });
    assert.deepEqual(ranking.ranked.map((r) => [r.platform, r.figures.cost]), [
      ["aws", { value: 0, score: 1 }],
      ["cloudflare", { value: 5, score: 0 }],
    ]);
  });

  it("uses only criteria weighted above 0; with none, every score is null and nothing is skipped", () => {
    const figures = cloud(10, 100, 400);
    const latencyOnly = rankPlatforms([verdict("aws", "fits", figures), verdict("gcp", "fits", cloud(10, 50, 400))], { cost: 0, latency: 3, coldStart: 0 });
    assert.deepEqual(latencyOnly.used, { latency: 3 });
    assert.deepEqual(latencyOnly.ranked.map((r) => [r.platform, r.score, Object.keys(r.figures)]), [
      ["gcp", 1, ["latency"]],
      ["aws", 0.5, ["latency"]],
    ]);
    const none = rankPlatforms([verdict("aws", "fits", figures)], { cost: 0, latency: 0, coldStart: 0 });
    assert.deepEqual(none, { ranked: [{ platform: "aws", verdict: "fits", score: null, figures: {} }], used: {}, skipped: [] });
  });

  it("with no platform that fits: no ranking, no criterion used or skipped", () => {
    assert.deepEqual(rankPlatforms([verdict("aws", "no", cloud(1, 1, 1))], all), { ranked: [], used: {}, skipped: [] });
  });

  it("skips a criterion any candidate lacks, saying why: no volume for cost, local emulation, or which platforms are unmeasured", () => {
    const noCost = rankPlatforms([verdict("aws", "fits", { p99LatencyMs: 100, coldStartMs: 400, measuredOn: "cloud" }), verdict("gcp", "fits", cloud(10, 100, 400))], all);
    assert.deepEqual(noCost.skipped, [{ criterion: "cost", why: "no monthlyRequests to estimate it at" }]);
    assert.deepEqual(noCost.used, { latency: 1, coldStart: 1 });

    const local: Figures = { costUsdPerMonth: 10, p99LatencyMs: 5, coldStartMs: 50, measuredOn: "local" };
    const onLocal = rankPlatforms([verdict("aws", "fits", local), verdict("gcp", "fits", { ...local, costUsdPerMonth: 20 })], all);
    const why = "measured on local emulation only, which never decides a ranking";
    assert.deepEqual(onLocal.skipped, [
      { criterion: "latency", why },
      { criterion: "coldStart", why },
    ]);
    assert.deepEqual(onLocal.used, { cost: 1 });
    assert.deepEqual(onLocal.ranked.map((r) => [r.platform, r.score]), [
      ["aws", 1],
      ["gcp", 0.5],
    ]);

    // A local run that left a platform out: its figures are missing, the others' local; local still decides the why.
    const localAndMissing = rankPlatforms([verdict("aws", "fits", local), verdict("azure", "fits", { costUsdPerMonth: 10 })], all);
    assert.deepEqual(localAndMissing.skipped.map((s) => s.why), [why, why]);

    const partly = rankPlatforms(
      [verdict("aws", "fits", cloud(10, 100, 400)), verdict("gcp", "fits", { costUsdPerMonth: 10, coldStartMs: 300, measuredOn: "cloud" }), verdict("azure", "fits", { costUsdPerMonth: 10, coldStartMs: 300, measuredOn: "cloud" })],
      all,
    );
    assert.deepEqual(partly.skipped, [{ criterion: "latency", why: "unmeasured for gcp, azure" }]);
    assert.deepEqual(partly.used, { cost: 1, coldStart: 1 });
  });

  it("on equal scores puts fits before caveats, either way round, and otherwise keeps the platforms' order", () => {
    const same = cloud(10, 100, 400);
    for (const order of [["caveats", "fits"], ["fits", "caveats"]] as Verdict[][]) {
      const ranking = rankPlatforms([verdict("aws", order[0], same), verdict("gcp", order[1], same)], all);
      assert.deepEqual(ranking.ranked.map((r) => r.verdict), ["fits", "caveats"], order.join(", "));
    }
    for (const tied of ["caveats", "fits"] as Verdict[]) {
      const ties = rankPlatforms([verdict("azure", tied, same), verdict("aws", tied, same), verdict("gcp", tied, same)], all);
      assert.deepEqual(ties.ranked.map((r) => r.platform), ["azure", "aws", "gcp"], `all ${tied}`);
    }
    const unscored = rankPlatforms([verdict("gcp", "caveats", same), verdict("aws", "fits", same)], { cost: 0, latency: 0, coldStart: 0 });
    assert.deepEqual(unscored.ranked.map((r) => r.platform), ["aws", "gcp"], "null scores tie too");
  });

  it("labels each criterion with its unit", () => {
    assert.equal(criterionLabel("cost"), "cost (USD/month)");
    assert.equal(criterionLabel("latency"), "latency (ms warm p99)");
    assert.equal(criterionLabel("coldStart"), "coldStart (ms cold-start median)");
  });
});
