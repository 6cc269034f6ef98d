/**
 * reliability/reference.ts on its own, fast enough for Stryker: the bytes a generated request
 * puts on the wire (each coding really decodes back), the web Request a server following RFC 9112
 * hands the function for each framing, and the core's answers through it.
 */
import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { createReference, observe, REFERENCE_BASE, toWebRequest, wireBody } from "../../reliability/reference";
import type { FuzzRequest } from "../../reliability/generators";
import { outcome } from "../../reliability/invariants";

const text = '{"email":"zoë@example.com","name":"Zoë"}';
const post = (over: Partial<FuzzRequest> = {}): FuzzRequest => ({ method: "POST", path: "/users", headers: { "content-type": "application/json", "x-api-key": "k" }, body: text, ...over });

describe("reliability reference: the wire", () => {
  it("wireBody: UTF-8 as it is, or really gzip-, brotli- or zlib-deflate-coded; no body, no bytes", () => {
    assert.equal(wireBody(post({ body: undefined })), undefined);
    const plain = wireBody(post())!;
    assert.ok(plain instanceof Uint8Array);
    assert.equal(Buffer.from(plain).toString("utf8"), text);
    assert.equal(plain.byteLength, Buffer.byteLength(text));
    assert.equal(gunzipSync(wireBody(post({ coding: "gzip" }))!).toString("utf8"), text);
    assert.equal(brotliDecompressSync(wireBody(post({ coding: "br" }))!).toString("utf8"), text);
    assert.equal(inflateSync(wireBody(post({ coding: "deflate" }))!).toString("utf8"), text, "HTTP deflate is the zlib format");
    assert.deepEqual(wireBody(post({ body: "" })), new Uint8Array(0));
  });

  it("toWebRequest: method, headers and the path concatenated to the base (// stays a path)", async () => {
    const request = toWebRequest("http://h", { method: "PATCH", path: "//users?x=1", headers: { "x-api-key": "k" } });
    assert.equal(request.method, "PATCH");
    assert.equal(request.url, "http://h//users?x=1");
    assert.equal(request.headers.get("x-api-key"), "k");
    assert.equal(request.body, null);
    assert.equal(await toWebRequest("http://h", post()).text(), text);
  });

  it("an honest length: the bytes, with no stream and no content-length of ours", async () => {
    const request = toWebRequest("http://h", post({ framing: { chunked: false, lengthDelta: 0 } }));
    assert.equal(await request.text(), text);
    assert.equal(request.headers.get("content-length"), null);
  });

  it("a content-length shorter than the bytes: only the declared bytes are the body, never fewer than none", async () => {
    assert.equal(await toWebRequest("http://h", post({ framing: { chunked: false, lengthDelta: -5 } })).text(), Buffer.from(text).subarray(0, Buffer.byteLength(text) - 5).toString("utf8"));
    assert.equal(await toWebRequest("http://h", post({ framing: { chunked: false, lengthDelta: -10_000 } })).text(), "");
  });

  it("chunked: a stream of the bytes, whatever content-length came with it, ending cleanly", async () => {
    for (const lengthDelta of [undefined, -5, 20_000]) {
      const request = toWebRequest("http://h", post({ headers: { "content-length": "3" }, framing: { chunked: true, lengthDelta } }));
      assert.ok(request.body instanceof ReadableStream);
      assert.equal(request.headers.get("content-length"), "3", "left as sent");
      assert.equal(await request.text(), text, String(lengthDelta));
    }
    const empty = toWebRequest("http://h", post({ body: "", framing: { chunked: true } }));
    assert.deepEqual(await empty.body!.getReader().read(), { done: true, value: undefined }, "no empty chunk is sent");
  });

  it("a content-length longer than the bytes: that length declared, and the body an error naming both counts (the client closed)", async () => {
    const bytes = Buffer.byteLength(text);
    const request = toWebRequest("http://h", post({ framing: { chunked: false, lengthDelta: 100 } }));
    assert.equal(request.headers.get("content-length"), String(bytes + 100));
    // The stream errors in its start, which drops what it queued: a reader gets the error first.
    await assert.rejects(request.body!.getReader().read(), { message: `the client closed after ${bytes} of ${bytes + 100} declared bytes` });
    const empty = toWebRequest("http://h", post({ body: "", framing: { chunked: false, lengthDelta: 7 } }));
    await assert.rejects(empty.body!.getReader().read(), { message: "the client closed after 0 of 7 declared bytes" }, "no bytes, then the close");
  });

  it("observe: status, content-type (empty when none) and the text", async () => {
    assert.deepEqual(await observe(new Response("{}", { status: 409, headers: { "content-type": "application/json" } })), { status: 409, contentType: "application/json", text: "{}" });
    const bare = new Response("x", { status: 400 });
    bare.headers.delete("content-type");
    assert.deepEqual(await observe(bare), { status: 400, contentType: "", text: "x" });
  });
});

describe("reliability reference: the core's answers", () => {
  it("creates a user once, refuses the same email, finds the user by id, and checks the key", async () => {
    const reference = createReference("k");
    const created = await reference(post());
    assert.equal(outcome(created), "201");
    assert.equal(outcome(await reference(post())), "409 email_taken");
    const { id } = JSON.parse(created.text) as { id: string };
    const found = await reference({ method: "GET", path: `/users/${id}`, headers: { "x-api-key": "k" } });
    assert.equal(outcome(found), "200");
    assert.equal((JSON.parse(found.text) as { email: string }).email, "zoë@example.com");
    assert.equal(outcome(await reference({ method: "GET", path: "/users/00000000-0000-4000-8000-000000000000", headers: { "x-api-key": "k" } })), "404 user_not_found");
    assert.equal(outcome(await reference(post({ headers: { "content-type": "application/json", "x-api-key": "other" } }))), "401 unauthorized");
    assert.equal(REFERENCE_BASE, "http://parity.test");
  });

  it("logs nothing: thousands of fuzz requests would flood the run's output", async () => {
    const written: unknown[] = [];
    const saved = { log: console.log, warn: console.warn, error: console.error };
    console.log = console.warn = console.error = (...args: unknown[]) => void written.push(args);
    try {
      const reference = createReference("k");
      await reference(post());
      await reference({ method: "GET", path: "/nowhere", headers: {} });
    } finally {
      Object.assign(console, saved);
    }
    assert.deepEqual(written, []);
  });

  it("each reference has its own store", async () => {
    assert.equal(outcome(await createReference("k")(post())), "201");
    assert.equal(outcome(await createReference("k")(post())), "201");
  });
});
