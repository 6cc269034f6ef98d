import assert from "node:assert/strict";
import fc from "fast-check";
import { normalizeEmail, unstorableText, validateNewUser } from "../../functions/core/validation";
import { isJsonContentType } from "../../functions/core/users-api";
import * as net from "node:net";
import { gunzipSync } from "node:zlib";
import { describeFailure, parseResponse, runFuzz, sendFramed, type FuzzSubject } from "../../reliability/fuzz";
import { bodyOfBytes, emailOfOctets, fuzzRequest, KEY_SLOT, materialize, RUN_SLOT, RUN_TOKEN_LENGTH, stringClasses, type FuzzRequest } from "../../reliability/generators";
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

describe("reliability: hostile bodies and addresses in the generator (issue 26)", () => {
  const sample = fc.sample(fuzzRequest, { seed: 26, numRuns: 3_000 });
  const token = "r".repeat(RUN_TOKEN_LENGTH);
  const sent = (request: FuzzRequest) => materialize(request, "k", token);

  it("sends really compressed bodies of every coding, and chunked bodies with honest and lying lengths", () => {
    assert.deepEqual(new Set(sample.map((r) => r.coding).filter(Boolean)), new Set(["gzip", "br", "deflate"]));
    for (const request of sample.filter((r) => r.coding)) assert.equal(request.headers["content-encoding"], request.coding, "the label says what the bytes are");
    const framings = new Set(sample.map((r) => r.framing && `${r.framing.chunked ? "chunked" : "length"}${r.framing.lengthDelta === undefined ? "" : r.framing.lengthDelta < 0 ? "-short" : "-long"}`).filter(Boolean));
    assert.deepEqual(framings, new Set(["chunked", "chunked-short", "chunked-long", "length-short", "length-long"]));
  });

  it("sends bodies of exactly 16,384 and 16,385 bytes, and emails of exactly 254 and 255 octets in 2-, 3- and 4-byte characters", () => {
    const bodySizes = new Set(sample.filter((r) => r.body !== undefined).map((r) => Buffer.byteLength(sent(r).body!)));
    assert.ok(bodySizes.has(16_384) && bodySizes.has(16_385), "at the limit and one past it");
    const emails = sample.flatMap((r) => {
      try {
        const email = (JSON.parse(sent(r).body ?? "null") as { email?: unknown })?.email;
        return typeof email === "string" ? [email] : [];
      } catch {
        return [];
      }
    });
    for (const [unit, octets] of [["\u00e9", 254], ["\u4e2d", 255], ["\u{1f600}", 254], ["e\u0301", 255]] as const) {
      assert.ok(emails.some((email) => email.startsWith(unit.repeat(3)) && Buffer.byteLength(email.normalize("NFC")) === octets), `${JSON.stringify(unit)} at ${octets} octets`);
    }
    // The helpers hit their size once the run token is in.
    for (const bytes of [16_384, 16_385]) assert.equal(Buffer.byteLength(materialize({ method: "POST", path: "/", headers: {}, body: bodyOfBytes(bytes) }, "k", token).body!), bytes);
    for (const octets of [254, 255]) assert.equal(Buffer.byteLength(emailOfOctets("e\u0301", octets).split(RUN_SLOT).join(token).normalize("NFC")), octets);
  });

  it("the core answers each framing as an RFC 9112 server hands it on: chunks over a lying length, the declared bytes, an incomplete body", async () => {
    const reference = createReference("k");
    const user = (n: number) => ({ method: "POST", path: "/users", headers: { "x-api-key": "k", "content-type": "application/json" }, body: JSON.stringify({ email: `f${n}@example.com`, name: "F" }) });
    assert.equal(outcome(await reference({ ...user(1), framing: { chunked: true } })), "201");
    assert.equal(outcome(await reference({ ...user(2), framing: { chunked: true, lengthDelta: 20_000 } })), "201", "the chunks decide, not the content-length");
    assert.equal(outcome(await reference({ ...user(3), framing: { chunked: false, lengthDelta: -1 } })), "400 malformed_json", "only the declared bytes are the body");
    assert.equal(outcome(await reference({ ...user(4), framing: { chunked: false, lengthDelta: 100 } })), "400 incomplete_body");
    assert.equal(outcome(await reference({ ...user(5), coding: "gzip", headers: { ...user(5).headers, "content-encoding": "gzip" } })), "415 unsupported_content_encoding");
  });

  it("writes each framing's bytes on the wire as generated, and reads the answer however it is delimited", async () => {
    const received: Buffer[] = [];
    const server = net.createServer((socket) => {
      let bytes = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        bytes = Buffer.concat([bytes, chunk]);
        // Answer once the request's head and some body are in, chunked (the reader must decode it).
        if (bytes.includes("\r\n\r\n") && bytes.length > bytes.indexOf("\r\n\r\n") + 4) {
          received.push(bytes);
          socket.end("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n");
          bytes = Buffer.alloc(0);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const body = '{"email":"w@x.io"}';
      const request = (framing: FuzzRequest["framing"], coding?: FuzzRequest["coding"]): FuzzRequest => ({ method: "POST", path: "/users", headers: { "content-type": "application/json" }, body, framing, coding });
      const answer = await sendFramed(base, request({ chunked: true, lengthDelta: -10 }), 5_000);
      assert.deepEqual([answer.status, answer.text], [400, '{"a":1}']);
      await sendFramed(base, request({ chunked: false, lengthDelta: -1 }), 5_000);
      await sendFramed(base, request({ chunked: false, lengthDelta: 100 }), 5_000);
      await sendFramed(base, request({ chunked: true }, "gzip"), 5_000);
      const [chunkedLying, short, long, zipped] = received.map((bytes) => bytes.toString("latin1"));
      assert.match(chunkedLying, /\r\ntransfer-encoding: chunked\r\ncontent-length: 8\r\n\r\n12\r\n\{"email":"w@x\.io"\}\r\n0\r\n\r\n$/);
      assert.match(short, /\r\ncontent-length: 17\r\n\r\n\{"email":"w@x\.io"\}$/, "all 18 bytes sent, 17 declared");
      assert.match(long, /\r\ncontent-length: 118\r\n\r\n\{"email":"w@x\.io"\}$/);
      const zippedBody = received[3].subarray(received[3].indexOf("\r\n\r\n") + 4);
      const size = parseInt(zippedBody.toString("latin1"), 16);
      assert.match(zipped, /content-encoding: gzip|transfer-encoding: chunked/);
      assert.equal(gunzipSync(zippedBody.subarray(zippedBody.indexOf("\r\n") + 2, zippedBody.indexOf("\r\n") + 2 + size)).toString(), body);
    } finally {
      server.close();
    }
    // Delimited by content-length, by chunks, or by the close (Node's bare 400).
    assert.deepEqual(parseResponse(Buffer.from("HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}"), false), { status: 201, contentType: "", text: "{}" });
    assert.equal(parseResponse(Buffer.from("HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\n{}"), false), undefined, "not complete yet");
    assert.deepEqual(parseResponse(Buffer.from("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), true), { status: 400, contentType: "", text: "" });
    assert.equal(parseResponse(Buffer.from("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), false), undefined, "a body delimited by the close waits for it");
  });

  it("a subject without a wire (a conformance target) gets every request honestly framed, compressed bodies still compressed", async () => {
    const seen: FuzzRequest[] = [];
    const core = createReference("k");
    await runFuzz([{ platform: "target", apiKey: "k", send: async (request) => (seen.push(request), core(request)) }], { seed: 26, runs: 300 });
    assert.ok(seen.every((r) => r.framing === undefined));
    assert.ok(seen.some((r) => r.coding !== undefined));
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
  it("explain Node's bare 400 for a lying length on the platforms whose HTTP server is Node's, and not on Cloudflare or for an honest body", () => {
    const bare400: Observed = { status: 400, contentType: "", text: "" };
    const body = { method: "POST", path: "/users", headers: {}, body: "{}" };
    for (const lengthDelta of [-10, 100]) {
      for (const chunked of [true, false]) {
        for (const platform of ["aws", "gcp", "azure"]) assert.ok(explainedBy(platform, { ...body, framing: { chunked, lengthDelta } }, bare400, json(201, {})), `${platform} ${chunked} ${lengthDelta}`);
        assert.equal(explainedBy("cloudflare", { ...body, framing: { chunked, lengthDelta } }, bare400, json(201, {})), undefined);
      }
    }
    assert.equal(explainedBy("aws", { ...body, framing: { chunked: true } }, bare400, json(201, {})), undefined, "honest chunks are read");
    assert.equal(explainedBy("aws", body, bare400, json(201, {})), undefined);
    assert.equal(explainedBy("aws", { ...body, framing: { chunked: true, lengthDelta: 5 } }, error(400, "malformed_json"), json(201, {})), undefined, "parity's own 400 is not the server's");
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
