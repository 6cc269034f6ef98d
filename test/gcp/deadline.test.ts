/**
 * The Firestore store's deadline (withinDeadline, functions/gcp/firestore-store.ts) under node's
 * mock clock: a call still running at the deadline rejects exactly then, not a millisecond
 * before, and a faster one is untouched. Moved out of the emulator suite (test/gcp/driver.ts),
 * where it was timed by the wall clock with a loose upper bound a doubled deadline still met.
 */
import assert from "node:assert/strict";
import { mock } from "node:test";
import { StoreDeadlineError, withinDeadline } from "../../functions/gcp/firestore-store";

/** Lets settled promises run their callbacks (setImmediate is not mocked). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("gcp store deadline (withinDeadline), on a mock clock", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  it("a call still running at STORE_TIMEOUT_MS rejects then with a StoreDeadlineError naming the operation, not before", async () => {
    const call: { outcome: unknown } = { outcome: "pending" };
    withinDeadline("get", 200, () => new Promise<never>(() => undefined)).then(
      () => (call.outcome = "resolved"),
      (error: unknown) => (call.outcome = error),
    );
    mock.timers.tick(199);
    await settle();
    assert.equal(call.outcome, "pending", "still running 1 ms before the deadline");
    mock.timers.tick(1);
    await settle();
    const error = call.outcome as unknown;
    assert.ok(error instanceof StoreDeadlineError, String(error));
    assert.equal(error.message, "Firestore get did not finish within 200 ms (STORE_TIMEOUT_MS)");
  });

  it("a call that settles first keeps its answer or its own error", async () => {
    const answer = withinDeadline("get", 200, () => new Promise<string>((resolve) => setTimeout(() => resolve("late answer"), 199)));
    mock.timers.tick(199);
    assert.equal(await answer, "late answer");
    const failure = withinDeadline("create", 200, async () => {
      throw new Error("email taken");
    });
    await assert.rejects(failure, (error: Error) => !(error instanceof StoreDeadlineError) && error.message === "email taken");
  });

  it("no deadline (0 or unset): no bound at all", async () => {
    for (const timeoutMs of [undefined, 0]) {
      let outcome = "pending";
      void withinDeadline("get", timeoutMs, () => new Promise<string>((resolve) => setTimeout(() => resolve("answer"), 3_600_000))).then((value) => (outcome = value));
      mock.timers.tick(3_599_999);
      await settle();
      assert.equal(outcome, "pending");
      mock.timers.tick(1);
      await settle();
      assert.equal(outcome, "answer", `timeoutMs ${timeoutMs}`);
    }
  });
});
