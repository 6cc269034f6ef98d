/**
 * The comparison experiment: per platform, correctness smoke → cold start → warm latency →
 * throughput ramp → queue delay → cost; then `results.json`, `report.md` and `report.html`
 * under `reports/<timestamp>/`. Targets are opened by ./targets.ts, phases measured by
 * ./phases.ts, the schema is ./results.ts.
 */
import * as path from "node:path";
import { projectRoot } from "../components/bundle";
import type { Platform } from "../components/catalog";
import * as fs from "node:fs";
import { knownStacks, stackRegions } from "../components/stack-file";
import { estimateCost, loadPricing, pricingFor, stackUseOf, type PricingTables, type TrafficShape } from "./cost";
import { environment } from "./machine";
import type { LoadEngine } from "./engines/engine";
import { undiciEngine } from "./engines/undici";
import { forcedColdStart } from "./cold/forced";
import { coldProbe, coldStartResult, createUser, queueDelay } from "./phases";
import type { PhaseOptions } from "./presets";
import { Progress } from "./progress";
import { writeReports } from "./report";
import { LOCAL_LABEL, timestampFolder, type PlatformResult, type Results } from "./results";
import { liveTarget, QUICK_SMOKE_GREP, runSmoke, SMOKE_GREP } from "./smoke";
import { httpFunction, openTargets, parseEndpointsFile, type Subject, type TargetChoice } from "./targets";

export interface CompareOptions {
  target: TargetChoice;
  phases: PhaseOptions;
  /** A user's pricing file or directory, replacing the shipped tables it names. */
  pricing?: string;
  /** Count the accounts' free tiers (`--no-free-tier`: false). @default true */
  freeTier?: boolean;
  /** When in the month the requests come (`--traffic`). @default "steady" */
  traffic?: TrafficShape;
  /** @default reports/<timestamp> */
  outDir?: string;
  progress?: Progress;
  /** What generates the warm-latency and ramp load. @default the undici open-loop generator */
  engine?: LoadEngine;
}

export async function runComparison(options: CompareOptions): Promise<{ dir: string; results: Results }> {
  const progress = options.progress ?? new Progress();
  const pricing = loadPricing(undefined, options.pricing);
  const costing: Costing = { pricing, regions: regionsOf(options.target), freeTier: options.freeTier ?? true, traffic: options.traffic ?? "steady" };
  const engine = options.engine ?? undiciEngine();
  const { subjects, unavailable, stop, stackConfig } = await openTargets(options.target, progress, { forceCold: (options.phases.forceCold ?? 0) > 0 });
  const platformResults: PlatformResult[] = [];
  try {
    for (const subject of subjects) platformResults.push(await measure(subject, options.phases, costing, progress, engine));
  } finally {
    await stop();
  }

  const results: Results = {
    schema: "parity-compare/1",
    label: options.target.kind === "local" ? LOCAL_LABEL : null,
    target: {
      kind: options.target.kind,
      stack: "stack" in options.target ? options.target.stack : undefined,
      file: options.target.kind === "endpoints" ? options.target.file : undefined,
    },
    environment: environment(stackConfig),
    phases: options.phases,
    engine: engine.info,
    platforms: platformResults,
    unavailable,
    pricing: Object.fromEntries(
      platformResults.flatMap((r) => {
        const priced = pricingFor(pricing, r.platform, costing.regions[r.platform]);
        return priced ? [[r.platform, priced.table]] : [];
      }),
    ),
  };
  const dir = options.outDir ?? path.join(projectRoot, "reports", timestampFolder(new Date()));
  await writeReports(dir, results);
  return { dir, results };
}


/** What the cost needs besides the measurements: prices, the stack's regions, the free-tier choice. */
interface Costing {
  pricing: PricingTables;
  regions: Partial<Record<Platform, string>>;
  freeTier: boolean;
  traffic: TrafficShape;
}

/** The regions of the stack the target names (the endpoints file's `stack`, if any). */
function regionsOf(target: TargetChoice): Partial<Record<Platform, string>> {
  try {
    const stack = target.kind === "endpoints" ? parseEndpointsFile(fs.readFileSync(target.file, "utf8"), target.file).stack : target.stack;
    return stack !== undefined && knownStacks().includes(stack) ? stackRegions(stack) : {};
  } catch {
    // An unreadable endpoints file fails in openTargets with its own message; the cost then says the region is unknown.
    return {};
  }
}

