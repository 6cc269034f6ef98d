/** The ramp's stopping rule and the cold-start summary: pure decisions, checked on hand-made steps. */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { coldProbe, coldStartResult, createUser, errorRate, queueDelay, rampVerdict, throughputRamp, warmLatency, type RampStep } from "../../compare/phases";
import { LatencyHistogram } from "../../compare/histogram";
import { fullPhases, quickPhases } from "../../compare/presets";

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

  // The thresholds the ramp runs with, at and one step past each boundary: errors stop it above 1 %
  // (not at 1 %), and answering less than 0.9 of the offered rate stops it (0.9 exactly goes on).
  it("the ramp's error threshold is > 1 %: 10/1000 goes on, 11/1000 stops", () => {
    for (const phases of [fullPhases, quickPhases]) {
      assert.equal(phases.maxErrorRate, 0.01);
      const atLimit = step({ scheduled: 1000, answered: 1000, ok: 990, otherErrors: 10 });
      assert.equal(atLimit.errorRate, 0.01);
      assert.equal(rampVerdict(atLimit, phases.maxErrorRate), undefined, "exactly 1 % is tolerated");
      const past = step({ scheduled: 1000, answered: 1000, ok: 989, otherErrors: 11 });
      assert.equal(rampVerdict(past, phases.maxErrorRate), "errors at 100 req/s: 1.1 % (11 other errors)");
    }
  });

  it("the ramp's keep-up threshold is 0.9 of the offered rate: 90 of 100 req/s goes on, 89.9 stops", () => {
    assert.equal(rampVerdict(step({ achievedRate: 90 }), 0.01), undefined);
    assert.match(rampVerdict(step({ achievedRate: 89.9 }), 0.01) ?? "", /^could not keep up at 100 req\/s: answered 90 req\/s \(p99 10 ms\)$/);
  });

  it("names every kind of error in the stop reason, and only those that occurred", () => {
    const all = step({ ok: 250, throttled: 10, unavailable: 10, otherErrors: 10, networkErrors: 10, timeouts: 10 });
    assert.equal(rampVerdict(all, 0.01), "errors at 100 req/s: 16.7 % (10 × 429, 10 × 503, 10 other errors, 10 network errors, 10 timeouts)");
    assert.equal(rampVerdict(step({ ok: 290, timeouts: 10 }), 0.01), "errors at 100 req/s: 3.3 % (10 timeouts)");
    assert.equal(errorRate({ scheduled: 0, ok: 0 }), 0, "an empty step has no errors (not NaN)");
  });

  it("summarises cold starts by their median", () => {
    const cold = coldStartResult([{ ms: 300, status: 404 }, { ms: 100, status: 404 }, { ms: 200, status: 404 }, { ms: 900, status: 404 }], "test", { ms: null, note: "" });
    assert.equal(cold.median, 250);
    assert.equal(cold.max, 900);
    assert.equal(coldStartResult([{ ms: 42, status: 404 }], "test", { ms: null, note: "" }).median, 42);
  });
});

