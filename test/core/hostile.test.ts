/**
 * What an attacker sends that the generators never did (issue 26), against the core in process:
 * compressed and oversized bodies, lying lengths, and addresses that look alike. The conformance
 * suite sends the same through every platform's runtime (conformance/suite.ts, "hostile input").
 */
import assert from "node:assert/strict";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { createLogger, createUsersApi, EmailTakenError, MAX_BODY_BYTES, MAX_EMAIL_LENGTH, normalizeEmail, utf8Length, validateNewUser, type User, type UserStore } from "../../functions/core";
import { readBodyWithin } from "../../functions/core/users-api";

const KEY = "a-test-api-key-of-some-length";

function api() {
  const users = new Map<string, User>();
  const emails = new Set<string>();
  const store: UserStore = {
    get: async (id) => users.get(id),
    create: async (user) => {
      if (emails.has(user.email)) throw new EmailTakenError(user.email);
      emails.add(user.email);
      users.set(user.id, user);
    },
    markWelcomed: async () => "not-found",
  };
  const usersApi = createUsersApi({ store, publisher: { publish: async () => undefined }, apiKey: async () => KEY, logger: createLogger({ platform: "test", function: "users-api" }, { sink: () => undefined }) });
  return { usersApi, users };
}

/** A body stream that counts what was pulled from it: `chunks` chunks of `chunkBytes`, or endless. */
function countingStream(chunkBytes: number, chunks = Infinity) {
  const pulled = { bytes: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.bytes >= chunkBytes * chunks) return controller.close();
      pulled.bytes += chunkBytes;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x20));
    },
  });
  return { stream, pulled };
}

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://parity.test/users", { method: "POST", body, headers: { "content-type": "application/json", "x-api-key": KEY, ...headers }, duplex: "half" } as RequestInit);

async function codeOf(response: Response): Promise<[number, string]> {
  return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
}