async function measure(subject: Subject, phases: PhaseOptions, costing: Costing, progress: Progress, engine: LoadEngine): Promise<PlatformResult> {
  const { platform, endpoint } = subject;
  const errors: PlatformResult["errors"] = [];
  const base = { platform, url: endpoint.url, description: subject.description, settings: subject.settings, errors };

  let bar = progress.start(platform, "smoke");
  const smoke = await runSmoke(liveTarget(platform, endpoint.url, endpoint.apiKey), { grep: phases.quickSmoke ? QUICK_SMOKE_GREP : SMOKE_GREP });
  bar.end(`${smoke.passed} passed, ${smoke.failed} failed`);
  if (smoke.failed > 0 || smoke.passed === 0) {
    progress.note(`${platform}: correctness smoke failed; reported, not measured:\n  ${smoke.failures.map((f) => `${f.title}: ${f.message}`).join("\n  ")}`);
    return { ...base, smoke, measured: false };
  }
  const result: PlatformResult = { ...base, smoke, measured: true };

  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      errors.push({ phase: name, message: (error as Error).message });
      progress.note(`${platform}: ${name} failed: ${(error as Error).message}`);
      return undefined;
    }
  };

  const forcer = (phases.forceCold ?? 0) > 0 ? subject.coldForcer : undefined;
  const coldStart = await phase("cold start", async () => {
    bar = progress.start(platform, "cold start");
    if (forcer && "force" in forcer && forcer.forceable) {
      const count = phases.forceCold ?? 0;
      const forced = await forcedColdStart(forcer, subject.endpoint, count, { onSample: (done) => bar.update(done, count) });
      bar.end(`median ${forced.median.toFixed(0)} ms over ${forced.samples.length} forced (${forced.forced.confirmations.filter((c) => c === "confirmed").length} confirmed cold)`);
      return forced;
    }
    if (forcer) progress.note(`${platform}: --force-cold: ${"force" in forcer ? (forcer.reason ?? "not forceable") : forcer.reason}; the run's first request is the only sample`);
    const samples = [subject.firstProbe];
    if (subject.fresh) {
      for (let i = 1; i < phases.coldSamples; i++) {
        bar.update(i, phases.coldSamples);
        try {
          await subject.fresh();
        } catch (error) {
          // Keep the samples taken; bring the platform back once so the other phases can run.
          errors.push({ phase: "cold start", message: `sample ${i + 1}: ${(error as Error).message}` });
          await subject.fresh();
          break;
        }
        samples.push(await coldProbe(subject.endpoint));
      }
    }
    const cold = coldStartResult(samples, subject.coldMethod, {
      ms: null,
      note: "not reported here: platforms report init in their logs (Lambda REPORT Init Duration), which this run does not read",
    });
    bar.end(`median ${cold.median.toFixed(0)} ms over ${samples.length}`);
    return cold;
  });
  result.coldStart = coldStart;
  if (!coldStart && subject.fresh) {
    // The platform could not be restarted: nothing is serving any more.
    progress.note(`${platform}: not running after a failed restart; the remaining phases are skipped`);
    return result;
  }

  const userId = await phase("setup", () => createUser(endpoint, "compare"));
  if (userId) {
    result.warm = await phase("warm latency", async () => {
      bar = progress.start(platform, "warm latency");
      const warm = await engine.warm(endpoint, userId, {
        ratePerSecond: phases.warmRate,
        durationMs: phases.warmDurationMs,
        warmupMs: phases.warmupMs,
        onProgress: (d, t) => bar.update(d, t),
      });
      bar.end(`p50 ${warm.latency.p50.toFixed(1)} ms, p99 ${warm.latency.p99.toFixed(1)} ms at ${phases.warmRate} req/s`);
      return warm;
    });
    result.ramp = await phase("throughput ramp", async () => {
      bar = progress.start(platform, "throughput ramp");
      const ramp = await engine.ramp(endpoint, userId, {
        rates: phases.rampRates,
        stepMs: phases.rampStepMs,
        maxErrorRate: phases.maxErrorRate,
        onStep: (i) => bar.update(i, phases.rampRates.length),
      });
      bar.end(`sustained ${ramp.sustainedRate} req/s; ${ramp.stoppedBecause}`);
      return ramp;
    });
  }
  result.queue = await phase("queue delay", async () => {
    bar = progress.start(platform, "queue delay");
    const queue = await queueDelay(endpoint, {
      count: phases.queueCount,
      ratePerSecond: phases.queueRate,
      pollIntervalMs: phases.pollIntervalMs,
      timeoutMs: phases.queueTimeoutMs,
      deadLetterDepth: subject.deadLetterDepth,
      republishedIds: subject.republishedIds,
      onProgress: (d, t) => bar.update(d, t),
    });
    bar.end(`${queue.welcomed}/${queue.posted} welcomed, p50 ${queue.delay.p50.toFixed(0)} ms, lost ${queue.lost}${queue.republished ? `, ${queue.republished} re-published by the reconciler` : ""}`);
    return queue;
  });

  const priced = pricingFor(costing.pricing, platform, costing.regions[platform]);
  const settings = subject.settings?.[httpFunction];
  if (!priced) errors.push({ phase: "cost", message: `no pricing table for ${platform}` });
  else if (result.warm && settings !== undefined && result.warm.answered > 0) {
    const durations = result.warm.serviceTimeMs;
    result.cost = {
      ...estimateCost(
        priced.table,
        {
          // Each request billed on its own, from the warm phase's distribution (its mean when a result predates it).
          durations,
          durationMs: result.warm.serviceTime.mean,
          memoryMb: settings.memoryMb,
          warmInstances: settings.warmInstances ?? 0,
          monthlyRequests: phases.monthlyRequests,
          freeTier: costing.freeTier,
          traffic: costing.traffic,
          // The rest of the stack at the stack's settings (subject.settings holds every catalog function's).
          stack: stackUseOf(subject.settings!),
        },
        priced.region,
      ),
      durationSource:
        "service time of every answered request of the warm-latency phase, each rounded by the vendor's rule (client-observed, so it includes the network and is an upper bound of the billed duration)",
    };
  } else if (settings === undefined) {
    errors.push({ phase: "cost", message: "memory unknown: pass a stack (or `stack` in the endpoints file) so its Pulumi.<stack>.yaml gives memoryMb" });
  }
  return result;
}

