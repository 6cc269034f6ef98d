/**
 * The local cloud in its own process, driven over an IPC channel. `npm run compare` uses it
 * so that the load generator and the local runtimes do not share one event loop: a
 * generator stalled by the server it measures would measure itself.
 *
 * Parent side: `startLocalCloudProcess()` returns `LocalPlatform` proxies. Child side: this
 * file, run with `fork()`; it stops every platform when told to or when the parent goes away.
 */
import { fork, type ChildProcess } from "node:child_process";
import { deploymentsFor } from "../components/bundle";
import type { Platform } from "../components/catalog";
import type { ParityConfig } from "../components/config";
import type { NativeSettings, SettingWarning } from "../components/platform";
import { startLocalCloud, startLocalPlatform, withScheduleInterval, type LocalCloudOptions, type Unavailable } from "./cloud";
import type { LocalPlatform } from "./types";

interface ReadyMessage {
  type: "ready";
  apiKey: string;
  config: ParityConfig;
  running: { platform: Platform; url: string | undefined; description: string; nativeRestart: boolean; nativeSettings: Record<string, NativeSettings>; warnings: SettingWarning[] }[];
  unavailable: Unavailable[];
}
type ChildMessage = ReadyMessage | { type: "log"; line: string } | { type: "failed"; message: string } | { type: "reply"; id: number; result?: unknown; error?: string };
type Operation = { op: "queueDepth" | "restart" | "republished"; platform: Platform } | { op: "stopAll" };

export interface RemoteLocalPlatform extends Omit<LocalPlatform, "schedules"> {
  /** User ids this platform's reconciler has re-published so far. */
  republished(): Promise<string[]>;
  /** Whether the launcher restarts its runtime itself, or a whole new launcher replaces it. */
  nativeRestart: boolean;
  restart(): Promise<void>;
}

export interface LocalCloudProcess {
  apiKey: string;
  config: ParityConfig;
  running: RemoteLocalPlatform[];
  unavailable: Unavailable[];
  pid: number;
  stop(): Promise<void>;
}

/** Starts the local cloud in a child process and resolves when every platform is up (or reported unavailable). */
export function startLocalCloudProcess(
  options: Omit<LocalCloudOptions, "log"> & {
    log?: (line: string) => void;
    /** The functions' own log lines on stdout (`npm start`); dropped by default (`npm run compare`). */
    functionLogs?: boolean;
  },
): Promise<LocalCloudProcess> {
  const functionLogs = options.functionLogs ?? Boolean(process.env.PARITY_VERBOSE);
  const log = options.log ?? (() => undefined);
  const child = fork(__filename, [JSON.stringify({ stack: options.stack, platforms: options.platforms, apiKey: options.apiKey, scheduleEveryMinutes: options.scheduleEveryMinutes })], {
    execArgv: __filename.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [],
    // During a comparison the functions' request logs would drown the progress bars (and
    // cost time): stdout is dropped unless asked for; errors (stderr) always show.
    stdio: ["ignore", functionLogs ? "inherit" : "ignore", "inherit", "ipc"],
    // Its own process group: a terminal's Ctrl-C reaches only the parent, which then stops
    // the platforms in order over IPC (some runtimes exit at once on SIGINT otherwise,
    // leaving the other platforms' emulators behind).
    detached: true,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? (functionLogs ? "info" : "warn") },
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const call = (operation: Operation): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error("the local cloud process has exited"));
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.send({ id, ...operation });
    });

  return new Promise((resolve, reject) => {
    child.on("message", (message: ChildMessage) => {
      if (message.type === "log") log(message.line);
      else if (message.type === "failed") reject(new Error(message.message));
      else if (message.type === "reply") {
        const pending = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.error !== undefined) pending?.reject(new Error(message.error));
        else pending?.resolve(message.result);
      } else if (message.type === "ready") {
        let stopped: Promise<void> | undefined;
        resolve({
          apiKey: message.apiKey,
          config: message.config,
          unavailable: message.unavailable,
          pid: child.pid!,
          running: message.running.map((p) => {
            const proxy: RemoteLocalPlatform = {
              platform: p.platform,
              url: p.url,
              description: p.description,
              nativeRestart: p.nativeRestart,
              nativeSettings: p.nativeSettings,
              warnings: p.warnings,
              queueDepth: () => call({ op: "queueDepth", platform: p.platform }) as Promise<{ pending: number; deadLettered: number }>,
              republished: () => call({ op: "republished", platform: p.platform }) as Promise<string[]>,
              restart: async () => {
                proxy.url = (await call({ op: "restart", platform: p.platform })) as string | undefined;
              },
              stop: () => Promise.resolve(), // the whole process stops at once; see stop()
            };
            return proxy;
          }),
          stop: () => (stopped ??= stopChild(child, () => call({ op: "stopAll" }))),
        });
      }
    });
    child.on("exit", (code) => {
      for (const pending of waiting.values()) pending.reject(new Error(`the local cloud process exited (${code})`));
      waiting.clear();
      reject(new Error(`the local cloud process exited (${code}) before it was ready`));
    });
  });
}

