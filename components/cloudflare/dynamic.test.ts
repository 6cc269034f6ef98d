/**
 * The workers.dev subdomain resource's provider on its own: create, diff, update and delete
 * against a loopback HTTP server that stands in for the Cloudflare API
 * (`GET /accounts/{id}/workers/subdomain`). The D1 migrations provider is tested against a
 * stand-in backed by workerd's D1 in test/cloudflare/driver.test.ts.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import { freePort } from "../../local/emulators/loopback";
import { subdomainProvider, type SubdomainInputs } from "./dynamic";

describe("Cloudflare dynamic resources: the workers.dev subdomain (Cloudflare API stand-in on loopback)", () => {
  let server: http.Server;
  let base: string;
  /** What the stand-in answers: the account's current subdomain, or none (404, as for an account without one). */
  let subdomain: string | undefined;
  const requests: { path: string; authorization?: string }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push({ path: req.url!, authorization: req.headers.authorization });
      if (subdomain === undefined) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ success: false, errors: [{ code: 10007, message: "workers.api.error.subdomain_not_found" }], result: null }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ success: true, errors: [], result: { subdomain } }));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => new Promise<void>((resolve) => server?.close(() => resolve())));
  beforeEach(() => {
    requests.length = 0;
    subdomain = "my-team";
  });

  const inputs = (extra: Partial<SubdomainInputs> = {}): SubdomainInputs => ({ accountId: "0123456789abcdef0123456789abcdef", apiToken: "token-1", apiBaseUrl: base, ...extra });

  it("create reads the subdomain with the token and keeps no token in its outputs", async () => {
    const created = await subdomainProvider.create!(inputs());
    assert.deepEqual(created, { id: "0123456789abcdef0123456789abcdef/workers-subdomain", outs: { accountId: "0123456789abcdef0123456789abcdef", subdomain: "my-team" } });
    assert.deepEqual(requests, [{ path: "/accounts/0123456789abcdef0123456789abcdef/workers/subdomain", authorization: "Bearer token-1" }]);
  });

  it("diff ignores the token (rotated, or moved to the environment); another account is a replacement", async () => {
    const diff = (olds: SubdomainInputs, news: SubdomainInputs) => subdomainProvider.diff!("id", olds, news);
    assert.deepEqual(await diff(inputs(), inputs({ apiToken: "token-2" })), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await diff(inputs(), inputs({ apiToken: undefined })), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await diff(inputs(), inputs({ accountId: "fedcba9876543210fedcba9876543210" })), { changes: true, replaces: ["accountId"], deleteBeforeReplace: false });
    assert.equal(requests.length, 0, "diff asks nothing");
  });

  it("update reads the subdomain again, so the endpoint never becomes <script>.undefined.workers.dev", async () => {
    subdomain = "renamed-team";
    const updated = await subdomainProvider.update!("id", inputs(), inputs({ apiToken: "token-2" }));
    assert.deepEqual(updated.outs, { accountId: "0123456789abcdef0123456789abcdef", subdomain: "renamed-team" });
    assert.deepEqual(requests.map((r) => r.authorization), ["Bearer token-2"], "with the new token");
  });

  it("update fails with a sentence when the account has no subdomain, rather than keeping undefined", async () => {
    subdomain = undefined;
    await assert.rejects(subdomainProvider.update!("id", inputs(), inputs()), /Could not read the workers\.dev subdomain \(404\); create one in the dashboard/);
  });

  it("without a token anywhere it says what to set; delete calls nothing (the subdomain is the account's)", async () => {
    const saved = process.env.CLOUDFLARE_API_TOKEN;
    delete process.env.CLOUDFLARE_API_TOKEN;
    try {
      await assert.rejects(subdomainProvider.create!(inputs({ apiToken: undefined })), /CLOUDFLARE_API_TOKEN or pass `workersDevSubdomain`/);
    } finally {
      if (saved !== undefined) process.env.CLOUDFLARE_API_TOKEN = saved;
    }
    await subdomainProvider.delete!("id", inputs());
    assert.equal(requests.length, 0);
  });
});
