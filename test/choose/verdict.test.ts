/**
 * Verdicts: requirements that exclude each platform for a documented reason, one by one; a set
 * all four fit; latency and cold start with and without results (cloud and local); the
 * ranking; and the stack's plan warnings.
 */
import assert from "node:assert/strict";
import type { Platform } from "../../components/catalog";
import { choose } from "../../choose/choose";
import { parseRequirements } from "../../choose/requirements";
import { readStack, stackReasons } from "../../choose/stack";
import { stackRegions } from "../../components/stack-file";
import { concurrency, maxRequestSeconds, memory, type Reason, type Verdict } from "../../choose/verdict";
import { facts } from "../../choose/facts";
import { loadPricing } from "../../compare/cost";
import { LOCAL_LABEL } from "../../compare/results";
import { resultsWith, type Measured } from "./fixtures";

const pricing = loadPricing();
const run = (raw: Record<string, unknown>, results?: ReturnType<typeof resultsWith>) =>
  choose({ requirements: parseRequirements(raw), requirementsFile: "test.yaml", pricing, run: results && { file: "reports/test/results.json", results } });
type Choice = ReturnType<typeof run>;

const verdicts = (choice: Choice) => Object.fromEntries(Object.entries(choice.platforms).map(([p, v]) => [p, v.verdict])) as Record<Platform, Verdict>;
/** The one reason about `requirement` on `platform`. */
const reasonOf = (choice: Choice, platform: Platform, requirement: string): Reason => {
  const found = choice.platforms[platform].reasons.filter((r) => r.requirement === requirement);
  assert.equal(found.length, 1, `${platform} ${requirement}: ${JSON.stringify(found)}`);
  return found[0];
};

const fast: Measured = { p99: 120, coldStart: 400, mean: 30 };
const cloudAll = (over: Partial<Record<Platform, Measured>> = {}) => resultsWith({ aws: fast, gcp: fast, azure: fast, cloudflare: fast, ...over });

