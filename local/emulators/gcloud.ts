/**
 * Google's Firestore and Pub/Sub emulators (from the Google Cloud CLI), on loopback.
 * Neither `gcloud` nor the emulators' launcher scripts exec java, so each emulator runs in its own process group
 * (`detached: true`) and is stopped by signalling the whole group: gcloud, its launcher
 * script and the java child. Used by the GCP tests and `npm start`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EMULATOR_START_TIMEOUT_MS, freePort } from "./loopback";

export type GcloudEmulatorKind = "firestore" | "pubsub";

export interface RunningEmulator {
  kind: GcloudEmulatorKind;
  /** `127.0.0.1:PORT`, the value of FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST. */
  host: string;
  port: number;
  pid: number;
  /** Milliseconds from spawn to the first answered HTTP request. */
  startupMs: number;
  stop(): Promise<void>;
}

const startCommands: Record<GcloudEmulatorKind, string[]> = {
  firestore: ["emulators", "firestore", "start"],
  pubsub: ["beta", "emulators", "pubsub", "start"],
};

/** Why the emulators cannot run here, or undefined when gcloud, java and both emulators are installed. */
export function gcloudEmulatorsMissing(): string | undefined {
  const missing = ["gcloud", "java"].filter((command) => !onPath(command));
  if (missing.length === 0) {
    const sdkRoot = cloudSdkRoot();
    const components = sdkRoot && fs.existsSync(path.join(sdkRoot, "platform"))
      ? (["firestore", "pubsub"] as const).filter((kind) => !directLauncher(kind, 0)).map((kind) => `the ${kind} emulator`)
      : [];
    missing.push(...components);
  }
  return missing.length === 0
    ? undefined
    : `${missing.join(" and ")} not found: install the Google Cloud CLI with its Firestore and Pub/Sub emulators (google-cloud-cli-firestore-emulator, google-cloud-cli-pubsub-emulator) and Java 17`;
}


/**
 * The emulator launchers inside the Cloud SDK, the very programs `gcloud … start` runs.
 * Starting them directly skips gcloud's Python start-up (1–3 s); without an SDK layout
 * we recognise, `gcloud` itself is used.
 */
function cloudSdkRoot(): string | undefined {
  const gcloud = (process.env.PATH ?? "")
    .split(path.delimiter)
    .map((dir) => path.join(dir, "gcloud"))
    .find((file) => fs.existsSync(file));
  return gcloud ? path.dirname(path.dirname(fs.realpathSync(gcloud))) : undefined;
}

function directLauncher(kind: GcloudEmulatorKind, port: number): { command: string; args: string[] } | undefined {
  const sdkRoot = cloudSdkRoot();
  if (!sdkRoot) return undefined;
  const launcher =
    kind === "firestore"
      ? { command: path.join(sdkRoot, "platform/cloud-firestore-emulator/cloud_firestore_emulator"), args: ["start", "--host=127.0.0.1", `--port=${port}`, "--database-mode=firestore-native"] }
      : { command: path.join(sdkRoot, "platform/pubsub-emulator/bin/cloud-pubsub-emulator"), args: ["--host=127.0.0.1", `--port=${port}`] };
  return fs.existsSync(launcher.command) ? launcher : undefined;
}

/** Starts one emulator on a free loopback port and waits until it answers HTTP. */
export async function startGcloudEmulator(kind: GcloudEmulatorKind, options: { port?: number; timeoutMs?: number } = {}): Promise<RunningEmulator> {
  // With a port given, the process is spawned before this function first awaits.
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const started = Date.now();
  const { command, args } = directLauncher(kind, port) ?? { command: "gcloud", args: [...startCommands[kind], `--host-port=${host}`, "--quiet"] };
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: "1" },
  });
  trackGroup(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const stop = () => stopGroup(child);
  try {
    await waitForHttp(`http://${host}/`, child, options.timeoutMs ?? EMULATOR_START_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw new Error(`${kind} emulator did not start on ${host}: ${(error as Error).message}\n${output}`);
  }
  return { kind, host, port, pid: child.pid!, startupMs: Date.now() - started, stop };
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the process exited with ${child.exitCode}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no answer within ${timeoutMs} ms`);
}

/**
 * Process groups started here and not yet stopped. They are detached (so that the whole
 * group can be signalled), which also means they would outlive a crashed parent: on exit,
 * whatever is still listed is killed.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Records a detached child's group so that it dies with this process at the latest. */
export function trackGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  liveGroups.add(child.pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const pid of liveGroups) killGroup(pid, "SIGKILL");
    });
  }
}

/** Signals the whole process group (gcloud → launcher → java) and waits for gcloud to exit. */
export async function stopGroup(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.pid !== undefined) liveGroups.delete(child.pid);
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    killGroup(child.pid, "SIGKILL"); // the java child may outlive its parent
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killGroup(child.pid, "SIGTERM");
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
  if ((await Promise.race([exited, timer])) === "timeout") killGroup(child.pid, "SIGKILL");
  // The launcher may leave java behind after gcloud exits: make sure the group is gone.
  killGroup(child.pid, "SIGKILL");
  child.stdout?.destroy();
  child.stderr?.destroy();
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Whether `command` is an executable on PATH, without running it (gcloud takes a second to start). */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
