/**
 * esbuild bundles, one per function per platform: minified, tree-shaken, with source maps.
 * What the tests load is exactly what a component uploads.
 */
import * as esbuild from "esbuild";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as pulumi from "@pulumi/pulumi";
import type { FunctionDefinition, Platform } from "./catalog";

export const projectRoot = path.resolve(__dirname, "..");
/** Inside the project so that externals resolve from its node_modules when tests load a bundle. */
export const buildRoot = path.join(projectRoot, ".build");

interface PlatformTarget {
  /** File name the platform's runtime loads. */
  fileName: string;
  options: esbuild.BuildOptions;
}

/** Node 22 is the runtime on AWS, Google Cloud and Azure; Workers run V8 with web APIs only. */
export const platformTargets: Record<Platform, PlatformTarget> = {
  aws: {
    fileName: "index.mjs",
    options: {
      platform: "node",
      format: "esm",
      target: "node22",
      // The AWS SDK v3 is bundled, not taken from the Lambda runtime: measured (README), the
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
    options: {
      platform: "node",
      format: "cjs",
      target: "node22",
      // Provided by the Functions host at run time.
      external: ["@azure/functions-core"],
      // Some @azure/* ESM builds (storage-common's crc64) call createRequire(import.meta.url),
      // which is undefined in CommonJS output; give them this file's URL instead.
      banner: { js: 'var __parityImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
      define: { "import.meta.url": "__parityImportMetaUrl" },
    },
  },
  cloudflare: {
    fileName: "index.js",
    options: {
      platform: "neutral",
      format: "esm",
      target: "es2022",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["browser", "module", "main"],
    },
  },
};

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

/** Bundles one function for one platform (cached for the life of the process). */
export function bundleFunction(fn: Pick<FunctionDefinition, "name" | "entry">, platform: Platform, overrides: esbuild.BuildOptions = {}): Bundle {
  const key = `${platform}:${fn.name}:${JSON.stringify(overrides)}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const target = platformTargets[platform];
  const variant = Object.keys(overrides).length > 0 ? `-${hash(JSON.stringify(overrides))}` : "";
  const dir = path.join(buildRoot, platform, fn.name + variant);
  const file = path.join(dir, target.fileName);
  fs.rmSync(dir, { recursive: true, force: true });
  const result = esbuild.buildSync({
    entryPoints: [path.resolve(projectRoot, fn.entry[platform])],
    outfile: file,
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

/** The bundle (and its source map) as a Pulumi archive, plus any extra files the platform wants. */
export function bundleArchive(bundle: Bundle, extraFiles: Record<string, string> = {}): pulumi.asset.AssetArchive {
  const assets: Record<string, pulumi.asset.Asset> = {};
  for (const name of fs.readdirSync(bundle.dir)) assets[name] = new pulumi.asset.FileAsset(path.join(bundle.dir, name));
  for (const [name, text] of Object.entries(extraFiles)) assets[name] = new pulumi.asset.StringAsset(text);
  return new pulumi.asset.AssetArchive(assets);
}

function hash(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16);
}
