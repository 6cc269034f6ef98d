/** The ramp's stopping rule and the cold-start summary: pure decisions, checked on hand-made steps. */
import assert from "node:assert/strict";
import { coldStartResult, errorRate, rampVerdict, type RampStep } from "../../compare/phases";
import { LatencyHistogram } from "../../compare/histogram";

function step(overrides: Partial<RampStep>): RampStep {
  const latency = new LatencyHistogram();
  latency.record(overrides.latency?.p99 ?? 10);
  const base = {
    ratePerSecond: 100,
    durationMs: 3000,
    scheduled: 300,
    answered: 300,
    achievedRate: 100,
    ok: 300,
    throttled: 0,
    unavailable: 0,
    otherErrors: 0,
    networkErrors: 0,
    timeouts: 0,
    statuses: { "200": 300 },
    latency: latency.summary(),
    serviceTime: latency.summary(),
    dispatchLag: latency.summary(),
    errorRate: 0,
  };
  const merged = { ...base, ...overrides };
  return { ...merged, errorRate: errorRate(merged) };
}

describe("compare: phase decisions", () => {
  it("goes on while every request succeeds at the offered rate", () => {
    assert.equal(rampVerdict(step({}), 0.01), undefined);
  });

  it("stops on throttling, naming 429 and 503 separately", () => {
    const throttled = step({ ok: 280, throttled: 15, unavailable: 5, statuses: { "200": 280, "429": 15, "503": 5 } });
    assert.ok(Math.abs(throttled.errorRate - 20 / 300) < 1e-12);
    assert.equal(rampVerdict(throttled, 0.01), "errors at 100 req/s: 6.7 % (15 × 429, 5 × 503)");
  });

  it("tolerates errors up to the threshold", () => {
    assert.equal(rampVerdict(step({ ok: 298, otherErrors: 2 }), 0.01), undefined, "2/300 = 0.67 % ≤ 1 %");
  });

  it("stops when answers fall behind the offered rate, even without errors", () => {
    const behind = step({ ratePerSecond: 400, scheduled: 1200, answered: 1200, ok: 1200, achievedRate: 238, latency: { ...step({}).latency, p99: 2055 } });
    assert.match(rampVerdict(behind, 0.01) ?? "", /could not keep up at 400 req\/s: answered 238 req\/s \(p99 2055 ms\)/);
  });

  it("summarises cold starts by their median", () => {
    const cold = coldStartResult([{ ms: 300, status: 404 }, { ms: 100, status: 404 }, { ms: 200, status: 404 }, { ms: 900, status: 404 }], "test", { ms: null, note: "" });
    assert.equal(cold.median, 250);
    assert.equal(cold.max, 900);
    assert.equal(coldStartResult([{ ms: 42, status: 404 }], "test", { ms: null, note: "" }).median, 42);
  });
});
