/**
 * A slow store for fault cases: a loopback TCP proxy in front of a store emulator that holds
 * every byte a function sends for `delayMs` before passing it on, in order. The store's answers
 * come back at once. A write sent just before the function's timeout therefore reaches the store
 * after it, as a write already on the wire reaches a slow store after the platform gave up on the
 * function: bytes held when the function side closes are still delivered (then the store side is
 * closed). Protocol-blind, so it serves DynamoDB Local (HTTP/1.1), Azurite (HTTP/1.1) and the
 * Firestore emulator (gRPC over HTTP/2) alike.
 */
import * as net from "node:net";

export interface DelayingProxy {
  /** `127.0.0.1:PORT`, to use in place of the store's own host. */
  readonly host: string;
  readonly port: number;
  /** Resolves once no byte is held (everything sent so far has been passed on to the store). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

export async function startDelayingProxy(store: { host: string; port: number }, delayMs: number): Promise<DelayingProxy> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let held = 0;
  let onDrained: (() => void)[] = [];
  const settle = () => {
    if (held > 0) return;
    for (const resolve of onDrained) resolve();
    onDrained = [];
  };
  /** Runs `action` after the delay; equal delays keep the order of the bytes. */
  const later = (action: () => void) => {
    held++;
    const timer = setTimeout(() => {
      timers.delete(timer);
      held--;
      action();
      settle();
    }, delayMs);
    timers.add(timer);
  };

  const server = net.createServer((client) => {
    const upstream = net.connect({ host: store.host, port: store.port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.on("data", (chunk) => later(() => upstream.write(chunk)));
    // The function side closing (a timed-out environment discarded) does not recall what it sent.
    client.on("close", () => later(() => upstream.end()));
    upstream.on("data", (chunk) => {
      if (!client.destroyed) client.write(chunk);
    });
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    drained: () => (held === 0 ? Promise.resolve() : new Promise<void>((resolve) => onDrained.push(resolve))),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      held = 0;
      settle();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
