/**
 * Azurite (npm `azurite@3.35.0`) for the Azure driver tests and the local cloud: Table and
 * Queue services, in memory, on loopback ports chosen free first (Azurite does not report
 * a port it picked itself), stopped by PID.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EMULATOR_START_TIMEOUT_MS, freePorts, waitForPort } from "./loopback";
import * as path from "node:path";

/** Azurite's well-known development account (public, documented; not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface Azurite {
  /** Connection string for the Table and Queue services (local only). */
  connectionString: string;
  /** Service URIs of the account (what `PARITY_STORAGE__*ServiceUri` hold in Azure). */
  tableEndpoint: string;
  queueEndpoint: string;
  tablePort: number;
  queuePort: number;
  /** Milliseconds from spawn to both services accepting connections. */
  startupMs: number;
  stop(): Promise<void>;
}

/** Path of the Azurite entry script, or undefined when the package is not installed. */
export function azuriteScript(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve("azurite/package.json")), "dist/src/azurite.js");
  } catch {
    return undefined;
  }
}

export async function startAzurite(options: { log?: (line: string) => void } = {}): Promise<Azurite> {
  const script = azuriteScript();
  if (!script) throw new Error("azurite is not installed: npm install (it is a devDependency, azurite@3.35.0)");
  const started = Date.now();
  const [blobPort, queuePort, tablePort] = await freePorts(3);
  const child = spawn(
    process.execPath,
    [
      script,
      "--inMemoryPersistence",
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--silent",
      "--blobHost", "127.0.0.1", "--blobPort", String(blobPort),
      "--queueHost", "127.0.0.1", "--queuePort", String(queuePort),
      "--tableHost", "127.0.0.1", "--tablePort", String(tablePort),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  child.stdout?.resume();
  const alive = () => child.exitCode === null && child.signalCode === null;
  try {
    await Promise.all([waitForPort(queuePort, EMULATOR_START_TIMEOUT_MS, alive), waitForPort(tablePort, EMULATOR_START_TIMEOUT_MS, alive)]);
  } catch (error) {
    await stopChild(child);
    throw new Error(`Azurite did not start: ${(error as Error).message}\n${stderr}`);
  }
  const startupMs = Date.now() - started;
  options.log?.(`Azurite 3.35.0 (tables :${tablePort}, queues :${queuePort}) ready in ${(startupMs / 1000).toFixed(1)} s`);
  const tableEndpoint = `http://127.0.0.1:${tablePort}/${AZURITE_ACCOUNT}`;
  const queueEndpoint = `http://127.0.0.1:${queuePort}/${AZURITE_ACCOUNT}`;
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
    tableEndpoint,
    queueEndpoint,
    tablePort,
    queuePort,
    startupMs,
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

