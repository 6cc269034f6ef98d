/**
 * A smoke failure says what came back: the statuses and error codes a failed conformance case
 * got, on the one line `npm run compare` prints and writes into the report.
 */
import assert from "node:assert/strict";
import { answerOf, tallyOf } from "../../conformance/answers";
import { failureMessage, liveTarget, runSmoke } from "../../compare/smoke";
import { createLogger } from "../../functions/core/log";
import { EmailTakenError, type User, type UserStore } from "../../functions/core/ports";
import { createUsersApi } from "../../functions/core/users-api";

const API_KEY = "smoke-test-key-0123456789";

/** The core users API over a Map, whose store fails the `failOnCreate`-th create of a racing email (a store error: 500 internal_error). */
function coreWithFlakyStore(failOnCreate: number) {
  const byId = new Map<string, User>();
  const emails = new Set<string>();
  const racingCreates = new Map<string, number>();
  const store: UserStore = {
    async get(id) {
      return byId.get(id);
    },
    async create(user) {
      if (user.name.startsWith("Racer")) {
        const attempt = (racingCreates.get(user.email) ?? 0) + 1;
        racingCreates.set(user.email, attempt);
        if (attempt === failOnCreate) throw new Error("store unreachable (planted by the test)");
      }
      if (emails.has(user.email)) throw new EmailTakenError(user.email);
      emails.add(user.email);
      byId.set(user.id, { ...user });
    },
    async markWelcomed() {
      return "not-found" as const;
    },
  };
  return createUsersApi({
    store,
    publisher: { publish: async () => undefined },
    apiKey: async () => API_KEY,
    logger: createLogger({ platform: "smoke-test", function: "users-api" }, { sink: () => undefined }),
  });
}

describe("compare smoke: a failure says what came back", () => {
  it("answerOf names a parity error's status and code, a success's status, and quotes any other body; the body stays readable", async () => {
    const taken = new Response(JSON.stringify({ error: { code: "email_taken", message: "taken" } }), { status: 409, headers: { "content-type": "application/json" } });
    assert.equal(await answerOf(taken), "409 email_taken");
    assert.deepEqual(await taken.json(), { error: { code: "email_taken", message: "taken" } }, "the case can still read the body");
    assert.equal(await answerOf(new Response(JSON.stringify({ id: "u1" }), { status: 201 })), "201");
    assert.equal(await answerOf(new Response(null, { status: 204 })), "204");
    assert.equal(await answerOf(new Response("<html>\n<body>Bad Request</body>\n</html>", { status: 400 })), '400 "<html> <body>Bad Request</body> </html>"');
    assert.equal(await answerOf(new Response("x".repeat(161), { status: 502 })), `502 "${"x".repeat(160)}…"`, "a long body is cut at 160 characters");
    assert.equal(await answerOf(new Response(JSON.stringify({ message: "Internal Server Error" }), { status: 500 })), '500 "{\\"message\\":\\"Internal Server Error\\"}"');
  });

  it("tallyOf counts each answer, most frequent first", async () => {
    const error = (status: number, code: string) => new Response(JSON.stringify({ error: { code, message: code } }), { status });
    const responses = [new Response("{}", { status: 201 }), ...Array.from({ length: 18 }, () => error(409, "email_taken")), error(500, "internal_error")];
    assert.equal(await tallyOf(responses), "18 × 409 email_taken, 1 × 201, 1 × 500 internal_error");
  });

  it("failureMessage gives Node's generated assertion message its expected and actual values, on one line", () => {
    let generated: Error | undefined;
    try {
      assert.deepEqual([201, 409, 500], [201, 409, 409]);
    } catch (error) {
      generated = error as Error;
    }
    assert.match(generated!.message, /^Expected values to be strictly deep-equal:\n/, "the message that lost the statuses");
    assert.equal(failureMessage(generated!), "Expected values to be strictly deep-equal: expected [ 201, 409, 409 ], got [ 201, 409, 500 ]");
    assert.equal(failureMessage(new Error("first line\n  second line")), "first line second line", "a case's own message is kept whole");
    assert.equal(failureMessage(new Error("y".repeat(700))), `${"y".repeat(600)}…`);
  });

  it("the 20-way race that fails in the smoke phase names the statuses and codes that came back", async function () {
    this.timeout(60_000);
    const api = coreWithFlakyStore(7);
    const target = { ...liveTarget("flaky", "http://parity.test", API_KEY), request: (request: Request) => api.fetch(request) };
    const result = await runSmoke(target, { grep: /conformance: flaky HTTP 20 concurrent POSTs/ });
    assert.equal(result.passed, 0);
    assert.deepEqual(result.failures, [
      {
        title: "conformance: flaky HTTP 20 concurrent POSTs with one email give exactly one 201 and 19 × 409",
        message: "expected 1 × 201, 19 × 409 email_taken; got 18 × 409 email_taken, 1 × 201, 1 × 500 internal_error",
      },
    ]);
  });

  it("a case whose status differs names the code that came back", async function () {
    this.timeout(60_000);
    // Every create fails: the duplicate-email case's first POST gets 500 internal_error instead of 201.
    const api = createUsersApi({
      store: { get: async () => undefined, create: async () => Promise.reject(new Error("store unreachable (planted by the test)")), markWelcomed: async () => "not-found" as const },
      publisher: { publish: async () => undefined },
      apiKey: async () => API_KEY,
      logger: createLogger({ platform: "smoke-test", function: "users-api" }, { sink: () => undefined }),
    });
    const target = { ...liveTarget("down", "http://parity.test", API_KEY), request: (request: Request) => api.fetch(request) };
    const result = await runSmoke(target, { grep: /conformance: down HTTP a duplicate email is 409/ });
    assert.deepEqual(result.failures.map((failure) => failure.message), ["expected 201, got 500 internal_error"]);
  });
});
