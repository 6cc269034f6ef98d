/**
 * The one-deploy provider against a loopback HTTP server that stands in for a Flex app's SCM
 * site (`/api/publish`, `/api/deployments/<id>`): a stand-in, not Azure. It answers the way the
 * az CLI and Kudu describe: 202 with the deployment's URL, then HTTP 200 with a JSON status
 * while the deployment runs, after it succeeds and after it fails.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { oneDeployProvider, scmUrlFor, UNKNOWN_INPUT, type OneDeployInputs } from "./one-deploy";

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  body: Buffer;
}

/**
 * One answer to a status poll: a deployment's JSON status with HTTP 200, or (`http`) a bare HTTP
 * status such as 401 or 404, as the SCM site answers an expired token or an unknown deployment.
 */
type PollAnswer = Record<string, unknown> & { http?: number };

/** The stand-in SCM site: `publish` answers each POST in turn, `statuses` each poll in turn (the last repeats). */
async function scmStandIn(script: { publish: Array<{ status: number; body?: string }>; statuses: PollAnswer[] }) {
  const seen: Seen[] = [];
  let posts = 0;
  let polls = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, contentType: req.headers["content-type"], body: Buffer.concat(chunks) });
      if (req.method === "POST" && req.url!.startsWith("/api/publish")) {
        const answer = script.publish[Math.min(posts++, script.publish.length - 1)];
        const headers: Record<string, string> = answer.status === 202 ? { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/deployments/dep-1` } : {};
        res.writeHead(answer.status, headers).end(answer.body ?? (answer.status === 202 ? '"dep-1"' : ""));
        return;
      }
      if (req.method === "GET" && req.url === "/api/deployments/dep-1") {
        const { http, ...status } = script.statuses[Math.min(polls++, script.statuses.length - 1)];
        if (http !== undefined) res.writeHead(http).end(`stand-in HTTP ${http}`);
        else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(status));
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

// Generous bounds (they are hang guards here: a loaded machine once took over 200 ms for two
// loopback requests and the retry gave up); the two tests of the bounds themselves shorten them.
const timings = { pollIntervalMs: 5, timeoutMs: 60_000, forbiddenRetryMs: 60_000 };
const zipPath = join(mkdtempSync(join(tmpdir(), "one-deploy-")), "package.zip");
writeFileSync(zipPath, Buffer.from("PK\u0003\u0004 a stand-in zip"));
const inputsFor = (scmUrl: string, extra: Partial<OneDeployInputs> = {}): OneDeployInputs => ({ scmUrl, zipPath, hash: "a".repeat(64), token: "token-1", ...extra });

describe("one deploy (against a loopback stand-in for the SCM site)", function () {
  this.timeout(120_000);
  // The token the program read at start, always: these tests never reach for a real credential.
  const provider = oneDeployProvider(timings, async () => undefined);

  it("posts the zip to /api/publish?RemoteBuild=false with the bearer token, waits through running, and keeps no token", async () => {
    const scm = await scmStandIn({ publish: [{ status: 202 }], statuses: [{ id: "dep-1", status: 1, complete: false }, { id: "dep-1", status: 2, complete: false }, { id: "dep-1", status: 4, complete: true }] });
    try {
      const result = await provider.create!(inputsFor(scm.url));
      const post = scm.seen.find((s) => s.method === "POST")!;
      assert.equal(post.url, "/api/publish?RemoteBuild=false");
      assert.equal(post.authorization, "Bearer token-1");
      assert.equal(post.contentType, "application/zip");
      assert.equal(post.body.toString(), "PK\u0003\u0004 a stand-in zip");
      const polls = scm.seen.filter((s) => s.method === "GET");
      assert.equal(polls.length, 3, "polled until the status said success");
      assert.ok(polls.every((p) => p.url === "/api/deployments/dep-1" && p.authorization === "Bearer token-1"), "polls the 202's Location with the token");
      assert.equal(result.outs.deploymentId, "dep-1");
      assert.equal(result.outs.hash, "a".repeat(64));
      assert.ok(!JSON.stringify(result.outs).includes("token-1"), "the token never reaches the state");
    } finally {
      await scm.close();
    }
  });

  it("fails the update with the platform's message when the status says failed, although HTTP said 200", async () => {
    const scm = await scmStandIn({ publish: [{ status: 202 }], statuses: [{ status: 1 }, { status: 3, complete: true, status_text: "Failed to deploy: host.json is invalid" }] });
    try {
      await assert.rejects(provider.update!("id", inputsFor(scm.url), inputsFor(scm.url, { hash: "b".repeat(64) })), /ended Failed \(status 3\): Failed to deploy: host\.json is invalid/);
    } finally {
      await scm.close();
    }
  });

  it("retries a 403 (a fresh role assignment) and the 400 that carries storage's 403, then deploys", async () => {
    const scm = await scmStandIn({
      publish: [{ status: 403 }, { status: 400, body: "BlobUploadFailedException: Status: 403 (This request is not authorized)" }, { status: 202 }],
      statuses: [{ status: 4, complete: true }],
    });
    try {
      await provider.create!(inputsFor(scm.url));
      assert.equal(scm.seen.filter((s) => s.method === "POST").length, 3);
    } finally {
      await scm.close();
    }
  });

  it("gives up on a 403 after the bounded time, and fails at once on any other refusal", async () => {
    const forbidden = await scmStandIn({ publish: [{ status: 403, body: "Forbidden" }], statuses: [] });
    const broken = await scmStandIn({ publish: [{ status: 400, body: "Bad zip" }], statuses: [] });
    try {
      const shortRetry = { ...timings, forbiddenRetryMs: 200 };
      const started = Date.now();
      await assert.rejects(oneDeployProvider(shortRetry, async () => undefined).create!(inputsFor(forbidden.url)), /still forbidden \(HTTP 403\)/);
      assert.ok(Date.now() - started >= shortRetry.forbiddenRetryMs);
      await assert.rejects(provider.create!(inputsFor(broken.url)), /refused the package \(HTTP 400\): Bad zip/);
      assert.equal(broken.seen.length, 1, "a plain 400 is not retried");
    } finally {
      await forbidden.close();
      await broken.close();
    }
  });

  it("succeeds on status 4 only: Cancelled (-1), Failed (3), Conflict (5) and PartialSuccess (6) each fail the publish after one poll (Azure/azure-dev#3658)", async () => {
    const ended: Array<[number, string]> = [[-1, "Cancelled"], [3, "Failed"], [5, "Conflict"], [6, "PartialSuccess"]];
    for (const [status, name] of ended) {
      const scm = await scmStandIn({ publish: [{ status: 202 }], statuses: [{ id: "dep-1", status, complete: true, status_text: `stand-in ${name}` }] });
      try {
        await assert.rejects(provider.create!(inputsFor(scm.url)), new RegExp(`ended ${name} \\(status ${status}\\): stand-in ${name}`), `status ${status}`);
        assert.equal(scm.seen.filter((s) => s.method === "GET").length, 1, `status ${status} ends the wait at once`);
      } finally {
        await scm.close();
      }
    }
  });

  it("waits through Pending (0), Building (1) and Deploying (2), then succeeds on 4", async () => {
    const scm = await scmStandIn({ publish: [{ status: 202 }], statuses: [{ status: 0 }, { status: 1 }, { status: 2 }, { id: "dep-1", status: 4, complete: true }] });
    try {
      assert.equal((await provider.create!(inputsFor(scm.url))).outs.deploymentId, "dep-1");
      assert.equal(scm.seen.filter((s) => s.method === "GET").length, 4);
    } finally {
      await scm.close();
    }
  });

  it("a status poll answering 401 or 404 fails at once with that HTTP status, after one poll", async () => {
    for (const http of [401, 404]) {
      const scm = await scmStandIn({ publish: [{ status: 202 }], statuses: [{ http }, { status: 4 }] });
      try {
        await assert.rejects(provider.create!(inputsFor(scm.url)), new RegExp(`/api/deployments/dep-1 answered HTTP ${http}: stand-in HTTP ${http}`));
        assert.equal(scm.seen.filter((s) => s.method === "GET").length, 1, `HTTP ${http} is not polled again`);
      } finally {
        await scm.close();
      }
    }
  });

  it("a status poll answering 429 or 5xx is polled again, and a later status 4 succeeds", async () => {
    const scm = await scmStandIn({ publish: [{ status: 202 }], statuses: [{ http: 429 }, { http: 500 }, { http: 503 }, { id: "dep-1", status: 4 }] });
    try {
      await provider.create!(inputsFor(scm.url));
      assert.equal(scm.seen.filter((s) => s.method === "GET").length, 4);
    } finally {
      await scm.close();
    }
  });

  it("a deployment that never ends times out naming the last status; the poll interval is injected (these polls are 5 ms apart)", async () => {
    const scm = await scmStandIn({ publish: [{ status: 202 }], statuses: [{ status: 1 }] });
    const quick = oneDeployProvider({ ...timings, timeoutMs: 50 }, async () => undefined);
    try {
      await assert.rejects(quick.create!(inputsFor(scm.url)), /did not complete within 0 s \(last status 1\)/);
      assert.ok(scm.seen.filter((s) => s.method === "GET").length >= 1);
    } finally {
      await scm.close();
    }
  });

  it("asks for a fresh token before every request (publish, retried publish, each poll), not the one read at start", async () => {
    const scm = await scmStandIn({ publish: [{ status: 403 }, { status: 202 }], statuses: [{ status: 1 }, { status: 2 }, { status: 4 }] });
    let issued = 0;
    const fresh = oneDeployProvider(timings, async () => `fresh-${++issued}`);
    try {
      await fresh.create!(inputsFor(scm.url));
      assert.deepEqual(
        scm.seen.map((s) => `${s.method} ${s.authorization}`),
        ["POST Bearer fresh-1", "POST Bearer fresh-2", "GET Bearer fresh-3", "GET Bearer fresh-4", "GET Bearer fresh-5"],
      );
      assert.equal(issued, 5, "one token per request");
      assert.ok(!scm.seen.some((s) => s.authorization === "Bearer token-1"), "the token read at start is only the fallback");
    } finally {
      await scm.close();
    }
  });

  it("without any token (no credential found, none read at start) it refuses before sending anything", async () => {
    const scm = await scmStandIn({ publish: [{ status: 202 }], statuses: [{ status: 4 }] });
    try {
      await assert.rejects(provider.create!(inputsFor(scm.url, { token: undefined })), /needs a Microsoft Entra token/);
      assert.equal(scm.seen.length, 0);
    } finally {
      await scm.close();
    }
  });

  it("diff: an SCM URL unknown in a preview plans no replacement, and no change while the hash is the same", async () => {
    const olds = inputsFor("https://a.scm.azurewebsites.net", { token: undefined });
    const unknownSite = await provider.diff!("id", olds, inputsFor(UNKNOWN_INPUT));
    assert.deepEqual([unknownSite.changes, unknownSite.replaces], [false, []]);
    const unknownSiteNewHash = await provider.diff!("id", olds, inputsFor(UNKNOWN_INPUT, { hash: "d".repeat(64) }));
    assert.deepEqual([unknownSiteNewHash.changes, unknownSiteNewHash.replaces], [true, []]);
  });

  it("diff: the same hash with a new token is no change; a new hash is an update; a new SCM site a replacement", async () => {
    const olds = inputsFor("https://a.scm.azurewebsites.net", { token: undefined });
    assert.equal((await provider.diff!("id", olds, inputsFor("https://a.scm.azurewebsites.net", { token: "token-2", zipPath: "/elsewhere.zip" }))).changes, false);
    const newHash = await provider.diff!("id", olds, inputsFor("https://a.scm.azurewebsites.net", { hash: "c".repeat(64) }));
    assert.deepEqual([newHash.changes, newHash.replaces], [true, []]);
    assert.deepEqual((await provider.diff!("id", olds, inputsFor("https://b.scm.azurewebsites.net"))).replaces, ["scmUrl"]);
  });

  it("scmUrlFor inserts .scm after the app's label, for classic and regional unique hostnames", () => {
    assert.equal(scmUrlFor("parity-1-users-api.azurewebsites.net"), "https://parity-1-users-api.scm.azurewebsites.net");
    assert.equal(scmUrlFor("app-abc123.westeurope-01.azurewebsites.net"), "https://app-abc123.scm.westeurope-01.azurewebsites.net");
  });
});
