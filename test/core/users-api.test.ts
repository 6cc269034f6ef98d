/**
 * The users API and the queue worker in process, on an in-memory store: the core's own rules at
 * their boundaries, fast enough to run per mutant (`npm run mutate`). The conformance suite checks
 * the same behaviour through every platform's runtime and real local store.
 */
import assert from "node:assert/strict";
import {
  createLogger,
  createQueueWorker,
  createUsersApi,
  EmailTakenError,
  isFailure,
  MAX_BODY_BYTES,
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  userCreatedEvent,
  type User,
  type UserCreatedEvent,
  type UserStore,
  type WelcomeResult,
} from "../../functions/core";
import { isJsonContentType } from "../../functions/core/users-api";

const KEY = "a-test-api-key-of-some-length";
const FIXED_ID = "8f14e45f-ceea-4e7a-9b1c-2f1a9c0e1d2b";
const FIXED_NOW = new Date("2026-11-30T08:00:00.000Z");

/** A store with the port's contract: a used email is refused atomically (one synchronous step). */
function memoryStore() {
  const users = new Map<string, User>();
  const emails = new Set<string>();
  const store: UserStore & { users: Map<string, User>; fail?: Error } = {
    users,
    async get(id) {
      if (store.fail) throw store.fail;
      return users.get(id);
    },
    async create(user) {
      if (store.fail) throw store.fail;
      if (emails.has(user.email)) throw new EmailTakenError(user.email);
      emails.add(user.email);
      users.set(user.id, { ...user });
    },
    async markWelcomed(id, at): Promise<WelcomeResult> {
      if (store.fail) throw store.fail;
      const user = users.get(id);
      if (!user) return "not-found";
      if (user.welcomedAt) return "already-welcomed";
      user.welcomedAt = at;
      return "welcomed";
    },
  };
  return store;
}

