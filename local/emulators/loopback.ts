/** Loopback helpers shared by the local launchers. */
import * as net from "node:net";

/** A port that was free on 127.0.0.1 a moment ago (for emulators that cannot report the one they bound). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** Distinct ports that were free on 127.0.0.1 a moment ago (all held open until all are chosen). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.unref();
          server.on("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * How long an emulator may take to start listening: a guard against one that never does, not a
 * measure of start-up. Each wait also ends at once when the emulator's process exits. On an idle
 * 2-core machine each starts in seconds; on a busy one (load average near 30, other test runs
 * beside it) DynamoDB Local's JVM took more than 30 s and Azurite more than 15 s, which failed the
 * start for load alone.
 */
export const EMULATOR_START_TIMEOUT_MS = 120_000;

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the process meant to listen on 127.0.0.1:${port} exited`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/**
 * A real dynamic `import()`, which CommonJS output (ts-node, tsc) would otherwise turn into
 * `require()`: ESM-only packages (fauxqs) and the `.mjs` Lambda bundles need it.
 */
export const importEsm = new Function("specifier", "return import(specifier)") as <T = any>(specifier: string) => Promise<T>;
