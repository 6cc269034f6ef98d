/**
 * Where parity itself is: the repository when run from source, `node_modules/parity` when
 * installed (its compiled code under `dist/`, the function sources it bundles under
 * `functions/`). Parity reads its own files from here and never writes here: bundles go under
 * the consumer's project (components/bundle.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`parity: no package.json above ${from}`);
  }
}

/** Parity's package root: the first folder above this module with a package.json (from `components/` or `dist/components/`). */
export const packageRoot = findPackageRoot(path.resolve(__dirname, ".."));

/** A file of parity's own, by its path inside the package. */
export const packageFile = (...segments: string[]): string => path.join(packageRoot, ...segments);