function harness(options: { apiKey?: string; publishFails?: boolean; fixedId?: boolean } = {}) {
  const store = memoryStore();
  const published: UserCreatedEvent[] = [];
  const lines: Record<string, any>[] = [];
  let ids = 0;
  const api = createUsersApi({
    store,
    publisher: {
      publish: async (event) => {
        if (options.publishFails) throw new Error("queue unreachable");
        published.push(event);
      },
    },
    apiKey: async () => options.apiKey ?? KEY,
    logger: createLogger({ platform: "test", function: "users-api" }, { sink: (line) => lines.push(JSON.parse(line)) }),
    newId: options.fixedId ? () => FIXED_ID : () => `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`,
    now: () => FIXED_NOW,
  });
  const send = (path: string, init: RequestInit & { key?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const key = init.key === undefined ? KEY : init.key;
    if (key !== null) headers.set("x-api-key", key);
    return api.fetch(new Request(`http://parity.test${path}`, { ...init, headers }));
  };
  const post = (body: unknown, init: RequestInit & { key?: string | null } = {}) =>
    send("/users", { method: "POST", ...init, headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { api, store, published, lines, send, post };
}

async function errorOf(response: Response, status: number, code: string) {
  assert.equal(response.status, status, `expected ${status} ${code}`);
  assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  const body = (await response.json()) as { error: { code: string; message: string; fields?: Record<string, string> } };
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0);
  return body.error;
}

/** An address of exactly `length` characters. */
const emailOfLength = (length: number) => `${"a".repeat(length - "@example.com".length)}@example.com`;

describe("core: users API", () => {
  describe("validation maxima, at and one past", () => {
    it(`an email of ${MAX_EMAIL_LENGTH} characters is accepted, ${MAX_EMAIL_LENGTH + 1} refused`, async () => {
      assert.equal(MAX_EMAIL_LENGTH, 254, "RFC 5321's path limit");
      const { post } = harness();
      assert.equal((await post({ email: emailOfLength(254), name: "Max" })).status, 201);
      // Measured after trimming: surrounding spaces do not count.
      assert.equal((await post({ email: `  ${emailOfLength(254).replace(/^a/, "b")}  `, name: "Max" })).status, 201);
      const error = await errorOf(await post({ email: emailOfLength(255), name: "Max" }), 422, "validation_failed");
      assert.deepEqual(error.fields, { email: "must be at most 254 octets in UTF-8" });
    });

    it(`a name of ${MAX_NAME_LENGTH} characters is accepted, ${MAX_NAME_LENGTH + 1} refused`, async () => {
      assert.equal(MAX_NAME_LENGTH, 100);
      const { post } = harness();
      assert.equal((await post({ email: "a@example.com", name: "n".repeat(100) })).status, 201);
      assert.equal((await post({ email: "b@example.com", name: ` ${"n".repeat(100)} ` })).status, 201);
      const error = await errorOf(await post({ email: "c@example.com", name: "n".repeat(101) }), 422, "validation_failed");
      assert.deepEqual(error.fields, { name: "must be at most 100 characters" });
    });

    it("names each invalid field with its reason", async () => {
      const { post } = harness();
      const cases: [unknown, Record<string, string>][] = [
        [{ email: "not-an-email", name: "Ada" }, { email: "must be an email address" }],
        [{ email: "a@b", name: "Ada" }, { email: "must be an email address" }],
        [{ email: "a b@c.io", name: "Ada" }, { email: "must be an email address" }],
        [{ email: "   ", name: "   " }, { email: "is required", name: "is required" }],
        [{ email: 3, name: null }, { email: "is required", name: "is required" }],
        [{ email: "a\u0000@b.io", name: "A\uD800" }, { email: "must be text without control characters, unpaired surrogates or noncharacters", name: "must be text without control characters, unpaired surrogates or noncharacters" }],
        [{ email: "a@b.io", name: "x\uFFFE" }, { name: "must be text without control characters, unpaired surrogates or noncharacters" }],
        [[1, 2], { body: "must be a JSON object with email and name" }],
        [null, { body: "must be a JSON object with email and name" }],
        ["\"text\"", { body: "must be a JSON object with email and name" }],
      ];
      for (const [body, fields] of cases) {
        const error = await errorOf(await post(body), 422, "validation_failed");
        assert.deepEqual(error.fields, fields, JSON.stringify(body));
      }
    });
  });

  describe("API key", () => {
    it("refuses a prefix of the key, the key with a suffix, and a missing key; accepts the key and Bearer", async () => {
      const { send } = harness();
      const path = `/users/${FIXED_ID}`;
      for (const key of [KEY.slice(0, -1), KEY.slice(0, 1), `${KEY}x`, `x${KEY}`, KEY.toUpperCase()]) {
        const response = await send(path, { key });
        assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="parity"');
        await errorOf(response, 401, "unauthorized");
      }
      await errorOf(await send(path, { key: null }), 401, "unauthorized");
      await errorOf(await send(path, { key: null, headers: { authorization: `Basic ${KEY}` } }), 401, "unauthorized");
      await errorOf(await send(path), 404, "user_not_found");
      await errorOf(await send(path, { key: null, headers: { authorization: `bearer   ${KEY} ` } }), 404, "user_not_found");
      await errorOf(await send(path, { key: ` ${KEY} ` }), 404, "user_not_found");
    });

    it("an empty expected key (a missing secret) refuses every request", async () => {
      const { send, post } = harness({ apiKey: "" });
      await errorOf(await send(`/users/${FIXED_ID}`, { key: "anything" }), 401, "unauthorized");
      await errorOf(await send(`/users/${FIXED_ID}`, { key: null, headers: { authorization: "Bearer " } }), 401, "unauthorized");
      await errorOf(await post({ email: "a@b.io", name: "A" }, { key: "anything" }), 401, "unauthorized");
    });

    it("/health needs no key; /users/* do", async () => {
      const { send } = harness();
      const health = await send("/health", { key: null });
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      await errorOf(await send("/users", { method: "POST", key: null }), 401, "unauthorized");
      await errorOf(await send("/users/x", { key: null }), 401, "unauthorized");
    });
  });

  describe("body limit: 16 KiB", () => {
    /** A valid POST body of exactly `bytes` UTF-8 bytes, padded with two-byte characters where it can. */
    const bodyOfBytes = (bytes: number, email: string) => {
      const base = JSON.stringify({ email, name: "Pad", pad: "" });
      const room = bytes - Buffer.byteLength(base);
      const pad = "é".repeat(Math.floor(room / 2)) + "e".repeat(room % 2);
      const body = JSON.stringify({ email, name: "Pad", pad });
      assert.equal(Buffer.byteLength(body), bytes);
      return body;
    };

    for (const withLength of [true, false]) {
      it(`${MAX_BODY_BYTES} bytes are accepted and ${MAX_BODY_BYTES + 1} refused (${withLength ? "with" : "without"} content-length)`, async () => {
        assert.equal(MAX_BODY_BYTES, 16_384);
        const { post, published } = harness();
        const postBytes = (body: string) => post(body, withLength ? { headers: { "content-length": String(Buffer.byteLength(body)) } } : {});
        assert.equal((await postBytes(bodyOfBytes(16_384, "at@limit.io"))).status, 201);
        const error = await errorOf(await postBytes(bodyOfBytes(16_385, "past@limit.io")), 413, "payload_too_large");
        assert.equal(error.message, "the body must be at most 16384 bytes");
        assert.equal(published.length, 1, "the refused body created nothing");
      });
    }
  });

  describe("create, publish and the store's answer", () => {
    it("a create answers 201 with Location and the user, and publishes its one user.created", async () => {
      const { post, published, store } = harness({ fixedId: true });
      const response = await post({ email: "  Ada@Example.COM ", name: " Ada " });
      assert.equal(response.status, 201);
      assert.equal(response.headers.get("location"), `/users/${FIXED_ID}`);
      const user = { id: FIXED_ID, email: "ada@example.com", name: "Ada", createdAt: FIXED_NOW.toISOString(), welcomedAt: null };
      assert.deepEqual(await response.json(), user);
      assert.deepEqual(store.users.get(FIXED_ID), user);
      assert.deepEqual(published, [userCreatedEvent(user)]);
    });

    it("a 409 publishes nothing, and a 20-way race on one email publishes exactly one event", async () => {
      const { post, published } = harness();
      assert.equal((await post({ email: "dup@example.com", name: "First" })).status, 201);
      await errorOf(await post({ email: " DUP@example.com", name: "Second" }), 409, "email_taken");
      assert.equal(published.length, 1, "the refused duplicate published nothing");

      const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => post({ email: "race@example.com", name: `Racer ${i}` })));
      assert.deepEqual(responses.map((r) => r.status).sort(), [201, ...Array(19).fill(409)]);
      const winner = (await responses.find((r) => r.status === 201)!.json()) as User;
      const raced = published.filter((event) => event.userId === winner.id);
      assert.equal(raced.length, 1);
      assert.equal(published.length, 2, "the first user's event and the race winner's, nothing else");
    });

    it("a failed publish still answers 201 and keeps the user; the failure is logged with the user and event ids", async () => {
      const { post, send, lines } = harness({ publishFails: true, fixedId: true });
      const response = await post({ email: "offline@example.com", name: "Offline" });
      assert.equal(response.status, 201);
      assert.equal((await send(`/users/${FIXED_ID}`)).status, 200, "the user is kept");
      const failure = lines.find((line) => line.level === "error");
      assert.equal(failure?.message, "user.created publish failed; the user is kept and awaits re-publishing");
      assert.equal(failure.userId, FIXED_ID);
      assert.equal(failure.eventId, `user.created:${FIXED_ID}`);
      assert.equal(failure.error.message, "queue unreachable");
    });

    it("a store failure is 500 internal_error: logged with its cause, absent from the answer, nothing published", async () => {
      const { post, send, store, published, lines } = harness();
      store.fail = new Error("store unreachable at 10.0.0.1");
      for (const response of [await post({ email: "a@b.io", name: "A" }), await send(`/users/${FIXED_ID}`)]) {
        const error = await errorOf(response, 500, "internal_error");
        assert.doesNotMatch(JSON.stringify(error), /10\.0\.0\.1/);
      }
      assert.equal(published.length, 0);
      const failures = lines.filter((line) => line.level === "error");
      assert.deepEqual(failures.map((line) => [line.message, line.method, line.path, line.error.message]), [
        ["request failed", "POST", "/users", "store unreachable at 10.0.0.1"],
        ["request failed", "GET", `/users/${FIXED_ID}`, "store unreachable at 10.0.0.1"],
      ]);
    });

    it("GET answers the stored user; an unknown or non-UUID id is 404 without asking the store", async () => {
      const { post, send, store } = harness({ fixedId: true });
      const created = await (await post({ email: "get@example.com", name: "Get" })).json();
      const got = await send(`/users/${FIXED_ID}`);
      assert.equal(got.status, 200);
      assert.deepEqual(await got.json(), created);
      await errorOf(await send("/users/00000000-0000-4000-8000-000000000000"), 404, "user_not_found");
      store.fail = new Error("the store must not be asked");
      const error = await errorOf(await send("/users/not-a-uuid"), 404, "user_not_found");
      assert.equal(error.message, 'no user with id "not-a-uuid"');
    });
  });

  describe("content type, JSON and routes", () => {
    it("accepts application/json with no charset or UTF-8 in any spelling; anything else is 415", async () => {
      const { post } = harness();
      let n = 0;
      for (const type of ["application/json", "Application/JSON", "application/json; charset=utf-8", 'application/json;charset="UTF-8"', "application/json; charset=utf8", " application/json "]) {
        assert.equal((await post({ email: `ok${n++}@example.com`, name: "Ok" }, { headers: { "content-type": type } })).status, 201, type);
      }
      for (const type of ["text/plain", "application/json-patch+json", "application/jsonx", "application/json; charset=latin1", "application/json;charset=latin1", "application/json; charset =latin1", "application/json; charset=xutf-8", "application/json; charset=utf-8x", "application/json; charset=utf-16", "x application/json", ""]) {
        const error = await errorOf(await post({ email: "no@example.com", name: "No" }, { headers: { "content-type": type } }), 415, "unsupported_media_type");
        assert.match(error.message, /JSON in UTF-8/);
      }
    });

    it("isJsonContentType, called directly (the reliability suite does), trims what no Headers object trimmed", () => {
      assert.equal(isJsonContentType("\t application/json; charset=utf-8 \n"), true);
      assert.equal(isJsonContentType(" text/plain "), false);
    });

    it("malformed JSON is 400 malformed_json", async () => {
      const { post } = harness();
      await errorOf(await post('{"email": "a@b.co", '), 400, "malformed_json");
      await errorOf(await post(""), 400, "malformed_json");
    });

    it("an unknown route is 404 naming it; a wrong method is 405 with Allow", async () => {
      const { send } = harness();
      const missing = await errorOf(await send("/nope", { method: "PUT" }), 404, "route_not_found");
      assert.equal(missing.message, "no route for PUT /nope");
      for (const [path, method, allow] of [["/users", "GET", "POST"], ["/users", "DELETE", "POST"], [`/users/${FIXED_ID}`, "DELETE", "GET"], ["/health", "POST", "GET"]]) {
        const response = await send(path, { method, key: path === "/health" ? null : undefined });
        assert.equal(response.headers.get("allow"), allow, `${method} ${path}`);
        const error = await errorOf(response, 405, "method_not_allowed");
        assert.equal(error.message, `${method} is not allowed here; use ${allow}`);
      }
    });

    it("logs one request line per request, under the platform's request id", async () => {
      const { api, lines } = harness();
      await api.fetch(new Request("http://parity.test/health?x=1"), { requestId: "req-1" });
      const [line] = lines.filter((l) => l.message === "request");
      assert.equal(line.requestId, "req-1");
      assert.equal(line.method, "GET");
      assert.equal(line.path, "/health");
      assert.equal(line.status, 200);
      assert.ok(line.durationMs >= 0 && line.durationMs < 60_000, `durationMs ${line.durationMs}`);
    });

    it("logs each created user by id", async () => {
      const { post, lines } = harness();
      const user = (await (await post({ email: "logged@example.com", name: "Logged" })).json()) as { id: string };
      assert.deepEqual(lines.filter((l) => l.message === "user created").map((l) => l.userId), [user.id]);
    });
  });
});