describe("core: hostile bodies", () => {
  const user = JSON.stringify({ email: "zip@example.com", name: "Zip", pad: "x".repeat(20_000) });

  it("a compressed body is 415 unsupported_content_encoding, whatever its coding, and none of it is read", async () => {
    const { usersApi } = api();
    for (const [coding, bytes] of [["gzip", gzipSync(user)], ["br", brotliCompressSync(user)], ["deflate, gzip", gzipSync(user)], ["x-unknown", Buffer.from(user)]] as const) {
      const { stream, pulled } = countingStream(1024);
      const response = await usersApi.fetch(post(coding === "x-unknown" ? stream : new Uint8Array(bytes), { "content-encoding": coding }));
      assert.deepEqual(await codeOf(response), [415, "unsupported_content_encoding"], coding);
      assert.equal(response.headers.get("accept-encoding"), "identity");
      if (coding === "x-unknown") assert.ok(pulled.bytes <= 1024 * 2, `read ${pulled.bytes} bytes of a refused body`);
    }
    // identity is no coding at all.
    assert.equal((await usersApi.fetch(post(JSON.stringify({ email: "id@example.com", name: "Id" }), { "content-encoding": "identity" }))).status, 201);
  });

  it("the key is checked before any of the body is read: a keyless endless body is 401 after at most a chunk", async () => {
    const { usersApi } = api();
    const { stream, pulled } = countingStream(64 * 1024);
    const response = await usersApi.fetch(new Request("http://parity.test/users", { method: "POST", body: stream, headers: { "content-type": "application/json", "content-encoding": "br" }, duplex: "half" } as RequestInit));
    assert.equal(response.status, 401);
    assert.ok(pulled.bytes <= 64 * 1024 * 2, `read ${pulled.bytes} bytes before the key check`);
  });

  it("an endless body is 413 once the bytes received pass 16 KiB; reading stops there", async () => {
    const { usersApi } = api();
    const { stream, pulled } = countingStream(1000);
    assert.deepEqual(await codeOf(await usersApi.fetch(post(stream))), [413, "payload_too_large"]);
    // 17 chunks of 1,000 bytes pass 16,384; the stream may have queued one more (its high-water mark).
    assert.ok(pulled.bytes >= 17_000 && pulled.bytes <= 19_000, `pulled ${pulled.bytes} bytes`);
  });

  it("a content-length that lies low is not trusted: 16 KiB + 1 bytes declared as 100 is 413", async () => {
    // Through readBodyWithin directly: a web Request built by a driver may carry a header copied from another body.
    const { stream } = countingStream(MAX_BODY_BYTES + 1, 1);
    const lying = new Request("http://x/", { method: "POST", body: stream, headers: { "content-length": "100" }, duplex: "half" } as RequestInit);
    assert.equal(await readBodyWithin(lying, MAX_BODY_BYTES), "too-large");
    const { stream: atLimit } = countingStream(MAX_BODY_BYTES, 1);
    const honest = new Request("http://x/", { method: "POST", body: atLimit, headers: { "content-length": "100" }, duplex: "half" } as RequestInit);
    assert.equal((await readBodyWithin(honest, MAX_BODY_BYTES) as Uint8Array).byteLength, MAX_BODY_BYTES);
  });

  it("a body that ends before all of it arrived (the client closed mid-body) is 400 incomplete_body, never a 500, and nothing is stored", async () => {
    const { usersApi, users } = api();
    const whole = new TextEncoder().encode(JSON.stringify({ email: "cut@y.io", name: "Cut" }));
    for (const sent of [whole.byteLength, 10, 0]) {
      const cut = new ReadableStream<Uint8Array>({
        start(controller) {
          if (sent > 0) controller.enqueue(whole.subarray(0, sent));
          controller.error(new Error("the client closed the connection"));
        },
      });
      assert.deepEqual(await codeOf(await usersApi.fetch(post(cut))), [400, "incomplete_body"], `${sent} bytes, then the close`);
    }
    assert.equal(users.size, 0);
  });

  it("a chunked body's length is its chunks': a content-length beside transfer-encoding decides nothing (RFC 9112 §6.3)", async () => {
    const { usersApi } = api();
    const small = JSON.stringify({ email: "chunks@y.io", name: "Chunks" });
    const response = await usersApi.fetch(post(small, { "transfer-encoding": "chunked", "content-length": String(MAX_BODY_BYTES + 20_000) }));
    assert.equal(response.status, 201);
    const { stream } = countingStream(MAX_BODY_BYTES + 1, 1);
    assert.deepEqual(await codeOf(await usersApi.fetch(post(stream, { "transfer-encoding": "chunked", "content-length": "10" }))), [413, "payload_too_large"], "the bytes still count");
  });

  it("a content-length over the limit is 413 without reading the body", async () => {
    const { stream, pulled } = countingStream(1024);
    const declared = new Request("http://x/", { method: "POST", body: stream, headers: { "content-length": String(MAX_BODY_BYTES + 1) }, duplex: "half" } as RequestInit);
    assert.equal(await readBodyWithin(declared, MAX_BODY_BYTES), "too-large");
    assert.ok(pulled.bytes <= 1024 * 2, `pulled ${pulled.bytes}`);
  });
});

