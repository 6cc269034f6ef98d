/** The package tests run what `npm install` built (`prepare`): dist/ is rebuilt here only when a source is newer. */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../../components/bundle";

const run = promisify(execFile);
export const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** The newest modification time under `dir` of files `keep` accepts (0 when there is none). */
export function newestMtime(dir: string, keep: (file: string) => boolean): number {
  if (!fs.existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && keep(file)) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** `dist/` is older than a source it is built from: build it, as `prepare` does. */
export async function ensureBuilt(): Promise<void> {
  const source = (file: string) => file.endsWith(".ts") && !file.endsWith(".test.ts");
  const sources = Math.max(...["components", "functions", "provider"].map((dir) => newestMtime(path.join(projectRoot, dir), source)));
  if (newestMtime(path.join(projectRoot, "dist"), (file) => file.endsWith(".js")) < sources) {
    await run(npm, ["run", "build"], { cwd: projectRoot, timeout: 600_000 });
  }
}
