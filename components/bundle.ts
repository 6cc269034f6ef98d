/**
 * Bundling and packaging, one way for every platform: an esbuild bundle per function per
 * platform (minified, tree-shaken, with source maps), the files a platform wants beside it
 * (package.json, host.json), one deterministic zip, and one content hash. What the tests load
 * is exactly what a component uploads.
 *
 * Pure of Pulumi: the local cloud bundles without loading any Pulumi package.
 */
import * as esbuild from "esbuild";
import { zipSync } from "fflate";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { catalog, checkPlatform, describe, entryFor, triggerKinds, type FunctionDefinition, type Platform, type TriggerKind } from "./catalog";
import { specsFor, type FunctionSpec, type ParityConfig } from "./config";
import { packageLockFor } from "./lockfile";
import { packageFile, packageRoot } from "./package-root";

/** Parity's own root (its checkout, or `node_modules/parity` once installed): read from, never written to. */
export const projectRoot = packageRoot;

/** Where a consumer's handlers are found and its bundles written. */
export interface BundleOptions {
  /**
   * The project the relative entry paths resolve against, and under which bundles are written.
   * @default process.cwd(): the Pulumi program's directory, where `pulumi up` runs it
   */
  root?: string;
  /**
   * Where the bundles are written: inside the consuming project, so that a bundle's externals
   * resolve from its `node_modules` when the local cloud loads it, and never inside the installed package.
   * @default `<root>/.parity/build`
   */
  outDir?: string;
  /** esbuild options laid over the platform's (tests and benchmarks only). */
  esbuild?: esbuild.BuildOptions;
}

/** The build folder of a project: `<root>/.parity/build`. */
export function buildDirOf(root: string = process.cwd()): string {
  return path.join(root, ".parity", "build");
}

interface PlatformTarget {
  /** File name the platform's runtime loads. */
  fileName: string;
  /** How the generated entry exports the driver's adapter: the runtime's `handler` export, or the Worker's default. */
  exportAs: "handler" | "default";
  options: esbuild.BuildOptions;
  /** Externals the platform's runtime itself provides: never listed as dependencies to install. */
  runtimeProvided?: readonly string[];
}

/** The Azure Functions host injects it into the Node worker; it is not on npm to install. */
const azureHostProvided = ["@azure/functions-core"];

