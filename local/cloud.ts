/**
 * The local cloud: every enabled platform's launcher (`local/launchers.ts`) started side by
 * side on loopback with the functions of a catalog (the project's, or a reused component's),
 * bundled for that platform, with the settings the stack decides. A platform that cannot start
 * here (an emulator missing) is reported as unavailable instead of stopping the others.
 */
import { randomBytes } from "node:crypto";
import { deploymentsFor } from "../components/bundle";
import { catalog as projectCatalog, platforms, type FunctionDefinition, type Platform } from "../components/catalog";
import type { ParityConfig } from "../components/config";
import type { FunctionDeployment } from "../components/platform";
import { launchers } from "./launchers";
import { readStackFile } from "./stack";
import type { LocalPlatform } from "./types";

export interface Unavailable {
  platform: Platform;
  reason: string;
}

export interface LocalCloudOptions {
  /** Stack whose `Pulumi.<stack>.yaml` decides platforms and settings. @default "dev" */
  stack?: string;
  /** Only these platforms (each must be enabled in the stack). @default the stack's platforms */
  platforms?: Platform[];
  /** @default a random key, printed by `npm start` */
  apiKey?: string;
  /** The functions to run. @default the project's catalog */
  catalog?: readonly FunctionDefinition[];
  /** Every schedule function runs this often instead of its stack interval (`npm start -- --reconcile-every 1`). */
  scheduleEveryMinutes?: number;
  log?: (line: string) => void;
}

export interface LocalCloud {
  stack: string;
  apiKey: string;
  config: ParityConfig;
  /** Running platforms, in catalog platform order. */
  running: LocalPlatform[];
  /** User ids each platform's reconciler has re-published so far (from its "reconciled" log lines). */
  republished(platform: Platform): string[];
  /** The function-log tap of a platform, for a launcher started again later (a restart). */
  functionLogFor(platform: Platform): (functionName: string, line: string) => void;
  unavailable: Unavailable[];
  /** Stops every platform (each stops its own emulators and children). */
  stop(): Promise<void>;
}

/** A random API key for the local cloud (the Pulumi secret is never read locally). */
export function generateApiKey(): string {
  return `local-${randomBytes(16).toString("hex")}`;
}

/** Picks the platforms to run: the stack's, narrowed by `--platforms`. */
export function choosePlatforms(config: ParityConfig, requested?: Platform[]): Platform[] {
  if (!requested || requested.length === 0) return config.platforms;
  const notEnabled = requested.filter((p) => !config.platforms.includes(p));
  if (notEnabled.length > 0) {
    throw new Error(
      `--platforms ${notEnabled.join(",")}: not enabled in stack "${config.stack}" (enabled: ${config.platforms.join(", ")}); ` +
        `add it to parity:platforms in Pulumi.${config.stack}.yaml or pick from the enabled ones.`,
    );
  }
  return platforms.filter((p) => requested.includes(p));
}

/** Parses `aws,cloudflare` into platforms, rejecting unknown names. */
export function parsePlatformList(value: string): Platform[] {
  const names = value.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(platforms as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown platform ${unknown.join(", ")}; allowed: ${platforms.join(", ")}`);
  return names as Platform[];
}

/** Starts one platform's launcher with these functions, or says why it cannot. */
export async function startLocalPlatform(
  platform: Platform,
  functions: FunctionDeployment[],
  apiKey: string,
  log: (line: string) => void,
  onFunctionLog?: (functionName: string, line: string) => void,
): Promise<LocalPlatform | Unavailable> {
  try {
    const launch = await launchers[platform]();
    return await launch({ functions, apiKey, log: (line) => log(`[${platform}] ${line}`), onFunctionLog });
  } catch (error) {
    return { platform, reason: `failed to start: ${(error as Error).message.split("\n")[0]}` };
  }
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const stack = options.stack ?? "dev";
  const apiKey = options.apiKey ?? generateApiKey();
  const log = options.log ?? (() => undefined);
  const config = readStackFile(stack, apiKey);
  const chosen = choosePlatforms(config, options.platforms);
  const catalog = options.catalog ?? projectCatalog;

  const republished = new Map<Platform, Set<string>>(chosen.map((p) => [p, new Set<string>()]));
  const functionLogFor = (platform: Platform) => (_fn: string, line: string) => {
    for (const id of republishedIdsOf(line)) republished.get(platform)?.add(id);
  };
  // Side by side: emulators start in parallel (each waits on its own ports).
  const started = await Promise.all(
    chosen.map((platform) =>
      startLocalPlatform(platform, withScheduleInterval(deploymentsFor(config, platform, catalog), options.scheduleEveryMinutes), apiKey, log, functionLogFor(platform)),
    ),
  );
  const running = started.filter((p): p is LocalPlatform => !("reason" in p));
  const unavailable = started.filter((p): p is Unavailable => "reason" in p);

  let stopped = false;
  return {
    stack,
    apiKey,
    config,
    running,
    unavailable,
    republished: (platform) => [...(republished.get(platform) ?? [])],
    functionLogFor,
    async stop() {
      if (stopped) return;
      stopped = true;
      const results = await Promise.allSettled(running.map((p) => p.stop()));
      results.forEach((result, i) => {
        if (result.status === "rejected") log(`[${running[i].platform}] stop failed: ${(result.reason as Error).message}`);
      });
    },
  };
}

/** Schedule functions at another interval, for local runs. */
export function withScheduleInterval(functions: FunctionDeployment[], everyMinutes: number | undefined): FunctionDeployment[] {
  if (everyMinutes === undefined) return functions;
  return functions.map((fn) => (fn.definition.trigger.kind === "schedule" ? { ...fn, settings: { ...fn.settings, everyMinutes } } : fn));
}

/** The user ids a reconciler's "reconciled" log line names (functions/core/reconciler.ts). */
export function republishedIdsOf(line: string): string[] {
  if (!line.includes('"reconciled"')) return [];
  try {
    const record = JSON.parse(line) as { message?: string; republishedIds?: unknown };
    return record.message === "reconciled" && Array.isArray(record.republishedIds) ? record.republishedIds.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

/** The endpoint table `npm start` prints. */
export function endpointTable(cloud: {
  stack: string;
  apiKey: string;
  running: Pick<LocalPlatform, "platform" | "url" | "description">[];
  unavailable: Unavailable[];
}): string {
  const rows = [
    ...cloud.running.map((p) => [p.platform, p.url ?? "(no HTTP function)", p.description]),
    ...cloud.unavailable.map((u) => [u.platform, "-", u.reason]),
  ];
  const header = ["platform", "HTTP URL", "what runs"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const firstUrl = cloud.running.find((p) => p.url)?.url ?? "<url>";
  return [
    `Local cloud (stack ${cloud.stack}; local emulation, not cloud performance)`,
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `API key: ${cloud.apiKey}`,
    `Try:     curl -s -H "x-api-key: ${cloud.apiKey}" -H "content-type: application/json" -d '{"email":"ada@example.com","name":"Ada"}' ${firstUrl}/users`,
  ].join("\n");
}
