/**
 * The portable handler contract and the bundler's consumer paths, without a runtime: what the
 * generic drivers do with a handler's answers, and where a consumer's bundles come from and go.
 * The drivers on the real runtimes are proven by the conformance suites and the hello catalog
 * (test/<platform>/local.test.ts, test/local/cloud.test.ts).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleFunction } from "../../components/bundle";
import { http as awsHttp, queue as awsQueue } from "../../functions/aws/driver";
import { queue as workersQueue } from "../../functions/cloudflare/driver";
import type { QueueHandler } from "../../functions/handler";
import { sqsEventFromMessages } from "../../local/aws-events";

const messages = [
  { id: "m1", body: "{}" },
  { id: "m2", body: "{}" },
  { id: "m3", body: "{}" },
];

/** Answers m3 then m1, never m2, and m1 as a failure. */
const partialHandler: QueueHandler = {
  async queue() {
    return [
      { id: "m3", status: "done" },
      { id: "m1", status: "retry", reason: "store down" },
    ];
  },
};

describe("package: portable handlers on the generic drivers", () => {
  it("a module whose default export is not a handler of its trigger kind fails at load, naming the function", () => {
    assert.throws(() => awsHttp("greeter", { queue() {} }), /function "greeter": the handler module's default export must be an object with fetch\(request, ctx\)/);
    assert.throws(() => awsQueue("worker", undefined), /function "worker": .* queue\(messages, ctx\)/);
  });

  it("Lambda: reports the failed and the unanswered messages for redelivery, never an unanswered one as done", async () => {
    const response = await awsQueue("worker", partialHandler)(sqsEventFromMessages(messages.map((m) => ({ MessageId: m.id, Body: m.body, ReceiptHandle: `r-${m.id}`, Attributes: { ApproximateReceiveCount: "1" } })), "arn:aws:sqs:eu-west-1:123456789012:events"));
    assert.deepEqual(response.batchItemFailures.map((f) => f.itemIdentifier).sort(), ["m1", "m2"]);
  });

  it("Workers: acks the settled message and retries the failed and the unanswered ones", async () => {
    const settled: Record<string, string> = {};
    const batch = {
      queue: "events",
      messages: messages.map((m) => ({ id: m.id, timestamp: new Date(0), body: m.body, attempts: 1, ack: () => (settled[m.id] = "ack"), retry: () => (settled[m.id] = "retry") })),
    };
    await workersQueue("worker", partialHandler).queue(batch, {});
    assert.deepEqual(settled, { m1: "retry", m2: "retry", m3: "ack" });
  });

  it("Lambda: the fetch handler gets the request, the function name, the request id and the remaining time", async () => {
    let seen: unknown;
    const handler = awsHttp("greeter", {
      fetch(request: Request, ctx: { functionName: string; requestId?: string; remainingMs(): number | undefined }) {
        seen = { url: request.url, functionName: ctx.functionName, requestId: ctx.requestId, remainingMs: ctx.remainingMs() };
        return new Response("hi");
      },
    });
    const event = { version: "2.0", routeKey: "$default", rawPath: "/hi", rawQueryString: "", headers: { host: "api.test" }, isBase64Encoded: false, requestContext: { accountId: "1", apiId: "a", domainName: "api.test", domainPrefix: "api", http: { method: "GET", path: "/hi", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "t" }, requestId: "gw-1", routeKey: "$default", stage: "$default", time: "", timeEpoch: 0 } } as const;
    const result = await handler(event, { awsRequestId: "lambda-1", getRemainingTimeInMillis: () => 4_000 });
    assert.equal(result.body, "hi");
    assert.deepEqual(seen, { url: "https://api.test/hi", functionName: "greeter", requestId: "lambda-1", remainingMs: 4_000 });
  });
});

describe("package: bundling a consumer's handler", function () {
  this.timeout(60_000);
  let project: string;
  before(() => {
    project = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "parity-bundle-")));
    fs.mkdirSync(path.join(project, "src"));
    fs.writeFileSync(path.join(project, "src", "ping.ts"), "export default { fetch: () => new Response('pong') };\n");
  });
  after(() => fs.rmSync(project, { recursive: true, force: true }));

  const ping = { name: "ping", trigger: { kind: "http" as const }, entry: "src/ping.ts" };

  it("resolves a relative entry against the project and writes under its .parity/build", () => {
    const bundle = bundleFunction(ping, "cloudflare", { root: project });
    assert.ok(bundle.file.startsWith(path.join(project, ".parity", "build", "cloudflare", "ping") + path.sep), bundle.file);
    assert.ok(Object.keys(bundle.metafile.inputs).some((input) => path.resolve(input) === path.join(project, "src", "ping.ts")));
    assert.deepEqual(Object.values(bundle.metafile.outputs).find((o) => o.entryPoint)?.exports, ["default"]);
  });

  it("writes where outDir says, and names the missing handler and the root it was looked for in", () => {
    const outDir = path.join(project, "out");
    assert.ok(bundleFunction(ping, "aws", { root: project, outDir }).file.startsWith(path.join(outDir, "aws", "ping") + path.sep));
    assert.throws(() => bundleFunction({ ...ping, entry: "src/missing.ts" }, "aws", { root: project }), new RegExp(`function "ping": its aws handler .*src/missing.ts does not exist \\(relative entries resolve against ${project.replace(/[/\\]/g, ".")}\\)`));
  });
});
