/**
 * reliability/invariants.ts on its own, fast enough for Stryker: what an outcome is called, each
 * per-answer invariant with its exact message and at its edges (a 499 and a 500, a 299 and a 300),
 * and which known deviation explains which answer. The differential runs that use these live in
 * reliability.test.ts.
 */
import assert from "node:assert/strict";
import { errorCodeOf, explainedBy, knownDeviations, outcome, violations, type Observed } from "../../reliability/invariants";

const json = (status: number, body: unknown, contentType = "application/json; charset=utf-8"): Observed => ({ status, contentType, text: JSON.stringify(body) });
const error = (status: number, code: string, message: unknown = "m") => json(status, { error: { code, message } });
const post = { method: "POST" };

describe("reliability invariants: outcomes", () => {
  it("a 2xx by its status, code or not; from 300 on, the status and parity's code, or that there is none", () => {
    assert.equal(outcome(json(299, { error: { code: "user_not_found" } })), "299");
    assert.equal(outcome(error(300, "user_not_found")), "300 user_not_found");
    assert.equal(outcome(json(300, {})), "300 (not a parity error body)");
    assert.equal(outcome({ status: 201, contentType: "", text: "", connectionError: "" }), "no answer", "an empty connection error is still one");
  });

  it("errorCodeOf: a string code from a JSON body, else nothing", () => {
    assert.equal(errorCodeOf(error(404, "user_not_found")), "user_not_found");
    for (const text of ["null", "{}", '{"error":null}', '{"error":{"code":404}}', "not json", ""]) {
      assert.equal(errorCodeOf({ status: 404, contentType: "application/json", text }), undefined, text);
    }
  });
});

describe("reliability invariants: violations", () => {
  it("none for a documented error or a 2xx; HEAD and 2xx bodies are not checked", () => {
    assert.deepEqual(violations(post, error(404, "user_not_found")), []);
    assert.deepEqual(violations(post, error(422, "validation_failed")), []);
    assert.deepEqual(violations(post, { status: 299, contentType: "text/plain", text: "ok" }), []);
    assert.deepEqual(violations(post, { status: 300, contentType: "text/plain", text: "ok" }), ['content-type "text/plain" is not JSON', "the body is not JSON"], "from 300 on, checked");
    assert.deepEqual(violations({ method: "HEAD" }, { status: 404, contentType: "", text: "" }), []);
    assert.deepEqual(violations({ method: "GET" }, { status: 404, contentType: "", text: "" }), ['content-type "" is not JSON', "the body is not JSON"]);
  });

  it("no answer: that alone, with the connection error", () => {
    assert.deepEqual(violations(post, { status: 500, contentType: "", text: "at x (y.ts:1:2)", connectionError: "ECONNRESET" }), ["no answer: ECONNRESET"]);
  });

  it("a 5xx from 500 on, not 499", () => {
    assert.deepEqual(violations(post, error(500, "internal_error")), ["status 500"]);
    assert.deepEqual(violations(post, error(499, "user_not_found")), ["error.code user_not_found is documented as 404, answered 499"]);
  });

  it("a stack trace in any body, a 2xx's too: a frame, node_modules, or a .ts line and column", () => {
    const trace = "a stack trace in the body";
    for (const text of ["Error: x\n    at parse (/app/x.js:1:2)", "see /app/node_modules/x", "users-api.ts:12:3"]) {
      assert.deepEqual(violations(post, { status: 200, contentType: "text/plain", text }), [trace], text);
    }
    assert.deepEqual(violations(post, error(400, "malformed_json", "Unexpected token at position 3")), [], "'at' in a sentence is not a frame");
    assert.deepEqual(violations(post, error(400, "malformed_json", "file.ts:12")), [], "a line without a column is not a frame");
  });

  it("a non-2xx must be JSON: its content-type (any case, with parameters) and its body", () => {
    assert.deepEqual(violations(post, { ...error(404, "user_not_found"), contentType: "Application/JSON;charset=utf-8" }), []);
    assert.deepEqual(violations(post, { ...error(404, "user_not_found"), contentType: "text/plain; type=application/json" }), ['content-type "text/plain; type=application/json" is not JSON']);
    assert.deepEqual(violations(post, { ...error(404, "user_not_found"), contentType: "application/jsonx" }), ['content-type "application/jsonx" is not JSON']);
    assert.deepEqual(violations(post, { status: 400, contentType: "application/json", text: "<pre>Bad Request</pre>" }), ["the body is not JSON"], "nothing more is checked");
  });

  it("error.code must be a documented code carrying its status; error.message a string", () => {
    assert.deepEqual(violations(post, error(400, "bad_thing")), ['error.code "bad_thing" is not a documented code']);
    assert.deepEqual(violations(post, json(400, { error: { code: 400, message: "m" } })), ["error.code 400 is not a documented code"]);
    assert.deepEqual(violations(post, json(400, null)), ["error.code undefined is not a documented code", "error.message is not a string"]);
    assert.deepEqual(violations(post, json(400, {})), ["error.code undefined is not a documented code", "error.message is not a string"]);
    assert.deepEqual(violations(post, error(400, "user_not_found")), ["error.code user_not_found is documented as 404, answered 400"]);
    assert.deepEqual(violations(post, error(404, "user_not_found", 7)), ["error.message is not a string"]);
    assert.deepEqual(violations(post, json(503, { error: { code: "nope" } })), ["status 503", 'error.code "nope" is not a documented code', "error.message is not a string"], "every finding at once");
  });
});

