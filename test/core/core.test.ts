import assert from "node:assert/strict";
import { constantTimeEqual, createLogger, normalizeEmail, once, parseUserCreatedEvent, presentedApiKey, validateNewUser } from "../../functions/core";

describe("core", () => {
  describe("validation", () => {
    it("normalises email and name", () => {
      assert.deepEqual(validateNewUser({ email: "  Ada@Example.COM ", name: "  Ada " }), {
        ok: true,
        value: { email: "ada@example.com", name: "Ada" },
      });
      assert.equal(normalizeEmail(" X@Y.Z "), "x@y.z");
    });

    it("reports every invalid field", () => {
      const result = validateNewUser({ email: 3, name: "x".repeat(101) });
      assert.equal(result.ok, false);
      assert.deepEqual(Object.keys((result as { fields: object }).fields).sort(), ["email", "name"]);
    });

    it("tells a user.created event from poison", () => {
      const good = {
        type: "user.created",
        eventId: "e1",
        userId: "8f14e45f-ceea-4e7a-9b1c-2f1a9c0e1d2b",
        email: "a@b.co",
        occurredAt: "2026-11-23T10:00:00.000Z",
      };
      assert.equal(parseUserCreatedEvent(JSON.stringify(good)).ok, true);
      assert.equal(parseUserCreatedEvent("{").ok, false);
      assert.equal(parseUserCreatedEvent("[]").ok, false);
      assert.equal(parseUserCreatedEvent(JSON.stringify({ ...good, userId: "../etc" })).ok, false);
      assert.equal(parseUserCreatedEvent(JSON.stringify({ ...good, occurredAt: "yesterday" })).ok, false);
    });
  });

  describe("user.created events", () => {
    const good = { type: "user.created", eventId: "e1", userId: "8f14e45f-ceea-4e7a-9b1c-2f1a9c0e1d2b", email: "a@b.co", occurredAt: "2026-11-23T10:00:00.000Z" };
    const fieldsOf = (body: unknown) => {
      const result = parseUserCreatedEvent(typeof body === "string" ? body : JSON.stringify(body));
      return result.ok ? undefined : result.fields;
    };

    it("names each bad field, and a body that is not a JSON object", () => {
      assert.equal(fieldsOf(good), undefined);
      assert.deepEqual(fieldsOf({}), { type: 'must be "user.created"', eventId: "is required", userId: "must be a user id", occurredAt: "must be an ISO-8601 timestamp" });
      assert.deepEqual(fieldsOf({ ...good, eventId: "" }), { eventId: "is required" });
      assert.deepEqual(fieldsOf({ ...good, eventId: 7, type: "user.deleted" }), { type: 'must be "user.created"', eventId: "is required" });
      // The worker needs no email: an event without one (what the API publishes now) is whole,
      // and one with it (published before) still parses.
      const { email: _dropped, ...withoutEmail } = good;
      assert.equal(fieldsOf(withoutEmail), undefined);
      for (const body of ["null", "[]", "42", '"text"']) assert.deepEqual(fieldsOf(body), { body: "is not a JSON object" }, body);
      assert.deepEqual(fieldsOf("{"), { body: "is not JSON" });
    });
  });

  describe("API key", () => {
    it("reads Bearer and x-api-key", () => {
      assert.equal(presentedApiKey(new Headers({ authorization: "Bearer abc" })), "abc");
      assert.equal(presentedApiKey(new Headers({ "x-api-key": "def" })), "def");
      assert.equal(presentedApiKey(new Headers({ authorization: "Basic abc" })), undefined);
    });

    it("takes Bearer only at the start of Authorization, and trims what Headers leaves (a no-break space)", () => {
      assert.equal(presentedApiKey(new Headers({ authorization: "xBearer abc" })), undefined);
      assert.equal(presentedApiKey(new Headers({ authorization: "bearer   abc" })), "abc", "scheme in any case, any run of spaces");
      // Headers strips HTTP whitespace only; String#trim also strips U+00A0, which a pasted key can carry.
      assert.equal(presentedApiKey(new Headers({ authorization: "\u00a0Bearer abc" })), "abc");
      assert.equal(presentedApiKey(new Headers({ "x-api-key": "def\u00a0" })), "def");
      assert.equal(presentedApiKey(new Headers({ "x-api-key": "\u00a0" })), undefined, "a blank key is no key");
    });

    it("compares keys of any length, and never accepts an empty expected key", async () => {
      assert.equal(await constantTimeEqual("secret-key", "secret-key"), true);
      assert.equal(await constantTimeEqual("secret-kez", "secret-key"), false);
      assert.equal(await constantTimeEqual("secret", "secret-key"), false);
      assert.equal(await constantTimeEqual("", ""), false);
    });
  });

  describe("logger", () => {
    it("writes one JSON object per line with platform, function, requestId and coldStart", () => {
      const lines: string[] = [];
      const logger = createLogger({ platform: "aws", function: "users-api" }, { sink: (line) => lines.push(line) });
      logger.forInvocation("r1").info("first", { userId: "u1" });
      logger.forInvocation("r2").warn("second");
      const [first, second] = lines.map((line) => JSON.parse(line));
      assert.equal(first.level, "info");
      assert.equal(first.message, "first");
      assert.equal(first.platform, "aws");
      assert.equal(first.function, "users-api");
      assert.equal(first.requestId, "r1");
      assert.equal(first.coldStart, true);
      assert.equal(first.userId, "u1");
      assert.ok(!Number.isNaN(Date.parse(first.timestamp)));
      assert.equal(second.coldStart, false);
      assert.equal(second.requestId, "r2");
    });

    it("writes a level and above only: info by default, LOG_LEVEL or minLevel to change it", () => {
      const levelsWritten = (options: { minLevel?: "debug" | "info" | "warn" | "error" } = {}) => {
        const written: string[] = [];
        const logger = createLogger({ platform: "aws", function: "x" }, { ...options, sink: (line, level) => written.push(`${level}:${JSON.parse(line).level}`) });
        logger.debug("d");
        logger.info("i");
        logger.warn("w");
        logger.error("e");
        return written;
      };
      const previous = process.env.LOG_LEVEL;
      try {
        delete process.env.LOG_LEVEL;
        assert.deepEqual(levelsWritten(), ["info:info", "warn:warn", "error:error"]);
        assert.deepEqual(levelsWritten({ minLevel: "debug" }), ["debug:debug", "info:info", "warn:warn", "error:error"]);
        assert.deepEqual(levelsWritten({ minLevel: "error" }), ["error:error"]);
        process.env.LOG_LEVEL = "warn";
        assert.deepEqual(levelsWritten(), ["warn:warn", "error:error"]);
        process.env.LOG_LEVEL = "verbose";
        assert.deepEqual(levelsWritten(), ["info:info", "warn:warn", "error:error"], "an unknown LOG_LEVEL is ignored");
      } finally {
        if (previous === undefined) delete process.env.LOG_LEVEL;
        else process.env.LOG_LEVEL = previous;
      }
    });

    it("serialises errors with their message, and their cause only when there is one", () => {
      const lines: string[] = [];
      const logger = createLogger({ platform: "gcp", function: "x" }, { sink: (line) => lines.push(line) });
      logger.error("boom", { error: new Error("bad") });
      logger.error("boom", { error: new Error("outer", { cause: new Error("inner") }) });
      const [plain, caused] = lines.map((line) => JSON.parse(line).error);
      assert.equal(plain.message, "bad");
      assert.equal("cause" in plain, false);
      assert.deepEqual([caused.message, caused.cause.name, caused.cause.message], ["outer", "Error", "inner"]);
    });

    it("writes to the console by default: errors to console.error, warnings to console.warn, the rest to console.log", () => {
      // The platforms' collectors read the process's streams; the console methods are swapped
      // for recorders for this test only (the last resort: there is no other way to see them).
      const written: [string, string][] = [];
      const saved = { error: console.error, warn: console.warn, log: console.log };
      console.error = (line: string) => void written.push(["error", line]);
      console.warn = (line: string) => void written.push(["warn", line]);
      console.log = (line: string) => void written.push(["log", line]);
      try {
        const logger = createLogger({ platform: "aws", function: "x" }, { minLevel: "debug" });
        logger.error("e");
        logger.warn("w");
        logger.info("i");
        logger.debug("d");
      } finally {
        Object.assign(console, saved);
      }
      assert.deepEqual(written.map(([stream, line]) => [stream, JSON.parse(line).message]), [["error", "e"], ["warn", "w"], ["log", "i"], ["log", "d"]]);
    });
  });

  describe("once", () => {
    it("loads once, and retries after a failure", async () => {
      let calls = 0;
      const flaky = once(async () => {
        calls++;
        if (calls === 1) throw new Error("transient");
        return "value";
      });
      await assert.rejects(flaky(), /transient/);
      assert.equal(await flaky(), "value");
      assert.equal(await flaky(), "value");
      assert.equal(calls, 2);
    });
  });
});
