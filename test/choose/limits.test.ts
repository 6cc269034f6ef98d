/**
 * Every limit `choose` decides by, at it and one past it, on every platform that has it (issue
 * 30: a rule tested on one platform only let a wrong boundary on another pass). The values come
 * from choose/facts.ts (the rules modules' own), so a limit changed in a rules module moves the
 * boundary tested here with it; the verdict and a fragment of the reason's text say which branch
 * decided, since two branches can give the same verdict (Lambda's 900 s and API Gateway's 30 s
 * are both "no").
 */
import assert from "node:assert/strict";
import type { Platform } from "../../components/catalog";
import { facts } from "../../choose/facts";
import { parseRequirements, RequirementsError } from "../../choose/requirements";
import { concurrency, cost, maxRequestSeconds, measured, memory, queue, schedule, type Figures, type Reason, type Verdict } from "../../choose/verdict";
import { loadPricing, pricingFor } from "../../compare/cost";
import type { MeasuredRun, PlatformMeasurement } from "../../choose/measurements";

const platforms: Platform[] = ["aws", "gcp", "azure", "cloudflare"];

/** The one reason `reasons` holds (or the one about `requirement`), its verdict, and that its text matches. */
const decides = (reasons: Reason[], verdict: Verdict, text: RegExp, requirement?: string) => {
  const found = requirement ? reasons.filter((r) => r.requirement === requirement) : reasons;
  assert.equal(found.length, 1, JSON.stringify(reasons));
  assert.equal(found[0].verdict, verdict, found[0].text);
  assert.match(found[0].text, text);
};

