/**
 * What the experiment measures: one endpoint per platform. They come from the local cloud
 * (default), a deployed stack (`pulumi stack output --json`), or an endpoints file for a
 * machine without the Pulumi CLI. `openTargets` turns a choice into subjects to measure.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { promisify } from "node:util";
import { catalog, platforms, type Platform } from "../components/catalog";
import { settingsFor, type FunctionSettings, type ParityConfig } from "../components/config";
import { stackFileValues } from "../components/stack-file";
import * as path from "node:path";
import { generateApiKey, parsePlatformList } from "../local/cloud";
import { startLocalCloudProcess } from "../local/cloud-process";
import { readStackFile } from "../local/stack";
import { knownStacks, stackProviderValues, stackRegions } from "../components/stack-file";
import { coldForcerFor } from "./cold/forced";
import type { ColdForcer } from "./cold/force";
import { coldProbe, type ColdSample, type DeployedEndpoint, type Endpoint } from "./phases";
import type { Progress } from "./progress";

export type TargetChoice =
  | { kind: "local"; stack: string; platforms?: Platform[] }
  | { kind: "stack"; stack: string; platforms?: Platform[] }
  | { kind: "endpoints"; file: string; apiKey?: string; platforms?: Platform[] };

/**
 * The target the CLI flags name, as `npm run compare` and `npm run reliability` read them:
 * `--endpoints <file>`, else `--stack <name>` (a deployed stack) unless `--local`, else the local cloud.
 */
export function targetChoiceFrom(flags: { endpoints?: string; stack?: string; local?: boolean; "api-key"?: string; platforms?: string }): TargetChoice {
  const platforms = flags.platforms ? parsePlatformList(flags.platforms) : undefined;
  if (flags.endpoints && (flags.stack || flags.local)) throw new Error("--endpoints cannot be combined with --stack or --local; pick one target.");
  if (flags.endpoints) return { kind: "endpoints", file: path.resolve(flags.endpoints), apiKey: flags["api-key"], platforms };
  if (flags.stack && !flags.local) return { kind: "stack", stack: flags.stack, platforms };
  return { kind: "local", stack: flags.stack ?? "dev", platforms };
}


/** One platform's deployed endpoint, as the stack outputs describe it. */
/**
 * Parses the stack outputs `index.ts` exports (`endpoints`, `queues`, `functions`, each
 * keyed by platform). Platforms without an endpoint are left out.
 */
