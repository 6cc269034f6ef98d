/**
 * `npm run bench`: every platform × function bundle against a hand-written single-platform
 * baseline (bench/baselines/) built with the same esbuild settings, measured in the same run:
 * raw and gzip bytes, module load in fresh `node` processes (median and quartiles), and the
 * warm in-process request path of the portable core against a raw handler. Prints a table
 * with the goals marked met or not and writes reports/<timestamp>/bench.json.
 *
 *   npm run bench                 # 21 loads per bundle, 3 s per warm path
 *   npm run bench -- --quick      # 11 loads per bundle, 1 s per warm path (about a minute)
 *   npm run bench -- --loadgen    # also the load generator's own bench (bench/loadgen.bench.ts)
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleFunction, projectRoot, type Bundle } from "../components/bundle";
import { catalog, platforms, type Platform } from "../components/catalog";
import { Progress } from "../compare/progress";
import { timestampFolder } from "../compare/results";
import { GOALS, goal, loadableFile, loadOnce, runtimePreload, spreadOf, type Goal, type Spread } from "./measure";
import { warmPaths, type WarmPath } from "./warm";

interface Options {
  loads: number;
  warmMs: number;
  loadgen: boolean;
  outDir?: string;
}

const USAGE = `usage: npm run bench -- [--quick] [--loads N (≥ 11)] [--warm-ms MS] [--loadgen] [--out DIR]`;

export function parseArgs(argv: readonly string[]): Options {
  const options: Options = { loads: 21, warmMs: 3_000, loadgen: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === "--quick") Object.assign(options, { loads: 11, warmMs: 1_000 });
    else if (arg === "--loads") options.loads = Number(value());
    else if (arg === "--warm-ms") options.warmMs = Number(value());
    else if (arg === "--loadgen") options.loadgen = true;
    else if (arg === "--out") options.outDir = value();
    else if (arg === "--help" || arg === "-h") throw new Error(USAGE);
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  if (!Number.isInteger(options.loads) || options.loads < 11) throw new Error(`--loads must be a whole number of at least 11 (a median needs them)\n${USAGE}`);
  if (!(options.warmMs >= 100)) throw new Error(`--warm-ms must be at least 100\n${USAGE}`);
  return options;
}

/** One measured bundle: parity's, a baseline, or a probe for a decision. */
export interface Measured {
  label: string;
  platform: Platform;
  functionName: string;
  kind: "parity" | "baseline" | "probe";
  bytes: number;
  gzipBytes: number;
  load: Spread;
}

export interface BundleRow {
  platform: Platform;
  functionName: string;
  parity: Measured;
  baseline?: Measured;
  /** parity / baseline */
  bytesRatio?: number;
  loadRatio?: number;
}

export interface BenchResults {
  kind: "parity-bench";
  startedAt: string;
  machine: { cpus: number; cpuModel: string; node: string };
  loadsPerBundle: number;
  bundles: BundleRow[];
  probes: Measured[];
  warm: WarmPath[];
  goals: Goal[];
}

const baselineEntry = (platform: Platform, functionName: string) => `bench/baselines/${platform}/${functionName}.ts`;

/** Bundles the decision probes are built for: what a client costs by itself. */
const probes: { label: string; platform: Platform; entry: string }[] = [
  { label: "Firestore client alone", platform: "gcp", entry: "bench/probes/firestore.ts" },
  { label: "Pub/Sub client alone", platform: "gcp", entry: "bench/probes/pubsub.ts" },
  { label: "Tables + DefaultAzureCredential", platform: "azure", entry: "bench/probes/azure-default-credential.ts" },
  { label: "Tables + ManagedIdentityCredential", platform: "azure", entry: "bench/probes/azure-managed-identity.ts" },
];

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const progress = new Progress();
  const startedAt = new Date();

  // 1. Build: parity's bundles, the baselines and the probes, all with parity's esbuild settings.
  const targets: { label: string; platform: Platform; functionName: string; kind: Measured["kind"]; bundle: Bundle }[] = [];
  const build = progress.start("all", "bundle");
  for (const platform of platforms) {
    for (const fn of catalog) {
      targets.push({ label: `${platform} ${fn.name}`, platform, functionName: fn.name, kind: "parity", bundle: bundleFunction(fn, platform) });
      if (fs.existsSync(path.join(projectRoot, baselineEntry(platform, fn.name)))) {
        const entry = { [platform]: baselineEntry(platform, fn.name) } as Record<Platform, string>;
        targets.push({ label: `${platform} ${fn.name} baseline`, platform, functionName: fn.name, kind: "baseline", bundle: bundleFunction({ name: `bench-baseline-${fn.name}`, entry }, platform) });
      }
    }
  }
  for (const probe of probes) {
    const entry = { [probe.platform]: probe.entry } as Record<Platform, string>;
    const name = `bench-probe-${path.basename(probe.entry, ".ts")}`;
    targets.push({ label: probe.label, platform: probe.platform, functionName: name, kind: "probe", bundle: bundleFunction({ name, entry }, probe.platform) });
  }
  build.end(`${targets.length} bundles`);

  // 2. Module load: round-robin over every bundle, so drift on a shared machine hits all alike.
  const samples = targets.map(() => [] as number[]);
  const loading = progress.start("all", "module load");
  for (let round = 0; round < options.loads; round++) {
    targets.forEach((target, i) => {
      samples[i].push(loadOnce(loadableFile(target.bundle.file), runtimePreload[target.platform]));
      loading.update(round * targets.length + i + 1, options.loads * targets.length);
    });
  }
  loading.end(`${options.loads} fresh processes per bundle`);
  const measured: Measured[] = targets.map((t, i) => ({
    label: t.label,
    platform: t.platform,
    functionName: t.functionName,
    kind: t.kind,
    bytes: t.bundle.bytes,
    gzipBytes: t.bundle.gzipBytes,
    load: spreadOf(samples[i]),
  }));

  // 3. The warm request path, in process.
  const warming = progress.start("all", "warm path");
  const warm = await warmPaths(options.warmMs);
  warming.end(warm.map((w) => `${w.label} ${w.ratio.toFixed(2)}×`).join(", "));

  const bundles: BundleRow[] = measured
    .filter((m) => m.kind === "parity")
    .map((parity) => bundleRow(parity, measured.find((m) => m.kind === "baseline" && m.platform === parity.platform && m.functionName === parity.functionName)));
  const results: BenchResults = {
    kind: "parity-bench",
    startedAt: startedAt.toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", node: process.version },
    loadsPerBundle: options.loads,
    bundles,
    probes: measured.filter((m) => m.kind === "probe"),
    warm,
    goals: goalsOf(bundles, warm),
  };

  console.log(renderTables(results));
  const dir = options.outDir ?? path.join(projectRoot, "reports", timestampFolder(startedAt));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "bench.json"), JSON.stringify(results, null, 2) + "\n");
  console.log(`\nwrote ${path.relative(process.cwd(), path.join(dir, "bench.json"))}`);

  if (options.loadgen) {
    console.log("\n## The load generator\n");
    spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "loadgen.bench.ts")], { stdio: "inherit", cwd: projectRoot });
  }
}