describe("compare: cold-start samples", () => {
  it("flags samples that did not hit a new instance: not cold, an instance seen before, or none named", () => {
    const result = coldStartResult(
      [
        { ms: 40, status: 404, instance: "a", cold: true },
        { ms: 10, status: 404, instance: "a", cold: true },
        { ms: 30, status: 404, instance: "b", cold: false },
        { ms: 20, status: 404 },
        { ms: 50, status: 404, instance: "c", cold: true },
      ],
      "fresh instance per sample",
      { ms: 123, note: "init duration" },
    );
    assert.deepEqual(result.samples.map((s) => s.newInstance), [true, false, false, false, true]);
    assert.equal(result.notNewInstance, 3);
    assert.deepEqual([result.median, result.max, result.method, result.platformInitMs, result.platformInitNote], [30, 50, "fresh instance per sample", 123, "init duration"]);
    const none = coldStartResult([], "m", { ms: null, note: "" });
    assert.ok(Number.isNaN(none.median) && Number.isNaN(none.max));
    assert.equal(none.notNewInstance, 0);
  });

  it("a probe reads an unknown user with the key and reports the instance's headers; an unreachable endpoint is status 0", async () => {
    const seen: { path: string; key: string | undefined }[] = [];
    const server = http.createServer((request, response) => {
      seen.push({ path: request.url!, key: request.headers["x-api-key"] as string | undefined });
      response.statusCode = 404;
      response.setHeader("x-parity-instance", "i-1");
      response.setHeader("x-parity-cold", seen.length === 1 ? "true" : "false");
      response.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const first = await coldProbe({ url, apiKey: "k" });
      const second = await coldProbe({ url, apiKey: "k" });
      assert.deepEqual([first.status, first.instance, first.cold, second.cold], [404, "i-1", true, false]);
      assert.ok(first.ms > 0);
      assert.match(seen[0].path, /^\/users\/[0-9a-f-]{36}$/);
      assert.equal(seen[0].key, "k");
      assert.notEqual(seen[0].path, seen[1].path, "a new unknown user each time");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const before = performance.now();
    const unreachable = await coldProbe({ url, apiKey: "k" }, 1_000);
    const took = performance.now() - before;
    assert.equal(unreachable.status, 0);
    assert.equal(unreachable.instance, undefined);
    assert.ok(unreachable.ms >= 0 && unreachable.ms <= took, `${unreachable.ms} ms, measured around it ${took} ms`);
  });

  it("a probe's time is that of its request; an answer without the instance's headers has no instance and no cold flag", async () => {
    const server = http.createServer((_request, response) => setTimeout(() => response.end("{}"), 50));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const before = performance.now();
      const sample = await coldProbe({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: "k" });
      const took = performance.now() - before;
      assert.ok(sample.ms >= 45 && sample.ms <= took, `${sample.ms} ms: at least the server's 50 ms, at most the ${took} ms measured around it`);
      assert.deepEqual(Object.keys(sample).sort(), ["instance", "ms", "status"]);
      assert.deepEqual([sample.status, sample.instance], [200, undefined]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("compare: the load phases against a loopback endpoint", () => {
  // A stand-in for a users API (not a platform): the first `allowed` reads answer 200, later ones
  // 429, as a platform at its concurrency limit would. Under test: the phases' bookkeeping.
  let server: http.Server;
  let url: string;
  let reads = 0;
  let allowed = Infinity;
  let postStatus = 201;
  let postBody: unknown = { id: "u-1" };
  let stallMs = 0;
  const keys = new Set<string>();
  const paths = new Set<string>();
  const posts: { url: string; contentType: string | undefined; body: string }[] = [];
  before(async () => {
    server = http.createServer((request, response) => {
      keys.add(String(request.headers["x-api-key"]));
      if (request.method === "POST") {
        let body = "";
        request.on("data", (chunk) => (body += chunk));
        request.on("end", () => {
          posts.push({ url: request.url!, contentType: request.headers["content-type"], body });
          response.statusCode = postStatus;
          response.end(JSON.stringify(postStatus >= 500 ? { error: { code: "internal_error" } } : postBody));
        });
        return;
      }
      request.resume();
      paths.add(`${request.method} ${request.url}`);
      response.statusCode = ++reads <= allowed ? 200 : 429;
      if (stallMs > 0) setTimeout(() => response.end("{}"), stallMs);
      else response.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    reads = 0;
    allowed = Infinity;
    postStatus = 201;
    postBody = { id: "u-1" };
    stallMs = 0;
    keys.clear();
    paths.clear();
    posts.length = 0;
  });

  it("the ramp goes up while a step succeeds, stops at the first failing step and keeps the last good rate", async () => {
    allowed = 10;
    const stepsStarted: number[] = [];
    // 1 s steps: the first step's last answer may come ~200 ms late on a busy machine and still keep up.
    const result = await throughputRamp({ url, apiKey: "k" }, "u-1", { rates: [10, 20, 40], stepMs: 1000, maxErrorRate: 0.01, onStep: (i) => stepsStarted.push(i) });
    assert.deepEqual(result.steps.map((s) => [s.ratePerSecond, s.scheduled, s.ok, s.throttled]), [[10, 10, 10, 0], [20, 20, 0, 20]]);
    assert.deepEqual(stepsStarted, [0, 1], "the third step never starts");
    assert.equal(result.sustainedRate, 10);
    assert.equal(result.stoppedBecause, "errors at 20 req/s: 100.0 % (20 × 429)");
    assert.deepEqual([...keys], ["k"]);
    assert.deepEqual([...paths], ["GET /users/u-1"], "every read is of the user created for the load");
  });

  it("a ramp that never fails says it reached the highest step; a slow answer within 5 s is slow, not a timeout", async () => {
    // One request per 100 ms step, answered after 200 ms: past the step, inside the 5 s each request is given.
    stallMs = 200;
    const result = await throughputRamp({ url, apiKey: "k" }, "u-7", { rates: [10], stepMs: 100, maxErrorRate: 0.01 });
    assert.deepEqual(result.steps.map((s) => [s.scheduled, s.ok, s.timeouts]), [[1, 1, 0]]);
    assert.ok(result.steps[0].latency.max >= 190, `answered after the stall (${result.steps[0].latency.max} ms)`);
    assert.deepEqual([...paths], ["GET /users/u-7"]);
    stallMs = 0;
    // One request in a 1 s step: answered at once, the step ends then, and 1 req/s kept up.
    const all = await throughputRamp({ url, apiKey: "k" }, "u-1", { rates: [1], stepMs: 1000, maxErrorRate: 0.01 });
    assert.equal(all.stoppedBecause, "reached the highest step (1 req/s) without errors");
    assert.equal(all.sustainedRate, 1);
  });

  it("warm latency measures after an unmeasured warm-up, with a CDF and the billed service times", async () => {
    const progress: [number, number][] = [];
    const result = await warmLatency({ url, apiKey: "k" }, "u-3", { ratePerSecond: 50, durationMs: 200, warmupMs: 100, onProgress: (done, total) => progress.push([done, total]) });
    assert.equal(reads, 15, "5 warm-up reads, then 10 measured");
    assert.deepEqual([...paths], ["GET /users/u-3"]);
    assert.deepEqual([...keys], ["k"]);
    assert.deepEqual(progress, [[10, 10]], "progress of the measured run only");
    assert.deepEqual([result.scheduled, result.answered, result.ok], [10, 10, 10]);
    assert.equal(result.serviceTimeMs!.reduce((n, d) => n + d.count, 0), 10);
    assert.equal(result.cdf[0].percentile, 0);
    assert.equal(result.latency.count, 10);
  });

  it("creates the user the load reads, and says so when it cannot", async () => {
    assert.equal(await createUser({ url, apiKey: "k" }, "warm"), "u-1");
    assert.equal(posts[0].url, "/users");
    assert.equal(posts[0].contentType, "application/json");
    const body = JSON.parse(posts[0].body) as { email: string; name: string };
    assert.match(body.email, /^warm-[0-9a-f-]{36}@example\.com$/, "a new address labelled by the phase");
    assert.equal(body.name, "Parity Probe");
    assert.deepEqual([...keys], ["k"]);
    postBody = {};
    await assert.rejects(createUser({ url, apiKey: "k" }, "t"), /^Error: POST \/users answered 201$/, "a 201 without an id");
    postBody = { id: "u-2" };
    postStatus = 200;
    await assert.rejects(createUser({ url, apiKey: "k" }, "t"), /^Error: POST \/users answered 200$/, "an id without the 201");
    postStatus = 500;
    await assert.rejects(createUser({ url, apiKey: "k" }, "t"), /^Error: POST \/users answered 500$/);
  });
});

describe("compare: the queue phase counts re-published users apart", () => {
  // A loopback stand-in for a users API (not a platform): POST answers an id, GET answers the
  // user welcomed at once. What is under test is the phase's counting, not a platform.
  let server: http.Server;
  let url: string;
  before(async () => {
    let next = 0;
    server = http.createServer((request, response) => {
      response.setHeader("content-type", "application/json");
      if (request.method === "POST") {
        request.resume();
        response.statusCode = 201;
        response.end(JSON.stringify({ id: `u${next++}` }));
        return;
      }
      const now = new Date().toISOString();
      response.end(JSON.stringify({ id: request.url!.split("/").pop(), createdAt: now, welcomedAt: now }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = (republishedIds?: () => Promise<string[]>) =>
    queueDelay({ url, apiKey: "k" }, { count: 3, ratePerSecond: 100, pollIntervalMs: 5, timeoutMs: 2_000, republishedIds });

  it("counts only this phase's users that the reconciler re-published, and still welcomes them", async () => {
    const result = await run(async () => ["u1", "u2", "someone-else"]);
    assert.deepEqual({ posted: result.posted, welcomed: result.welcomed, lost: result.lost, republished: result.republished }, { posted: 3, welcomed: 3, lost: 0, republished: 2 });
  });

  it("says n/a (null), not 0, when the reconciler's runs cannot be read", async () => {
    assert.equal((await run()).republished, null);
    assert.equal((await run(() => Promise.reject(new Error("gone")))).republished, null);
  });
});

describe("compare: the queue phase's pacing, delays, losses and dead letters", () => {
  // A loopback stand-in for a users API (not a platform). POST answers `q<n>` and notes when it
  // arrived; each GET answers what `read` says for that user. Under test: the phase's measuring.
  let server: http.Server;
  let url: string;
  let next = 0;
  let postStatus = 201;
  const arrived = new Map<string, number>();
  let read: (id: string, sinceMs: number) => { status: number; body: string } = () => ({ status: 404, body: "{}" });
  const keys = new Set<string>();
  const emails: string[] = [];
  before(async () => {
    server = http.createServer((request, response) => {
      keys.add(`${request.method} ${request.headers["x-api-key"]}`);
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => (body ? emails.push((JSON.parse(body) as { email: string }).email) : undefined));
      if (request.method === "POST") {
        const id = `q${next++}`;
        arrived.set(id, performance.now());
        response.statusCode = postStatus;
        response.end(JSON.stringify(postStatus === 201 ? { id } : {}));
        return;
      }
      const id = request.url!.split("/").pop()!;
      const answer = read(id, performance.now() - arrived.get(id)!);
      response.statusCode = answer.status;
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await fetch(url).then((r) => r.arrayBuffer()); // the first fetch of a process sets up its client
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    next = 0;
    postStatus = 201;
    arrived.clear();
    keys.clear();
    emails.length = 0;
  });
  const user = (id: string, createdAt: string | undefined, welcomedAt: string | null) => ({ status: 200, body: JSON.stringify({ id, createdAt, welcomedAt }) });

  it("paces the POSTs at the rate and measures each user from its POST until welcomed, on the client and the server clock", async () => {
    // Welcomed 60 ms after its POST arrived, by the server's clock 250 ms after it was created.
    const created = "2026-11-30T10:00:00.000Z";
    read = (id, since) => (since < 60 ? user(id, created, null) : user(id, created, "2026-11-30T10:00:00.250Z"));
    const progress: [number, number][] = [];
    const before = performance.now();
    const result = await queueDelay({ url, apiKey: "k" }, { count: 3, ratePerSecond: 10, pollIntervalMs: 10, timeoutMs: 5_000, onProgress: (done, total) => progress.push([done, total]) });
    const took = performance.now() - before;
    // POST i is sent i / rate after the start: the third not before 200 ms.
    assert.ok(arrived.get("q2")! - before >= 195, `third POST ${arrived.get("q2")! - before} ms after the start`);
    assert.ok(arrived.get("q1")! - before >= 95, `second POST ${arrived.get("q1")! - before} ms after the start`);
    assert.deepEqual([result.posted, result.welcomed, result.lost, result.deadLettered, result.republished], [3, 3, 0, null, null]);
    assert.deepEqual([result.pollIntervalMs, result.timeoutMs], [10, 5_000]);
    assert.deepEqual(progress, [[1, 3], [2, 3], [3, 3]]);
    assert.deepEqual([...keys].sort(), ["GET k", "POST k"], "every POST and read carries the key");
    assert.equal(emails.length, 3);
    assert.ok(emails.every((email) => /^queue-delay-[0-9a-f-]{36}@example\.com$/.test(email)), emails.join(", "));
    assert.equal(result.samples.length, 3);
    for (const sample of result.samples) {
      assert.ok(sample >= 59 && sample <= took, `delay ${sample} ms: not before the welcome, not after the phase`);
      assert.equal(Math.round(sample * 10), sample * 10, `${sample} is kept to 0.1 ms`);
    }
    assert.equal(result.delay.count, 3);
    assert.ok(result.delay.min >= 59 && result.delay.max <= took);
    assert.deepEqual([result.serverDelay.count, result.serverDelay.max, result.serverDelay.p50], [3, 250, 250], "welcomedAt − createdAt by the server's clock");
  });

  it("a user not welcomed in time is lost unless the dead-letter queue grew; an error answer is no welcome; a bad read is retried", async () => {
    let q0Reads = 0;
    read = (id) => {
      if (id === "q0") return ++q0Reads === 1 ? { status: 500, body: "not json" } : user(id, undefined, "2026-11-30T10:00:00.250Z");
      if (id === "q1") return user(id, "2026-11-30T10:00:00.000Z", null);
      return { status: 503, body: JSON.stringify({ welcomedAt: "2026-11-30T10:00:00.250Z" }) };
    };
    const depths = [5, 6];
    const result = await queueDelay({ url, apiKey: "k" }, { count: 3, ratePerSecond: 100, pollIntervalMs: 10, timeoutMs: 600, deadLetterDepth: async () => depths.shift()! });
    assert.ok(q0Reads >= 2, "read again after an unreadable answer");
    // q0 welcomed (its answer had no createdAt: no server-side delay); q1 never welcomed; q2 only ever answered 503.
    assert.deepEqual([result.posted, result.welcomed, result.deadLettered, result.lost], [3, 1, 1, 1]);
    assert.equal(result.serverDelay.count, 0);
    assert.equal(result.delay.count, 1);
  });

  it("dead letters: null when either depth cannot be read, never negative; losses then count in full", async () => {
    read = (id) => user(id, "2026-11-30T10:00:00.000Z", null);
    const run = (deadLetterDepth: () => Promise<number>) => queueDelay({ url, apiKey: "k" }, { count: 1, ratePerSecond: 100, pollIntervalMs: 10, timeoutMs: 30, deadLetterDepth });
    const sequence = (...answers: (number | Error)[]) => () => {
      const answer = answers.shift()!;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    };
    assert.deepEqual(await run(sequence(new Error("no access"), 3)).then((r) => [r.deadLettered, r.lost]), [null, 1]);
    assert.deepEqual(await run(sequence(3, new Error("no access"))).then((r) => [r.deadLettered, r.lost]), [null, 1]);
    assert.deepEqual(await run(sequence(6, 5)).then((r) => [r.deadLettered, r.lost]), [0, 1], "a queue drained meanwhile");
  });

  it("fails when no POST succeeded: nothing was measured", async () => {
    postStatus = 500;
    await assert.rejects(queueDelay({ url, apiKey: "k" }, { count: 2, ratePerSecond: 100, pollIntervalMs: 10, timeoutMs: 100 }), /^Error: none of the 2 POST \/users succeeded$/);
  });
});
