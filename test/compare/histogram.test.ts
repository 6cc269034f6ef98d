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

  it("samples the CDF at 0, every 5 % to 95, then densely in the tail", () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) histogram.record(ms);
    const cdf = histogram.cdf();
    assert.deepEqual(cdf.map((point) => point.percentile), [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 96, 97, 98, 99, 99.5, 99.9, 99.99, 100]);
    for (const point of cdf.slice(1)) within(point.ms, Math.max(1, point.percentile * 10), 0.002, `p${point.percentile}`);
  });

  it("clamps samples to 1 µs .. 1 h and never reports a percentile above the largest sample", () => {
    const histogram = new LatencyHistogram();
    histogram.record(0);
    histogram.record(-5);
    assert.equal(histogram.summary().min, 0.001, "a zero or negative sample counts as 1 µs");
    histogram.record(5 * 3_600_000);
    assert.equal(histogram.summary().max, 3_600_000, "a sample past an hour counts as one hour");
    const one = new LatencyHistogram();
    one.record(50.001);
    assert.equal(one.at(100), 50.001, "the bucket's upper edge is not reported");
    assert.equal(one.summary().p50, 50.001);
  });

  it("bills whole milliseconds: each value rounded up, a bucket counted at its lowest value", () => {
    const histogram = new LatencyHistogram();
    for (const ms of [0.2, 1, 50, 50, 50.4, 2.5, 120]) histogram.record(ms);
    assert.deepEqual(histogram.wholeMs(), [
      { ms: 1, count: 2 },
      { ms: 3, count: 1 },
      { ms: 50, count: 2 },
      { ms: 51, count: 1 },
      { ms: 120, count: 1 },
    ]);
    assert.deepEqual(new LatencyHistogram().wholeMs(), []);
  });

  it("an empty histogram reports NaN, not zero", () => {
    const summary = new LatencyHistogram().summary();
    assert.equal(summary.count, 0);
    assert.ok(Number.isNaN(summary.p50) && Number.isNaN(summary.max));
    assert.deepEqual(new LatencyHistogram().cdf(), []);
  });
});
