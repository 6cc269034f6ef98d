/**
 * The one loopback HTTP front of the local cloud, for runtimes that have no HTTP server of
 * their own (Lambda behind API Gateway, Azure Functions behind its host): a Node server on
 * 127.0.0.1 that hands each request to a web-standard handler and writes its Response back.
 * The Functions Framework and workerd serve HTTP themselves.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackFront {
  url: string;
  stop(): Promise<void>;
}

export type FrontHandler = (request: Request, client: { remoteAddress?: string }) => Promise<Response>;

/** Serves `handle` on a free port of 127.0.0.1. A handler that throws answers 500 as plain JSON. */
export async function serveFetch(handle: FrontHandler): Promise<LoopbackFront> {
  const server = http.createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const request = new Request(`http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`, {
        method: req.method,
        headers,
        body: body.length > 0 && req.method !== "GET" && req.method !== "HEAD" ? body : undefined,
      });
      const response = await handle(request, { remoteAddress: req.socket.remoteAddress });
      const cookies = response.headers.getSetCookie();
      res.writeHead(response.status, Object.fromEntries([...response.headers].filter(([name]) => name !== "set-cookie")));
      if (cookies.length > 0) res.setHeader("set-cookie", cookies);
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `local front: ${(error as Error).message}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
