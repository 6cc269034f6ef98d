import assert from "node:assert/strict";
import { COLD_HEADER, createLogger, createUsersApi, INSTANCE_HEADER, INSTANCE_PROBE_HEADER, type UserStore } from "../../functions/core";

const store: UserStore = {
  get: async () => undefined,
  create: async () => undefined,
  markWelcomed: async () => "not-found",
};

function api() {
  return createUsersApi({
    store,
    publisher: { publish: async () => undefined },
    apiKey: async () => "key",
    logger: createLogger({ platform: "test", function: "users-api" }, { sink: () => undefined }),
  });
}

/** A request as a comparison's cold probe sends it: the key and `x-parity-probe: instance`. */
const probe = (path: string, headers: Record<string, string> = { "x-api-key": "key", [INSTANCE_PROBE_HEADER]: "instance" }) => new Request(`http://x${path}`, { headers });
const unknownUser = "/users/00000000-0000-4000-8000-000000000000";

describe("core: instance headers", () => {
  it("the first answer of an instance is cold, later ones warm, all with the same id", async () => {
    const instance = api();
    const first = await instance.fetch(probe(unknownUser));
    const second = await instance.fetch(probe(unknownUser));
    const third = await instance.fetch(probe("/nowhere"));
    assert.equal(first.headers.get(COLD_HEADER), "true");
    assert.equal(second.headers.get(COLD_HEADER), "false");
    assert.equal(second.status, 404);
    const id = first.headers.get(INSTANCE_HEADER);
    assert.match(id ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(second.headers.get(INSTANCE_HEADER), id);
    // /nowhere needs no key: no key check passed, so no instance headers, even when asked.
    assert.equal(third.headers.get(INSTANCE_HEADER), null);
  });

  it("a request that counts still counts when it is not told: the first probe after an unprobed request is warm", async () => {
    const instance = api();
    const plain = await instance.fetch(new Request("http://x/health"));
    assert.equal(plain.headers.get(INSTANCE_HEADER), null);
    assert.equal((await instance.fetch(probe(unknownUser))).headers.get(COLD_HEADER), "false");
  });

  it("only a probe with the valid key is told: not a 401, not without the probe header, not /health", async () => {
    const instance = api();
    const answers = [
      await instance.fetch(probe(unknownUser, { [INSTANCE_PROBE_HEADER]: "instance" })),
      await instance.fetch(probe(unknownUser, { "x-api-key": "wrong", [INSTANCE_PROBE_HEADER]: "instance" })),
      await instance.fetch(probe(unknownUser, { "x-api-key": "key" })),
      await instance.fetch(probe(unknownUser, { "x-api-key": "key", [INSTANCE_PROBE_HEADER]: "other" })),
      await instance.fetch(probe("/health", { [INSTANCE_PROBE_HEADER]: "instance" })),
    ];
    assert.deepEqual(answers.map((a) => a.status), [401, 401, 404, 404, 200]);
    for (const answer of answers) {
      assert.equal(answer.headers.get(INSTANCE_HEADER), null);
      assert.equal(answer.headers.get(COLD_HEADER), null);
    }
    assert.equal((await instance.fetch(probe(unknownUser))).headers.get(COLD_HEADER), "false");
  });

  it("another instance has another id and starts cold", async () => {
    const a = await api().fetch(probe(unknownUser));
    const b = await api().fetch(probe(unknownUser));
    assert.notEqual(a.headers.get(INSTANCE_HEADER), b.headers.get(INSTANCE_HEADER));
    assert.equal(b.headers.get(COLD_HEADER), "true");
  });
});