describe("choose: verdicts", () => {
  it("decides every hard limit exactly at it (fits) and one past it (does not fit)", () => {
    const at = (check: () => Reason[], verdict: Verdict) => assert.equal(check()[0].verdict, verdict, JSON.stringify(check()));
    const lambdaMemory = facts.aws.memoryMb.value.max;
    at(() => memory("aws", lambdaMemory), "fits");
    at(() => memory("aws", lambdaMemory + 1), "no");
    const front = facts.aws.httpIntegrationTimeoutSeconds.value;
    at(() => maxRequestSeconds("aws", front), "fits");
    at(() => maxRequestSeconds("aws", front + 1), "no");
    const gcpTimeout = facts.gcp.httpTimeoutSeconds.value;
    at(() => maxRequestSeconds("gcp", gcpTimeout), "caveats"); // allowed over HTTP; the push ack deadline is shorter
    at(() => maxRequestSeconds("gcp", gcpTimeout + 1), "no");
    const tiers = facts.gcp.memoryTiers.value;
    at(() => memory("gcp", tiers[tiers.length - 1].mb), "fits");
    at(() => memory("gcp", tiers[tiers.length - 1].mb + 1), "no");
    const azureHttp = facts.azure.httpResponseSeconds.value;
    at(() => maxRequestSeconds("azure", azureHttp), "fits");
    at(() => maxRequestSeconds("azure", azureHttp + 1), "no");
    const sizes = facts.azure.instanceMemoryMb.value;
    at(() => memory("azure", sizes[sizes.length - 1]), "fits");
    at(() => memory("azure", sizes[sizes.length - 1] + 1), "no");
    const worker = facts.cloudflare.memoryMb.value;
    at(() => memory("cloudflare", worker), "fits");
    at(() => memory("cloudflare", worker + 1), "no");
    // Azure instances: peak × 1000 ms = executions needed; one request per instance.
    const instances = facts.azure.maximumInstanceCount.value.max;
    at(() => concurrency("azure", parseRequirements({ peakRequestsPerSecond: instances, p99LatencyMs: 1000 }), undefined), "fits");
    at(() => concurrency("azure", parseRequirements({ peakRequestsPerSecond: instances + 1, p99LatencyMs: 1000 }), undefined), "no");
  });

  it("decides a budget exactly at the estimate (fits) and a cent below it (does not fit)", () => {
    const estimate = run({ monthlyRequests: 1_000_000 }).platforms.cloudflare.figures.costUsdPerMonth!;
    assert.equal(run({ monthlyRequests: 1_000_000, budgetUsdPerMonth: estimate }).platforms.cloudflare.verdict, "fits");
    assert.equal(run({ monthlyRequests: 1_000_000, budgetUsdPerMonth: estimate - 0.01 }).platforms.cloudflare.verdict, "caveats", "over budget only at the assumed duration: measure to know");
    assert.equal(run({ monthlyRequests: 1_000_000, budgetUsdPerMonth: 4.99 }).platforms.cloudflare.verdict, "no", "the $5 fee alone is over");
  });

  it("excludes AWS alone for a request longer than API Gateway HTTP API's 30 s", () => {
    const choice = run({ maxRequestSeconds: 60 });
    assert.deepEqual(verdicts(choice), { aws: "no", gcp: "fits", azure: "fits", cloudflare: "caveats" });
    const aws = reasonOf(choice, "aws", "maxRequestSeconds");
    assert.match(aws.text, /API Gateway HTTP API, whose integration timeout is 30 s/);
    assert.equal(aws.source, "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html");
    assert.match(reasonOf(choice, "cloudflare", "maxRequestSeconds").text, /CPU time per invocation .* not wall-clock time/);
  });

  it("cites Lambda's 900 s maximum timeout, and Azure's 230 s HTTP limit", () => {
    const choice = run({ maxRequestSeconds: 1200 });
    assert.deepEqual(verdicts(choice), { aws: "no", gcp: "caveats", azure: "no", cloudflare: "caveats" });
    assert.deepEqual(reasonOf(choice, "aws", "maxRequestSeconds"), {
      verdict: "no",
      requirement: "maxRequestSeconds",
      text: "maxRequestSeconds 1200: Lambda's maximum timeout is 900 s",
      source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
    });
    assert.match(reasonOf(choice, "azure", "maxRequestSeconds").text, /must answer within 230 s/);
    assert.match(reasonOf(choice, "gcp", "maxRequestSeconds").text, /push delivery waits at most 600 s/);
    assert.equal(reasonOf(choice, "gcp", "maxRequestSeconds").source, "https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions");
  });

  it("excludes Google Cloud alone on a cloud measurement worse than required, and past its 60-minute HTTP timeout", () => {
    const choice = run({ p99LatencyMs: 200 }, cloudAll({ gcp: { p99: 340, coldStart: 900, mean: 60 } }));
    assert.deepEqual(verdicts(choice), { aws: "fits", gcp: "no", azure: "fits", cloudflare: "fits" });
    assert.deepEqual(reasonOf(choice, "gcp", "p99LatencyMs"), {
      verdict: "no",
      requirement: "p99LatencyMs",
      text: "p99LatencyMs 200: measured warm p99 latency 340 ms (warm phase, 50 req/s) is above 200 ms",
      source: "reports/test/results.json",
    });
    const long = run({ maxRequestSeconds: 4000 });
    assert.equal(long.platforms.gcp.verdict, "no");
    assert.match(reasonOf(long, "gcp", "maxRequestSeconds").text, /HTTP functions \(2nd gen\) run at most 3600 s/);
    assert.equal(reasonOf(long, "gcp", "maxRequestSeconds").source, "https://cloud.google.com/functions/docs/configuring/timeout");
  });

  it("excludes Azure alone when the peak needs more than Flex Consumption's 1000 instances", () => {
    const choice = run({ peakRequestsPerSecond: 5000, p99LatencyMs: 250 });
    assert.deepEqual(verdicts(choice), { aws: "caveats", gcp: "caveats", azure: "no", cloudflare: "caveats" });
    const azure = reasonOf(choice, "azure", "peakRequestsPerSecond");
    assert.match(azure.text, /≈ 1250 concurrent executions: Flex Consumption scales to at most 1000 instances/);
    assert.equal(azure.source, "https://learn.microsoft.com/azure/azure-functions/event-driven-scaling#limit-scale-out");
    assert.match(choice.platforms.aws.reasons.map((r) => r.text).join("\n"), /parity's reservedConcurrency is at most 1000/);
    // Unmeasured latency is a caveat on every platform, never a pass.
    assert.equal(reasonOf(choice, "cloudflare", "p99LatencyMs").verdict, "caveats");
  });

  it("excludes Cloudflare alone for memory above a Worker's fixed 128 MB", () => {
    const choice = run({ memoryMb: 256 });
    assert.deepEqual(verdicts(choice), { aws: "fits", gcp: "fits", azure: "caveats", cloudflare: "no" });
    assert.deepEqual(reasonOf(choice, "cloudflare", "memoryMb"), {
      verdict: "no",
      requirement: "memoryMb",
      text: "memoryMb 256: Workers memory is fixed at 128 MB per isolate",
      source: "https://developers.cloudflare.com/workers/platform/limits/#memory",
    });
    assert.match(reasonOf(choice, "azure", "memoryMb").text, /512 MB would be applied and billed/);
  });

  it("excludes Cloudflare on a budget its monthly fee already exceeds, and Azure on one its 1,000 ms activity windows do, citing the price lists", () => {
    const choice = run({ monthlyRequests: 1_000_000, budgetUsdPerMonth: 3 });
    assert.deepEqual(verdicts(choice), { aws: "fits", gcp: "fits", azure: "no", cloudflare: "no" });
    const cf = reasonOf(choice, "cloudflare", "budgetUsdPerMonth");
    assert.match(cf.text, /^budgetUsdPerMonth 3: \$5\.40\/month for 1,000,000 requests, memory not billed, an assumed 50 ms per request \(unmeasured\) \(plan fee \$5\.00, CPU time \$0\.40\); even at 1 ms per request it is \$5\.00$/);
    assert.match(cf.source, /https:\/\/developers\.cloudflare\.com\/workers\/platform\/pricing\//);
    // HTTP API in Europe (Ireland), the first table when no stack names a region: 1 × $1.11.
    assert.match(reasonOf(choice, "aws", "budgetUsdPerMonth").text, /\$1\.11\/month .*assumed 50 ms.*prices of Europe \(Ireland\) used/);
    // Azure: one 512 MB instance at 0.38 requests a second bills windows of at least 1,000 ms, 27.9 % of the
    // month (compare/cost.ts flexBilledFraction): (1M − 250,000) × $0.40/M + (366,932 − 100,000) GB-s ×
    // $0.000026 = $7.24; at 1 ms per request the windows barely change: $7.12, still over $3.
    assert.match(reasonOf(choice, "azure", "budgetUsdPerMonth").text, /\$7\.2\d\/month .*billed 73\d ms per request.*even at 1 ms per request it is \$7\.12$/);
  });

  it("excludes every platform for a schedule that cannot be clock-aligned", () => {
    const choice = run({ scheduleEveryMinutes: 7 });
    assert.deepEqual(verdicts(choice), { aws: "no", gcp: "no", azure: "no", cloudflare: "no" });
    assert.match(reasonOf(choice, "azure", "scheduleEveryMinutes").text, /clock-aligned in UTC/);
    assert.deepEqual(choice.ranking.ranked, []);
  });

  it("fits all four with a set within every platform's limits, measured in the cloud", () => {
    // Budget above Azure's $7.25 (1M executions on one 512 MB instance, billed by its activity windows).
    const raw = { monthlyRequests: 1_000_000, budgetUsdPerMonth: 11, p99LatencyMs: 300, coldStartMs: 1000, scheduleEveryMinutes: 5, queue: { maxAttempts: 5, batchSize: 1 } };
    const choice = run(raw, cloudAll({ cloudflare: { p99: 60, coldStart: 20, mean: 12 } }));
    assert.deepEqual(verdicts(choice), { aws: "fits", gcp: "fits", azure: "fits", cloudflare: "fits" });
    assert.match(reasonOf(choice, "aws", "scheduleEveryMinutes").text, /EventBridge Scheduler cron cron\(0\/5 \* \* \* \? \*\)/);
    assert.match(reasonOf(choice, "azure", "scheduleEveryMinutes").text, /NCRONTAB 0 \*\/5 \* \* \* \*/);
    assert.match(reasonOf(choice, "gcp", "queue.maxAttempts").text, /maxDeliveryAttempts 5/);
    assert.match(reasonOf(choice, "aws", "budgetUsdPerMonth").text, /measured mean duration 30 ms/);
    // Ranked by all three criteria, with the figures used.
    assert.deepEqual(Object.keys(choice.ranking.used).sort(), ["coldStart", "cost", "latency"]);
    assert.equal(choice.ranking.ranked.length, 4);
    assert.equal(choice.ranking.ranked[0].figures.latency!.value, 60);
    assert.equal(choice.ranking.ranked.find((r) => r.platform === "cloudflare")!.figures.coldStart!.score, 1);
    for (const r of choice.ranking.ranked) assert.ok(r.score! > 0 && r.score! <= 1);
  });

  it("calls latency and cold start unmeasured without results, and ranks by cost alone", () => {
    const choice = run({ monthlyRequests: 5_000_000, p99LatencyMs: 300, coldStartMs: 1000 });
    for (const p of ["aws", "gcp", "azure", "cloudflare"] as const) {
      assert.equal(reasonOf(choice, p, "p99LatencyMs").verdict, "caveats");
      assert.match(reasonOf(choice, p, "coldStartMs").text, /unmeasured/);
    }
    assert.deepEqual(Object.keys(choice.ranking.used), ["cost"]);
    assert.deepEqual(choice.ranking.skipped.map((s) => s.criterion), ["latency", "coldStart"]);
    assert.equal(choice.results, null);
  });

  it("labels local-emulation results, never judges them, and never ranks by them", () => {
    const slow: Measured = { p99: 5000, coldStart: 9000, mean: 800 };
    const choice = run({ p99LatencyMs: 300, coldStartMs: 1000, weights: { latency: 1 } }, resultsWith({ aws: fast, gcp: slow, azure: fast, cloudflare: fast }, { local: true }));
    assert.deepEqual(verdicts(choice), { aws: "caveats", gcp: "caveats", azure: "caveats", cloudflare: "caveats" });
    const gcp = reasonOf(choice, "gcp", "p99LatencyMs");
    assert.equal(gcp.verdict, "caveats");
    assert.ok(gcp.text.includes(`measured 5000 ms (warm phase, 50 req/s) on local emulation — ${LOCAL_LABEL}; not judged`), gcp.text);
    assert.equal(choice.platforms.gcp.figures.measuredOn, "local");
    assert.deepEqual(choice.ranking.used, {});
    assert.deepEqual(choice.ranking.skipped, [{ criterion: "latency", why: "measured on local emulation only, which never decides a ranking" }]);
    assert.ok(choice.ranking.ranked.every((r) => r.score === null));
    assert.equal(choice.results?.local, true);
  });

  it("says why a platform missing from the results is unmeasured", () => {
    const choice = run({ coldStartMs: 1000 }, resultsWith({ aws: fast }));
    assert.equal(reasonOf(choice, "aws", "coldStartMs").verdict, "fits");
    assert.match(reasonOf(choice, "azure", "coldStartMs").text, /unmeasured for azure in this run \(not deployed in this stack\)/);
  });

  it("reports regions as unverified, never as a pass, and compares them with the stack's region", () => {
    const choice = run({ regions: { aws: ["eu-west-1"] } });
    assert.equal(reasonOf(choice, "aws", "regions").verdict, "caveats");
    assert.match(reasonOf(choice, "aws", "regions").text, /not verified/);
    assert.match(reasonOf(choice, "aws", "regions").source, /^not listed; check https:\/\/docs\.aws\.amazon\.com\/general\/latest\/gr\/lambda-service\.html/);
    assert.equal(choice.platforms.gcp.reasons.length, 0);
    const withStack = choose({
      requirements: parseRequirements({ regions: { aws: ["eu-west-1"], gcp: ["us-central1"] } }),
      requirementsFile: "test.yaml",
      pricing,
      stack: { name: "prod", reasons: {}, regions: stackRegions("prod") },
    });
    const aws = withStack.platforms.aws.reasons.filter((r) => r.requirement === "regions");
    assert.deepEqual(aws.map((r) => r.verdict), ["caveats", "fits"]);
    assert.equal(aws[1].text, "regions eu-west-1: stack prod deploys aws to eu-west-1 (aws:region)");
    const gcp = withStack.platforms.gcp.reasons.filter((r) => r.requirement === "regions");
    assert.equal(gcp[1].text, "regions us-central1: stack prod deploys gcp to europe-west1 (gcp:region), which is not one of them");
    assert.equal(gcp[1].verdict, "caveats");
  });

  it("adds the plan warnings the stack would get (--stack prod), from the rules modules' plan functions", () => {
    const reasons = stackReasons(readStack("prod"));
    const aws = reasons.aws!;
    assert.ok(aws.some((r) => r.verdict === "caveats" && /batchSize asked 25, applied 25 with a 1 s batching window/.test(r.text)), JSON.stringify(aws, null, 1));
    assert.ok(aws.every((r) => r.source === "components/aws/rules.ts planAws (Pulumi.prod.yaml)"));
    assert.ok(reasons.cloudflare!.some((r) => /logRetentionDays/.test(r.text)));
    const choice = choose({ requirements: parseRequirements({}), requirementsFile: "test.yaml", pricing, stack: { name: "prod", reasons } });
    assert.equal(choice.stack, "prod");
    assert.equal(choice.platforms.aws.verdict, "caveats");
  });
});
