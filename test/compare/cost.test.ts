/**
 * The cost model against examples worked by hand from the vendors' published rules, with the
 * shipped pricing tables. Every figure's source is beside it; the prices are those of
 * pricing/*.json (each with its URL there). A month is 730 h = 2,628,000 s.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { billedDurationMs, checkPricingTable, columns, estimateCost, formatBreakdown, formatCostSection, freeTierNote, loadPricing, meanMs, notModelled, meanBilledMs, pricingFor, tieredCost, unverifiedPrices, type CostEstimate, type PricingTable } from "../../compare/cost";
import type { Platform } from "../../components/catalog";
import { stackRegions } from "../../choose/stack";

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6 * Math.max(1, expected), `${what}: ${actual} ≠ ${expected}`);
const lineOf = (estimate: CostEstimate, item: string) => {
  const line = estimate.breakdown.find((l) => l.item === item);
  assert.ok(line, `${estimate.platform} has a "${item}" line (has ${estimate.breakdown.map((l) => l.item).join(", ")})`);
  return line.usd;
};

describe("compare: cost", () => {
  const pricing = loadPricing();
  // The regions both stacks deploy to (Pulumi.dev.yaml / Pulumi.prod.yaml): eu-west-1, europe-west1, westeurope.
  const regions = stackRegions("prod");
  const tableFor = (platform: Platform, region = regions[platform]) => pricingFor(pricing, platform, region)!;
  const estimate = (platform: Platform, input: { durationMs?: number; durations?: { ms: number; count: number }[]; memoryMb: number; warmInstances?: number; freeTier?: boolean; monthlyRequests?: number }, region?: string) => {
    const { table, region: used } = tableFor(platform, region);
    return estimateCost(table, { monthlyRequests: 10_000_000, ...input }, used);
  };
  // The stacks' users-api settings: prod 1024 MB with 2 warm instances, dev 256 MB with none.
  const prod = { durationMs: 50, memoryMb: 1024, warmInstances: 2 };
  const dev = { durationMs: 50, memoryMb: 256, warmInstances: 0 };

  it("ships tables per platform and region, every number with a source and the date it was read", () => {
    const pricing = loadPricing();
    assert.deepEqual([...pricing.keys()].sort(), ["aws", "azure", "cloudflare", "gcp"]);
    assert.deepEqual(pricing.get("aws")!.map((t) => t.region), ["eu-west-1", "us-east-1"]);
    for (const tables of pricing.values()) {
      for (const table of tables) {
        for (const [key, entry] of Object.entries(table)) {
          if (typeof entry !== "object" || entry === null || Array.isArray(entry)) continue;
          assert.match((entry as { source: string }).source, /^https:\/\//, `${table.platform} ${table.region} ${key} source`);
          assert.match((entry as { read: string }).read, /^\d{4}-\d{2}-\d{2}$/, `${table.platform} ${table.region} ${key} read`);
        }
      }
    }
  });

  it("means of measured durations: negative ones count as 0, none is 0; billing refuses none", () => {
    assert.equal(meanMs([{ ms: 10, count: 3 }, { ms: 30, count: 1 }, { ms: -5, count: 1 }]), 60 / 5);
    assert.equal(meanMs([]), 0);
    assert.equal(meanBilledMs([{ ms: 0.5, count: 1 }, { ms: 1.5, count: 3 }], 1), (1 + 2 * 3) / 4);
    assert.throws(() => meanBilledMs([], 1), /no durations to bill/);
  });

  it("one-line breakdowns leave out lines under half a cent; plain-text columns pad all but the last", () => {
    assert.equal(formatBreakdown([{ kind: "compute", item: "requests", usd: 1.5, detail: "" }, { kind: "compute", item: "compute", usd: 0.004, detail: "" }, { kind: "compute", item: "warm", usd: 0.005, detail: "" }]), "requests $1.50, warm $0.01");
    assert.equal(formatBreakdown([{ kind: "compute", item: "requests", usd: 0.001, detail: "" }]), "within the free tier");
    assert.equal(columns([["a", "bb", "c"], ["ccc", "d", ""]]), "a    bb  c\nccc  d");
  });

  it("lists the prices that could not be read on the vendor's page, with why", () => {
    const table = { platform: "aws", region: "x", requestPrice: { value: 1, source: "https://a", read: "2026-11-30" }, gbSecondPrice: { value: 2, source: "https://b", read: "2026-11-30", unverified: "behind a login" } } as unknown as PricingTable;
    assert.deepEqual(unverifiedPrices(table), ["gbSecondPrice: behind a login"]);
    assert.deepEqual(unverifiedPrices({ ...table, notes: null } as unknown as PricingTable), ["gbSecondPrice: behind a login"], "a null field (JSON null) is no price");
  });

  it("rounds each period at and one past the increment, after the minimum", () => {
    assert.equal(billedDurationMs(30.2, 1), 31);
    assert.equal(billedDurationMs(100, 100), 100);
    assert.equal(billedDurationMs(100.5, 100), 200);
    assert.equal(billedDurationMs(100.0000000001, 100), 100, "float noise does not bill another increment");
    assert.equal(billedDurationMs(0, 100), 100, "at least one increment");
    assert.equal(billedDurationMs(-5, 1), 1, "a negative duration bills one increment");
    assert.equal(billedDurationMs(Number.NaN, 100), 100, "a failed measurement bills one increment, not NaN");
    assert.equal(billedDurationMs(Number.NaN, 100, 1000), 1000, "a failed measurement bills the minimum");
    // Azure Flex: at least 1,000 ms, then 100 ms steps (learn.microsoft.com flex-consumption-plan, Billing).
    assert.equal(billedDurationMs(50, 100, 1000), 1000);
    assert.equal(billedDurationMs(1000, 100, 1000), 1000);
    assert.equal(billedDurationMs(1000.1, 100, 1000), 1100);
  });

  it("bills each request rounded on its own, not the rounded mean", () => {
    // 30 ms and 130 ms on Cloud Run's 100 ms increment: 100 + 200 = mean 150 ms billed.
    // Rounding the mean (80 ms) would say 100 ms: neither a bound nor the bill.
    const samples = [{ ms: 30, count: 1 }, { ms: 130, count: 1 }];
    assert.equal(meanBilledMs(samples, 100), 150);
    const gcp = estimate("gcp", { durations: samples, memoryMb: 256, freeTier: false });
    assert.equal(gcp.billedMs, 150);
    // 10M × 0.15 s × 0.167 vCPU = 250,500 vCPU-s × $0.000024 = $6.012 (cloud.google.com/run/pricing, Tier 1)
    close(lineOf(gcp, "CPU (active)"), 6.012, "CPU from per-request rounding");
    assert.ok(!gcp.assumptions.some((a) => a.includes("stated")), "two measured requests are not a stated duration");
  });

  it("AWS, prod (1024 MB, 2 provisioned), 10M × 50 ms in eu-west-1: $34.51", () => {
    const aws = estimate("aws", prod);
    assert.equal(aws.region.prices, "Europe (Ireland)");
    // aws.amazon.com/lambda/pricing: $0.20 per 1M requests; no free tier with Provisioned Concurrency → 10 × $0.20
    close(lineOf(aws, "requests"), 2, "requests");
    // Provisioned Concurrency, Arm: $0.0000033334 per GB-s × 2 × 1 GB × 2,628,000 s
    close(lineOf(aws, "warm capacity: provisioned concurrency"), 17.5203504, "provisioned concurrency");
    // PC duration, Arm: 10M × 0.050 s (1 ms rounding, exact) × 1 GB = 500,000 GB-s × $0.0000077778
    close(lineOf(aws, "duration on provisioned concurrency"), 3.8889, "duration");
    // API Gateway HTTP API, Europe (Ireland): 10M × $1.11 per M (first 300M)
    close(lineOf(aws, "HTTP API (API Gateway)"), 11.1, "HTTP API");
    close(aws.perMonth, 34.5092504, "per month");
    // At 512 MB, half a GB: 2 × 0.5 × 2,628,000 × $0.0000033334; 10M × 0.05 s × 0.5 GB = 250,000 GB-s × $0.0000077778
    const half = estimate("aws", { ...prod, memoryMb: 512 });
    close(lineOf(half, "warm capacity: provisioned concurrency"), 8.7601752, "provisioned concurrency at 512 MB");
    close(lineOf(half, "duration on provisioned concurrency"), 1.94445, "duration at 512 MB");
    assert.equal(half.breakdown[2].detail, "250,000 GB-s × $0.0000077778");
  });

  it("Google Cloud, prod (1024 MiB tier, 0.583 vCPU, 2 min instances), 10M × 50 ms: $31.32", () => {
    const gcp = estimate("gcp", prod);
    assert.equal(gcp.billedMs, 100, "50 ms billed as 100 ms (cloud.google.com/run/pricing: rounded up to the nearest 100 ms)");
    assert.equal(gcp.billedVcpu, 0.583, "vCPU of the 1024 MiB tier (components/gcp/rules.ts memoryTiers)");
    // (10M − 2M free) × $0.40/M
    close(lineOf(gcp, "requests"), 3.2, "requests");
    // 10M × 0.1 s × 0.583 = 583,000 vCPU-s − 180,000 free = 403,000 × $0.000024
    close(lineOf(gcp, "CPU (active)"), 9.672, "CPU");
    // 10M × 0.1 s × 1 GiB = 1,000,000 GiB-s − 360,000 free = 640,000 × $0.0000025
    close(lineOf(gcp, "memory (active)"), 1.6, "memory");
    // idle: 2 × 2,628,000 − 1,000,000 busy = 4,256,000 s × (0.583 × $0.0000025 + 1 × $0.0000025) idle min-instance rates
    close(lineOf(gcp, "warm capacity: idle min instances"), 16.84312, "idle min instances");
    close(gcp.perMonth, 31.31512, "per month");
  });

  it("Azure Flex, prod (1024 MB → the 2048 MB instance, 2 always ready), 10M × 50 ms billed as 1 s each: $366.05", () => {
    const azure = estimate("azure", prod);
    assert.equal(azure.billedMemoryMb, 2048, "Flex instance sizes are 512, 2048, 4096 MB (components/azure/rules.ts)");
    assert.equal(azure.billedMs, 1000, "the 1,000 ms minimum billable execution period");
    assert.match(azure.region.note!, /East US used: the stack deploys to westeurope/, "the stack's region has no verified table");
    // always-ready baseline: 2 × 2 GB × 2,628,000 s × $0.000004
    close(lineOf(azure, "warm capacity: always-ready baseline"), 42.048, "baseline");
    // 0.19 instance busy on average (10M × 50 ms / 2,628,000 s) < 2 always ready: every execution on them, no free grant
    close(lineOf(azure, "executions (always ready)"), 4, "executions: 10 × $0.40");
    // 10M × 1 s × 2 GB = 20,000,000 GB-s × $0.000016 always-ready execution time
    close(lineOf(azure, "execution time (always ready)"), 320, "execution time");
    close(azure.perMonth, 366.048, "per month");
  });

  it("Cloudflare, prod, 10M × 50 ms: the $5 plan, 10M requests included, 470M CPU-ms beyond the 30M: $14.40", () => {
    const cf = estimate("cloudflare", prod);
    // developers.cloudflare.com/workers/platform/pricing: $5 + 0 × $0.30/M + (500M − 30M) × $0.02/M
    close(cf.perMonth, 14.4, "per month");
    assert.match(cf.assumptions.join(" "), /no Workers equivalent/);
  });

  it("the dev stack (256 MB, nothing warm), 10M × 50 ms, free tiers applied", () => {
    // AWS: (10M − 1M) × $0.20/M = $1.80; 125,000 GB-s inside the 400,000 free; HTTP API 10 × $1.11
    close(estimate("aws", dev).perMonth, 12.9, "aws");
    // Google Cloud: (10M − 2M) × $0.40/M = $3.20; 167,000 vCPU-s < 180,000 and 250,000 GiB-s < 360,000 free
    close(estimate("gcp", dev).perMonth, 3.2, "gcp");
    // Azure: 256 MB → the 512 MB instance; (10M − 250,000) × $0.40/M = $3.90;
    // 10M × 1 s × 0.5 GB = 5,000,000 − 100,000 free = 4,900,000 GB-s × $0.000026 = $127.40
    const azure = estimate("azure", dev);
    assert.equal(azure.billedMemoryMb, 512);
    close(azure.perMonth, 131.3, "azure");
    close(estimate("cloudflare", dev).perMonth, 14.4, "cloudflare");
  });

  it("--no-free-tier: the dev stack pays for everything it uses", () => {
    // AWS: 10 × $0.20 + 125,000 GB-s × $0.0000133334 + $11.10
    close(estimate("aws", { ...dev, freeTier: false }).perMonth, 2 + 1.666675 + 11.1, "aws");
    // Google Cloud: 10 × $0.40 + 167,000 × $0.000024 + 250,000 × $0.0000025
    close(estimate("gcp", { ...dev, freeTier: false }).perMonth, 4 + 4.008 + 0.625, "gcp");
  });

  it("the Azure minimum, warm capacity and the regional price each change the result", () => {
    const { table } = tableFor("azure");
    const withoutMinimum: PricingTable = { ...table, minimumBilledMs: undefined };
    const azure = estimateCost(table, { ...dev, monthlyRequests: 10_000_000 });
    const noMinimum = estimateCost(withoutMinimum, { ...dev, monthlyRequests: 10_000_000 });
    // Without the minimum, 50 ms bills 100 ms: 500,000 − 100,000 GB-s × $0.000026 = $10.40, + $3.90
    close(noMinimum.perMonth, 14.3, "azure without the minimum");
    assert.ok(azure.perMonth > noMinimum.perMonth * 9, "the 1,000 ms minimum dominates a 50 ms request");

    for (const platform of ["aws", "gcp", "azure"] as const) {
      const cold = estimate(platform, { ...prod, warmInstances: 0 });
      const warm = estimate(platform, prod);
      if (platform !== "azure") assert.ok(warm.perMonth > cold.perMonth, `${platform}: warm capacity costs (${warm.perMonth} vs ${cold.perMonth})`);
      assert.ok(warm.breakdown.some((l) => l.item.startsWith("warm capacity")), `${platform}: warm capacity is its own line`);
      assert.ok(!cold.breakdown.some((l) => l.item.startsWith("warm capacity")), `${platform}: no warm line without warm instances`);
    }
    // Azure at this load is cheaper always ready: its execution time costs $0.000016 instead of $0.000026 per GB-s.
    // On demand: (10M − 250,000) × $0.40/M + (20,000,000 − 100,000) GB-s × $0.000026 = 3.90 + 517.40
    close(estimate("azure", { ...prod, warmInstances: 0 }).perMonth, 521.3, "azure on demand");

    const ireland = estimate("aws", dev, "eu-west-1");
    const virginia = estimate("aws", dev, "us-east-1");
    // HTTP API: 10 × $1.11 in Ireland, 10 × $1.00 in N. Virginia
    close(ireland.perMonth - virginia.perMonth, 1.1, "regional HTTP API price");
    assert.equal(virginia.region.note, undefined);
    assert.match(estimate("aws", dev, "ap-south-1").region.note!, /Europe \(Ireland\) used: the stack deploys to ap-south-1/);
  });

  const itemsOf = (e: CostEstimate) => e.breakdown.map((l) => `${l.item}: ${l.detail}`);

  it("each line says how it was computed, with the quantities, prices and free amounts a reader checks", () => {
    const awsProd = estimate("aws", prod);
    assert.deepEqual(itemsOf(awsProd), [
      "requests: 10,000,000 requests × $0.2/M, no free tier (provisioned concurrency)",
      "warm capacity: provisioned concurrency: 2 × 1024 MB × 2,628,000 s × $0.0000033334/GB-s",
      "duration on provisioned concurrency: 500,000 GB-s × $0.0000077778",
      "HTTP API (API Gateway): 10,000,000 requests: $1.11/M to 300 M, $1/M beyond; its 12-month free tier left out",
    ]);
    assert.deepEqual(awsProd.assumptions, [
      "duration billed per request, rounded up to 1 ms (Lambda's rule, exact per sample)",
      "requests spread evenly over the month, so warm capacity serves 100 % of them; bursts above 2 concurrent requests cost on-demand rates",
      "every request takes 50 ms (stated, not measured)",
    ]);
    assert.deepEqual(itemsOf(estimate("aws", dev)).slice(0, 2), [
      "requests: 10,000,000 requests × $0.2/M, 1,000,000 free",
      "duration: 125,000 GB-s (each request rounded up to 1 ms) × $0.0000133334, 400,000 free",
    ]);
    assert.deepEqual(itemsOf(estimate("aws", { ...dev, freeTier: false })).slice(0, 2), [
      "requests: 10,000,000 requests × $0.2/M",
      "duration: 125,000 GB-s (each request rounded up to 1 ms) × $0.0000133334",
    ]);

    const gcpProd = estimate("gcp", prod);
    assert.deepEqual(itemsOf(gcpProd), [
      "requests: 10,000,000 requests × $0.4/M, 2,000,000 free",
      "CPU (active): 583,000 vCPU-s (0.583 vCPU, each request rounded up to 100 ms) × $0.000024, 180,000 free",
      "memory (active): 1,000,000 GiB-s (1024 MiB tier) × $0.0000025, 360,000 free",
      "warm capacity: idle min instances: 2 × 2,628,000 s − 1,000,000 s busy = 4,256,000 idle s × (0.583 vCPU × $0.0000025 + 1 GiB × $0.0000025)",
    ]);
    assert.deepEqual(gcpProd.assumptions, [
      "each request billed as its own instance period rounded up to 100 ms (https://cloud.google.com/run/pricing): exact when periods are separate, an upper bound when requests follow back to back on one instance (periods merge) or share one (per-instance concurrency > 1)",
      "free tier applied to active time only; idle min instances are billed at idle rates",
      "every request takes 50 ms (stated, not measured)",
    ], "min instances are billed idle, not as a share of the requests");
    assert.deepEqual(itemsOf(estimate("gcp", { ...dev, freeTier: false })), [
      "requests: 10,000,000 requests × $0.4/M",
      "CPU (active): 167,000 vCPU-s (0.167 vCPU, each request rounded up to 100 ms) × $0.000024",
      "memory (active): 250,000 GiB-s (256 MiB tier) × $0.0000025",
    ]);

    const azureProd = estimate("azure", prod);
    assert.deepEqual(itemsOf(azureProd), [
      "warm capacity: always-ready baseline: 2 × 2048 MB × 2,628,000 s × $0.000004/GB-s",
      "executions (always ready): 10,000,000 executions × $0.4/M, no free grant",
      "execution time (always ready): 20,000,000 GB-s (each execution ≥ 1000 ms, then 100 ms steps) × $0.000016",
    ]);
    assert.equal(
      azureProd.assumptions[0],
      "each execution billed as its own activity period, at least 1000 ms then rounded up to 100 ms (https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#billing): parity's HTTP app serves one request per instance, so this is exact when requests do not follow back to back on one instance, an upper bound when periods merge",
    );
    assert.deepEqual(itemsOf(estimate("azure", dev)), [
      "executions (on demand): 10,000,000 executions × $0.4/M, 250,000 free",
      "execution time (on demand): 5,000,000 GB-s (each execution ≥ 1000 ms, then 100 ms steps) × $0.000026, 100,000 free",
    ]);
    assert.deepEqual(itemsOf(estimate("azure", { ...dev, freeTier: false })), [
      "executions (on demand): 10,000,000 executions × $0.4/M",
      "execution time (on demand): 5,000,000 GB-s (each execution ≥ 1000 ms, then 100 ms steps) × $0.000026",
    ]);

    const cf = estimate("cloudflare", dev);
    assert.deepEqual(itemsOf(cf), [
      "plan fee: Workers Paid, per account and month",
      "requests: 10,000,000 requests × $0.3/M, 10,000,000 included",
      "CPU time: 500,000,000 CPU-ms (wall time, an upper bound) × $0.02/M, 30,000,000 included",
    ]);
    assert.deepEqual(cf.assumptions, ["every request takes 50 ms (stated, not measured)"], "no warm-capacity assumption without warm instances");
    const cfPaying = estimate("cloudflare", { ...dev, freeTier: false });
    assert.deepEqual(itemsOf(cfPaying).slice(1), ["requests: 10,000,000 requests × $0.3/M", "CPU time: 500,000,000 CPU-ms (wall time, an upper bound) × $0.02/M"]);
    // $5 + 10 × $0.30 + 500 × $0.02
    close(cfPaying.perMonth, 18, "cloudflare without what the plan includes");
    assert.deepEqual(estimate("cloudflare", prod).assumptions, [
      "warmInstances has no Workers equivalent (isolates start in milliseconds): not priced",
      "every request takes 50 ms (stated, not measured)",
    ]);
  });

  it("per 1M more requests on demand: request price, the HTTP front's first tier and the billed compute", () => {
    // AWS: $0.20 + $1.11 + 0.05 s × 1 GB × $0.0000133334 × 1M; the 256 MB dev function a quarter of that compute
    close(estimate("aws", prod).perMillion, 0.2 + 1.11 + 0.66667, "aws prod");
    close(estimate("aws", dev).perMillion, 0.2 + 1.11 + 0.1666675, "aws dev");
    // Google Cloud: $0.40 + 0.1 s × (0.583 vCPU × $0.000024 + 1 GiB × $0.0000025) × 1M
    close(estimate("gcp", prod).perMillion, 0.4 + 1.6492, "gcp prod");
    close(estimate("gcp", dev).perMillion, 0.4 + 0.4633, "gcp dev");
    // Azure: $0.40 + 1 s × 2 GB × $0.000026 × 1M (on-demand rates, warm capacity or not)
    close(estimate("azure", prod).perMillion, 0.4 + 52, "azure prod");
    close(estimate("azure", dev).perMillion, 0.4 + 13, "azure dev");
    // Workers: $0.30 + 50 CPU-ms × $0.02/M × 1M
    close(estimate("cloudflare", prod).perMillion, 0.3 + 1, "cloudflare");
  });

  it("warm capacity that serves half the requests: the other half at on-demand rates", () => {
    // 5,256,000 requests × 1 s occupy 5,256,000 s, twice what 1 warm instance has in a month (2,628,000 s).
    const half = { durationMs: 1000, memoryMb: 1024, warmInstances: 1, monthlyRequests: 5_256_000 };
    const aws = estimate("aws", half);
    assert.deepEqual(itemsOf(aws).slice(0, 4), [
      "requests: 5,256,000 requests × $0.2/M, no free tier (provisioned concurrency)",
      "warm capacity: provisioned concurrency: 1 × 1024 MB × 2,628,000 s × $0.0000033334/GB-s",
      "duration on provisioned concurrency: 2,628,000 GB-s × $0.0000077778",
      "duration: 2,628,000 GB-s (each request rounded up to 1 ms) × $0.0000133334",
    ]);
    close(lineOf(aws, "requests"), 5.256 * 0.2, "requests");
    close(lineOf(aws, "warm capacity: provisioned concurrency"), 2_628_000 * 0.0000033334, "provisioned concurrency");
    close(lineOf(aws, "duration on provisioned concurrency"), 2_628_000 * 0.0000077778, "half on provisioned concurrency");
    close(lineOf(aws, "duration"), 2_628_000 * 0.0000133334, "half on demand, no free tier");
    close(lineOf(aws, "HTTP API (API Gateway)"), 5.256 * 1.11, "HTTP API");
    assert.equal(aws.assumptions[1], "requests spread evenly over the month, so warm capacity serves 50 % of them; bursts above 1 concurrent requests cost on-demand rates");

    // The same occupancy as a measured distribution: 500 ms and 1,500 ms alike, a mean of 1 s.
    const measured = estimate("aws", { ...half, durationMs: undefined, durations: [{ ms: 500, count: 2_628_000 }, { ms: 1500, count: 2_628_000 }] });
    close(lineOf(measured, "duration"), lineOf(aws, "duration"), "a measured mean of 1 s as a stated 1 s");
    assert.ok(!measured.assumptions.some((a) => a.includes("stated")), "measured durations are not stated");

    // Azure: 1,024 MB → the 2,048 MB instance; half the executions always ready, half on demand.
    const azure = estimate("azure", half);
    assert.deepEqual(itemsOf(azure), [
      "warm capacity: always-ready baseline: 1 × 2048 MB × 2,628,000 s × $0.000004/GB-s",
      "executions (always ready): 2,628,000 executions × $0.4/M, no free grant",
      "execution time (always ready): 5,256,000 GB-s (each execution ≥ 1000 ms, then 100 ms steps) × $0.000016",
      "executions (on demand): 2,628,000 executions × $0.4/M, 250,000 free",
      "execution time (on demand): 5,256,000 GB-s (each execution ≥ 1000 ms, then 100 ms steps) × $0.000026, 100,000 free",
    ]);
    close(lineOf(azure, "executions (always ready)"), 2.628 * 0.4, "always-ready executions");
    close(lineOf(azure, "execution time (always ready)"), 5_256_000 * 0.000016, "always-ready execution time");
    close(lineOf(azure, "executions (on demand)"), (2.628 - 0.25) * 0.4, "on-demand executions beyond the free grant");
    close(lineOf(azure, "execution time (on demand)"), (5_256_000 - 100_000) * 0.000026, "on-demand execution time beyond the free grant");
    assert.equal(azure.assumptions[1], "requests spread evenly over the month, so warm capacity serves 50 % of them; bursts above 1 concurrent requests cost on-demand rates");

    // Google Cloud: busy 5,256,000 s is more than the min instance's month: nothing idle.
    const gcp = estimate("gcp", half);
    assert.equal(gcp.breakdown.find((l) => l.item.startsWith("warm"))!.detail, "1 × 2,628,000 s − 2,628,000 s busy = 0 idle s × (0.583 vCPU × $0.0000025 + 1 GiB × $0.0000025)");
    close(lineOf(gcp, "warm capacity: idle min instances"), 0, "no idle time");
  });

  it("instant requests: warm capacity serves them all; without it they all run on demand", () => {
    // 0 ms still bills the minimum (Azure Flex 1,000 ms; Lambda 1 ms), but occupies nothing.
    const azureCold = estimate("azure", { durationMs: 0, memoryMb: 256 });
    close(lineOf(azureCold, "executions (on demand)"), (10 - 0.25) * 0.4, "every execution on demand");
    const azureWarm = estimate("azure", { durationMs: 0, memoryMb: 256, warmInstances: 1 });
    assert.deepEqual(azureWarm.breakdown.map((l) => l.item), ["warm capacity: always-ready baseline", "executions (always ready)", "execution time (always ready)"], "no on-demand lines when warm capacity serves everything");
    const awsWarm = estimate("aws", { durationMs: 0, memoryMb: 1024, warmInstances: 1 });
    assert.ok(!awsWarm.breakdown.some((l) => l.item === "duration"), "no on-demand duration line");
    close(lineOf(awsWarm, "duration on provisioned concurrency"), 10_000_000 * 0.001 * 0.0000077778, "1 ms each on provisioned concurrency");
  });

  it("applies the HTTP API's monthly tiers at and past 300 M requests", () => {
    const tiers = tableFor("aws").table.frontPriceTiers!.value;
    close(tieredCost(300e6, tiers), 333, "300 M × $1.11");
    close(tieredCost(300e6 + 1e6, tiers), 334, "+ 1 M × $1.00");
    close(tieredCost(400e6, tiers), 433, "300 × $1.11 + 100 × $1.00");
    // A user's table may have more tiers: each tier holds its own width (here 100 M, then 200 M).
    const three = [{ upToMillions: 100, pricePerMillion: 3 }, { upToMillions: 300, pricePerMillion: 2 }, { upToMillions: null, pricePerMillion: 1 }];
    close(tieredCost(300e6, three), 300 + 400, "100 × $3 + 200 × $2");
    close(tieredCost(301e6, three), 300 + 400 + 1, "+ 1 × $1");
    close(tieredCost(0, three), 0, "nothing");
  });

  it("picks the stack region's table, a global one for any region, or says whose prices it used", () => {
    assert.deepEqual(pricingFor(pricing, "aws", "us-east-1")!.region, { prices: "US East (N. Virginia)", stack: "us-east-1" });
    assert.equal(pricingFor(pricing, "aws", "us-east-1")!.table.region, "us-east-1");
    assert.deepEqual(pricingFor(pricing, "cloudflare")!.region, { prices: "global (one price list)", stack: "global" });
    assert.deepEqual(pricingFor(pricing, "cloudflare", "weur")!.region, { prices: "global (one price list)", stack: "weur" });
    assert.deepEqual(pricingFor(pricing, "aws")!.region, { prices: "Europe (Ireland)", stack: undefined, note: "no stack region known; prices of Europe (Ireland) used" });
    assert.deepEqual(pricingFor(pricing, "aws", "ap-south-1")!.region, {
      prices: "Europe (Ireland)",
      stack: "ap-south-1",
      note: "prices of Europe (Ireland) used: the stack deploys to ap-south-1, whose prices differ and are not in pricing/",
    });
    const unnamed: PricingTable = { ...tableFor("aws").table, regionName: undefined };
    const onlyUnnamed = new Map([["aws", [unnamed]]]) as typeof pricing;
    assert.equal(pricingFor(onlyUnnamed, "aws")!.region.note, "no stack region known; prices of eu-west-1 used", "the table's region when it has no name");
    assert.equal(pricingFor(new Map([["aws", []]]) as typeof pricing, "aws"), undefined, "no table, no price");
    assert.equal(pricingFor(new Map() as typeof pricing, "gcp"), undefined);
  });

  it("takes a stated duration or a measured distribution, and says which table lacks a price it needs", () => {
    const { table } = tableFor("aws");
    const stated = estimateCost(table, { durationMs: 50, durations: [], memoryMb: 256, monthlyRequests: 1e6, freeTier: false });
    assert.equal(stated.billedMs, 50, "an empty distribution falls back to the stated duration");
    const measured = estimateCost(table, { durationMs: 50, durations: [{ ms: 20, count: 3 }], memoryMb: 256, monthlyRequests: 1e6 });
    assert.equal(measured.billedMs, 20, "a measured distribution wins over the stated duration");
    assert.deepEqual(measured.assumptions, ["duration billed per request, rounded up to 1 ms (Lambda's rule, exact per sample)"], "three measured requests are not a stated duration");
    assert.throws(() => estimateCost(table, { memoryMb: 256, monthlyRequests: 1 }), /^Error: a cost needs durationMs or durations$/);
    assert.throws(() => estimateCost({ ...table, gbSecondPrice: undefined }, { durationMs: 50, memoryMb: 256, monthlyRequests: 1 }), /^Error: pricing\/aws\.json \(eu-west-1\) has no gbSecondPrice, which this estimate needs$/);
    // The region defaults to the table's name, else its region.
    assert.deepEqual(estimateCost(table, { durationMs: 50, memoryMb: 256, monthlyRequests: 1 }).region, { prices: "Europe (Ireland)" });
    assert.deepEqual(estimateCost({ ...table, regionName: undefined }, { durationMs: 50, memoryMb: 256, monthlyRequests: 1 }).region, { prices: "eu-west-1" });
  });

  it("rounds Google Cloud memory up to the deployed tier, with that tier's vCPU", () => {
    const gcp = estimate("gcp", { durationMs: 50, memoryMb: 300 });
    assert.equal(gcp.billedMemoryMb, 512);
    assert.equal(gcp.billedVcpu, 0.333);
  });

  it("npm run plan's cost section: the figures, warm capacity as its own line, the region note, what is left out", () => {
    const estimates = (["aws", "gcp", "azure", "cloudflare"] as const).map((p) => estimate(p, prod));
    const text = formatCostSection({ assumptions: { durationMs: 50, monthlyRequests: 10_000_000 }, estimates, notModelled, freeTier: freeTierNote, unverified: { azure: ["warmCapacityGbSecondPrice: why"] } }).join("\n");
    assert.match(text, /aws: USD 34\.51 a month/);
    assert.match(text, /gcp: USD 31\.32 a month/);
    assert.match(text, /azure: USD 366\.05 a month/);
    assert.match(text, /cloudflare: USD 14\.40 a month/);
    assert.match(text, /^ {4}warm capacity: provisioned concurrency +17\.52 +2 × 1024 MB × 2,628,000 s/m);
    assert.match(text, /^ {4}warm capacity: idle min instances +16\.84/m);
    assert.match(text, /^ {4}warm capacity: always-ready baseline +42\.05/m);
    assert.match(text, /NOTE: prices of East US used: the stack deploys to westeurope/);
    assert.match(text, /Not included: init and start-up time .*egress .*build and registry/);
    assert.match(text, /shared by every function and stack in it/);
    assert.match(text, /azure warmCapacityGbSecondPrice: why/);
    const withoutFree = formatCostSection({ assumptions: { durationMs: 50, monthlyRequests: 1, freeTier: false }, estimates: [], notModelled, freeTier: freeTierNote, unverified: {} }).join("\n");
    assert.match(withoutFree, /free tiers left out \(--no-free-tier\)/);
    assert.doesNotMatch(withoutFree, /Prices not read/, "no heading without unverified prices");
  });

  it("npm run plan's cost section, line by line: header, each platform's figures, memory, region note, details, assumptions", () => {
    const aws = estimate("aws", prod);
    const gcp = estimate("gcp", prod);
    const cf = estimate("cloudflare", prod);
    const lines = formatCostSection({ assumptions: { durationMs: 50, monthlyRequests: 10_000_000 }, estimates: [aws, gcp, cf], notModelled: ["logs", "egress"], freeTier: "shared.", unverified: { aws: ["a: b", "c: d"], gcp: undefined } });
    assert.equal(
      lines[0],
      "\nCost estimate of users-api per month (list prices from pricing/*.json; assumed 50 ms per request, 10,000,000 requests a month (stated, not measured); the stack's memory, warmInstances and regions; free tiers applied)",
    );
    assert.equal(lines[1], "  aws: USD 34.51 a month; USD 1.98 per 1M more requests on demand; prices of Europe (Ireland); 1024 MB billed; billed 50 ms per request; warm 2");
    // Items padded to the longest ("warm capacity: provisioned concurrency"), amounts right-aligned in 8, then the detail.
    assert.equal(lines[2].split("\n")[0], `${"    requests".padEnd(4 + 38)}      2.00  10,000,000 requests × $0.2/M, no free tier (provisioned concurrency)`);
    assert.deepEqual(lines.slice(3, 6), [
      "    assumes duration billed per request, rounded up to 1 ms (Lambda's rule, exact per sample)",
      "    assumes requests spread evenly over the month, so warm capacity serves 100 % of them; bursts above 2 concurrent requests cost on-demand rates",
      "    assumes every request takes 50 ms (stated, not measured)",
    ]);
    assert.equal(lines[6], "  gcp: USD 31.32 a month; USD 2.05 per 1M more requests on demand; prices of Tier 1 (europe-west1 is a Tier 1 region); 1024 MB billed (0.583 vCPU); billed 100 ms per request; warm 2");
    const cfAt = lines.findIndex((l) => l.startsWith("  cloudflare:"));
    assert.equal(lines[cfAt], "  cloudflare: USD 14.40 a month; USD 1.30 per 1M more requests on demand; prices of global (one price list); memory not billed; billed 50 ms per request; warm 2");
    assert.ok(lines[cfAt + 1].startsWith("    plan fee "), "no NOTE line when prices and stack region agree");
    assert.ok(!lines.some((l) => l.includes("NOTE")));
    assert.deepEqual(lines.slice(-5), ["  Free tiers: shared.", "  Not included: logs; egress.", "  Prices not read on the vendor's own page (check before you publish a figure):", "    aws a: b", "    aws c: d"]);
    const billedTenths = formatCostSection({ assumptions: { durationMs: 1, monthlyRequests: 1, freeTier: true }, estimates: [{ ...aws, billedMs: 1.25, billedMemoryMb: 0, region: { prices: "x", note: "n" } }], notModelled: [], freeTier: "", unverified: {} });
    assert.match(billedTenths[0], /free tiers applied\)$/);
    assert.match(billedTenths[1], /prices of x; memory not billed; billed 1\.3 ms per request/);
    assert.equal(billedTenths[2], "    NOTE: n");
  });

  it("a user's pricing file replaces the shipped table of the platform and region it names", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-pricing-"));
    const mine = path.join(dir, "mine.json");
    const table = { ...tableFor("aws").table, frontPriceTiers: { value: [{ upToMillions: null, pricePerMillion: 0 }], source: "https://example.com/our-negotiated-rate", read: "2026-11-01" } };
    fs.writeFileSync(mine, JSON.stringify(table));
    try {
      const loaded = loadPricing(undefined, mine);
      assert.equal(pricingFor(loaded, "aws", "eu-west-1")!.table.frontPriceTiers!.value[0].pricePerMillion, 0);
      assert.equal(loaded.get("aws")!.length, 2, "the us-east-1 table stays");
      assert.equal(pricingFor(loaded, "gcp", "europe-west1")!.table.requestPricePerMillion.value, 0.4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("loads only the .json files of a directory, in name order", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-pricing-"));
    const aws = tableFor("aws").table;
    try {
      fs.writeFileSync(path.join(dir, "README.md"), "# not a table");
      fs.writeFileSync(path.join(dir, "b.json"), JSON.stringify({ ...aws, region: "b" }));
      fs.writeFileSync(path.join(dir, "a.json"), JSON.stringify({ ...aws, region: "a" }));
      fs.writeFileSync(path.join(dir, "c.json"), JSON.stringify([{ ...aws, region: "c1" }, { ...aws, region: "c2" }]));
      assert.deepEqual(loadPricing(dir).get("aws")!.map((t) => t.region), ["a", "b", "c1", "c2"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects each malformed part of a pricing table, naming the file and the key", () => {
    const priced = { value: 0.2, source: "https://x", read: "2026-11-23" };
    const base = { platform: "aws", currency: "USD", region: "eu-west-1", regions: ["eu-west-1"], requestPricePerMillion: priced, billingIncrementMs: { ...priced, value: 1 }, gbSecondPrice: priced };
    const rejects = (table: unknown, message: string) => assert.throws(() => checkPricingTable(table, "t.json"), (e: Error) => e.message === `t.json: ${message}`, message);
    rejects(null, "a pricing table must be a JSON object");
    rejects("aws", "a pricing table must be a JSON object");
    rejects({ ...base, platform: undefined }, "platform must be one of aws, gcp, azure, cloudflare");
    rejects({ ...base, currency: undefined }, "currency is required (e.g. USD)");
    rejects({ ...base, region: "" }, "region is required: the price list's region (e.g. eu-west-1)");
    rejects({ ...base, region: 1 }, "region is required: the price list's region (e.g. eu-west-1)");
    rejects({ ...base, regions: "eu-west-1" }, 'regions must list the stack regions these prices are for (["*"] for a global price list)');
    rejects({ ...base, regions: ["eu-west-1", 1] }, 'regions must list the stack regions these prices are for (["*"] for a global price list)');
    rejects({ ...base, requestPricePerMillion: undefined }, "requestPricePerMillion is required");
    rejects({ ...base, billingIncrementMs: undefined }, "billingIncrementMs is required");
    rejects({ ...base, gbSecondPrice: 0.2 }, "gbSecondPrice must be { value, source, read }");
    rejects({ ...base, gbSecondPrice: null }, "gbSecondPrice must be { value, source, read }");
    rejects({ ...base, gbSecondPrice: { ...priced, value: -0.1 } }, "gbSecondPrice.value must be a number ≥ 0");
    rejects({ ...base, gbSecondPrice: { ...priced, value: "0.2" } }, "gbSecondPrice.value must be a number ≥ 0");
    rejects({ ...base, gbSecondPrice: { ...priced, source: "" } }, "gbSecondPrice.source must say where the value was read");
    rejects({ ...base, gbSecondPrice: { ...priced, read: "yesterday" } }, "gbSecondPrice.read must be the date it was read (YYYY-MM-DD)");
    const badTiers = "frontPriceTiers.value must be [{ upToMillions, pricePerMillion }, …], the last with upToMillions null";
    for (const value of [
      "1.11",
      [],
      [{ upToMillions: null, pricePerMillion: "1" }],
      [{ upToMillions: null, pricePerMillion: -1 }],
      [{ upToMillions: null, pricePerMillion: 1 }, { upToMillions: null, pricePerMillion: 1 }],
      [{ upToMillions: 0, pricePerMillion: 1 }, { upToMillions: null, pricePerMillion: 1 }],
      [{ upToMillions: "300", pricePerMillion: 1 }, { upToMillions: null, pricePerMillion: 1 }],
    ]) {
      rejects({ ...base, frontPriceTiers: { ...priced, value } }, badTiers);
    }
    // At the limits: free (0) prices and tiers, a tier from 1 M, only CPU or vCPU prices.
    const ok = (table: object) => assert.equal(checkPricingTable(table, "t.json"), table);
    ok({ ...base, gbSecondPrice: { ...priced, value: 0 }, frontPriceTiers: { ...priced, value: [{ upToMillions: 1, pricePerMillion: 0 }, { upToMillions: null, pricePerMillion: 0 }] } });
    ok({ ...base, gbSecondPrice: undefined, cpuMsPricePerMillion: priced, monthlyFee: { ...priced, value: 5 } });
    ok({ ...base, gbSecondPrice: undefined, vcpuSecondPrice: priced });
  });

  it("rejects a price without its source or date, a table without regions, and malformed tiers", () => {
    const priced = { value: 0.2, source: "https://x", read: "2026-11-23" };
    const base = { platform: "aws", currency: "USD", region: "eu-west-1", regions: ["eu-west-1"], requestPricePerMillion: priced, billingIncrementMs: { ...priced, value: 1 } };
    assert.throws(() => checkPricingTable({ ...base, gbSecondPrice: { value: 1, read: "2026-11-23" } }, "t.json"), /gbSecondPrice.source/);
    assert.throws(() => checkPricingTable({ ...base, gbSecondPrice: { value: 1, source: "https://x" } }, "t.json"), /gbSecondPrice.read/);
    assert.throws(() => checkPricingTable({ ...base, platform: "heroku", gbSecondPrice: priced }, "t.json"), /platform must be one of/);
    assert.throws(() => checkPricingTable({ ...base, regions: [], gbSecondPrice: priced }, "t.json"), /regions must list/);
    assert.throws(() => checkPricingTable({ ...base, gbSecondPrice: priced, frontPriceTiers: { ...priced, value: [{ upToMillions: 300, pricePerMillion: 1 }] } }, "t.json"), /the last with upToMillions null/);
    assert.throws(() => checkPricingTable(base, "t.json"), /at least one of/);
  });
});
