/**
 * Serves one real GCP bundle with the Google Cloud Functions Framework on loopback, in a
 * child process of its own (as Cloud Functions runs one instance per container), with the
 * environment the component would set. Used by the GCP tests and `npm start`.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { stopGroup, trackGroup } from "./gcloud";
import { EMULATOR_START_TIMEOUT_MS, freePort } from "./loopback";

export interface ServedFunction {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first answered request (a cold start, locally). */
  startupMs: number;
  /** The instance's stdout/stderr so far (the JSON log lines). */
  logs(): string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** Absolute path of the bundle file (`.parity/build/gcp/<fn>/<content hash>/index.js`). */
  bundleFile: string;
  /** The registered entry point (`entryPointName(fn)`). */
  target: string;
  env: Record<string, string>;
  timeoutMs?: number;
  /** Receives every line the instance writes (stdout and stderr), as it is written. */
  onLine?: (line: string) => void;
}

/** The framework CLI (`functions-framework`), beside its exported entry (its exports map hides it). */
const frameworkMain = () => path.join(path.dirname(require.resolve("@google-cloud/functions-framework")), "main.js");

export async function serveFunction(options: ServeOptions): Promise<ServedFunction> {
  const port = await freePort();
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [frameworkMain(), `--target=${options.target}`, `--source=${options.bundleFile}`, "--signature-type=http", `--port=${port}`],
    {
      detached: true,
      cwd: path.dirname(options.bundleFile),
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", ...options.env, PORT: String(port) },
    },
  );
  trackGroup(child);
  let output = "";
  const partial = { stdout: "", stderr: "" };
  const keep = (stream: keyof typeof partial) => (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-200_000);
    if (!options.onLine) return;
    const lines = (partial[stream] + text).split("\n");
    partial[stream] = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") options.onLine(line);
  };
  child.stdout!.on("data", keep("stdout"));
  child.stderr!.on("data", keep("stderr"));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopGroup(child, 2_000);
  const deadline = Date.now() + (options.timeoutMs ?? EMULATOR_START_TIMEOUT_MS);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the Functions Framework exited with ${child.exitCode} serving ${options.bundleFile}:\n${output}`);
    }
    try {
      // Any answer means the server listens; the framework binds only after loading the bundle.
      await fetch(`${url}/robots.txt`, { signal: AbortSignal.timeout(1_000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`the Functions Framework did not listen on ${url}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { url, pid: child.pid!, startupMs: Date.now() - started, logs: () => output, stop };
}
