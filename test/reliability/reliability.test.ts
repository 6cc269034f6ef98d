import assert from "node:assert/strict";
import fc from "fast-check";
import { normalizeEmail, unstorableText, validateNewUser } from "../../functions/core/validation";
import { isJsonContentType } from "../../functions/core/users-api";
import { describeFailure, runFuzz, type FuzzSubject } from "../../reliability/fuzz";
import { fuzzRequest, KEY_SLOT, materialize, RUN_SLOT, stringClasses } from "../../reliability/generators";
import { explainedBy, outcome, violations, type Observed } from "../../reliability/invariants";
import { spellingsOf } from "../../reliability/races";
import { createReference, toWebRequest } from "../../reliability/reference";
import { runChaos } from "../../reliability/chaos";
import { chaosNotDeployed, passed, reliabilityMarkdown, summaryRows, type ReliabilityReport } from "../../reliability/run";

const json = (status: number, body: unknown, contentType = "application/json; charset=utf-8"): Observed => ({ status, contentType, text: JSON.stringify(body) });
const error = (status: number, code: string) => json(status, { error: { code, message: "m" } });

describe("reliability: generators", () => {
  it("are reproducible from a seed and reach every string class", () => {
    const a = fc.sample(fuzzRequest, { seed: 7, numRuns: 50 });
    assert.deepEqual(fc.sample(fuzzRequest, { seed: 7, numRuns: 50 }), a);
    assert.notDeepEqual(fc.sample(fuzzRequest, { seed: 8, numRuns: 50 }), a);
    const ill = fc.sample(stringClasses.illFormed, { seed: 1, numRuns: 20 });
    assert.ok(ill.every((s) => /\p{Cs}/u.test(s)), "ill-formed UTF-16 every time");
    assert.ok(fc.sample(stringClasses.nonBmp, { seed: 1, numRuns: 20 }).every((s) => !/\p{Cs}/u.test(s) && /[\u{10000}-\u{10FFFF}]/u.test(s)));
    assert.ok(fc.sample(stringClasses.control, { seed: 1, numRuns: 30 }).some((s) => s.includes("\u0000")));
  });

  it("fill the key and run slots per send, and keep // as a path", () => {
    const filled = materialize({ method: "POST", path: "/users", headers: { authorization: `Bearer ${KEY_SLOT}` }, body: `{"email":"a${RUN_SLOT}@b.co"}` }, "k3y", "t1");
    assert.deepEqual(filled, { method: "POST", path: "/users", headers: { authorization: "Bearer k3y" }, body: '{"email":"at1@b.co"}' });
    assert.equal(new URL(toWebRequest("http://h", { method: "GET", path: "//users", headers: {} }).url).pathname, "//users");
  });
});

describe("reliability: invariants", () => {
  const post = { method: "POST" };
  it("accept a documented error and a 2xx", () => {
    assert.deepEqual(violations(post, error(404, "user_not_found")), []);
    assert.deepEqual(violations(post, json(201, { id: "x" })), []);
    assert.deepEqual(violations({ method: "HEAD" }, { status: 404, contentType: "", text: "" }), [], "HEAD has no body to check");
  });
  it("refuse 5xx, no answer, stack traces, non-JSON errors, unknown codes and a code with another status", () => {
    assert.match(violations(post, error(500, "internal_error")).join(), /status 500/);
    assert.match(violations(post, { status: 0, contentType: "", text: "", connectionError: "ECONNRESET" }).join(), /no answer/);
    assert.match(violations(post, json(400, { error: { code: "malformed_json", message: "at parse (/app/node_modules/x.js:1:2)" } })).join(), /stack trace/);
    assert.match(violations(post, { status: 400, contentType: "text/html", text: "<pre>Bad Request</pre>" }).join(), /not JSON/);
    assert.match(violations(post, error(400, "bad_thing")).join(), /not a documented code/);
    assert.match(violations(post, error(400, "user_not_found")).join(), /documented as 404, answered 400/);
    assert.match(violations(post, json(404, { error: { code: "user_not_found" } })).join(), /message/);
  });
  it("explain the Functions Framework's own answers on gcp only, and nothing else", () => {
    const html400: Observed = { status: 400, contentType: "text/html", text: "<pre>Bad Request</pre>" };
    // Its body parsers no longer read first: their 400 for bad JSON and 415 for a charset are explained by nothing.
    const broken = { method: "POST", path: "/users", headers: { "content-type": "application/json" }, body: "{" };
    assert.equal(explainedBy("gcp", broken, html400, error(400, "malformed_json")), undefined);
    const latin1 = { ...broken, headers: { "content-type": "application/json; charset=latin1" } };
    assert.equal(explainedBy("gcp", latin1, { ...html400, status: 415 }, error(401, "unauthorized")), undefined);
    assert.equal(explainedBy("gcp", { method: "GET", path: "/users/%zz", headers: {} }, html400, error(404, "user_not_found"))?.id, "gcp-runtime-bad-escape-400");
    assert.equal(explainedBy("aws", { method: "GET", path: "/users/%zz", headers: {} }, html400, error(404, "user_not_found")), undefined);
    assert.equal(explainedBy("gcp", { method: "GET", path: "/users/%2F", headers: {} }, html400, error(404, "user_not_found")), undefined);
  });
  it("name outcomes by status and code", () => {
    assert.equal(outcome(error(409, "email_taken")), "409 email_taken");
    assert.equal(outcome(json(201, {})), "201");
    assert.equal(outcome({ status: 400, contentType: "text/html", text: "x" }), "400 (not a parity error body)");
  });
});