describe("choose: every limit at it and one past it, on every platform that has it", () => {
  it("maxRequestSeconds: Lambda's timeout and API Gateway's integration timeout, Cloud Functions' HTTP timeout and push ack deadline, Azure's HTTP answer, Workers' CPU", () => {
    const lambda = facts.aws.timeoutSeconds.value.max;
    const front = facts.aws.httpIntegrationTimeoutSeconds.value;
    decides(maxRequestSeconds("aws", front), "fits", /within API Gateway HTTP API's 30 s/);
    decides(maxRequestSeconds("aws", front + 1), "no", /integration timeout is 30 s/);
    decides(maxRequestSeconds("aws", lambda), "no", /integration timeout is 30 s/);
    decides(maxRequestSeconds("aws", lambda + 1), "no", /Lambda's maximum timeout is 900 s/);

    const gcpHttp = facts.gcp.httpTimeoutSeconds.value;
    const ack = facts.gcp.ackDeadlineSeconds.value.max;
    decides(maxRequestSeconds("gcp", ack), "fits", /within Cloud Functions' 3600 s/);
    decides(maxRequestSeconds("gcp", ack + 1), "caveats", /push delivery waits at most 600 s/);
    decides(maxRequestSeconds("gcp", gcpHttp), "caveats", /push delivery waits at most 600 s/);
    decides(maxRequestSeconds("gcp", gcpHttp + 1), "no", /run at most 3600 s/);

    const azureHttp = facts.azure.httpResponseSeconds.value;
    decides(maxRequestSeconds("azure", azureHttp), "fits", /within the 230 s/);
    decides(maxRequestSeconds("azure", azureHttp + 1), "no", /must answer within 230 s/);

    const cpuSeconds = facts.cloudflare.cpuMs.value.max / 1000;
    decides(maxRequestSeconds("cloudflare", cpuSeconds), "caveats", /and 300 s of CPU fits$/);
    decides(maxRequestSeconds("cloudflare", cpuSeconds + 1), "caveats", /more than 300 s of CPU cannot run$/);
  });

  it("memoryMb: Lambda's range, every Cloud Functions tier and Flex Consumption size (at it, and one past it takes the next), Workers' fixed memory", () => {
    const lambda = facts.aws.memoryMb.value;
    decides(memory("aws", lambda.min - 1), "caveats", /at least 128 MB; 128 MB would be applied/);
    decides(memory("aws", lambda.min), "fits", /within Lambda's 128–10240 MB/);
    decides(memory("aws", lambda.max), "fits", /within Lambda's/);
    decides(memory("aws", lambda.max + 1), "no", /at most 10240 MB/);

    const tiers = facts.gcp.memoryTiers.value;
    for (const [i, tier] of tiers.entries()) {
      decides(memory("gcp", tier.mb), "fits", new RegExp(`memory tier \\(${tier.vcpu} vCPU\\)`));
      const next = tiers[i + 1];
      if (next) decides(memory("gcp", tier.mb + 1), "caveats", new RegExp(`next tier up, ${next.mb} MB`));
      else decides(memory("gcp", tier.mb + 1), "no", new RegExp(`largest Cloud Functions memory tier is ${tier.mb} MB`));
    }

    const sizes = facts.azure.instanceMemoryMb.value;
    for (const [i, size] of sizes.entries()) {
      decides(memory("azure", size), "fits", /a Flex Consumption instance size/);
      const next = sizes[i + 1];
      if (next) decides(memory("azure", size + 1), "caveats", new RegExp(`; ${next} MB would be applied`));
      else decides(memory("azure", size + 1), "no", new RegExp(`at most ${size} MB`));
    }

    const worker = facts.cloudflare.memoryMb.value;
    decides(memory("cloudflare", worker), "fits", /within the 128 MB/);
    decides(memory("cloudflare", worker + 1), "no", /fixed at 128 MB/);
  });

  it("peakRequestsPerSecond: parity's reservedConcurrency cap on AWS, Google Cloud and Azure, Flex Consumption's instance count on Azure; none on Workers", () => {
    // rate × 1000 ms = the executions needed.
    const at = (peak: number, platform: Platform, extra: Record<string, unknown> = {}) => concurrency(platform, parseRequirements({ peakRequestsPerSecond: peak, p99LatencyMs: 1000, ...extra }), undefined);
    const cap = facts.parity.reservedConcurrency.value.max;
    const capped = (reasons: Reason[]) => reasons.some((r) => /reservedConcurrency is at most 1000/.test(r.text));
    for (const platform of ["aws", "gcp"] as const) {
      assert.equal(capped(at(cap, platform)), false, `${platform} at the cap`);
      assert.equal(capped(at(cap + 1, platform)), true, `${platform} one past the cap`);
    }
    // AWS: the quota to ask for is the reserved concurrency (never above the cap) + the unreserved floor.
    assert.match(at(cap, "aws").at(-1)!.text, /reserved concurrency 1000 needs .* at ≥ 1100/);
    assert.match(at(cap + 1, "aws").at(-1)!.text, /reserved concurrency 1000 needs .* at ≥ 1100/);
    assert.match(at(cap - 1, "aws").at(-1)!.text, /reserved concurrency 999 needs .* at ≥ 1099/);
    // Google Cloud: fits up to the cap, a caveat past it; instances sized for the capped count.
    assert.deepEqual(at(cap, "gcp").map((r) => r.verdict), ["fits"]);
    assert.deepEqual(at(cap + 1, "gcp").map((r) => r.verdict), ["caveats", "caveats"]);
    // Azure's instance count (1000) is the cap's value too: past it is "no", not a caveat.
    const instances = facts.azure.maximumInstanceCount.value.max;
    decides(at(instances, "azure"), "fits", /1000 instance\(s\) at one request each/);
    decides(at(instances + 1, "azure"), "no", /scales to at most 1000 instances/);
    decides(at(cap + 1, "cloudflare"), "fits", /no per-script concurrency cap/);
    // Google Cloud's memory tier for the concurrency: the asked memory's tier, not the next one.
    assert.match(at(10, "gcp", { memoryMb: 2048 })[0].text, /at 2048 MB \(1 vCPU/);
    assert.match(at(10, "gcp", { memoryMb: 2049 })[0].text, /at 4096 MB \(2 vCPU/);
  });

  it("p99LatencyMs and coldStartMs: a cloud measurement equal to the requirement fits and 1 ms above it does not, on every platform", () => {
    const run: MeasuredRun = { file: "results.json", results: {} as MeasuredRun["results"] };
    for (const platform of platforms) {
      const measurement = (value: number): PlatformMeasurement => ({ kind: "cloud", p99LatencyMs: value, coldStartMs: value, warmRate: 50, missing: {} }) as PlatformMeasurement;
      for (const key of ["p99LatencyMs", "coldStartMs"] as const) {
        decides(measured(platform, key, 200, measurement(200), run), "fits", /measured .* 200 ms/);
        decides(measured(platform, key, 200, measurement(201), run), "no", /201 ms.* is above 200 ms/);
      }
    }
  });

  it("budgetUsdPerMonth: the estimate itself fits and a cent under it does not, on every platform", () => {
    const pricing = loadPricing();
    for (const platform of platforms) {
      const priced = pricingFor(pricing, platform, undefined)!;
      const judged = (budget?: number) => {
        const figures: Figures = {};
        const requirements = parseRequirements(budget === undefined ? { monthlyRequests: 20_000_000 } : { monthlyRequests: 20_000_000, budgetUsdPerMonth: budget });
        return { reasons: cost(platform, requirements, priced, undefined, figures), figures };
      };
      const estimate = judged().figures.costUsdPerMonth!;
      assert.ok(estimate > 0.01, `${platform}: ${estimate}`);
      decides(judged(estimate).reasons, "fits", /^budgetUsdPerMonth /);
      // Unmeasured: over budget at the assumed duration is a caveat unless even 1 ms is over.
      const over = judged(estimate - 0.01).reasons;
      assert.notEqual(over[0].verdict, "fits", `${platform}: ${over[0].text}`);
    }
  });

  it("queue.batchSize: SQS's batch without a window and its maximum, one message per Pub/Sub push, host.json's and Queues' maximum batch", () => {
    const batch = (platform: Platform, size: number) => queue(platform, size, undefined);
    const sqs = facts.aws.sqsBatchSize.value;
    decides(batch("aws", sqs.withoutWindow), "fits", /an SQS event source batch/);
    decides(batch("aws", sqs.withoutWindow + 1), "caveats", /above 10 need a batching window/);
    decides(batch("aws", sqs.max), "caveats", /above 10 need a batching window/);
    decides(batch("aws", sqs.max + 1), "caveats", /at most 10000; 10000 would be applied/);
    const push = facts.gcp.pushMessagesPerRequest.value;
    decides(batch("gcp", push), "fits", /one message per request$/);
    decides(batch("gcp", push + 1), "caveats", /there are no batches/);
    const host = facts.azure.queueBatchSize.value.max;
    decides(batch("azure", host), "fits", /host.json queues.batchSize$/);
    decides(batch("azure", host + 1), "caveats", /at most 32; 32 would be applied/);
    const consumer = facts.cloudflare.queue.value.batchSize.max;
    decides(batch("cloudflare", consumer), "fits", /a Queues consumer batch/);
    decides(batch("cloudflare", consumer + 1), "caveats", /at most 100 messages; 100 would be applied/);
  });

  it("queue.maxAttempts: SQS maxReceiveCount's maximum, Pub/Sub maxDeliveryAttempts' minimum and maximum, Queues' max_retries; no bound on Azure", () => {
    const attempts = (platform: Platform, n: number) => queue(platform, undefined, n);
    const receive = facts.aws.maxReceiveCount.value.max;
    decides(attempts("aws", receive), "fits", /maxReceiveCount 1000/);
    decides(attempts("aws", receive + 1), "caveats", /at most 1000; messages are dead-lettered after 1000/);
    const delivery = facts.gcp.maxDeliveryAttempts.value;
    decides(attempts("gcp", delivery.min), "fits", /maxDeliveryAttempts 5$/);
    decides(attempts("gcp", delivery.min - 1), "caveats", /at least 5; a message may be delivered 5 times/);
    decides(attempts("gcp", delivery.max), "fits", /maxDeliveryAttempts 100$/);
    decides(attempts("gcp", delivery.max + 1), "caveats", /at most 100; messages are dead-lettered after 100/);
    // max_retries counts redeliveries: maxRetries + 1 deliveries in all.
    const retries = facts.cloudflare.queue.value.maxRetries;
    decides(attempts("cloudflare", retries + 1), "fits", /max_retries 100$/);
    decides(attempts("cloudflare", retries + 2), "caveats", /at most 100 times \(101 deliveries\)/);
    decides(attempts("azure", 1), "fits", /maxDequeueCount 1,/);
    decides(attempts("azure", 10_000), "fits", /maxDequeueCount 10000,/);
  });

  it("scheduleEveryMinutes: each end of parity's clock-aligned intervals and one past it, the same on every platform", () => {
    const allowed = facts.parity.everyMinutes.value;
    for (const platform of platforms) {
      for (const every of allowed) decides(schedule(platform, every), "fits", new RegExp(`^scheduleEveryMinutes ${every}: `));
      for (const every of [allowed[0] - 1, allowed.at(-1)! + 1, 7, 90]) decides(schedule(platform, every), "no", /clock-aligned in UTC/);
    }
  });

  it("the requirements file: each number's least allowed value and one below it", () => {
    const refused = (raw: Record<string, unknown>, key: string) =>
      assert.throws(
        () => parseRequirements(raw),
        (error: unknown) => error instanceof RequirementsError && error.problems.length === 1 && error.problems[0].startsWith(`${key}: `),
        key,
      );
    const cases: Array<[string, (value: number) => Record<string, unknown>, number, number]> = [
      // [key, the file with that value, least allowed, one below it]
      ["monthlyRequests", (v) => ({ monthlyRequests: v }), 0, -1],
      ["memoryMb", (v) => ({ memoryMb: v }), 1, 0],
      ["scheduleEveryMinutes", (v) => ({ scheduleEveryMinutes: v }), 1, 0],
      ["queue.maxAttempts", (v) => ({ queue: { maxAttempts: v } }), 1, 0],
      ["queue.batchSize", (v) => ({ queue: { batchSize: v } }), 1, 0],
      ["peakRequestsPerSecond", (v) => ({ peakRequestsPerSecond: v }), Number.MIN_VALUE, 0],
      ["p99LatencyMs", (v) => ({ p99LatencyMs: v }), Number.MIN_VALUE, 0],
      ["coldStartMs", (v) => ({ coldStartMs: v }), Number.MIN_VALUE, 0],
      ["maxRequestSeconds", (v) => ({ maxRequestSeconds: v }), Number.MIN_VALUE, 0],
      ["budgetUsdPerMonth", (v) => ({ monthlyRequests: 1, budgetUsdPerMonth: v }), 0, -Number.MIN_VALUE],
      ["weights.cost", (v) => ({ weights: { cost: v, latency: 1 } }), 0, -Number.MIN_VALUE],
      ["weights.latency", (v) => ({ weights: { latency: v, cost: 1 } }), 0, -Number.MIN_VALUE],
      ["weights.coldStart", (v) => ({ weights: { coldStart: v, cost: 1 } }), 0, -Number.MIN_VALUE],
    ];
    for (const [key, file, least, below] of cases) {
      assert.doesNotThrow(() => parseRequirements(file(least)), key);
      refused(file(below), key);
    }
    // Integers only where the unit is one; fractions elsewhere.
    refused({ memoryMb: 256.5 }, "memoryMb");
    refused({ queue: { maxAttempts: 1.5 } }, "queue.maxAttempts");
    assert.equal(parseRequirements({ maxRequestSeconds: 0.5 }).maxRequestSeconds, 0.5);
    refused({ p99LatencyMs: Infinity }, "p99LatencyMs");
  });
});
