/** Cost arithmetic against hand-computed examples, with the shipped pricing tables. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { billedDurationMs, billedMemoryMb, checkPricingTable, estimateCost, loadPricing, vcpuFor } from "../../compare/cost";

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6 * Math.max(1, expected), `${what}: ${actual} ≠ ${expected}`);

describe("compare: cost", () => {
  const pricing = loadPricing();

  it("ships one table per platform, every number with a source and the date it was read", () => {
    assert.deepEqual([...pricing.keys()].sort(), ["aws", "azure", "cloudflare", "gcp"]);
    for (const table of pricing.values()) {
      for (const [key, entry] of Object.entries(table)) {
        if (typeof entry !== "object" || entry === null) continue;
        assert.match((entry as { source: string }).source, /^https:\/\//, `${table.platform}.${key} source`);
        assert.match((entry as { read: string }).read, /^\d{4}-\d{2}-\d{2}$/, `${table.platform}.${key} read`);
      }
    }
  });

  it("rounds durations up to the billing increment and memory up to a billed size", () => {
    assert.equal(billedDurationMs(30.2, 1), 31);
    assert.equal(billedDurationMs(120, 100), 200);
    assert.equal(billedDurationMs(100, 100), 100);
    assert.equal(billedDurationMs(100.0000000001, 100), 100, "float noise does not bill another increment");
    assert.equal(billedDurationMs(0, 100), 100, "at least one increment");
    assert.equal(billedMemoryMb(pricing.get("azure")!, 256), 512);
    assert.equal(billedMemoryMb(pricing.get("azure")!, 1024), 2048);
    assert.equal(billedMemoryMb(pricing.get("aws")!, 256), 256);
    assert.equal(vcpuFor(pricing.get("gcp")!, 256), 0.167);
    assert.equal(vcpuFor(pricing.get("gcp")!, 300), 0.333);
  });

  it("AWS: 256 MB, 30 ms, 10M requests", () => {
    const cost = estimateCost(pricing.get("aws")!, { durationMs: 30, memoryMb: 256, monthlyRequests: 10_000_000 });
    // per 1M: $0.20 Lambda + $1.00 API Gateway + 1e6 × 0.030 s × 0.25 GB × $0.0000133334 = $1.300001
    close(cost.perMillion, 1.300001, "per 1M");
    // month: (10M − 1M free) × $0.20/M = $1.80; API Gateway 10 × $1.00 = $10;
    // 10M × 0.0075 GB-s = 75,000 GB-s, inside the 400,000 free → $0
    close(cost.breakdown.requests, 1.8, "requests");
    close(cost.breakdown.front, 10, "front");
    close(cost.breakdown.memory, 0, "memory");
    close(cost.perMonth, 11.8, "per month");
  });

  it("Google Cloud: 256 MiB (0.167 vCPU), 120 ms billed as 200 ms, 10M requests", () => {
    const cost = estimateCost(pricing.get("gcp")!, { durationMs: 120, memoryMb: 256, monthlyRequests: 10_000_000 });
    assert.equal(cost.billedMs, 200);
    // per 1M: $0.40 + 1e6 × 0.2 s × (0.25 GiB × $0.0000025 + 0.167 vCPU × $0.000024) = 0.40 + 0.125 + 0.8016
    close(cost.perMillion, 1.3266, "per 1M");
    // month: requests (10M − 2M) × $0.40/M = $3.20; memory 500,000 − 360,000 GiB-s × $0.0000025 = $0.35;
    // CPU 334,000 − 180,000 vCPU-s × $0.000024 = $3.696
    close(cost.breakdown.requests, 3.2, "requests");
    close(cost.breakdown.memory, 0.35, "memory");
    close(cost.breakdown.cpu, 3.696, "cpu");
    close(cost.perMonth, 7.246, "per month");
  });

  it("Azure Flex: 256 MB billed as the 512 MB instance, 16 ms, 10M requests", () => {
    const cost = estimateCost(pricing.get("azure")!, { durationMs: 16, memoryMb: 256, monthlyRequests: 10_000_000 });
    assert.equal(cost.billedMemoryMb, 512);
    // per 1M: $0.40 + 1e6 × 0.016 s × 0.5 GB × $0.000026 = 0.40 + 0.208
    close(cost.perMillion, 0.608, "per 1M");
    // month: (10M − 250,000) × $0.40/M = $3.90; 80,000 GB-s inside the 100,000 free
    close(cost.perMonth, 3.9, "per month");
  });

  it("Cloudflare: CPU time and requests, with the $5 plan including 10M requests and 30M CPU-ms", () => {
    const cost = estimateCost(pricing.get("cloudflare")!, { durationMs: 5, memoryMb: 128, monthlyRequests: 10_000_000 });
    // per 1M: $0.30 + 5,000,000 CPU-ms × $0.02/M = 0.30 + 0.10
    close(cost.perMillion, 0.4, "per 1M");
    // month: $5 + 0 requests beyond 10M + (50M − 30M) CPU-ms × $0.02/M = $5.40
    close(cost.perMonth, 5.4, "per month");
    const busier = estimateCost(pricing.get("cloudflare")!, { durationMs: 5, memoryMb: 128, monthlyRequests: 50_000_000 });
    // $5 + 40M × $0.30/M + (250M − 30M) × $0.02/M = 5 + 12 + 4.4
    close(busier.perMonth, 21.4, "50M per month");
  });

  it("a user's pricing file replaces the shipped table of the platform it names", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-pricing-"));
    const mine = path.join(dir, "mine.json");
    const table = { ...JSON.parse(fs.readFileSync(path.join(__dirname, "../../pricing/aws.json"), "utf8")) };
    table.frontPricePerMillion = { value: 0, source: "https://example.com/our-negotiated-rate", read: "2026-11-01" };
    fs.writeFileSync(mine, JSON.stringify(table));
    try {
      const loaded = loadPricing(undefined, mine);
      assert.equal(loaded.get("aws")!.frontPricePerMillion!.value, 0);
      assert.equal(loaded.get("gcp")!.requestPricePerMillion.value, pricing.get("gcp")!.requestPricePerMillion.value);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects a price without its source or date", () => {
    const base = { platform: "aws", currency: "USD", requestPricePerMillion: { value: 0.2, source: "https://x", read: "2026-11-23" }, billingIncrementMs: { value: 1, source: "https://x", read: "2026-11-23" } };
    assert.throws(() => checkPricingTable({ ...base, gbSecondPrice: { value: 1, read: "2026-11-23" } }, "t.json"), /gbSecondPrice.source/);
    assert.throws(() => checkPricingTable({ ...base, gbSecondPrice: { value: 1, source: "https://x" } }, "t.json"), /gbSecondPrice.read/);
    assert.throws(() => checkPricingTable({ ...base, platform: "heroku", gbSecondPrice: { value: 1, source: "s", read: "2026-11-23" } }, "t.json"), /platform must be one of/);
    assert.throws(() => checkPricingTable(base, "t.json"), /at least one of/);
  });
});