/** One bundle against its baseline: the two ratios, or none without a baseline. */
export function bundleRow(parity: Measured, baseline?: Measured): BundleRow {
  return {
    platform: parity.platform,
    functionName: parity.functionName,
    parity,
    baseline,
    bytesRatio: baseline ? parity.bytes / baseline.bytes : undefined,
    loadRatio: baseline ? parity.load.median / baseline.load.median : undefined,
  };
}

/** Every goal of issue 14 that this run can judge. */
export function goalsOf(bundles: readonly BundleRow[], warm: readonly WarmPath[]): Goal[] {
  const goals: Goal[] = [];
  for (const row of bundles) {
    const name = `${row.platform} ${row.functionName}`;
    if (row.bytesRatio !== undefined) goals.push(goal(`${name}: bytes ≤ ${GOALS.bundleVsBaseline}× baseline`, row.bytesRatio, GOALS.bundleVsBaseline));
    if (row.loadRatio !== undefined) goals.push(goal(`${name}: module load ≤ ${GOALS.bundleVsBaseline}× baseline`, row.loadRatio, GOALS.bundleVsBaseline));
    if (row.platform === "cloudflare") goals.push(goal(`${name}: ≤ 60 KB minified`, row.parity.bytes / GOALS.workersBytes, 1));
  }
  const awsUsers = bundles.find((row) => row.platform === "aws" && row.functionName === "users-api");
  for (const row of bundles.filter((r) => r.platform === "gcp" && awsUsers)) {
    goals.push(goal(`gcp ${row.functionName}: module load ≤ ${GOALS.gcpVsAwsLoad}× AWS users-api`, row.parity.load.median / awsUsers!.parity.load.median, GOALS.gcpVsAwsLoad));
  }
  for (const path of warm) goals.push(goal(`${path.label}: core ≥ ${GOALS.warmVsRaw}× raw handler`, path.ratio, GOALS.warmVsRaw, false));
  return goals;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (s: Spread) => `${s.median.toFixed(1)} (${s.p25.toFixed(1)}–${s.p75.toFixed(1)})`;
const ratio = (n: number | undefined) => (n === undefined ? "–" : `${n.toFixed(2)}×`);

export function renderTables(results: BenchResults): string {
  const lines = [
    `machine: ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}; module load: median (p25–p75) of ${results.loadsPerBundle} fresh processes, ms`,
    "",
    "| bundle | bytes (gzip) | baseline bytes (gzip) | bytes ratio | load ms | baseline load ms | load ratio |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const row of results.bundles) {
    const b = row.baseline;
    lines.push(
      `| ${row.platform} ${row.functionName} | ${int(row.parity.bytes)} (${int(row.parity.gzipBytes)}) | ${b ? `${int(b.bytes)} (${int(b.gzipBytes)})` : "no baseline"} | ${ratio(row.bytesRatio)} | ${ms(row.parity.load)} | ${b ? ms(b.load) : "–"} | ${ratio(row.loadRatio)} |`,
    );
  }
  lines.push("", "| probe (one client by itself) | bytes (gzip) | load ms |", "|---|---|---|");
  for (const probe of results.probes) lines.push(`| ${probe.platform}: ${probe.label} | ${int(probe.bytes)} (${int(probe.gzipBytes)}) | ${ms(probe.load)} |`);
  lines.push("", "| warm path (GET /users/{id}, in-memory store, in process) | core req/s | raw req/s | core / raw |", "|---|---|---|---|");
  for (const w of results.warm) lines.push(`| ${w.label} | ${int(w.coreRate)} | ${int(w.rawRate)} | ${w.ratio.toFixed(2)}× |`);
  lines.push("", "| goal | measured | met |", "|---|---|---|");
  for (const g of results.goals) lines.push(`| ${g.name} | ${g.value.toFixed(2)} | ${g.met ? "met" : "NOT met"} |`);
  const missed = results.goals.filter((g) => !g.met).length;
  lines.push("", `${results.goals.length - missed} of ${results.goals.length} goals met`);
  return lines.join("\n");
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
