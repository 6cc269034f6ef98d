/**
 * The bench's measurements and goals, kept pure where they can be so tests check them:
 * module load in fresh `node` processes, the warm in-process request path, the goals.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot, sha256Hex } from "../components/bundle";
import type { Platform } from "../components/catalog";

export interface Spread {
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
  samples: number;
}

/** Median and quartiles (linear interpolation); NaN everywhere for no samples. */
export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    if (sorted.length === 0) return NaN;
    const pos = (sorted.length - 1) * q;
    const low = Math.floor(pos);
    return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (pos - low);
  };
  return { median: at(0.5), p25: at(0.25), p75: at(0.75), min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN, samples: sorted.length };
}

/**
 * What each platform's runtime has loaded before our bundle: the Functions Framework is the
 * loader on Google Cloud (kept external), so its own load is not the bundle's.
 */
export const runtimePreload: Partial<Record<Platform, string>> = { gcp: "@google-cloud/functions-framework" };

/** Settings the bundles read at module load; placeholders, nothing is called. */
export const benchEnv: Record<string, string> = {
  AWS_REGION: "us-east-1",
  USERS_TABLE: "users",
  EVENTS_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/events",
  API_KEY_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:000000000000:secret:api-key",
  GOOGLE_CLOUD_PROJECT: "parity-bench",
  EVENTS_TOPIC: "events",
  EVENTS_QUEUE: "events",
  API_KEY: "bench-key",
  PARITY_STORAGE__accountName: "paritybench",
  RECONCILE_GRACE_SECONDS: "300",
  RECONCILE_TIME_BUDGET_SECONDS: "50",
};

/**
 * Loads one file in a fresh process and answers the milliseconds from just before the
 * require/import to just after it. `.mjs` is imported, anything else required.
 */
const childSource = `
const [file, preload] = process.argv.slice(1);
if (preload) require(require.resolve(preload, { paths: [process.cwd()] }));
const started = process.hrtime.bigint();
const done = () => { process.stdout.write("\\n" + JSON.stringify({ ms: Number(process.hrtime.bigint() - started) / 1e6 }) + "\\n"); process.exit(0); };
if (file.endsWith(".mjs")) import(require("node:url").pathToFileURL(file).href).then(done, (e) => { console.error(e); process.exit(2); });
else { require(file); done(); }
`;

/** One module-load sample of a bundle file, ms. Throws with the child's output when it fails. */
export function loadOnce(file: string, preload?: string): number {
  const result = spawnSync(process.execPath, ["-e", childSource, file, preload ?? ""], {
    cwd: projectRoot,
    env: { ...process.env, ...benchEnv, NODE_OPTIONS: "" },
    encoding: "utf8",
    timeout: 60_000,
  });
  const last = result.stdout?.trim().split("\n").pop() ?? "";
  try {
    const { ms } = JSON.parse(last) as { ms: number };
    if (result.status === 0 && typeof ms === "number") return ms;
  } catch {
    // falls through to the error below
  }
  throw new Error(`loading ${file} failed (exit ${result.status}): ${(result.stderr ?? "").slice(-800)}`);
}

/**
 * Workers bundles are ES modules in `.js` files; Node loads them as modules only as `.mjs`.
 * The copy goes to a temporary folder, never beside the bundle: a bundle's folder is what gets
 * packaged. Workers bundles are self-contained (no imports), so they load from anywhere.
 * Node is not workerd: their load figures are indicative (V8 both, different loaders).
 */
export function loadableFile(file: string): string {
  if (!file.endsWith(".js") || !fs.readFileSync(file, "utf8").match(/^(import|export)\b|\bexport\s*\{/m)) return file;
  const dir = path.join(os.tmpdir(), `parity-bench-${sha256Hex(file).slice(0, 16)}`);
  const copy = path.join(dir, "index.mjs");
  if (!fs.existsSync(copy)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(file, copy);
  }
  return copy;
}

/** Counts how many times `call` completes in `durationMs`, one at a time. */
export async function throughput(call: () => Promise<unknown>, durationMs: number): Promise<{ requests: number; ms: number }> {
  const started = performance.now();
  let requests = 0;
  while (performance.now() - started < durationMs) {
    for (let i = 0; i < 64; i++) await call();
    requests += 64;
  }
  return { requests, ms: performance.now() - started };
}

/** A goal: a measured ratio against its limit. `atMost` goals are met at or below it, others at or above. */
export interface Goal {
  name: string;
  value: number;
  limit: number;
  atMost: boolean;
  met: boolean;
}

export function goal(name: string, value: number, limit: number, atMost = true): Goal {
  return { name, value, limit, atMost, met: Number.isFinite(value) && (atMost ? value <= limit : value >= limit) };
}

/** The goals issue 14 sets (ratios within one run). */
export const GOALS = {
  /** A bundle against its hand-written baseline, bytes and module load. */
  bundleVsBaseline: 1.1,
  /** The core's warm request path against the raw handler's throughput. */
  warmVsRaw: 0.9,
  /** Workers bundles, minified bytes. */
  workersBytes: 60 * 1024,
  /** Each Google Cloud bundle's module load against the AWS users-api's. */
  gcpVsAwsLoad: 2,
} as const;
