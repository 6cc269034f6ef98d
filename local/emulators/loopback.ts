/** Loopback helpers shared by the local launchers. */
import * as net from "node:net";

/** A port that was free on 127.0.0.1 a moment ago (for emulators that cannot report the one they bound). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

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
