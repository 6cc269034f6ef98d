import assert from "node:assert/strict";
import { COLD_HEADER, createLogger, createUsersApi, INSTANCE_HEADER, type UserStore } from "../../functions/core";

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

describe("core: instance headers", () => {
  it("the first answer of an instance is cold, later ones warm, all with the same id", async () => {
    const instance = api();
    const first = await instance.fetch(new Request("http://x/health"));
    const second = await instance.fetch(new Request("http://x/users/00000000-0000-4000-8000-000000000000", { headers: { "x-api-key": "key" } }));
    const third = await instance.fetch(new Request("http://x/nowhere"));
    assert.equal(first.headers.get(COLD_HEADER), "true");
    assert.equal(second.headers.get(COLD_HEADER), "false");
    assert.equal(third.headers.get(COLD_HEADER), "false");
    assert.equal(second.status, 404);
    const id = first.headers.get(INSTANCE_HEADER);
    assert.match(id ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(second.headers.get(INSTANCE_HEADER), id);
    assert.equal(third.headers.get(INSTANCE_HEADER), id);
  });

  it("another instance has another id and starts cold", async () => {
    const a = await api().fetch(new Request("http://x/health"));
    const b = await api().fetch(new Request("http://x/health"));
    assert.notEqual(a.headers.get(INSTANCE_HEADER), b.headers.get(INSTANCE_HEADER));
    assert.equal(b.headers.get(COLD_HEADER), "true");
  });
});
