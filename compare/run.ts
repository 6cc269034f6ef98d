/**
 * The comparison experiment: per platform, correctness smoke → cold start → warm latency →
 * throughput ramp → queue delay → cost; then `results.json`, `report.md` and `report.html`
 * under `reports/<timestamp>/`. Targets are opened by ./targets.ts, phases measured by
 * ./phases.ts, the schema is ./results.ts.
 */
import * as path from "node:path";
import { projectRoot } from "../components/bundle";
import type { Platform } from "../components/catalog";
import { estimateCost, loadPricing, type PricingTable } from "./cost";
import { environment } from "./machine";
import { coldProbe, coldStartResult, createUser, queueDelay, throughputRamp, warmLatency } from "./phases";
import type { PhaseOptions } from "./presets";
import { Progress } from "./progress";
import { writeReports } from "./report";
import { LOCAL_LABEL, timestampFolder, type PlatformResult, type Results } from "./results";
import { liveTarget, QUICK_SMOKE_GREP, runSmoke, SMOKE_GREP } from "./smoke";
import { httpFunction, openTargets, type Subject, type TargetChoice } from "./targets";

export interface CompareOptions {
  target: TargetChoice;
  phases: PhaseOptions;
  /** A user's pricing file or directory, replacing the shipped tables it names. */
  pricing?: string;
  /** @default reports/<timestamp> */
  outDir?: string;
  progress?: Progress;
}

export async function runComparison(options: CompareOptions): Promise<{ dir: string; results: Results }> {
  const progress = options.progress ?? new Progress();
  const pricing = loadPricing(undefined, options.pricing);
  const { subjects, unavailable, stop, stackConfig } = await openTargets(options.target, progress);
  const platformResults: PlatformResult[] = [];
  try {
    for (const subject of subjects) platformResults.push(await measure(subject, options.phases, pricing, progress));
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
    platforms: platformResults,
    unavailable,
    pricing: Object.fromEntries([...pricing].filter(([p]) => platformResults.some((r) => r.platform === p))),
  };
  const dir = options.outDir ?? path.join(projectRoot, "reports", timestampFolder(new Date()));
  await writeReports(dir, results);
  return { dir, results };
}


async function measure(subject: Subject, phases: PhaseOptions, pricing: Map<Platform, PricingTable>, progress: Progress): Promise<PlatformResult> {
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

  const coldStart = await phase("cold start", async () => {
    bar = progress.start(platform, "cold start");
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
      const warm = await warmLatency(endpoint, userId, {
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
      const ramp = await throughputRamp(endpoint, userId, {
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

  const table = pricing.get(platform);
  const memoryMb = subject.settings?.[httpFunction]?.memoryMb;
  if (!table) errors.push({ phase: "cost", message: `no pricing table for ${platform}` });
  else if (result.warm && memoryMb !== undefined && result.warm.answered > 0) {
    result.cost = {
      ...estimateCost(table, { durationMs: result.warm.serviceTime.mean, memoryMb, monthlyRequests: phases.monthlyRequests }),
      durationSource: "mean service time of the warm-latency phase (client-observed, so an upper bound of the billed duration)",
    };
  } else if (memoryMb === undefined) {
    errors.push({ phase: "cost", message: "memory unknown: pass a stack (or `stack` in the endpoints file) so its Pulumi.<stack>.yaml gives memoryMb" });
  }
  return result;
}

