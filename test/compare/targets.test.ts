/** Endpoint sources: `pulumi stack output --json`, endpoints files, and the local cloud's selection. */
import assert from "node:assert/strict";
import { choosePlatforms, endpointTable, parsePlatformList } from "../../local/cloud";
import { readStackFile } from "../../local/stack";
import { parseEndpointsFile, parseStackOutputs } from "../../compare/targets";

const outputs = {
  endpoints: { aws: "https://abc.execute-api.eu-west-1.amazonaws.com/", cloudflare: "https://parity-users-api.example.workers.dev", gcp: null },
  queues: { aws: { queue: "parity-events", deadLetter: "parity-events-dlq" } },
  functions: { aws: { "users-api": "parity-users-api-1a2b", "queue-worker": "parity-queue-worker-3c4d" } },
};

describe("compare: endpoints and outputs", () => {
  it("reads the stack outputs index.ts exports; platforms without an endpoint are left out", () => {
    const endpoints = parseStackOutputs(outputs);
    assert.deepEqual(endpoints.map((e) => e.platform), ["aws", "cloudflare"]);
    assert.equal(endpoints[0].url, "https://abc.execute-api.eu-west-1.amazonaws.com", "trailing slash trimmed");
    assert.equal(endpoints[0].queue, "parity-events");
    assert.equal(endpoints[0].deadLetter, "parity-events-dlq");
    assert.deepEqual(endpoints[0].functions, outputs.functions.aws);
    assert.equal(endpoints[1].queue, undefined);
  });

  it("rejects outputs a comparison cannot use, saying why", () => {
    assert.throws(() => parseStackOutputs({}), /`endpoints` is missing/);
    assert.throws(() => parseStackOutputs({ endpoints: { heroku: "https://x" } }), /unknown platform "heroku"/);
    assert.throws(() => parseStackOutputs({ endpoints: { aws: "not a url" } }), /endpoints.aws is not a URL/);
    assert.throws(() => parseStackOutputs({ endpoints: { aws: "ftp://x" } }), /must be http\(s\)/);
    assert.throws(() => parseStackOutputs({ endpoints: { aws: null } }), /no platform has an endpoint/);
  });

  it("reads an endpoints file: stack outputs plus apiKey and stack", () => {
    const file = parseEndpointsFile(JSON.stringify({ ...outputs, apiKey: "k".repeat(20), stack: "prod" }), "endpoints.json");
    assert.equal(file.apiKey, "k".repeat(20));
    assert.equal(file.stack, "prod");
    assert.equal(file.endpoints.length, 2);
    assert.throws(() => parseEndpointsFile("{", "endpoints.json"), /endpoints.json: not valid JSON/);
    assert.throws(() => parseEndpointsFile(JSON.stringify({ ...outputs, apiKey: 42 }), "endpoints.json"), /apiKey must be a string/);
  });

  it("selects local platforms from the stack, narrowed by --platforms", () => {
    const config = readStackFile("dev", "local-0123456789abcdef");
    assert.deepEqual(choosePlatforms(config), config.platforms);
    assert.deepEqual(choosePlatforms(config, ["cloudflare", "aws"]), ["aws", "cloudflare"], "catalog order");
    assert.deepEqual(parsePlatformList("aws, cloudflare"), ["aws", "cloudflare"]);
    assert.throws(() => parsePlatformList("aws,heroku"), /unknown platform heroku; allowed: aws, gcp, azure, cloudflare/);
    assert.throws(() => choosePlatforms({ ...config, platforms: ["aws"] }, ["gcp"]), /not enabled in stack "dev"/);
  });

  it("prints an endpoint table with the API key and what is not available", () => {
    const table = endpointTable({
      stack: "dev",
      apiKey: "local-abc",
      running: [{ platform: "aws", url: "http://127.0.0.1:4000", description: "Lambda + DynamoDB Local" }],
      unavailable: [{ platform: "gcp", reason: "failed to start: gcloud is not installed" }],
    });
    assert.match(table, /aws\s+http:\/\/127\.0\.0\.1:4000\s+Lambda \+ DynamoDB Local/);
    assert.match(table, /gcp\s+-\s+failed to start: gcloud is not installed/);
    assert.match(table, /API key: local-abc/);
    assert.match(table, /local emulation, not cloud performance/);
  });
});
