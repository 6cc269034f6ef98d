/**
 * The `package-lock.json` shipped beside a bundle whose platform installs its externals (Google
 * Cloud: the Functions Framework), so the platform installs the dependency tree parity was
 * tested with, not whatever its version ranges resolve to on the day of the deploy (issue 26 #10:
 * the framework's `express ^5` and `body-parser ^2` parse untrusted bodies before parity's code runs).
 *
 * Why a lockfile is enough: Google's Node.js buildpack (what Cloud Functions builds with) runs
 * `npm install --package-lock-only` only when the source has neither npm-shrinkwrap.json nor
 * package-lock.json, and otherwise `npm ci` (npm ≥ 6.14), which installs exactly the lockfile's
 * tree; a cached layer is reused only for an unchanged package.json and lockfile, and then
 * `npm install` against the same lockfile is a no-op (github.com/GoogleCloudPlatform/buildpacks
 * pkg/nodejs/npm.go `EnsureLockfile`, `NPMInstallCommand`; cmd/nodejs/npm/lib/lib.go `BuildFn`;
 * https://docs.npmjs.com/cli/commands/npm-ci).
 *
 * The tree is read from what is installed where parity resolves its packages (the very files the
 * tests loaded): each package's version and dependencies from its own package.json, found by
 * Node's resolution from the package that requires it; its `resolved` and `integrity` from the
 * npm lockfile that installed it, where there is one. Pure of Pulumi and of the network.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** One package of a lockfile's `packages` map (https://docs.npmjs.com/cli/configuring-npm/package-lock-json#packages). */
export interface LockedPackage {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bin?: Record<string, string> | string;
  engines?: Record<string, string> | string[];
  os?: string[];
  cpu?: string[];
  hasInstallScript?: boolean;
  optional?: boolean;
}

export interface PackageLock {
  name: string;
  lockfileVersion: 3;
  requires: true;
  packages: Record<string, LockedPackage>;
}

/**
 * What an installed package's own package.json says that a lockfile needs: the fields a locked
 * package copies from it (old manifests may give `engines` as an array, as a lockfile may), with
 * its name and version always there.
 */
type InstalledManifest = Pick<LockedPackage, "license" | "dependencies" | "optionalDependencies" | "peerDependencies" | "peerDependenciesMeta" | "bin" | "engines" | "os" | "cpu"> & {
  name: string;
  version: string;
};

/** An installed package: the folder it is in (as Node reaches it, symlinks not followed) and its manifest. */
interface Installed {
  dir: string;
  manifest: InstalledManifest;
}

/**
 * Node's resolution of a package name from a folder: `<dir>/node_modules/<name>`, then the same
 * from each folder above (https://nodejs.org/api/modules.html#loading-from-node_modules-folders).
 * A `node_modules` folder itself is never searched for another `node_modules` inside it.
 */
