/**
 * `--force-cold` without a cloud: each platform's client replays responses shaped like its
 * API's (fixtures/cold-apis.json) and is checked for the calls it makes, in order; the probe and
 * the forced phase run against a loopback server that answers like users-api.
 * The replayed responses stand in for the cloud APIs, which cannot be reached here.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { awsColdForcer, parseReport, pickReport } from "../../compare/cold/aws";
import { azureColdForcer } from "../../compare/cold/azure";
import { cloudflareColdForcer, CLOUDFLARE_NOT_FORCEABLE, startupTimeFromStackExport } from "../../compare/cold/cloudflare";
import { FORCE_VARIABLE, smallSummary, waitFor, type Api, type ApiCall, type ColdForcer, type Waiting } from "../../compare/cold/force";
import { azureSiteFromStackExport, coldForcerFor, forcedColdStart } from "../../compare/cold/forced";
import { gcpColdForcer, startupLatencies } from "../../compare/cold/gcp";
import { timedColdProbe, type TimedColdSample } from "../../compare/cold/probe";
import { COLD_HEADER, INSTANCE_HEADER } from "../../functions/core/users-api";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fixtures = require(path.join(__dirname, "fixtures", "cold-apis.json"));

/** Replays `answers` in order, recording each call; a call beyond them fails the test. */
function replay(answers: unknown[]): { api: Api; calls: ApiCall[] } {
  const calls: ApiCall[] = [];
  const api: Api = async (call) => {
    calls.push(call);
    if (calls.length > answers.length) throw new Error(`unexpected call ${call.method} ${call.url}`);
    const answer = answers[calls.length - 1];
    if (answer instanceof Error) throw answer;
    return structuredClone(answer);
  };
  return { api, calls };
}

const noWait: Waiting = { intervalMs: 1, timeoutMs: 5, sleep: async () => undefined };
const sample = (over: Partial<TimedColdSample>): TimedColdSample => ({ ms: 900, status: 404, sentAt: 1796026000000, ...over });