describe("reliability: the core's rules for user text (found by the fuzzer)", () => {
  it("refuses control characters and unpaired surrogates, at and one past each edge", () => {
    for (const bad of ["\uffff", "\ufffe", "\u{1fffe}", "\ufdd0", "\u0000", "\u001f", "\u007f", "\u0080", "\u009f", "\ud800", "\udfff", "a\ud83d", "\ude00b"]) assert.ok(unstorableText(bad), JSON.stringify(bad));
    for (const fine of [" ", "~", "\u00a0", "\u00a1", "\ud7ff", "\ue000", "\ufffd", "\ufdcf", "😀", "𠜎", "Ａ"]) assert.equal(unstorableText(fine), undefined, JSON.stringify(fine));
    assert.deepEqual(validateNewUser({ email: "a@b.co", name: "\tAda\n" }), { ok: true, value: { email: "a@b.co", name: "Ada" } }, "trimmed whitespace is not held");
    assert.deepEqual(Object.keys((validateNewUser({ email: "a\u0000@b.co", name: "Ada\ud800" }) as { fields: object }).fields).sort(), ["email", "name"]);
  });
  it("takes JSON in UTF-8 only, in any case, with or without a charset", () => {
    for (const ok of ["application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;charset=UTF8", 'application/json; charset="utf-8"', "application/json ; foo=bar"]) assert.ok(isJsonContentType(ok), ok);
    for (const no of ["application/json; charset=latin1", "application/json;charset=utf-16", "application/jsonx", "text/json", "", "application/vnd.api+json"]) assert.ok(!isJsonContentType(no), no);
  });
  it("races use spellings that normalise to one address", () => {
    const spellings = spellingsOf("racer1", "example.com", 50);
    assert.equal(new Set(spellings).size, 5);
    assert.deepEqual(new Set(spellings.map(normalizeEmail)), new Set(["racer1@example.com"]));
  });
});