describe("core: one mailbox, one user", () => {
  const emailOf = (email: string) => {
    const result = validateNewUser({ email, name: "N" });
    return result.ok ? result.value.email : result.fields;
  };

  it("precomposed and decomposed é are one address (NFC)", () => {
    assert.equal(emailOf("\u00e9@y.io"), "\u00e9@y.io");
    assert.equal(emailOf("e\u0301@y.io"), "\u00e9@y.io");
    assert.equal(emailOf("E\u0301@Y.IO"), "\u00e9@y.io");
  });

  it("the domain is in its ASCII form: full-width letters mapped, Unicode labels in Punycode", () => {
    assert.equal(emailOf("a@\uff59.io"), "a@y.io");
    assert.equal(emailOf("a@Bücher.DE"), "a@xn--bcher-kva.de");
    assert.equal(emailOf("a@xn--bcher-kva.de"), "a@xn--bcher-kva.de");
    assert.equal(emailOf("a@💩.la"), "a@xn--ls8h.la");
    // Not a domain at all: refused, not mapped.
    assert.deepEqual(emailOf("a@x/y.io"), { email: "must be an email address" });
    assert.deepEqual(emailOf("a@\u0301x.io"), { email: "must be an email address" });
    assert.deepEqual(emailOf("a@x.io:80"), { email: "must be an email address" });
  });

  it("two spellings of one mailbox are one user: the second is 409", async () => {
    const { usersApi } = api();
    const create = (email: string) => usersApi.fetch(post(JSON.stringify({ email, name: "Twin" })));
    assert.equal((await create("e\u0301@y.io")).status, 201);
    assert.deepEqual(await codeOf(await create("\u00e9@y.io")), [409, "email_taken"]);
    assert.equal((await create("a@y.io")).status, 201);
    assert.deepEqual(await codeOf(await create("a@\uff59.io")), [409, "email_taken"]);
  });

  it("format and bidi-control characters are refused in emails and names (422), the joiners allowed in names", () => {
    const invisible = "must not hold invisible format or bidirectional-control characters";
    for (const c of ["\u200b", "\u202e", "\u2066", "\u200e", "\u00ad", "\u2060", "\ufeff", "\u{e0041}", "\u200d", "\u061c"]) {
      assert.deepEqual(validateNewUser({ email: `a${c}@x.io`, name: "N" }), { ok: false, fields: { email: invisible } }, `U+${c.codePointAt(0)!.toString(16)} in an email`);
    }
    for (const c of ["\u200b", "\u202e", "\u2066", "\u200e", "\u00ad", "\ufeff", "\u061c"]) {
      assert.deepEqual(validateNewUser({ email: "a@x.io", name: `ad${c}min` }), { ok: false, fields: { name: invisible } }, `U+${c.codePointAt(0)!.toString(16)} in a name`);
    }
    assert.deepEqual(validateNewUser({ email: "a@x.io", name: "ad\u202emin\u200b" }), { ok: false, fields: { name: invisible } });
    // ZWNJ in Persian, ZWJ in an emoji sequence.
    for (const name of ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u{1f469}\u200d\u{1f4bb}"]) assert.equal(validateNewUser({ email: "a@x.io", name }).ok, true, name);
  });

  it(`an email is at most ${MAX_EMAIL_LENGTH} octets in UTF-8, counted after normalisation, at and one past`, () => {
    const tooLong = "must be at most 254 octets in UTF-8";
    // é is 2 octets, 中 3, 😀 4; "@x.io" is 5.
    const cases: [string, number][] = [
      ["\u00e9".repeat(124) + "a@x.io", 254],
      ["\u00e9".repeat(124) + "ab@x.io", 255],
      ["\u4e2d".repeat(83) + "@x.io", 254],
      ["\u4e2d".repeat(83) + "a@x.io", 255],
      ["\u{1f600}".repeat(62) + "a@x.io", 254],
      ["\u{1f600}".repeat(62) + "ab@x.io", 255],
      // Decomposed: 124 × e + U+0301 is 372 octets as sent, 248 once composed.
      ["e\u0301".repeat(124) + "a@x.io", 254],
    ];
    for (const [email, octets] of cases) {
      assert.equal(utf8Length(normalizeEmail(email)), octets, email);
      const result = validateNewUser({ email, name: "N" });
      if (octets <= MAX_EMAIL_LENGTH) assert.equal(result.ok, true, `${octets} octets`);
      else assert.deepEqual(result, { ok: false, fields: { email: tooLong } }, `${octets} octets`);
    }
  });

  it("names are stored in NFC", () => {
    assert.deepEqual(validateNewUser({ email: "a@x.io", name: " Jose\u0301 " }), { ok: true, value: { email: "a@x.io", name: "Jos\u00e9" } });
  });
});
