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

  it("reports every problem at once, one per line", () => {
    assert.throws(() => parseRequirements({ memoryMb: 0, colour: "blue", queue: { batchSize: 0 } }), (error: RequirementsError) => error.problems.length === 3);
    assert.throws(() => parseRequirements({ memoryMb: 0, colour: "blue" }, "team.yaml"), {
      message: `Invalid requirements in team.yaml:\n  - colour: unknown key; allowed keys: ${requirementKeys.join(", ")}\n  - memoryMb: 0 is not allowed; allowed: an integer ≥ 1`,
    });
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

describe("choose: requirements, each rule at its boundary", () => {
  /** The one problem parseRequirements reports for `raw`, in full. */
  const onlyProblem = (raw: unknown): string => {
    try {
      parseRequirements(raw, "test.yaml");
    } catch (error) {
      assert.ok(error instanceof RequirementsError, String(error));
      assert.equal(error.problems.length, 1, error.message);
      return error.problems[0];
    }
    assert.fail(`accepted ${JSON.stringify(raw)}`);
  };

  it("keeps every valid value as given", () => {
    const r = parseRequirements({
      monthlyRequests: 0,
      traffic: "spiky",
      peakRequestsPerSecond: 0.5,
      p99LatencyMs: 250,
      coldStartMs: 1200,
      maxRequestSeconds: 30,
      memoryMb: 1,
      regions: { aws: ["eu-west-1", "us-east-1"], cloudflare: ["weur"] },
      budgetUsdPerMonth: 0,
      queue: { maxAttempts: 1 },
      scheduleEveryMinutes: 1,
      weights: { cost: 0, latency: 0.5 },
    });
    assert.deepEqual(r, {
      monthlyRequests: 0,
      traffic: "spiky",
      peakRequestsPerSecond: 0.5,
      p99LatencyMs: 250,
      coldStartMs: 1200,
      maxRequestSeconds: 30,
      memoryMb: 1,
      regions: { aws: ["eu-west-1", "us-east-1"], cloudflare: ["weur"] },
      budgetUsdPerMonth: 0,
      queue: { maxAttempts: 1 },
      scheduleEveryMinutes: 1,
      weights: { cost: 0, latency: 0.5, coldStart: 0 },
    });
    assert.deepEqual(parseRequirements({ queue: { batchSize: 1 } }).queue, { batchSize: 1 });
    assert.deepEqual(parseRequirements({ queue: {} }).queue, {});
    assert.deepEqual(parseRequirements({ regions: {} }).regions, {});
    assert.deepEqual(Object.keys(parseRequirements({})), ["weights"], "a key not given stays out");
  });

  it("integers: the minimum is allowed, one below it and fractions are not, and the message says which integer", () => {
    assert.equal(parseRequirements({ monthlyRequests: 0 }).monthlyRequests, 0);
    assert.equal(onlyProblem({ monthlyRequests: -1 }), "monthlyRequests: -1 is not allowed; allowed: an integer ≥ 0");
    assert.equal(onlyProblem({ monthlyRequests: 1.5 }), "monthlyRequests: 1.5 is not allowed; allowed: an integer ≥ 0");
    assert.equal(parseRequirements({ memoryMb: 1 }).memoryMb, 1);
    assert.equal(onlyProblem({ memoryMb: 0 }), "memoryMb: 0 is not allowed; allowed: an integer ≥ 1");
    assert.equal(onlyProblem({ memoryMb: "128" }), 'memoryMb: "128" is not allowed; allowed: an integer ≥ 1');
    assert.equal(onlyProblem({ scheduleEveryMinutes: 0 }), "scheduleEveryMinutes: 0 is not allowed; allowed: an integer ≥ 1");
    assert.equal(onlyProblem({ queue: { maxAttempts: 0 } }), "queue.maxAttempts: 0 is not allowed; allowed: an integer ≥ 1");
    assert.equal(onlyProblem({ queue: { batchSize: 0 } }), "queue.batchSize: 0 is not allowed; allowed: an integer ≥ 1");
  });

  it("numbers: > 0 where zero means nothing, ≥ 0 for the budget and the weights; never infinite or a string", () => {
    for (const key of ["peakRequestsPerSecond", "p99LatencyMs", "coldStartMs", "maxRequestSeconds"]) {
      assert.equal(parseRequirements({ [key]: 0.001 })[key as "p99LatencyMs"], 0.001);
      assert.equal(onlyProblem({ [key]: 0 }), `${key}: 0 is not allowed; allowed: a number > 0`);
      assert.equal(onlyProblem({ [key]: -0.001 }), `${key}: -0.001 is not allowed; allowed: a number > 0`);
      assert.equal(onlyProblem({ [key]: "1" }), `${key}: "1" is not allowed; allowed: a number > 0`);
    }
    assert.equal(onlyProblem({ p99LatencyMs: Infinity }), "p99LatencyMs: null is not allowed; allowed: a number > 0");
    assert.equal(parseRequirements({ budgetUsdPerMonth: 0, monthlyRequests: 1 }).budgetUsdPerMonth, 0);
    assert.equal(onlyProblem({ budgetUsdPerMonth: -0.01, monthlyRequests: 1 }), "budgetUsdPerMonth: -0.01 is not allowed; allowed: a number ≥ 0");
    assert.equal(onlyProblem({ weights: { cost: 1, latency: -1 } }), "weights.latency: -1 is not allowed; allowed: a number ≥ 0");
  });

  it("traffic: one of the compare shapes", () => {
    for (const traffic of ["steady", "business-hours", "spiky"]) assert.equal(parseRequirements({ traffic }).traffic, traffic);
    assert.equal(onlyProblem({ traffic: "bursty" }), 'traffic: "bursty" is not allowed; allowed values: steady, business-hours, spiky');
  });

  it("budget: needs monthlyRequests, even 0 of them", () => {
    assert.equal(onlyProblem({ budgetUsdPerMonth: 0 }), "budgetUsdPerMonth: needs monthlyRequests: the cost is estimated at that volume");
    assert.deepEqual(parseRequirements({ budgetUsdPerMonth: 5, monthlyRequests: 0 }).budgetUsdPerMonth, 5);
  });

  it("regions: a map of known platforms to non-empty lists of non-blank names; the valid platforms kept", () => {
    const map = "regions: must be a map of platform → list of region names, e.g. { aws: [eu-west-1] }; allowed platforms: aws, gcp, azure, cloudflare";
    assert.equal(onlyProblem({ regions: ["eu-west-1"] }), map);
    assert.equal(onlyProblem({ regions: null }), map);
    assert.equal(onlyProblem({ regions: "eu-west-1" }), map);
    const list = "must be a non-empty list of region names, e.g. [eu-west-1]";
    assert.equal(onlyProblem({ regions: { gcp: [] } }), `regions.gcp: ${list}`);
    assert.equal(onlyProblem({ regions: { gcp: [" "] } }), `regions.gcp: ${list}`);
    assert.equal(onlyProblem({ regions: { gcp: ["europe-west1", 1] } }), `regions.gcp: ${list}`);
    assert.equal(onlyProblem({ regions: { oracle: ["x"] } }), "regions.oracle: unknown platform; allowed values: aws, gcp, azure, cloudflare");
    assert.throws(
      () => parseRequirements({ regions: { azure: ["westeurope"], gcp: [] } }),
      (error: RequirementsError) => error.problems.length === 1 && error.problems[0].startsWith("regions.gcp: "),
    );
  });

  it("queue and weights: must be maps; unknown keys named with the allowed ones", () => {
    assert.equal(onlyProblem({ queue: [] }), "queue: must be a map; allowed keys: maxAttempts, batchSize");
    assert.equal(onlyProblem({ queue: { retries: 1 } }), "queue.retries: unknown key; allowed keys: maxAttempts, batchSize");
    assert.equal(onlyProblem({ weights: 1 }), "weights: must be a map; allowed keys: cost, latency, coldStart");
    assert.equal(onlyProblem({ weights: null }), "weights: must be a map; allowed keys: cost, latency, coldStart");
    assert.equal(onlyProblem({ weights: { cost: 1, speed: 1 } }), "weights.speed: unknown key; allowed keys: cost, latency, coldStart");
    assert.equal(onlyProblem({ weights: {} }), "weights: at least one of cost, latency, coldStart must be > 0");
    for (const key of ["cost", "latency", "coldStart"]) {
      assert.deepEqual(parseRequirements({ weights: { [key]: 2 } }).weights, { cost: 0, latency: 0, coldStart: 0, [key]: 2 });
    }
    assert.equal(onlyProblem({ colour: "blue" }), `colour: unknown key; allowed keys: ${requirementKeys.join(", ")}`);
  });

  it("a document that is not a map is refused whole, with the allowed keys; the error names its origin", () => {
    for (const raw of [null, [], "memoryMb: 1", 42]) {
      assert.throws(
        () => parseRequirements(raw, "team.yaml"),
        (error: unknown) =>
          error instanceof RequirementsError &&
          error.name === "RequirementsError" &&
          error.file === "team.yaml" &&
          error.message === `Invalid requirements in team.yaml:\n  - the file must be a map of requirements; allowed keys: ${requirementKeys.join(", ")}`,
      );
    }
    assert.throws(() => parseRequirements({ memoryMb: 0 }), (error: RequirementsError) => error.message.startsWith("Invalid requirements in requirements:\n  - memoryMb: "));
  });

  it("a file: missing, or not YAML (the parser's first line, without the excerpt that follows), each one problem naming the file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "choose-req-"));
    const missing = path.join(dir, "missing.yaml");
    assert.throws(() => readRequirements(missing), (error: RequirementsError) => error.file === missing && error.problems.length === 1 && error.problems[0] === "no such file; copy requirements.example.yaml and edit it");
    const broken = path.join(dir, "broken.yaml");
    fs.writeFileSync(broken, "memoryMb: [256\n");
    assert.throws(() => readRequirements(broken), (error: RequirementsError) => error.file === broken && error.problems.length === 1 && /^not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a \] at line 2, column 1:$/.test(error.problems[0]));
    const valid = path.join(dir, "valid.yaml");
    fs.writeFileSync(valid, "memoryMb: 256\ntraffic: business-hours\n");
    assert.deepEqual(readRequirements(valid), { memoryMb: 256, traffic: "business-hours", weights: defaultWeights });
  });
});
