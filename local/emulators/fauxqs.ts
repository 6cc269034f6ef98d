/**
 * fauxqs (an in-memory SQS emulator) on 127.0.0.1. Its `startFauxqs` binds 0.0.0.0, so this
 * builds its app and listens on loopback only; queues are then created through the real SQS API.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { importEsm } from "./loopback";

export interface Fauxqs {
  endpoint: string;
  version: string;
  startupMs: number;
  stop(): Promise<void>;
}

interface FastifyLike {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startFauxqs(options: { log?: (line: string) => void } = {}): Promise<Fauxqs> {
  const started = Date.now();
  // ESM-only package: loaded by file path because it exports no `require` condition.
  const entry = packageFile("fauxqs", "dist/app.js");
  const { buildApp } = await importEsm<{ buildApp(options: { logger: boolean }): FastifyLike }>(`file://${entry}`);
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: "127.0.0.1" });
  const startupMs = Date.now() - started;
  options.log?.(`fauxqs (SQS) ready on ${endpoint} in ${startupMs} ms`);
  const { version } = JSON.parse(fs.readFileSync(packageFile("fauxqs", "package.json"), "utf8")) as { version: string };
  return { endpoint, version, startupMs, stop: () => app.close() };
}

/** A file inside an installed package that exports neither it nor its package.json. */
function packageFile(name: string, file: string): string {
  for (const dir of require.resolve.paths(name) ?? []) {
    const candidate = path.join(dir, name, file);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} is not installed (looked for ${name}/${file}); run npm install`);
}
