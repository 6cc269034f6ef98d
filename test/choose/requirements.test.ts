/** Requirements files: the shipped example parses; every invalid file is rejected with its key named. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultWeights, parseRequirements, readRequirements, RequirementsError, requirementKeys } from "../../choose/requirements";

const rejects = (raw: unknown, key: string, allowed?: RegExp) => {
  assert.throws(
    () => parseRequirements(raw, "test.yaml"),
    (error: unknown) => {
      assert.ok(error instanceof RequirementsError, String(error));
      assert.match(error.message, new RegExp(`^  - ${key.replace(/\./g, "\\.")}: `, "m"), error.message);
      if (allowed) assert.match(error.message, allowed);
      return true;
    },
  );
};

describe("choose: requirements", () => {
  it("reads the shipped example", () => {
    const r = readRequirements(path.join(__dirname, "..", "..", "requirements.example.yaml"));
    assert.equal(r.monthlyRequests, 20_000_000);
    assert.deepEqual(r.queue, { maxAttempts: 5, batchSize: 10 });
    assert.deepEqual(r.weights, { cost: 2, latency: 1, coldStart: 1 });
  });

  it("defaults the weights to equal, and counts weights left out as 0 once any is given", () => {
    assert.deepEqual(parseRequirements({}).weights, defaultWeights);
    assert.deepEqual(parseRequirements({ weights: { latency: 3 } }).weights, { cost: 0, latency: 3, coldStart: 0 });
  });

  it("rejects unknown keys, listing the allowed ones", () => {
    rejects({ memory: 256 }, "memory", new RegExp(`allowed keys: ${requirementKeys.join(", ")}`));
    rejects({ queue: { retries: 3 } }, "queue.retries", /allowed keys: maxAttempts, batchSize/);
    rejects({ weights: { price: 1 } }, "weights.price", /allowed keys: cost, latency, coldStart/);
  });

  it("rejects values of the wrong type or range, naming the key and what is allowed", () => {
    rejects({ memoryMb: "lots" }, "memoryMb", /allowed: an integer ≥ 1/);
    rejects({ monthlyRequests: -1 }, "monthlyRequests", /integer ≥ 0/);
    rejects({ p99LatencyMs: 0 }, "p99LatencyMs", /a number > 0/);
    rejects({ queue: { batchSize: 2.5 } }, "queue.batchSize", /integer ≥ 1/);
    rejects({ queue: 10 }, "queue", /must be a map/);
    rejects({ scheduleEveryMinutes: "5m" }, "scheduleEveryMinutes");
    rejects({ weights: { cost: 0, latency: 0, coldStart: 0 } }, "weights", /at least one/);
    rejects({ regions: { oracle: ["x"] } }, "regions.oracle", /allowed values: aws, gcp, azure, cloudflare/);
    rejects({ regions: { aws: "eu-west-1" } }, "regions.aws", /non-empty list/);
    rejects({ budgetUsdPerMonth: 10 }, "budgetUsdPerMonth", /needs monthlyRequests/);
  });

  it("reports every problem at once", () => {
    assert.throws(() => parseRequirements({ memoryMb: 0, colour: "blue", queue: { batchSize: 0 } }), (error: RequirementsError) => error.problems.length === 3);
  });

  it("rejects a file that is not a map, or not YAML", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "choose-req-"));
    const list = path.join(dir, "list.yaml");
    fs.writeFileSync(list, "- memoryMb: 256\n");
    assert.throws(() => readRequirements(list), /must be a map of requirements; allowed keys: monthlyRequests/);
    const broken = path.join(dir, "broken.yaml");
    fs.writeFileSync(broken, "memoryMb: [256\n");
    assert.throws(() => readRequirements(broken), /not valid YAML/);
    assert.throws(() => readRequirements(path.join(dir, "missing.yaml")), /no such file/);
  });
});
