/**
 * `npm run compare`: the comparison experiment.
 *
 *   npm run compare                                  # the local cloud (stack dev), started and stopped here
 *   npm run compare -- --quick --platforms aws,cloudflare
 *   npm run compare -- --stack prod                  # a deployed stack, through the Pulumi CLI
 *   npm run compare -- --endpoints endpoints.json    # deployed endpoints, without the Pulumi CLI
 *   npm run compare -- --stack prod --engine artillery --workers 10 --region eu-west-1
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { fullPhases, LOCAL_WARM_RATE, quickPhases, type PhaseOptions } from "../compare/presets";
import { artilleryEngine, distributedModeProblem } from "../compare/engines/artillery";
import { engineChoiceFrom } from "../compare/engines/engine";
import { undiciEngine } from "../compare/engines/undici";
import { runComparison } from "../compare/run";
import { parseTrafficShape, trafficShapes } from "../compare/cost";
import { targetChoiceFrom } from "../compare/targets";

const usage = `usage: npm run compare -- [target] [options]

target (default: the local cloud with stack dev):
  --local                 the local cloud (with --stack: that stack's settings)
  --stack <name>          a deployed stack: pulumi stack output --json, pulumi config get parity:apiKey
  --endpoints <file>      deployed endpoints from a file (see docs/comparing.md for the format)
  --api-key <key>         API key for --endpoints (else the file's apiKey or PARITY_API_KEY)

options:
  --platforms a,b         only these platforms
  --quick                 every phase, in seconds (a first look; tests)
  --cold-samples N        cold-start samples per platform            (full: ${fullPhases.coldSamples})
  --force-cold N          deployed stacks: N cold samples per platform, each after making the platform
                          replace its instances (AWS env change, GCP new revision, Azure restart;
                          Cloudflare cannot be forced), with the platform's own start-up figure
  --rate N                warm-latency rate, req/s                   (full: ${fullPhases.warmRate}; local: ${LOCAL_WARM_RATE})
  --duration S            warm-latency duration, seconds             (full: ${fullPhases.warmDurationMs / 1000})
  --ramp a,b,c            throughput-ramp rates, req/s               (full: ${fullPhases.rampRates.join(",")})
  --ramp-step S           seconds per ramp step                      (full: ${fullPhases.rampStepMs / 1000})
  --queue-messages N      users posted for the queue-delay phase     (full: ${fullPhases.queueCount})
  --monthly-requests N    traffic for the monthly cost               (full: ${fullPhases.monthlyRequests})
  --pricing <file|dir>    your pricing table(s), replacing the shipped ones they name
  --no-free-tier          leave the free tiers out of the cost (they are per account, shared by everything in it)
  --traffic SHAPE         when in the month the requests come: ${trafficShapes.join(", ")} (default steady)
  --out <dir>             output folder (default reports/<timestamp>)

load engine (warm latency and ramp; queue delay always runs on the built-in client):
  --engine undici|artillery  undici (default): open loop from this machine, latency from the intended send
                          artillery: Artillery, installed into engines/artillery on first use (~1 min);
                          latency = time to first byte from the actual send
  --mode local|lambda|fargate|aci  where Artillery runs: this machine (default), or its own distributed
                          modes in your account (run-lambda, run-fargate, run-aci); default lambda when
                          --workers or --region is given
  --workers N             Artillery load generators (distributed modes); the rate is split among them
  --region <region>       region of the Artillery workers, e.g. eu-west-1`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      local: { type: "boolean" },
      stack: { type: "string" },
      endpoints: { type: "string" },
      "api-key": { type: "string" },
      platforms: { type: "string" },
      quick: { type: "boolean" },
      "cold-samples": { type: "string" },
      "force-cold": { type: "string" },
      rate: { type: "string" },
      duration: { type: "string" },
      ramp: { type: "string" },
      "ramp-step": { type: "string" },
      "queue-messages": { type: "string" },
      "monthly-requests": { type: "string" },
      pricing: { type: "string" },
      "no-free-tier": { type: "boolean" },
      traffic: { type: "string" },
      out: { type: "string" },
      engine: { type: "string" },
      mode: { type: "string" },
      workers: { type: "string" },
      region: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const target = targetChoiceFrom(values);
  const engineChoice = engineChoiceFrom(values);
  const distributed = distributedModeProblem(engineChoice, target.kind);
  if (distributed) throw new Error(distributed);

  const phases: PhaseOptions = { ...(values.quick ? quickPhases : fullPhases) };
  // Four platforms and their emulators share this machine's cores: a gentler default rate
  // keeps the warm phase below saturation (the ramp still finds the limit).
  if (target.kind === "local" && !values.quick) phases.warmRate = LOCAL_WARM_RATE;
  const positive = (flag: string, value: string | undefined, apply: (n: number) => void, max: number) => {
    if (value === undefined) return;
    const n = Number(value);
    if (!(n > 0) || n > max) throw new Error(`--${flag} must be a number above 0 and at most ${max}; got ${JSON.stringify(value)}`);
    apply(n);
  };
  // Upper bounds keep every loop bounded whatever is typed.
  positive("cold-samples", values["cold-samples"], (n) => (phases.coldSamples = Math.round(n)), 20);
  positive("force-cold", values["force-cold"], (n) => (phases.forceCold = Math.round(n)), 20);
  if (phases.forceCold && target.kind === "local") throw new Error("--force-cold is for deployed stacks (--stack or --endpoints); the local cloud restarts its runtimes for --cold-samples");
  positive("rate", values.rate, (n) => (phases.warmRate = n), 5_000);
  positive("duration", values.duration, (n) => (phases.warmDurationMs = n * 1000), 600);
  positive("ramp-step", values["ramp-step"], (n) => (phases.rampStepMs = n * 1000), 120);
  positive("queue-messages", values["queue-messages"], (n) => (phases.queueCount = Math.round(n)), 1_000);
  positive("monthly-requests", values["monthly-requests"], (n) => (phases.monthlyRequests = Math.round(n)), 1e12);
  if (values.ramp) {
    phases.rampRates = values.ramp.split(",").map(Number);
    if (phases.rampRates.some((r) => !(r > 0) || r > 10_000)) throw new Error("--ramp must list rates above 0 and at most 10000, e.g. 25,50,100");
  }

  const engine = engineChoice.name === "artillery" ? artilleryEngine(engineChoice) : undiciEngine();
  const { dir, results } = await runComparison({ target, phases, engine, pricing: values.pricing, freeTier: !values["no-free-tier"], traffic: parseTrafficShape(values.traffic ?? "steady"), outDir: values.out && path.resolve(values.out) });
  const failedSmoke = results.platforms.filter((p) => !p.measured).map((p) => p.platform);
  console.log(`${path.join(dir, "report.html")}`);
  console.error(`\nreport: ${dir}/{results.json,report.md,report.html}` + (results.label ? `\n(${results.label})` : ""));
  if (failedSmoke.length > 0) console.error(`failed the correctness smoke (not measured): ${failedSmoke.join(", ")}`);
  if (results.platforms.length === 0) process.exitCode = 1;
}

main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((error) => {
    console.error((error as Error).message);
    process.exit(1);
  });
