/**
 * The local cloud: every enabled platform's launcher (`local/<platform>.ts`) started side by
 * side on loopback, with the settings the stack decided for that platform. A platform whose
 * launcher does not exist (or does not load) is reported as not available locally instead
 * of stopping the others.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { catalog, platforms, type Platform } from "../components/catalog";
import { settingsFor, type FunctionSettings, type ParityConfig } from "../components/config";
import { readStackFile } from "./stack";
import type { LocalPlatform, StartLocal } from "./types";

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
  log?: (line: string) => void;
}

export interface LocalCloud {
  stack: string;
  apiKey: string;
  config: ParityConfig;
  /** Running platforms, in catalog platform order. */
  running: LocalPlatform[];
  unavailable: Unavailable[];
  /** Settings per platform per function, as each launcher received them. */
  settings: Partial<Record<Platform, Record<string, FunctionSettings>>>;
  /** Stops every platform (each stops its own emulators and children). */
  stop(): Promise<void>;
}

/** A random API key for the local cloud (the Pulumi secret is never read locally). */
export function generateApiKey(): string {
  return `local-${randomBytes(16).toString("hex")}`;
}

/** Path of a platform's launcher module, if it exists. */
export function launcherPath(platform: Platform): string | undefined {
  for (const extension of [".ts", ".js"]) {
    const file = path.join(__dirname, platform + extension);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** Platforms that have a launcher file, in catalog order. */
export function platformsWithLauncher(): Platform[] {
  return platforms.filter((platform) => launcherPath(platform) !== undefined);
}

/** Loads `local/<platform>.ts`'s `startLocal`, or says why it cannot. */
export function loadLauncher(platform: Platform): { start: StartLocal } | Unavailable {
  const file = launcherPath(platform);
  if (!file) return { platform, reason: `not available locally yet (no local/${platform}.ts)` };
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const module = require(file) as { startLocal?: StartLocal };
    if (typeof module.startLocal !== "function") return { platform, reason: `local/${platform}.ts does not export startLocal` };
    return { start: module.startLocal };
  } catch (error) {
    return { platform, reason: `local/${platform}.ts failed to load: ${(error as Error).message.split("\n")[0]}` };
  }
}

/** The settings of every catalog function on one platform, as the stack decides them. */
export function localSettings(config: ParityConfig, platform: Platform): Record<string, FunctionSettings> {
  return Object.fromEntries(catalog.map((fn) => [fn.name, settingsFor(config, platform, fn.name)]));
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

/** Starts one platform with the stack's settings. */
export async function startLocalPlatform(
  platform: Platform,
  config: ParityConfig,
  apiKey: string,
  log: (line: string) => void,
): Promise<LocalPlatform | Unavailable> {
  const launcher = loadLauncher(platform);
  if ("reason" in launcher) return launcher;
  try {
    return await launcher.start({ settings: localSettings(config, platform), apiKey, log: (line) => log(`[${platform}] ${line}`) });
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

  // Side by side: emulators start in parallel (each waits on its own ports).
  const started = await Promise.all(chosen.map((platform) => startLocalPlatform(platform, config, apiKey, log)));
  const running = started.filter((p): p is LocalPlatform => !("reason" in p));
  const unavailable = started.filter((p): p is Unavailable => "reason" in p);
  const settings: LocalCloud["settings"] = {};
  for (const platform of running) settings[platform.platform] = localSettings(config, platform.platform);

  let stopped = false;
  return {
    stack,
    apiKey,
    config,
    running,
    unavailable,
    settings,
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

/** The endpoint table `npm start` prints. */
export function endpointTable(cloud: Pick<LocalCloud, "running" | "unavailable" | "apiKey" | "stack">): string {
  const rows = [
    ...cloud.running.map((p) => [p.platform, p.url, p.description]),
    ...cloud.unavailable.map((u) => [u.platform, "-", u.reason]),
  ];
  const header = ["platform", "users-api URL", "what runs"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [
    `Local cloud (stack ${cloud.stack}; local emulation, not cloud performance)`,
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `API key: ${cloud.apiKey}`,
    `Try:     curl -s -H "x-api-key: ${cloud.apiKey}" -H "content-type: application/json" -d '{"email":"ada@example.com","name":"Ada"}' ${cloud.running[0]?.url ?? "<url>"}/users`,
  ].join("\n");
}