describe("reliability invariants: known deviations", () => {
  const bare400: Observed = { status: 400, contentType: "", text: "" };
  const html400: Observed = { status: 400, contentType: "text/html", text: "<pre>Bad Request</pre>" };
  const body = { method: "POST", path: "/users", headers: {}, body: "{}" };

  it("each has an id, platform, what and why; the ids are unique", () => {
    assert.deepEqual(
      knownDeviations.map((d) => [d.id, d.platform]),
      [
        ["aws-http-server-lying-length-400", "aws"],
        ["gcp-http-server-lying-length-400", "gcp"],
        ["azure-http-server-lying-length-400", "azure"],
        ["gcp-runtime-bad-escape-400", "gcp"],
      ],
    );
  });

  it("a lying length: only the server's own bare 400, only when the length lies, only on its platform", () => {
    const lying = { ...body, framing: { chunked: false, lengthDelta: -1 } };
    assert.equal(explainedBy("azure", lying, bare400, json(201, {}))?.id, "azure-http-server-lying-length-400");
    assert.equal(explainedBy("azure", { ...body, framing: { chunked: false, lengthDelta: 0 } }, bare400, json(201, {}))?.id, "azure-http-server-lying-length-400", "a delta of 0 is still a declared length");
    assert.equal(explainedBy("azure", lying, { ...bare400, status: 413 }, json(201, {})), undefined, "another status");
    assert.equal(explainedBy("azure", lying, error(400, "incomplete_body"), json(201, {})), undefined, "parity's own answer");
    assert.equal(explainedBy("azure", { ...body, framing: { chunked: true } }, bare400, json(201, {})), undefined);
    assert.equal(explainedBy("oracle", lying, bare400, json(201, {})), undefined);
  });

  it("a bad escape: the runtime's 400 on gcp for a path Express cannot decode, its query and fragment aside", () => {
    const get = (path: string) => ({ method: "GET", path, headers: {} });
    assert.equal(explainedBy("gcp", get("/users/%"), html400, error(404, "route_not_found"))?.id, "gcp-runtime-bad-escape-400");
    assert.equal(explainedBy("gcp", get("/users/%zz?x=1"), html400, error(404, "user_not_found"))?.id, "gcp-runtime-bad-escape-400");
    assert.equal(explainedBy("gcp", get("/users/ok?x=%zz"), html400, error(404, "user_not_found")), undefined, "the query is not a path segment");
    assert.equal(explainedBy("gcp", get("/users/ok#%zz"), html400, error(404, "user_not_found")), undefined, "nor is the fragment");
    assert.equal(explainedBy("gcp", get("/users/%41"), html400, error(404, "user_not_found")), undefined);
    assert.equal(explainedBy("gcp", get("/users/%zz"), error(400, "malformed_json"), error(404, "user_not_found")), undefined, "parity's own 400");
    assert.equal(explainedBy("gcp", get("/users/%zz"), { ...html400, status: 404 }, error(404, "user_not_found")), undefined);
  });
});
