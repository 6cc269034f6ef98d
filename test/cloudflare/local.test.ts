/** `npm start`'s Cloudflare: the launcher delivers by itself and reports queue depth. */
import assert from "node:assert/strict";
import { settingsFor } from "../../components/config";
import { functionNames } from "../../components/catalog";
import { startLocal } from "../../local/cloudflare";
import type { LocalPlatform } from "../../local/types";
import { stackConfig, TEST_API_KEY } from "../infra/harness";
import { workerdOrSkip } from "./target";

(workerdOrSkip("local cloudflare (npm start)") ? describe : describe.skip)("local cloudflare (npm start)", function () {
  this.timeout(30_000);
  let local: LocalPlatform;
  const lines: string[] = [];
  before(async () => {
    const config = stackConfig("dev");
    const settings = Object.fromEntries(functionNames.map((name) => [name, settingsFor(config, "cloudflare", name)]));
    local = await startLocal({ settings, apiKey: TEST_API_KEY, log: (line) => lines.push(line) });
  });
  after(async () => local?.stop());

  it("serves users-api on 127.0.0.1 and welcomes a new user without being driven", async () => {
    assert.match(local.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(lines.some((l) => l.includes(local.url)), "the URL is printed");
    const response = await fetch(`${local.url}/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: `local${Date.now()}@example.com`, name: "Local" }),
    });
    assert.equal(response.status, 201);
    const { id } = (await response.json()) as { id: string };
    const deadline = Date.now() + 10_000;
    let welcomedAt: string | null = null;
    while (!welcomedAt && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const user = (await (await fetch(`${local.url}/users/${id}`, { headers: { "x-api-key": TEST_API_KEY } })).json()) as { welcomedAt: string | null };
      welcomedAt = user.welcomedAt;
    }
    assert.ok(welcomedAt, "delivered by Queues and welcomed within 10 s");
    assert.deepEqual(await local.queueDepth(), { pending: 0, deadLettered: 0 });
  });
});