function resolveInstalled(name: string, fromDir: string): Installed | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== "node_modules") {
      const packageDir = path.join(dir, "node_modules", name);
      const file = path.join(packageDir, "package.json");
      if (fs.existsSync(file)) return { dir: packageDir, manifest: JSON.parse(fs.readFileSync(file, "utf8")) as InstalledManifest };
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The dependencies npm installs for a package: its dependencies, its optional ones and its non-optional peers (npm ≥ 7 installs peers). */
function requiredNames(manifest: InstalledManifest): { name: string; optional: boolean }[] {
  const names = new Map<string, boolean>();
  for (const name of Object.keys(manifest.dependencies ?? {})) names.set(name, false);
  for (const name of Object.keys(manifest.optionalDependencies ?? {})) names.set(name, true);
  for (const name of Object.keys(manifest.peerDependencies ?? {})) if (!names.has(name)) names.set(name, manifest.peerDependenciesMeta?.[name]?.optional === true);
  return [...names].map(([name, optional]) => ({ name, optional }));
}

/**
 * The npm lockfile entry that installed a package folder, if an npm lockfile covers it: the
 * project's package-lock.json (or npm's hidden node_modules/.package-lock.json) in the folder
 * above the outermost `node_modules`, keyed by the folder's path from there.
 */
function lockfileEntryOf(packageDir: string, lockfiles: Map<string, Record<string, LockedPackage> | null>): LockedPackage | undefined {
  const segments = packageDir.split(path.sep);
  const first = segments.indexOf("node_modules");
  if (first < 0) return undefined;
  const projectDir = segments.slice(0, first).join(path.sep) || path.sep;
  if (!lockfiles.has(projectDir)) {
    let packages: Record<string, LockedPackage> | null = null;
    for (const file of [path.join(projectDir, "package-lock.json"), path.join(projectDir, "node_modules", ".package-lock.json")]) {
      if (!fs.existsSync(file)) continue;
      packages = (JSON.parse(fs.readFileSync(file, "utf8")) as { packages?: Record<string, LockedPackage> }).packages ?? null;
      if (packages) break;
    }
    lockfiles.set(projectDir, packages);
  }
  return lockfiles.get(projectDir)?.[segments.slice(first).join("/")];
}

/**
 * A lockfile (v3, npm ≥ 7) for a package.json whose `dependencies` are exactly `dependencies`,
 * each pinned to the installed version, holding the closure of those dependencies as installed
 * under `resolveFrom`. The layout is npm's: each package at the top `node_modules/<name>` unless
 * another version holds that place, then nested under the package that requires it, so Node's
 * resolution inside the installed tree finds the same versions as here.
 */
export function packageLockFor(name: string, dependencies: Record<string, string>, resolveFrom: string): PackageLock {
  const lockfiles = new Map<string, Record<string, LockedPackage> | null>();
  const packages: Record<string, LockedPackage> = { "": { name, dependencies } };
  // Breadth first, so every package's top-level place is claimed by the version nearest the root.
  const queue: { location: string; installed: Installed }[] = [];
  const place = (required: string, fromLocation: string, installed: Installed): void => {
    // Node's resolution inside the tree being built: the first place above `fromLocation`.
    for (let location = fromLocation; ; ) {
      const candidate = `${location === "" ? "" : `${location}/`}node_modules/${required}`;
      const there = packages[candidate];
      if (there) {
        if (there.version === installed.manifest.version) return;
        // Another version is visible from here: this one goes beside the package that needs it.
        break;
      }
      if (location === "") {
        add(candidate, installed);
        return;
      }
      const up = location.lastIndexOf("/node_modules/");
      location = up < 0 ? "" : location.slice(0, up);
    }
    add(`${fromLocation === "" ? "" : `${fromLocation}/`}node_modules/${required}`, installed);
  };
  const add = (location: string, installed: Installed): void => {
    packages[location] = entryFor(installed, lockfileEntryOf(installed.dir, lockfiles));
    queue.push({ location, installed });
  };
  for (const [dependency, version] of Object.entries(dependencies)) {
    const installed = resolveInstalled(dependency, resolveFrom);
    if (!installed) throw new Error(`${dependency} is not installed where parity can resolve it (from ${resolveFrom}), so no lockfile can pin it`);
    if (installed.manifest.version !== version) throw new Error(`${dependency}: package.json pins ${version} but ${installed.manifest.version} is installed (${installed.dir})`);
    place(dependency, "", installed);
  }
  while (queue.length > 0) {
    const { location, installed } = queue.shift()!;
    for (const { name: required, optional } of requiredNames(installed.manifest)) {
      const found = resolveInstalled(required, installed.dir);
      if (!found) {
        if (optional) continue; // not installed here (another OS or CPU, or an optional peer): npm may skip it too
        throw new Error(`${installed.manifest.name}@${installed.manifest.version} needs ${required}, which is not installed where Node would find it (from ${installed.dir})`);
      }
      place(required, location, found);
    }
  }
  const sorted = Object.fromEntries(Object.keys(packages).sort().map((location) => [location, packages[location]]));
  return { name, lockfileVersion: 3, requires: true, packages: sorted };
}

/**
 * One package's entry: what its installed package.json says, with the registry URL and integrity
 * hash npm recorded when it installed that same version (the dev/peer flags of the project's own
 * lockfile are dropped: here every package is a production dependency).
 */
function entryFor({ manifest }: Installed, locked: LockedPackage | undefined): LockedPackage {
  const same = locked?.version === manifest.version ? locked : undefined;
  const entry: LockedPackage = { version: manifest.version };
  if (same?.resolved) entry.resolved = same.resolved;
  if (same?.integrity) entry.integrity = same.integrity;
  if (manifest.license) entry.license = manifest.license;
  for (const field of ["dependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta"] as const) {
    if (manifest[field] && Object.keys(manifest[field]).length > 0) entry[field] = manifest[field] as never;
  }
  if (same?.bin ?? manifest.bin) entry.bin = same?.bin ?? manifest.bin;
  if (manifest.engines && !Array.isArray(manifest.engines)) entry.engines = manifest.engines;
  if (manifest.os) entry.os = manifest.os;
  if (manifest.cpu) entry.cpu = manifest.cpu;
  if (same?.hasInstallScript) entry.hasInstallScript = true;
  if (same?.optional) entry.optional = true;
  return entry;
}
