/** Percentile maths against distributions whose quantiles are known exactly. */
import assert from "node:assert/strict";
import { LatencyHistogram } from "../../compare/histogram";

const within = (actual: number, expected: number, relative: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= expected * relative, `${what}: ${actual} not within ${relative * 100} % of ${expected}`);

describe("compare: latency histogram", () => {
  it("uniform 1..100 000 µs: every percentile within 0.1 %", () => {
    const histogram = new LatencyHistogram();
    for (let micros = 1; micros <= 100_000; micros++) histogram.record(micros / 1000);
    const summary = histogram.summary();
    assert.equal(summary.count, 100_000);
    within(summary.p50, 50, 0.001, "p50");
    within(summary.p90, 90, 0.001, "p90");
    within(summary.p99, 99, 0.001, "p99");
    within(summary.p999, 99.9, 0.001, "p99.9");
    within(summary.max, 100, 0.001, "max");
    within(summary.mean, 50.0005, 0.001, "mean");
    assert.equal(summary.min, 0.001);
  });

  it("exponential with mean 20 ms (quantiles by the inverse CDF): p50 = 20·ln 2, p99 = 20·ln 100", () => {
    const histogram = new LatencyHistogram();
    const n = 200_000;
    // Deterministic sample: the (i - 0.5)/n quantiles of Exp(mean 20).
    for (let i = 1; i <= n; i++) histogram.record(-20 * Math.log(1 - (i - 0.5) / n));
    within(histogram.at(50), 20 * Math.LN2, 0.002, "p50");
    within(histogram.at(90), 20 * Math.log(10), 0.002, "p90");
    within(histogram.at(99), 20 * Math.log(100), 0.002, "p99");
    within(histogram.at(99.9), 20 * Math.log(1000), 0.002, "p99.9");
    within(histogram.summary().mean, 20, 0.005, "mean");
  });

  it("a CDF rises monotonically from min to max", () => {
    const histogram = new LatencyHistogram();
    for (const ms of [5, 1, 3, 2, 4, 100]) histogram.record(ms);
    const cdf = histogram.cdf();
    assert.equal(cdf[0].percentile, 0);
    assert.equal(cdf[cdf.length - 1].percentile, 100);
    within(cdf[cdf.length - 1].ms, 100, 0.001, "CDF end");
    within(cdf[0].ms, 1, 0.001, "CDF start");
    for (let i = 1; i < cdf.length; i++) assert.ok(cdf[i].ms >= cdf[i - 1].ms && cdf[i].percentile > cdf[i - 1].percentile);
  });

  it("an empty histogram reports NaN, not zero", () => {
    const summary = new LatencyHistogram().summary();
    assert.equal(summary.count, 0);
    assert.ok(Number.isNaN(summary.p50) && Number.isNaN(summary.max));
    assert.deepEqual(new LatencyHistogram().cdf(), []);
  });
});
