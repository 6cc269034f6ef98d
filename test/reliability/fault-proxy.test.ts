import assert from "node:assert/strict";
import * as net from "node:net";
import { startDelayingProxy, type DelayingProxy } from "../../local/fault-proxy";

describe("reliability: the slow-store proxy (local/fault-proxy.ts)", () => {
  const DELAY_MS = 150;
  let store: net.Server;
  let proxy: DelayingProxy;
  /** What the stand-in store received, and when. */
  const received: { text: string; at: number }[] = [];

  before(async () => {
    store = net.createServer((socket) => {
      socket.on("data", (chunk) => {
        received.push({ text: chunk.toString("utf8"), at: Date.now() });
        socket.write(`ack:${chunk.toString("utf8")}`);
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => store.listen(0, "127.0.0.1", resolve));
    proxy = await startDelayingProxy({ host: "127.0.0.1", port: (store.address() as net.AddressInfo).port }, DELAY_MS);
  });
  after(async () => {
    await proxy.close();
    await new Promise((resolve) => store.close(resolve));
  });

  it("holds what the function sends for the delay, answers at once after it, and still delivers what was sent before the function side closed", async () => {
    received.length = 0;
    const client = net.connect({ host: "127.0.0.1", port: proxy.port });
    await new Promise((resolve) => client.once("connect", resolve));
    const sentAt = Date.now();
    const answer = new Promise<string>((resolve) => client.once("data", (chunk) => resolve(chunk.toString("utf8"))));
    client.write("write-1");
    assert.equal(await answer, "ack:write-1");
    assert.ok(received[0].at - sentAt >= DELAY_MS - 5, `held ${received[0].at - sentAt} ms, the delay is ${DELAY_MS} ms`);

    // A timed-out function's environment is discarded with a write on the wire: it still lands.
    await new Promise((resolve) => client.write("write-2", resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.destroy();
    assert.ok(!received.some((r) => r.text.includes("write-2")), "not yet: it is held");
    await proxy.drained();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(received.some((r) => r.text.includes("write-2")), `delivered after the close: ${JSON.stringify(received)}`);
  });
});
