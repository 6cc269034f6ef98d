/** The IAM propagation wait's provider: it waits on create and on new triggers, never for an unchanged set. */
import assert from "node:assert/strict";
import { iamPropagationWaitProvider } from "./iam-wait";

describe("GCP IAM propagation wait (provider)", () => {
  // 1 "second" = 20 ms here; the assertions compare with the asked wait, never with a wall-clock ceiling.
  const provider = iamPropagationWaitProvider(20);

  it("waits the asked time on create and keeps what it waited for", async () => {
    const started = Date.now();
    const result = await provider.create!({ seconds: 3, triggers: ["a", "b"] });
    assert.ok(Date.now() - started >= 3 * 20 - 1, "waited at least 3 × 20 ms");
    assert.deepEqual(result.outs, { seconds: 3, triggers: ["a", "b"] });
  });

  it("diff: the same bindings in any order are no change; a new or replaced binding waits again; a new duration alone does not", async () => {
    const olds = { seconds: 120, triggers: ["a", "b"] };
    assert.equal((await provider.diff!("id", olds, { seconds: 120, triggers: ["b", "a"] })).changes, false);
    assert.equal((await provider.diff!("id", olds, { seconds: 60, triggers: ["a", "b"] })).changes, false);
    const added = await provider.diff!("id", olds, { seconds: 120, triggers: ["a", "b", "c"] });
    assert.deepEqual([added.changes, added.replaces], [true, []], "an update, never a replacement");
    assert.equal((await provider.diff!("id", olds, { seconds: 120, triggers: ["a", "b2"] })).changes, true);
  });

  it("waits again on update", async () => {
    const started = Date.now();
    await provider.update!("id", { seconds: 1, triggers: ["a"] }, { seconds: 2, triggers: ["a", "b"] });
    assert.ok(Date.now() - started >= 2 * 20 - 1);
  });
});
