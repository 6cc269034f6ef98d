/**
 * Hostile requests against the real GCP users-api bundle served by the real Functions Framework
 * (issue 26): what reaches Cloud Functions before parity's code does. No emulators: every case is
 * answered before the store is asked (the key check, the coding, the size), and the backends'
 * hosts are closed loopback ports, so a case that did reach them would fail, not pass.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { bundleFunction } from "../../components/bundle";
import { catalog } from "../../components/catalog";
import { entryPointName, gcpEnv } from "../../functions/gcp/contract";
import { serveFunction, type ServedFunction } from "../../local/emulators/functions-framework";

const KEY = "gcp-hostile-test-key-0123456789";

/** The instance's resident set and its peak so far (Linux /proc), MiB. */
function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

/** A raw HTTP/1.1 request: node:http, so that Host and the body's bytes are exactly what is written. */
function rawRequest(base: string, path: string, init: { method?: string; headers?: Record<string, string | number>; body?: Buffer }): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}${path}`, { method: init.method ?? "POST", headers: init.headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, text, headers: response.headers }));
    });
    request.on("error", reject);
    request.end(init.body);
  });
}

const codeOf = (text: string) => (JSON.parse(text) as { error: { code: string } }).error.code;

describe("gcp: hostile requests through the Functions Framework", function () {
  this.timeout(60_000);
  let served: ServedFunction;

  before(async function () {
    this.timeout(120_000);
    const bundle = bundleFunction(catalog.find((f) => f.name === "users-api")!, "gcp");
    // Hosts nothing listens on (port 9, discard): no case below may reach a backend.
    served = await serveFunction({
      bundleFile: bundle.file,
      target: entryPointName("users-api"),
      env: { [gcpEnv.apiKey]: KEY, [gcpEnv.eventsTopic]: "t", [gcpEnv.projectId]: "p", [gcpEnv.firestoreDatabase]: "(default)", FIRESTORE_EMULATOR_HOST: "127.0.0.1:9", PUBSUB_EMULATOR_HOST: "127.0.0.1:9", METADATA_SERVER_DETECTION: "none" },
    });
  });
  after(async () => {
    await served?.stop();
  });

  it("a 241-byte brotli body that inflates to 150 MiB is never inflated: 401 without a key, 415 with one, and the instance does not grow", async function () {
    const inflated = Buffer.alloc(150 * 1024 * 1024, 0x61);
    const bomb = brotliCompressSync(inflated, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } });
    assert.ok(bomb.length < 300, `${bomb.length} bytes`);
    const before = memoryOf(served.pid);
    const keyless = await rawRequest(served.url, "/users", { headers: { "content-type": "application/json", "content-encoding": "br", "content-length": bomb.length }, body: bomb });
    assert.equal(keyless.status, 401);
    assert.equal(codeOf(keyless.text), "unauthorized");
    const keyed = await rawRequest(served.url, "/users", { headers: { "content-type": "application/json", "content-encoding": "br", "x-api-key": KEY, "content-length": bomb.length }, body: bomb });
    assert.equal(keyed.status, 415);
    assert.equal(codeOf(keyed.text), "unsupported_content_encoding");
    // Before the fix the framework's body-parser inflated it first: 83 → 824 MiB and 9.9 s here.
    // The bound leaves room for the first requests' JIT and heap, nowhere near the body's 150 MiB.
    const after = memoryOf(served.pid);
    assert.ok(after.peakMiB - before.rssMiB < 48, `peak grew from ${before.rssMiB.toFixed(0)} to ${after.peakMiB.toFixed(0)} MiB`);
  });

  it("the 16 KiB limit is on the bytes received: an 85-byte gzip of a 20 KB body is 415, the 20 KB sent plain is 413", async () => {
    const user = Buffer.from(JSON.stringify({ email: "zip@example.com", name: "Zip", pad: "x".repeat(20_000) }));
    const zipped = gzipSync(user);
    const gz = await rawRequest(served.url, "/users", { headers: { "content-type": "application/json", "content-encoding": "gzip", "x-api-key": KEY }, body: zipped });
    assert.deepEqual([gz.status, codeOf(gz.text)], [415, "unsupported_content_encoding"]);
    const plain = await rawRequest(served.url, "/users", { headers: { "content-type": "application/json", "x-api-key": KEY }, body: user });
    assert.deepEqual([plain.status, codeOf(plain.text)], [413, "payload_too_large"]);
    // Chunked (no content-length at all): counted as it arrives.
    const chunked = await rawRequest(served.url, "/users", { headers: { "content-type": "application/json", "x-api-key": KEY, "transfer-encoding": "chunked" }, body: user });
    assert.deepEqual([chunked.status, codeOf(chunked.text)], [413, "payload_too_large"]);
  });

  it("malformed JSON and a foreign charset get parity's own answers, not the framework's", async () => {
    const broken = await rawRequest(served.url, "/users", { headers: { "content-type": "application/json", "x-api-key": KEY }, body: Buffer.from('{"email": ') });
    assert.deepEqual([broken.status, codeOf(broken.text)], [400, "malformed_json"]);
    const latin1 = await rawRequest(served.url, "/users", { headers: { "content-type": "application/json; charset=latin1", "x-api-key": KEY }, body: Buffer.from("{}") });
    assert.deepEqual([latin1.status, codeOf(latin1.text)], [415, "unsupported_media_type"]);
  });

  it("the Host header does not route: `Host: evil.example/health?` on /users/x is the users route (401), not /health", async () => {
    const answer = await rawRequest(served.url, "/users/x", { method: "GET", headers: { host: "evil.example/health?" } });
    assert.deepEqual([answer.status, codeOf(answer.text)], [401, "unauthorized"]);
  });

  it("a caller's X-Cloud-Trace-Context is not its log request id", async () => {
    const from = served.logs().length;
    await rawRequest(served.url, "/health", { method: "GET", headers: { "x-cloud-trace-context": "chosen-by-caller/1;o=1" } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = served.logs().slice(from).split("\n").filter((line) => line.includes('"request"'));
    assert.ok(lines.length > 0, "the request was logged");
    assert.doesNotMatch(lines.join("\n"), /chosen-by-caller/);
  });
});