export function parseStackOutputs(raw: unknown, origin = "stack outputs"): DeployedEndpoint[] {
  const fail = (message: string): never => {
    throw new Error(`${origin}: ${message}`);
  };
  if (!isRecord(raw)) fail("expected a JSON object with an `endpoints` map (platform → URL)");
  const outputs = raw as Record<string, unknown>;
  if (!isRecord(outputs.endpoints)) fail("`endpoints` is missing; expected { endpoints: { <platform>: <url> } }");
  const endpoints = outputs.endpoints as Record<string, unknown>;
  const queues = isRecord(outputs.queues) ? outputs.queues : {};
  const functions = isRecord(outputs.functions) ? outputs.functions : {};
  const result: DeployedEndpoint[] = [];
  for (const [platform, url] of Object.entries(endpoints)) {
    if (!(platforms as readonly string[]).includes(platform)) fail(`unknown platform "${platform}"; allowed: ${platforms.join(", ")}`);
    if (url === null || url === undefined || url === "") continue;
    if (typeof url !== "string") fail(`endpoints.${platform} must be a URL string`);
    let parsed: URL;
    try {
      parsed = new URL(url as string);
    } catch {
      return fail(`endpoints.${platform} is not a URL: ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") fail(`endpoints.${platform} must be http(s), got ${parsed.protocol}`);
    const queue = isRecord(queues[platform]) ? (queues[platform] as Record<string, unknown>) : {};
    const names = isRecord(functions[platform]) ? (functions[platform] as Record<string, unknown>) : undefined;
    result.push({
      platform: platform as Platform,
      url: (url as string).replace(/\/+$/, ""),
      queue: typeof queue.queue === "string" ? queue.queue : undefined,
      deadLetter: typeof queue.deadLetter === "string" ? queue.deadLetter : undefined,
      functions: names ? Object.fromEntries(Object.entries(names).filter(([, v]) => typeof v === "string")) as Record<string, string> : undefined,
    });
  }
  if (result.length === 0) fail("no platform has an endpoint");
  return result;
}

/**
 * An endpoints file: the JSON `pulumi stack output --json` prints, plus optionally
 * `apiKey` (else `PARITY_API_KEY` or `--api-key`) and `stack` (whose `Pulumi.<stack>.yaml`
 * gives memory for the cost estimate).
 */
export interface EndpointsFile {
  endpoints: DeployedEndpoint[];
  apiKey?: string;
  stack?: string;
}

export function parseEndpointsFile(text: string, origin: string): EndpointsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${origin}: not valid JSON (${(error as Error).message})`);
  }
  const endpoints = parseStackOutputs(raw, origin);
  const record = raw as Record<string, unknown>;
  if (record.apiKey !== undefined && typeof record.apiKey !== "string") throw new Error(`${origin}: apiKey must be a string`);
  if (record.stack !== undefined && typeof record.stack !== "string") throw new Error(`${origin}: stack must be a string`);
  return { endpoints, apiKey: record.apiKey as string | undefined, stack: record.stack as string | undefined };
}

export function readEndpointsFile(file: string): EndpointsFile {
  return parseEndpointsFile(fs.readFileSync(file, "utf8"), file);
}

const run = promisify(execFile);

/** Reads a deployed stack through the Pulumi CLI: its outputs and its API key. */
export async function readDeployedStack(stack: string): Promise<{ endpoints: DeployedEndpoint[]; apiKey: string }> {
  const pulumi = async (args: string[]) => {
    try {
      return (await run("pulumi", args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === "ENOENT") {
        throw new Error("the Pulumi CLI is not installed; use --endpoints endpoints.json (see docs/comparing.md: Comparing deployed stacks)");
      }
      throw new Error(`pulumi ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
    }
  };
  const outputs = JSON.parse(await pulumi(["stack", "output", "--json", "--stack", stack]));
  const apiKey = (await pulumi(["config", "get", "parity:apiKey", "--stack", stack])).trim();
  return { endpoints: parseStackOutputs(outputs, `pulumi stack output --stack ${stack}`), apiKey };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One platform under measurement, however it is hosted. */
export interface Subject {
  platform: Platform;
  endpoint: Endpoint;
  description: string;
  settings?: Record<string, FunctionSettings>;
  /** Taken before anything else touched the endpoint. */
  firstProbe: ColdSample;
  coldMethod: string;
  /** A fresh instance for the next cold sample; absent where none can be had. */
  fresh?: () => Promise<void>;
  /** `--force-cold` on a deployed stack: the platform's way to replace its instances, or why there is none. */
  coldForcer?: ColdForcer | { reason: string };
  deadLetterDepth?: () => Promise<number>;
  /** Every user the platform's reconciler has re-published so far. */
  republishedIds?: () => Promise<string[]>;
}

export interface OpenedTargets {
  subjects: Subject[];
  unavailable: { platform: Platform; reason: string }[];
  stop(): Promise<void>;
  stackConfig: unknown;
}

export async function openTargets(target: TargetChoice, progress: Progress, options: { forceCold?: boolean } = {}): Promise<OpenedTargets> {
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
  const coldContext = options.forceCold ? await coldContextFor(target.kind === "stack" ? target.stack : undefined, stack) : undefined;
  const subjects: Subject[] = [];
  for (const deployed of chosen) {
    const endpoint = { url: deployed.url, apiKey };
    subjects.push({
      platform: deployed.platform,
      endpoint,
      description: describeDeployed(deployed),
      settings: config ? stackSettings(config, deployed.platform) : undefined,
      // The first request of this run: cold only if the function sat idle (see docs/comparing.md).
      firstProbe: await coldProbe(endpoint),
      coldMethod: "first request of this run; cold only if the function was idle or freshly deployed (see docs/comparing.md)",
      coldForcer: coldContext ? coldForcerFor(deployed, coldContext) : undefined,
    });
  }
  progress.note(`measuring ${subjects.map((s) => `${s.platform} ${s.endpoint.url}`).join(", ")}`);
  return { subjects, unavailable: [], stop: async () => undefined, stackConfig: stack ? withoutSecrets(stackFileValues(stack)) : null };
}

/**
 * What `--force-cold` needs besides the outputs: the stack file's regions and GCP project, and
 * the stack's state (`pulumi stack export`: Azure's resource group, Cloudflare's startup time)
 * when the target is a stack read through the Pulumi CLI.
 */
async function coldContextFor(cliStack: string | undefined, stack: string | undefined) {
  const known = stack !== undefined && knownStacks().includes(stack);
  const providers = known ? stackProviderValues(stack) : {};
  let exported: unknown;
  if (cliStack) {
    try {
      exported = JSON.parse((await run("pulumi", ["stack", "export", "--stack", cliStack], { maxBuffer: 256 * 1024 * 1024 })).stdout);
    } catch {
      exported = undefined; // each platform then says what it is missing
    }
  }
  return {
    regions: known ? stackRegions(stack) : {},
    gcpProject: typeof providers["gcp:project"] === "string" ? (providers["gcp:project"] as string) : undefined,
    exported,
    env: process.env,
  };
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
      if (!local.url) {
        progress.note(`${local.platform}: no HTTP function in the catalog; nothing to measure`);
        continue;
      }
      const endpoint: Endpoint = { url: local.url, apiKey: cloud.apiKey };
      subjects.push({
        platform: local.platform,
        endpoint,
        description: local.description,
        settings: stackSettings(cloud.config, local.platform),
        firstProbe: await coldProbe(endpoint),
        coldMethod: local.nativeRestart
          ? "first request to a freshly started runtime (the launcher's restart() between samples; emulators kept)"
          : "first request to a freshly started runtime (a whole new launcher per sample)",
        fresh: async () => {
          await local.restart();
          endpoint.url = local.url!;
        },
        deadLetterDepth: async () => (await local.queueDepth()).deadLettered,
        republishedIds: () => local.republished(),
      });
    }
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  return { subjects, unavailable: cloud.unavailable, stackConfig: cloud.config, stop: () => cloud.stop() };
}

/** The portable settings of every catalog function on one platform, as the stack decides them. */
export function stackSettings(config: ParityConfig, platform: Platform): Record<string, FunctionSettings> {
  return Object.fromEntries(catalog.map((fn) => [fn.name, settingsFor(config, platform, fn.name)]));
}

/** The catalog function whose settings drive cost (the HTTP one). */
export const httpFunction = catalog.find((fn) => fn.trigger.kind === "http")!.name;