async function stopChild(child: ChildProcess, askToStop: () => Promise<unknown>): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Asked first so every platform stops its own emulators; killed only if it does not exit.
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  await askToStop().catch(() => undefined);
  await exited;
  clearTimeout(timer);
}

/** Child side: runs the local cloud and answers the parent's operations. */
async function serve(): Promise<void> {
  const send = (message: ChildMessage) => process.send?.(message);
  const options = JSON.parse(process.argv[2] ?? "{}") as LocalCloudOptions;
  const cloud = await startLocalCloud({ ...options, log: (line) => send({ type: "log", line }) });
  const current = new Map<Platform, LocalPlatform>(cloud.running.map((p) => [p.platform, p]));
  let stopping: Promise<void> | undefined;
  const stopAll = () => (stopping ??= Promise.allSettled([...current.values()].map((p) => p.stop())).then(() => undefined));
  // The parent went away (even by SIGKILL): stop every emulator rather than orphan it.
  process.on("disconnect", () => void stopAll().then(() => process.exit(0)));
  process.on("SIGTERM", () => void stopAll().then(() => process.exit(0)));
  process.on("SIGINT", () => void stopAll().then(() => process.exit(0)));

  process.on("message", async (message: { id: number } & Operation) => {
    const reply = (result?: unknown, error?: string) => send({ type: "reply", id: message.id, result, error });
    try {
      if (message.op === "stopAll") {
        await stopAll();
        process.send?.({ type: "reply", id: message.id, result: true } satisfies ChildMessage, () => process.exit(0));
        return;
      }
      const running = current.get(message.platform);
      if (!running) throw new Error(`${message.platform} is not running`);
      if (message.op === "queueDepth") {
        reply(await running.queueDepth());
        return;
      }
      if (message.op === "republished") {
        reply(cloud.republished(message.platform));
        return;
      }
      if (running.restart) {
        await running.restart();
        reply(running.url);
        return;
      }
      // No restart(): a whole new launcher, emulators included, for a fresh runtime.
      current.delete(message.platform);
      await running.stop();
      const functions = withScheduleInterval(deploymentsFor(cloud.config, message.platform), options.scheduleEveryMinutes);
      const next = await startLocalPlatform(message.platform, functions, cloud.apiKey, (line) => send({ type: "log", line }), cloud.functionLogFor(message.platform));
      if ("reason" in next) throw new Error(`relaunch failed: ${next.reason}`);
      current.set(message.platform, next);
      reply(next.url);
    } catch (error) {
      reply(undefined, (error as Error).message);
    }
  });

  send({
    type: "ready",
    apiKey: cloud.apiKey,
    config: cloud.config,
    unavailable: cloud.unavailable,
    running: cloud.running.map((p) => ({
      platform: p.platform,
      url: p.url,
      description: p.description,
      nativeRestart: typeof p.restart === "function",
      nativeSettings: p.nativeSettings,
      warnings: p.warnings,
    })),
  });
}

if (require.main === module) {
  serve().catch((error) => {
    process.send?.({ type: "failed", message: (error as Error).message } satisfies ChildMessage);
    process.exit(1);
  });
}