/** Node 22 is the runtime on AWS, Google Cloud and Azure; Workers run V8 with web APIs only. */
export const platformTargets: Record<Platform, PlatformTarget> = {
  aws: {
    fileName: "index.mjs",
    exportAs: "handler",
    options: {
      platform: "node",
      format: "esm",
      target: "node22",
      // The AWS SDK v3 is bundled, not taken from the Lambda runtime: measured (docs/how-it-works.md, Bundles), the
      // bundle loads faster than the runtime's hundreds of SDK files and pins the SDK version
      // the tests ran (the runtime's copy lags and changes under us:
      // https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included);
      // the packages' ES builds ("module") tree-shake to two thirds the size.
      mainFields: ["module", "main"],
      // Some bundled CommonJS dependencies call require(); ESM output needs it defined.
      banner: { js: "import { createRequire as __parityRequire } from 'node:module'; const require = __parityRequire(import.meta.url);" },
    },
  },
  gcp: {
    fileName: "index.js",
    exportAs: "handler",
    options: {
      platform: "node",
      format: "cjs",
      target: "node22",
      // The Functions Framework loads the bundle; it must not be inside it.
      external: ["@google-cloud/functions-framework"],
    },
  },
  azure: {
    fileName: "index.js",
    exportAs: "handler",
    runtimeProvided: azureHostProvided,
    options: {
      platform: "node",
      format: "cjs",
      target: "node22",
      external: azureHostProvided,
      // Some @azure/* ESM builds (storage-common's crc64) call createRequire(import.meta.url),
      // which is undefined in CommonJS output; give them this file's URL instead.
      banner: { js: 'var __parityImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
      define: { "import.meta.url": "__parityImportMetaUrl" },
    },
  },
  cloudflare: {
    fileName: "index.js",
    exportAs: "default",
    options: {
      platform: "neutral",
      format: "esm",
      target: "es2022",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["browser", "module", "main"],
    },
  },
};

/** One function to deploy on one platform: its spec and the bundle to upload. */
export interface FunctionDeployment extends FunctionSpec {
  /** The bundle to upload; see `bundleFunction`. */
  bundle: Bundle;
}

export interface Bundle {
  platform: Platform;
  functionName: string;
  /** Directory holding the bundle and its source map. */
  dir: string;
  /** Absolute path of the bundle file. */
  file: string;
  /** The file name the runtime loads (e.g. `index.mjs`). */
  fileName: string;
  bytes: number;
  gzipBytes: number;
  /** esbuild's metafile: inputs and imports, for size and built-in checks. */
  metafile: esbuild.Metafile;
}

const cache = new Map<string, Bundle>();

/** What bundling needs of a function: its name and handler module, and its trigger (none: the entry is already the platform's native handler, e.g. a benchmark baseline). */
export type BundleInput = Pick<FunctionDefinition, "name" | "entry"> & { trigger?: { kind: TriggerKind } };

/** What one bundle is built from, resolved, and the cache key that holds them. */
export interface BundleInputs {
  /**
   * Every input of the build: the platform (its esbuild target), the function's name (in the
   * generated entry), its trigger kind (the driver adapter), the handler file, the output
   * folder and the esbuild overrides. Two calls that differ in any of these build different
   * bundles, so none may share a cached one (issue 30: a build input missing from the key
   * let two different builds share one output). A JSON array, not a ':'-joined string, so a
   * separator inside a name cannot make two inputs one key.
   */
  key: string;
  root: string;
  handlerFile: string;
  outDir: string;
  overrides: esbuild.BuildOptions;
}

/** Resolves a bundle's inputs against its root (pure: reads no file). */
export function bundleInputs(fn: BundleInput, platform: Platform, options: BundleOptions = {}): BundleInputs {
  checkBundleInput(fn, platform);
  const root = path.resolve(options.root ?? process.cwd());
  const handlerFile = path.resolve(root, entryFor(fn.entry, platform));
  const overrides = options.esbuild ?? {};
  const outDir = path.resolve(root, options.outDir ?? buildDirOf(root));
  const key = JSON.stringify([platform, fn.name, fn.trigger?.kind ?? null, handlerFile, outDir, overrides]);
  return { key, root, handlerFile, outDir, overrides };
}

/**
 * Bundles one function for one platform (cached for the life of the process). The entry is
 * generated: it imports the function's handler module and parity's generic driver for the
 * platform and trigger kind, and exports what the platform's runtime loads; esbuild reads it
 * from `stdin`, resolving from the handler's folder, so the handler's own imports resolve from
 * the consumer's project (https://esbuild.github.io/api/#stdin).
 */
export function bundleFunction(fn: BundleInput, platform: Platform, options: BundleOptions = {}): Bundle {
  const { key, root, handlerFile, outDir, overrides } = bundleInputs(fn, platform, options);
  const cached = cache.get(key);
  if (cached) return cached;
  if (!fs.existsSync(handlerFile)) throw new Error(`function "${fn.name}": its ${platform} handler ${handlerFile} does not exist (relative entries resolve against ${root})`);

  const target = platformTargets[platform];
  const variant = Object.keys(overrides).length > 0 ? `-${sha256Hex(JSON.stringify(overrides)).slice(0, 8)}` : "";
  // Content-addressed: built in a private staging folder, then moved to `<fn>/<content hash>/`,
  // so processes that bundle at the same time (parallel tests, `npm start` beside `npm test`)
  // never read a folder another one is rewriting. The staging folder sits at the final folder's
  // depth, so the source map's relative paths stay right after the move.
  const parent = path.join(outDir, platform, fn.name + variant);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, ".staging-"));
  const result = esbuild.buildSync({
    ...(fn.trigger ? { stdin: generatedEntry(fn.name, fn.trigger.kind, platform, handlerFile) } : { entryPoints: [handlerFile] }),
    outfile: path.join(staging, target.fileName),
    bundle: true,
    minify: true,
    treeShaking: true,
    sourcemap: "linked",
    legalComments: "none",
    metafile: true,
    logLevel: "silent",
    ...target.options,
    ...overrides,
  });
  const names = fs.readdirSync(staging).sort();
  const dir = path.join(parent, sha256Hex(names.map((name) => `${name}\0${sha256Hex(fs.readFileSync(path.join(staging, name)))}`).join("\n")).slice(0, 16));
  try {
    fs.renameSync(staging, dir);
  } catch (error) {
    // Another process moved the same content there first; theirs is identical.
    if (!fs.existsSync(dir)) throw error;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const file = path.join(dir, target.fileName);
  const contents = fs.readFileSync(file);
  const bundle: Bundle = {
    platform,
    functionName: fn.name,
    dir,
    file,
    fileName: target.fileName,
    bytes: contents.length,
    gzipBytes: zlib.gzipSync(contents).length,
    metafile: result.metafile!,
  };
  cache.set(key, bundle);
  return bundle;
}