describe("compare: forced cold starts", () => {
  describe("AWS Lambda", () => {
    const forcer = (answers: unknown[], logs: unknown[] = []) => {
      const lambda = replay(answers);
      const logCalls = replay(logs);
      return { lambda, logCalls, forcer: awsColdForcer({ functionName: "parity-prod-users-api-3f9a1c2", region: "eu-west-1", lambda: lambda.api, logs: logCalls.api, waiting: noWait, now: () => 42 }) };
    };

    it("changes one environment variable, keeping the others, and waits until LastUpdateStatus is Successful", async () => {
      const { lambda, forcer: f } = forcer([fixtures.aws.getConfiguration, fixtures.aws.updateConfiguration, fixtures.aws.inProgress, fixtures.aws.successful]);
      await f.force();
      assert.deepEqual(lambda.calls.map((c) => c.method), ["GET", "PUT", "GET", "GET"]);
      assert.equal(lambda.calls[0].url, "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/parity-prod-users-api-3f9a1c2/configuration");
      assert.deepEqual(lambda.calls[1].body, { Environment: { Variables: { ...fixtures.aws.getConfiguration.Environment.Variables, [FORCE_VARIABLE]: "42" } } });
    });
    it("fails with Lambda's reason when the update fails, and gives up after its time limit", async () => {
      await assert.rejects(forcer([fixtures.aws.getConfiguration, fixtures.aws.updateConfiguration, fixtures.aws.failed]).forcer.force(), /update failed: .*exceeded the 4KB limit/);
      const stuck = Array.from({ length: 20 }, () => fixtures.aws.inProgress);
      await assert.rejects(forcer([fixtures.aws.getConfiguration, fixtures.aws.updateConfiguration, ...stuck]).forcer.force(), /LastUpdateStatus: still not done/);
    });
    it("reads Init Duration from the REPORT line of the sample's request id, from text and JSON logs", async () => {
      const { logCalls, forcer: f } = forcer([], [fixtures.aws.filterLogEvents, fixtures.aws.filterLogEvents]);
      const figure = await f.figures([sample({ requestId: "5f0c3a3e-8a2b-4a57-9d0e-2b1f1c0d9e11" }), sample({ requestId: "b7e2d0c4-1111-4c2a-8f3e-aa0b1c2d3e4f" })]);
      assert.deepEqual(figure.values, [265.72, 301.4]);
      assert.match(figure.note, /2 of 2 samples matched by request id/);
      const body = logCalls.calls[0].body as { logGroupName: string; filterPattern: string };
      assert.equal(logCalls.calls[0].headers?.["x-amz-target"], "Logs_20140328.FilterLogEvents");
      assert.equal(body.logGroupName, "/aws/lambda/parity-prod-users-api-3f9a1c2");
      assert.equal(body.filterPattern, '"5f0c3a3e-8a2b-4a57-9d0e-2b1f1c0d9e11"');
    });
    it("without a request id takes the first REPORT that has an Init Duration, and says it matched by time", async () => {
      const { logCalls, forcer: f } = forcer([], [fixtures.aws.filterLogEvents]);
      const figure = await f.figures([sample({})]);
      assert.deepEqual(figure.values, [265.72]);
      assert.match(figure.note, /1 by time/);
      assert.equal((logCalls.calls[0].body as { filterPattern: string }).filterPattern, '?"Init Duration" ?"initDurationMs"');
    });
    it("parses REPORT lines and ignores everything else; a warm REPORT has no init", () => {
      assert.deepEqual(parseReport("REPORT RequestId: abc-1\tDuration: 3.1 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t"), { requestId: "abc-1", initMs: undefined });
      assert.equal(parseReport("START RequestId: abc-1 Version: $LATEST"), undefined);
      assert.equal(parseReport("{not json"), undefined);
      assert.equal(parseReport('{"type":"platform.start","record":{"requestId":"x"}}'), undefined);
      assert.equal(pickReport([{ message: "REPORT RequestId: abc-1\tDuration: 3.1 ms", timestamp: 1 }], "abc-1"), undefined, "warm: no Init Duration");
      assert.equal(pickReport(fixtures.aws.filterLogEvents.events, "no-such-id"), undefined);
    });
  });

  describe("Google Cloud Functions", () => {
    const base = "https://cloudfunctions.googleapis.com/v2/projects/parity-prod/locations/europe-west1/functions/users-api-1a2b3c";
    const forcer = (answers: unknown[]) => {
      const calls = replay(answers);
      return { calls, forcer: gcpColdForcer({ project: "parity-prod", region: "europe-west1", functionName: "users-api-1a2b3c", api: calls.api, waiting: noWait, now: () => 42 }) };
    };
    it("patches only the environment (update mask), waits for the operation, then for state ACTIVE", async () => {
      const { calls, forcer: f } = forcer([fixtures.gcp.getFunction, fixtures.gcp.patchOperation, fixtures.gcp.patchOperation, fixtures.gcp.operationDone, fixtures.gcp.deploying, fixtures.gcp.getFunction]);
      await f.force();
      assert.deepEqual(calls.calls.map((c) => `${c.method} ${c.url}`), [
        `GET ${base}`,
        `PATCH ${base}?updateMask=serviceConfig.environmentVariables`,
        `GET https://cloudfunctions.googleapis.com/v2/${fixtures.gcp.patchOperation.name}`,
        `GET https://cloudfunctions.googleapis.com/v2/${fixtures.gcp.patchOperation.name}`,
        `GET ${base}`,
        `GET ${base}`,
      ]);
      assert.deepEqual(calls.calls[1].body, { serviceConfig: { environmentVariables: { PARITY_PROJECT: "parity-prod", LOG_EXECUTION_ID: "true", [FORCE_VARIABLE]: "42" } } });
    });
    it("fails with the operation's error", async () => {
      await assert.rejects(forcer([fixtures.gcp.getFunction, fixtures.gcp.patchOperation, fixtures.gcp.operationFailed]).forcer.force(), /update failed: Build failed/);
    });
    it("reads container startup latencies of the function's Cloud Run service over the samples' window", async () => {
      const { calls, forcer: f } = forcer([fixtures.gcp.getFunction, fixtures.gcp.timeSeries]);
      const figure = await f.figures([sample({ sentAt: Date.parse("2026-11-30T08:07:10Z") })]);
      assert.deepEqual(figure.values, [812.5, 812.5, 1040]);
      const url = new URL(calls.calls[1].url);
      assert.equal(url.pathname, "/v3/projects/parity-prod/timeSeries");
      assert.equal(url.searchParams.get("filter"), 'metric.type="run.googleapis.com/container/startup_latencies" AND resource.labels.service_name="users-api-1a2b3c"');
      assert.equal(url.searchParams.get("interval.startTime"), "2026-11-30T08:06:10.000Z");
      assert.equal(url.searchParams.get("interval.endTime"), "2026-11-30T08:09:10.000Z");
      assert.match(figure.note, /matched to the samples by time, not per request/);
    });
    it("counts nothing from an empty answer or a point without starts", () => {
      assert.deepEqual(startupLatencies({}), []);
      assert.deepEqual(startupLatencies({ timeSeries: [{ points: [{ value: { distributionValue: { count: "0" } } }] }] }), []);
    });
  });

  describe("Azure Functions", () => {
    it("restarts synchronously, then waits for state Running; its own figure is not reported", async () => {
      const calls = replay([{}, fixtures.azure.siteStopped, fixtures.azure.siteRunning]);
      const forcer = azureColdForcer({ subscriptionId: "sub", resourceGroup: "rg", appName: "app", api: calls.api, waiting: noWait });
      await forcer.force();
      const site = "https://management.azure.com/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Web/sites/app";
      assert.deepEqual(calls.calls.map((c) => `${c.method} ${c.url}`), [`POST ${site}/restart?api-version=2025-05-01&softRestart=false&synchronous=true`, `GET ${site}?api-version=2025-05-01`, `GET ${site}?api-version=2025-05-01`]);
      const figure = await forcer.figures([]);
      assert.deepEqual(figure.values, []);
      assert.match(figure.note, /not reported/);
    });
    it("finds the app's subscription and resource group in the stack's state", () => {
      assert.deepEqual(azureSiteFromStackExport(fixtures.stackExport, "parity-prod-users-api-5e6f"), { subscriptionId: "00000000-1111-2222-3333-444444444444", resourceGroup: "parity-prod-rg1a2b" });
      assert.equal(azureSiteFromStackExport(fixtures.stackExport, "other"), undefined);
    });
  });

  describe("Cloudflare Workers", () => {
    it("is not forceable and says so; its figure is the script's startup time at deploy", async () => {
      const forcer = cloudflareColdForcer(startupTimeFromStackExport(fixtures.stackExport, "parity-prod-users-api"));
      assert.equal(forcer.forceable, false);
      await assert.rejects(forcer.force(), new RegExp(CLOUDFLARE_NOT_FORCEABLE.slice(0, 20)));
      assert.deepEqual((await forcer.figures([])).values, [12]);
      assert.equal(startupTimeFromStackExport(fixtures.stackExport, "parity-prod-reconciler"), undefined);
      assert.match((await cloudflareColdForcer(undefined).figures([])).note, /not available/);
    });
  });

  describe("choosing a forcer", () => {
    const env = {};
    const deployed = (platform: "aws" | "gcp" | "azure" | "cloudflare", name?: string) => ({ platform, url: "https://x.example", functions: name ? { "users-api": name } : undefined });
    it("names what is missing instead of guessing", () => {
      assert.match((coldForcerFor(deployed("aws", "fn"), { regions: {}, env }) as { reason: string }).reason, /aws:region/);
      assert.match((coldForcerFor(deployed("gcp", "fn"), { regions: { gcp: "europe-west1" }, env }) as { reason: string }).reason, /gcp:project/);
      assert.match((coldForcerFor(deployed("azure", "fn"), { regions: {}, env }) as { reason: string }).reason, /resource group/);
      assert.match((coldForcerFor(deployed("aws"), { regions: { aws: "eu-west-1" }, env }) as { reason: string }).reason, /users-api/);
    });
    it("builds each platform's forcer when the stack gives what it needs", () => {
      const context = { regions: { aws: "eu-west-1", gcp: "europe-west1" }, gcpProject: "parity-prod", exported: fixtures.stackExport, env };
      for (const platform of ["aws", "gcp"] as const) assert.equal((coldForcerFor(deployed(platform, "fn"), context) as ColdForcer).forceable, true, platform);
      assert.equal((coldForcerFor(deployed("azure", "parity-prod-users-api-5e6f"), context) as ColdForcer).forceable, true);
      assert.equal((coldForcerFor(deployed("cloudflare", "parity-prod-users-api"), context) as ColdForcer).forceable, false);
    });
  });

  describe("the probe and the forced phase (loopback server)", () => {
    let server: http.Server;
    let url: string;
    let instances: string[];
    let answered = 0;
    before(async () => {
      server = http.createServer((request, response) => {
        // Each answer comes from the instance listed for it; its first answer says cold.
        const instance = instances[answered++];
        const headers: Record<string, string> = { "x-amzn-requestid": `req-${answered}` };
        if (instance) Object.assign(headers, { [INSTANCE_HEADER]: instance, [COLD_HEADER]: String(!instances.slice(0, answered - 1).includes(instance)) });
        response.writeHead(404, headers);
        response.end("{}");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());
    beforeEach(() => (answered = 0));

    it("splits a sample into connect and request → first byte, with the request id", async () => {
      instances = ["i-1"];
      const probed = await timedColdProbe({ url, apiKey: "k" });
      assert.equal(probed.status, 404);
      assert.equal(probed.requestId, "req-1");
      assert.equal(probed.instance, "i-1");
      assert.equal(probed.cold, true);
      assert.ok(probed.connectMs !== undefined && probed.connectMs >= 0 && probed.firstByteMs !== undefined && probed.firstByteMs >= 0);
      assert.ok(probed.connectMs + probed.firstByteMs <= probed.ms + 0.001, "the two parts fit in the whole");
    });
    it("records a refused connection as status 0", async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const port = (closed.address() as AddressInfo).port;
      closed.close();
      assert.equal((await timedColdProbe({ url: `http://127.0.0.1:${port}`, apiKey: "k" })).status, 0);
    });
    it("takes N samples, each after a force, and summarises n / min / median / max with the platform's figure", async () => {
      // Three forces: new, the same instance again (not cold), a third one.
      instances = ["i-1", "i-1", "i-2"];
      let forces = 0;
      const forcer: ColdForcer = { method: "test", forceable: true, permissions: "none", force: async () => void forces++, figures: async (samples) => ({ name: "Init Duration", values: samples.map((_, i) => 100 * (i + 1)), note: "test" }) };
      const result = await forcedColdStart(forcer, { url, apiKey: "k" }, 3);
      assert.equal(forces, 3);
      assert.deepEqual(result.forced.confirmations, ["confirmed", "not cold", "confirmed"]);
      assert.deepEqual([result.forced.platform.n, result.forced.platform.min, result.forced.platform.median, result.forced.platform.max], [3, 100, 200, 300]);
      assert.equal(result.forced.client.n, 3);
      assert.equal(result.platformInitMs, 200);
    });
    it("marks samples without the x-parity headers as unconfirmed, and keeps the samples when the figure cannot be read", async () => {
      instances = [];
      const forcer: ColdForcer = { method: "test", forceable: true, permissions: "none", force: async () => undefined, figures: async () => Promise.reject(new Error("AccessDenied")) };
      const result = await forcedColdStart(forcer, { url, apiKey: "k" }, 2);
      assert.deepEqual(result.forced.confirmations, ["unconfirmed", "unconfirmed"]);
      assert.match(result.forced.platform.note, /could not be read: AccessDenied/);
      assert.equal(result.platformInitMs, null);
    });
    it("refuses a platform that cannot be forced", async () => {
      await assert.rejects(forcedColdStart(cloudflareColdForcer(12), { url, apiKey: "k" }, 1), /not forceable/);
    });
  });

  it("summarises a handful of values as n / min / median / max (even and odd counts, nothing)", () => {
    assert.deepEqual(smallSummary([300, 100, 200]), { n: 3, min: 100, median: 200, max: 300 });
    assert.deepEqual(smallSummary([4, 1, 3, 2]), { n: 4, min: 1, median: 2.5, max: 4 });
    assert.equal(smallSummary([]).n, 0);
    assert.ok(Number.isNaN(smallSummary([]).median));
  });

  it("waits at most its time limit, polling at its interval", async () => {
    let polls = 0;
    await assert.rejects(waitFor("thing", async () => void polls++, { intervalMs: 10, timeoutMs: 30, sleep: async () => undefined }), /thing: still not done/);
    assert.equal(polls, 4, "at 0, 10, 20 and 30 ms");
    assert.equal(await waitFor("thing", async () => "ready", noWait), "ready");
  });
});