describe("reliability: the differential run", () => {
  /** The core itself, but a 500 whenever a body holds "\u0000": a bug the run must find. */
  const faulty = (): FuzzSubject => {
    const core = createReference("subject-key-0123456789");
    return {
      platform: "faulty",
      apiKey: "subject-key-0123456789",
      send: async (request) => (request.body?.includes("\\u0000") ? error(500, "internal_error") : core(request)),
    };
  };

  it("a platform that answers like the core passes, and its 201s read back", async () => {
    const core = createReference("subject-key-0123456789");
    const result = await runFuzz([{ platform: "core", apiKey: "subject-key-0123456789", send: core }], { seed: 3, runs: 200 });
    assert.equal(result.failure, undefined);
    assert.equal(result.platforms[0].requests >= 200, true);
    assert.ok(result.platforms[0].created > 0);
    assert.equal(result.platforms[0].readBackFailures + result.platforms[0].mismatches, 0);
  });

  it("finds a 500, shrinks it, and replays it from its seed and path", async () => {
    const result = await runFuzz([faulty()], { seed: 11, runs: 500 });
    assert.ok(result.failure, "the 500 was found");
    assert.equal(result.failure.seed, 11);
    assert.match(result.failure.problems.join("\n"), /faulty: status 500/);
    assert.match(result.failure.request.body ?? "", /\\u0000/);
    assert.ok(result.failure.request.body!.length < 80, `shrunk: ${result.failure.request.body}`);
    assert.match(describeFailure(result.failure), /--seed 11 --path \S+/);
    const replay = await runFuzz([faulty()], { seed: 11, runs: 500, path: result.failure.path });
    assert.deepEqual(replay.failure?.request, result.failure.request);
  });

  it("summarises and passes or fails on the must-be-zero figures", async () => {
    const fuzz = await runFuzz([faulty()], { seed: 11, runs: 500 });
    const report: ReliabilityReport = {
      schema: "parity-reliability/1", startedAt: "s", finishedAt: "f", target: "test", seed: 11,
      options: { runs: 500, fuzzTimeLimitMs: 1, racePosts: 50, chaosUsers: 2, chaosTimeLimitMs: 1, phases: ["fuzz", "race", "chaos"] },
      platforms: ["faulty"], unavailable: [], fuzz, knownDeviations: [], passed: false,
      races: [{ platform: "faulty", posts: 50, created: 1, emailTaken: 49, other: {}, ok: true }],
    };
    assert.equal(passed(report), false);
    const [row] = summaryRows(report).rows;
    assert.equal(row[2], String(fuzz.platforms[0].fiveXx));
    assert.ok(fuzz.platforms[0].fiveXx > 0);
    assert.equal(row[9], "1 / 49");
    assert.match(reliabilityMarkdown(report), /## Failure[\s\S]*--seed 11/);
    assert.equal(passed({ ...report, fuzz: undefined }), true);
    assert.equal(passed({ ...report, fuzz: undefined, races: [{ ...report.races![0], created: 2, emailTaken: 48, ok: false }] }), false);

    // Chaos: its counts in the summary, and any problem or lost message fails the run.
    const chaos = { platform: "faulty", seed: 11, messagesIn: 8, processed: 5, deadLettered: 3, welcomed: 2, duplicatesSuppressed: 3, lost: 0, problems: [], maxAttempts: 3, users: 2 };
    const withChaos = { ...report, fuzz: undefined, chaos: [chaos] };
    assert.equal(summaryRows(withChaos).rows[0][10], "8 / 2 / 3 / 3 / 0");
    assert.equal(passed(withChaos), true);
    assert.equal(passed({ ...withChaos, chaos: [{ ...chaos, lost: 1, problems: ["1 messages neither processed nor dead-lettered"] }] }), false);
    assert.match(reliabilityMarkdown(withChaos), /2 users per platform[\s\S]*maxAttempts \(3\)/);
    const deployed = { ...report, fuzz: undefined, chaosNotRun: chaosNotDeployed };
    assert.equal(summaryRows(deployed).rows[0][10], "not run");
    assert.match(reliabilityMarkdown(deployed), /Chaos: not run on deployed endpoints/);
  });
});

describe("reliability: queue chaos bookkeeping", () => {
  const event = (n: number) => ({ id: `m${n}`, body: JSON.stringify({ type: "user.created", userId: `u${n}` }) });
  it("catches a worker that swallows poison, and one that welcomes twice", async () => {
    let clock = 0;
    const swallowing = await runChaos({ platform: "swallow", deliver: async () => ({ failedIds: [] }) }, { seed: 1, maxAttempts: 3, events: [event(1)], welcomedAt: async () => "t" });
    assert.match(swallowing.problems.join("\n"), /poison chaos1-not-json was reported processed/);
    const twice = await runChaos(
      { platform: "twice", deliver: async (batch) => ({ failedIds: batch.filter((m) => m.id.startsWith("chaos")).map((m) => m.id) }) },
      { seed: 1, maxAttempts: 3, events: [event(1)], welcomedAt: async () => `t${clock++}` },
    );
    assert.match(twice.problems.join("\n"), /welcomed twice/);
    assert.equal(twice.deadLettered, 3);
    assert.equal(twice.lost, 0);
  });

  it("stops at its time limit and counts what is still queued as lost", async () => {
    const stuck = await runChaos(
      { platform: "stuck", deliver: async (batch) => { await new Promise((resolve) => setTimeout(resolve, 30)); return { failedIds: batch.map((m) => m.id) }; } },
      { seed: 1, maxAttempts: 1_000, events: [event(1)], welcomedAt: async () => null, timeLimitMs: 100 },
    );
    assert.ok(stuck.lost > 0);
    assert.match(stuck.problems.join("\n"), /still queued when the time limit was reached/);
  });
});