/** What the types guard, checked at run time for plain JavaScript: a sentence naming the value and the allowed ones, never an esbuild error. */
function checkBundleInput(fn: BundleInput, platform: Platform): void {
  checkPlatform(platform);
  if (typeof fn !== "object" || fn === null || typeof fn.name !== "string" || fn.name === "") throw new TypeError(`a function to bundle needs a non-empty string \`name\`; got ${describe(fn)}.`);
  const kind = fn.trigger?.kind;
  if (fn.trigger !== undefined && !(triggerKinds as readonly unknown[]).includes(kind)) {
    throw new TypeError(`function "${fn.name}": trigger.kind must be one of ${triggerKinds.join(", ")}; got ${describe(kind)}.`);
  }
  const entry: unknown = fn.entry;
  const entryOk = typeof entry === "string" ? entry !== "" : typeof entry === "object" && entry !== null && typeof (entry as Record<string, unknown>)[platform] === "string";
  if (!entryOk) throw new TypeError(`function "${fn.name}": entry must be a handler path, or one per platform with a path for ${platform}; got ${describe(entry)}.`);
}

/**
 * The entry esbuild bundles for one function: the handler module's default export handed to the
 * driver's adapter for its trigger kind (functions/<platform>/driver.ts), exported as the platform
 * loads it. The driver is read from parity's shipped TypeScript sources, the very files the tests
 * here bundle, so an installed parity builds the bundle this repository measured.
 */
export function generatedEntry(name: string, kind: TriggerKind, platform: Platform, handlerFile: string): esbuild.StdinOptions {
  const driver = packageFile("functions", platform, "driver.ts");
  const exported = platformTargets[platform].exportAs === "default" ? "export default" : "export const handler =";
  return {
    contents: [`import app from ${JSON.stringify(handlerFile)};`, `import { ${kind} as drive } from ${JSON.stringify(driver)};`, `${exported} drive(${JSON.stringify(name)}, app);`, ""].join("\n"),
    resolveDir: path.dirname(handlerFile),
    sourcefile: `parity-${platform}-${kind}-entry.js`,
    loader: "js",
  };
}

/**
 * The functions of a catalog (the project's by default) for one platform: each bundled, with
 * the settings the stack decides for it on that platform.
 */
export function deploymentsFor(config: ParityConfig, platform: Platform, functions: readonly FunctionDefinition[] = catalog, options: BundleOptions = {}): FunctionDeployment[] {
  return specsFor(config, platform, functions).map((spec, i) => ({ ...spec, definition: functions[i], bundle: bundleFunction(functions[i], platform, options) }));
}

/** The one content hash of the project: SHA-256, hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** What a platform uploads for one function: the bundle, its source map and the platform's own files, zipped. */
export interface FunctionPackage {
  /** File name → contents, as they are zipped. */
  files: Record<string, Uint8Array>;
  /** The zip, written beside the bundle directory (`<dir>-<hash>.zip`). */
  zipFile: string;
  /** SHA-256 of the zip; a new value means new code. */
  hash: string;
}

/**
 * Packages a bundle with extra files (e.g. package.json, host.json). The zip is deterministic
 * (sorted names, fixed timestamps), so the same code always gives the same hash and a deploy
 * that changed nothing uploads nothing.
 *
 * Compressing is the costly part (a Google Cloud bundle is about 3 MB with its source map, and
 * `fflate` at level 9 is pure JavaScript: about 0.6 s of CPU a zip), and every component
 * instance packages every function, so a package is remembered: for the life of the process,
 * and on disk beside the bundle, under the hash of the extra files. The bundle folder is named
 * by its content, so that folder and the extra files decide the zip; a remembered zip is
 * re-hashed when read, and one that does not match is built again.
 */
