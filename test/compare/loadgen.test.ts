/** The open-loop load generator: its schedule, its accuracy against a real local server, and no coordinated omission. */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { classifyStatus, intendedOffsetMs, runClosedLoop, runOpenLoop, scheduledCount } from "../../compare/loadgen";
import { freePort } from "../../local/emulators/loopback";

/**
 * The server under load runs in its own process, as an endpoint would: the generator's
 * timing is measured, not the server's share of one event loop. `/stall/<ms>` answers late,
 * `/status/<code>` answers with that status, `/echo` with the request's method, `x-n` header and body.
 */
const serverSource = `
const http = require("node:http");
const server = http.createServer((request, response) => {
  const [, kind, value] = request.url.split("/");
  if (kind === "status") response.statusCode = Number(value);
  if (kind === "stall") setTimeout(() => response.end("ok"), Number(value));
  else if (kind === "echo") {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => response.end(request.method + " " + request.headers["x-n"] + " " + body));
  } else response.end("ok");
});
server.keepAliveTimeout = 5000;
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
process.on("disconnect", () => process.exit(0));
`;

describe("compare: open-loop load generator", function () {
  this.timeout(20_000);
  let server: ChildProcess;
  let baseUrl: string;

  before(async () => {
    server = spawn(process.execPath, ["-e", serverSource], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const port = await new Promise<number>((resolve, reject) => {
      server.once("message", (message) => resolve(message as number));
      server.once("exit", (code) => reject(new Error(`test server exited (${code})`)));
    });
    baseUrl = `http://127.0.0.1:${port}`;
    // The first connection of a process compiles undici's HTTP parser (tens of ms, once).
    await runOpenLoop({ baseUrl, ratePerSecond: 100, durationMs: 50, request: () => ({ path: "/" }) });
  });
  after(async () => {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill();
    await exited;
  });

  it("schedules request i at i / rate and starts rate × duration requests", () => {
    assert.equal(intendedOffsetMs(0, 100), 0);
    assert.equal(intendedOffsetMs(1, 100), 10);
    assert.equal(intendedOffsetMs(250, 1000), 250);
    assert.equal(scheduledCount(100, 1000), 100);
    assert.equal(scheduledCount(3, 1000), 3);
    assert.equal(scheduledCount(0.5, 1000), 0);
    assert.equal(scheduledCount(5000, 1000, 1200), 1200, "maxRequests caps a run");
    assert.equal(scheduledCount(100, 0), 0);
  });

  it("counts 429 and 503 apart from other errors", () => {
    assert.equal(classifyStatus(200), "ok");
    assert.equal(classifyStatus(204), "ok");
    assert.equal(classifyStatus(429), "throttled");
    assert.equal(classifyStatus(503), "unavailable");
    assert.equal(classifyStatus(500), "otherErrors");
    assert.equal(classifyStatus(404), "otherErrors");
  });

  it("keeps the offered rate within 10 % and starts requests on time (1000 req/s for 1 s)", async function () {
    // Under `npm run mutate` the machine is busy by design (a test runner and a type checker per
    // core): the scheduler's millisecond accuracy is not asserted there, where it would fail by load
    // alone and fail the run or kill mutants falsely. `npm test` and `npm run bench` still measure it.
    if (process.env.PARITY_MUTATION_RUN) this.skip();
    const result = await runOpenLoop({ baseUrl, ratePerSecond: 1000, durationMs: 1000, request: () => ({ path: "/" }) });
    assert.equal(result.scheduled, 1000);
    assert.equal(result.sent, 1000);
    assert.equal(result.ok, 1000);
    // 10 %, not tighter: on 2 shared cores a busy neighbour delays the last sends by tens of ms
    // (972 req/s seen under a parallel npm test); a generator that fell behind for good, or sent
    // closed-loop, is off by far more. `npm run bench` measures the accuracy itself.
    assert.ok(Math.abs(result.achievedSendRate - 1000) / 1000 <= 0.1, `send rate ${result.achievedSendRate.toFixed(1)} req/s`);
    // Loose bounds: other processes may share the 2 cores, so the tail is not asserted
    // tightly (a loaded machine showed p99 67 ms); `npm run bench` measures it. A scheduler
    // that batched its sends (e.g. every 10 ms) would still fail the p50 bound, and one that
    // fell behind for good would fail the p99 bound.
    assert.ok(result.dispatchLag.p50 < 5, `scheduler lag p50 ${result.dispatchLag.p50} ms`);
    assert.ok(result.dispatchLag.p99 < 500, `scheduler lag p99 ${result.dispatchLag.p99} ms`);
    assert.ok(result.elapsedMs >= 990 && result.elapsedMs < 3_000, `run took ${result.elapsedMs} ms`);
  });

  it("measures from the intended send time: one stall delays every request queued behind it", async () => {
    // One connection: while the first request stalls 300 ms, the next ~30 wait for it. A
    // closed loop would report one slow request; the open loop reports all of them.
    const result = await runOpenLoop({ baseUrl, ratePerSecond: 100, durationMs: 600, connections: 1, request: (i) => ({ path: i === 0 ? "/stall/300" : "/" }) });
    assert.equal(result.ok, 60);
    assert.ok(result.latency.summary().max >= 290, `max ${result.latency.summary().max} ms`);
    // Requests 1..29 were due during the stall and waited (300 - 10·i ms): half the run is
    // slow, so the p75 sits well inside the stall.
    assert.ok(result.latency.at(75) >= 100, `p75 ${result.latency.at(75)} ms should include queueing behind the stall`);
    assert.ok(result.serviceTime.at(50) < result.latency.at(50), "service time excludes the wait for a connection");
  });

  it("measures from the intended send time even when the generator itself sends late", async () => {
    // The stall above waits in the pool's queue, where intended and actual send times are the
    // same. Here the generator's own loop is blocked for 200 ms while preparing request 0, so
    // requests 0–19 leave up to 200 ms after they were due: measured from the intended time
    // they are slow; measured from the actual send they would look fast.
    const blockMs = 200;
    const result = await runOpenLoop({
      baseUrl,
      ratePerSecond: 100,
      durationMs: 400,
      request: (i) => {
        if (i === 0) {
          const until = performance.now() + blockMs;
          while (performance.now() < until);
        }
        return { path: "/" };
      },
    });
    assert.equal(result.ok, 40);
    assert.ok(result.dispatchLag.max >= blockMs - 10, `the generator sent late (lag max ${result.dispatchLag.max} ms)`);
    assert.ok(result.latency.summary().max >= blockMs - 10, `latency max ${result.latency.summary().max} ms includes the late send`);
    // Requests 1–19 were due 10–190 ms before the loop was free again: half the run is late.
    assert.ok(result.latency.at(75) >= 50, `p75 ${result.latency.at(75)} ms: half the requests were due during the block`);
  });

  it("counts statuses, throttles and refused connections", async () => {
    const throttled = await runOpenLoop({
      baseUrl,
      ratePerSecond: 200,
      durationMs: 100,
      request: (i) => ({ path: i % 2 === 0 ? "/status/429" : "/status/503" }),
    });
    assert.equal(throttled.throttled, 10);
    assert.equal(throttled.unavailable, 10);
    assert.deepEqual(throttled.statuses, { "429": 10, "503": 10 });

    // A port nobody listens on (just closed): every request is a network error, none hangs.
    const closedPort = await freePort();
    const refused = await runOpenLoop({ baseUrl: `http://127.0.0.1:${closedPort}`, ratePerSecond: 100, durationMs: 100, request: () => ({ path: "/" }) });
    assert.equal(refused.networkErrors, 10);
    assert.equal(refused.answered, 0);
  });

  it("passes each request's method, path below the base URL, headers and body, and hands back status and body", async () => {
    const answered: [number, number, string][] = [];
    const progress: [number, number][] = [];
    const result = await runOpenLoop({
      baseUrl: `${baseUrl}/status/`, // the trailing slash is dropped: paths start with one
      ratePerSecond: 500,
      durationMs: 120,
      request: (i) => ({ method: i === 0 ? "POST" : "GET", path: i % 2 === 0 ? "/201" : "/404", headers: { "x-n": String(i) }, body: i === 0 ? "{}" : undefined }),
      onResponse: (index, status, body) => answered.push([index, status, body]),
      onProgress: (finished, total) => progress.push([finished, total]),
    });
    assert.equal(result.scheduled, 60);
    assert.deepEqual([result.ok, result.otherErrors, result.answered, result.sent], [30, 30, 60, 60]);
    assert.deepEqual(result.statuses, { "201": 30, "404": 30 });
    assert.equal(answered.length, 60);
    assert.ok(answered.every(([index, status, body]) => status === (index % 2 === 0 ? 201 : 404) && body === "ok"));
    assert.deepEqual(progress, [[50, 60], [60, 60]], "progress every 50 requests and at the end");
    assert.ok(result.achievedRate > 0 && result.achievedSendRate > 0);

    const echoed: string[] = [];
    await runOpenLoop({
      baseUrl,
      ratePerSecond: 100,
      durationMs: 20,
      request: (i) => (i === 0 ? { method: "POST", path: "/echo", headers: { "x-n": "0" }, body: "{}" } : { path: "/echo", headers: { "x-n": "1" } }),
      onResponse: (index, _status, body) => (echoed[index] = body),
    });
    assert.deepEqual(echoed, ["POST 0 {}", "GET 1 "]);
  });

  it("an empty schedule finishes at once with nothing sent", async () => {
    const result = await runOpenLoop({ baseUrl, ratePerSecond: 0, durationMs: 1000, request: () => ({ path: "/" }) });
    assert.deepEqual([result.scheduled, result.sent, result.answered, result.achievedSendRate], [0, 0, 0, 0]);
  });

  it("the closed-loop baseline keeps each connection busy until the deadline and counts errors apart", async () => {
    const result = await runClosedLoop({ baseUrl, connections: 2, durationMs: 200, request: () => ({ path: "/" }) });
    assert.ok(result.completed > 10, `${result.completed} requests in 200 ms on 2 connections`);
    assert.equal(result.errors, 0);
    assert.equal(result.latency.count, result.completed);
    assert.ok(result.elapsedMs >= 200 && Math.abs(result.rate - (result.completed * 1000) / result.elapsedMs) < 1e-9);
    const closedPort = await freePort();
    const refused = await runClosedLoop({ baseUrl: `http://127.0.0.1:${closedPort}`, connections: 1, durationMs: 50, request: () => ({ path: "/" }) });
    assert.equal(refused.completed, 0);
    assert.ok(refused.errors > 0);
  });

  it("abandons requests that outlive the timeout and counts them", async () => {
    const result = await runOpenLoop({ baseUrl, ratePerSecond: 10, durationMs: 100, connections: 2, requestTimeoutMs: 300, request: () => ({ path: "/stall/2000" }) });
    assert.equal(result.scheduled, 1);
    assert.equal(result.timeouts, 1);
    assert.equal(result.answered, 0);
    assert.ok(result.elapsedMs < 1_500, `abandoned after the timeout, not after the stall (${result.elapsedMs} ms)`);
  });
});