describe("core: queue worker", () => {
  const event = (userId: string) => JSON.stringify(userCreatedEvent({ id: userId, createdAt: FIXED_NOW.toISOString() }));

  function worker() {
    const store = memoryStore();
    const lines: Record<string, any>[] = [];
    const queueWorker = createQueueWorker({
      store,
      logger: createLogger({ platform: "test", function: "queue-worker" }, { sink: (line) => lines.push(JSON.parse(line)) }),
      now: () => FIXED_NOW,
    });
    return { store, lines, queueWorker };
  }

  it("welcomes once, reports a redelivery as a duplicate, poison as poison and an unknown user as retry", async () => {
    const { store, lines, queueWorker } = worker();
    await store.create({ id: FIXED_ID, email: "w@example.com", name: "W", createdAt: FIXED_NOW.toISOString(), welcomedAt: null });
    const other = "00000000-0000-4000-8000-000000000001";
    const outcomes = await queueWorker.processBatch(
      [
        { id: "m1", body: event(FIXED_ID), attempt: 1 },
        { id: "m2", body: "{not json" },
        { id: "m3", body: event(other) },
      ],
      { requestId: "batch-1" },
    );
    assert.deepEqual(outcomes, [
      { id: "m1", status: "welcomed" },
      { id: "m2", status: "poison", reason: 'malformed user.created: {"body":"is not JSON"}' },
      { id: "m3", status: "retry", reason: `user ${other} not found (event user.created:${other})` },
    ]);
    assert.equal(store.users.get(FIXED_ID)?.welcomedAt, FIXED_NOW.toISOString());
    assert.deepEqual(outcomes.map(isFailure), [false, true, true]);
    assert.deepEqual(
      lines.map((l) => [l.level, l.message, l.messageId, l.status, l.attempt, l.requestId]),
      [
        ["info", "message processed", "m1", "welcomed", 1, "batch-1"],
        ["warn", "message failed", "m2", "poison", undefined, "batch-1"],
        ["warn", "message failed", "m3", "retry", undefined, "batch-1"],
        ["info", "batch processed", undefined, undefined, undefined, "batch-1"],
      ],
    );
    assert.deepEqual([lines[3].size, lines[3].failed], [3, 2]);

    assert.deepEqual(await queueWorker.processBatch([{ id: "m4", body: event(FIXED_ID) }]), [{ id: "m4", status: "duplicate" }]);
  });

  it("a store failure is a retry, logged at error level with the message and user", async () => {
    const { store, lines, queueWorker } = worker();
    store.fail = new Error("store down");
    assert.deepEqual(await queueWorker.processBatch([{ id: "m1", body: event(FIXED_ID) }]), [{ id: "m1", status: "retry", reason: "store error: store down" }]);
    const failure = lines.find((l) => l.level === "error");
    assert.deepEqual([failure?.message, failure?.messageId, failure?.userId], ["store failed while welcoming", "m1", FIXED_ID]);
  });
});