export function packageFunction(bundle: Bundle, extraFiles: Record<string, string> = {}): FunctionPackage {
  const extrasKey = sha256Hex(JSON.stringify(Object.entries(extraFiles).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  const memoKey = `${bundle.dir}\0${extrasKey}`;
  const known = packages.get(memoKey);
  if (known) return known;
  const files: Record<string, Uint8Array> = {};
  for (const name of fs.readdirSync(bundle.dir).sort()) files[name] = fs.readFileSync(path.join(bundle.dir, name));
  for (const [name, text] of Object.entries(extraFiles)) files[name] = Buffer.from(text, "utf8");
  const record = path.join(`${bundle.dir}.packages`, extrasKey.slice(0, 32));
  const remembered = rememberedPackage(record, bundle.dir);
  if (remembered) {
    const pkg = { files, ...remembered };
    packages.set(memoKey, pkg);
    return pkg;
  }
  const sorted = Object.fromEntries(Object.keys(files).sort().map((name) => [name, [files[name], { mtime: ZIP_EPOCH }] as const]));
  const zip = zipSync(sorted as Parameters<typeof zipSync>[0], { level: 9 });
  const hash = sha256Hex(zip);
  // Named by its content and written through a rename, so a concurrent reader never sees half a zip.
  const zipFile = zipFileOf(bundle.dir, hash);
  writeAtomically(zipFile, zip);
  writeAtomically(record, hash);
  const pkg = { files, zipFile, hash };
  packages.set(memoKey, pkg);
  return pkg;
}

/** Where a bundle's zip of a given hash is written: beside the bundle folder, named by its content. */
const zipFileOf = (bundleDir: string, hash: string): string => `${bundleDir}-${hash.slice(0, 16)}.zip`;

/** Packages built in this process: bundle folder and extra files' hash → package. */
const packages = new Map<string, FunctionPackage>();

/** The zip a record names, if it is there and its content still has the recorded hash. */
function rememberedPackage(record: string, bundleDir: string): Pick<FunctionPackage, "zipFile" | "hash"> | undefined {
  try {
    const hash = fs.readFileSync(record, "utf8");
    const zipFile = zipFileOf(bundleDir, hash);
    return sha256Hex(fs.readFileSync(zipFile)) === hash ? { zipFile, hash } : undefined;
  } catch {
    return undefined;
  }
}

/** Writes through a rename, so a concurrent reader never sees half a file (two writers of one name write the same bytes). */
function writeAtomically(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, data);
  fs.renameSync(partial, file);
}

/** The earliest time a zip entry can hold (1980-01-01), so entries carry no build time. */
const ZIP_EPOCH = new Date(1980, 0, 1);

/**
 * The `package.json` shipped beside a Node bundle: `main`, Node 22, and the bundle's externals
 * pinned to the versions installed here (what the platform installs, where it does), except
 * those the platform's runtime provides.
 */
export function packageJsonFor(bundle: Bundle): string {
  return JSON.stringify({ name: shippedName(bundle), private: true, main: bundle.fileName, engines: { node: "22" }, dependencies: shippedDependencies(bundle) }, null, 2);
}

/**
 * The `package-lock.json` shipped beside `packageJsonFor`'s package.json: the installed tree of
 * exactly its dependencies, so a platform that installs them (Google Cloud's buildpack runs
 * `npm ci` when a lockfile is present) installs the versions tested here (./lockfile.ts).
 */
export function packageLockJsonFor(bundle: Bundle): string {
  return JSON.stringify(packageLockFor(shippedName(bundle), shippedDependencies(bundle), packageRoot), null, 2);
}

const shippedName = (bundle: Bundle): string => `parity-${bundle.functionName}`;

/** The bundle's externals the platform does not provide, each pinned to its installed version. */
function shippedDependencies(bundle: Bundle): Record<string, string> {
  const dependencies: Record<string, string> = {};
  const provided = platformTargets[bundle.platform].runtimeProvided ?? [];
  for (const name of bundleExternals(bundle)) if (!provided.includes(name)) dependencies[name] = installedVersion(name);
  return dependencies;
}

/** Package names the bundle imports at run time (Node built-ins excluded). */
export function bundleExternals(bundle: Bundle): string[] {
  const names = new Set<string>();
  for (const output of Object.values(bundle.metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external || imported.path.startsWith("node:") || builtinModules.includes(imported.path.split("/")[0])) continue;
      const parts = imported.path.split("/");
      names.add(imported.path.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
    }
  }
  return [...names].sort();
}

/** The version of a package as installed where parity resolves it (its own node_modules, or the consumer's above it). */
function installedVersion(packageName: string): string {
  for (let dir = packageRoot; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "node_modules", packageName, "package.json");
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
    if (path.dirname(dir) === dir) throw new Error(`${packageName} is not installed where parity can resolve it (from ${packageRoot})`);
  }
}
