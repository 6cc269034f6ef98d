/**
 * The Artillery engine: each measured phase becomes an Artillery script, run by Artillery
 * (`artillery run`, or its own distributed modes `run-lambda`, `run-fargate`, `run-aci` in the
 * user's account), and its `--output` JSON report is read back into the phases' shapes.
 *
 * What its latency is: Artillery's `http.response_time` is `res.timings.phases.firstByte`,
 * the time from the request being sent to the first response byte, so it excludes waiting for
 * a connection and has no intended-send correction (a stalled server lowers the offered load
 * instead of showing as latency). Source: packages/core/lib/engine_http.js,
 * https://github.com/artilleryio/artillery/blob/main/packages/core/lib/engine_http.js
 * The report keeps only quantiles (min, p50, p75, p90, p95, p99, p999, max), so the CDF is
 * built from those. Report shape `{ aggregate: { counters, summaries, ... }, intermediate }`:
 * packages/artillery/lib/cmds/run.js (the `--output` writer) and
 * https://www.artillery.io/docs/reference/reported-metrics
 *
 * Installed on first use into engines/artillery (its own package.json and lock file), so
 * the root `npm ci` stays lean for everyone who never asks for it.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { projectRoot } from "../../components/bundle";
import type { CdfPoint, LatencySummary } from "../histogram";
import { classifyStatus, scheduledCount } from "../loadgen";
import { keyHeaders, rampSteps, type Endpoint, type LoadSummary, type WarmResult } from "../phases";
import type { EngineChoice, EngineInfo, LoadEngine } from "./engine";
import { packageVersion } from "../machine";
import { QUEUE_DELAY_CLIENT } from "./undici";

export const ARTILLERY_DIR = path.join(projectRoot, "engines", "artillery");
const ARTILLERY_PACKAGE = path.join(ARTILLERY_DIR, "node_modules", "artillery");
/** The CLI's entry (what node_modules/.bin/artillery links to), run with this Node. */
const ARTILLERY_BIN = path.join(ARTILLERY_PACKAGE, "bin", "run");

/**
 * Set for the install and every run: no usage telemetry (https://www.artillery.io/docs/resources/core/telemetry),
 * and no Playwright browser download, which Artillery's dependencies would attempt and which fails offline.
 */
export const ARTILLERY_ENV = { ARTILLERY_DISABLE_TELEMETRY: "1", PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" } as const;

/** Bounds on every child: the install, and a run's start-up, drain and exit beyond its phase (measured: ~18 s here for a local run). */
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const LOCAL_OVERHEAD_MS = 2 * 60_000;
/** Distributed runs provision workers (Lambda functions, Fargate tasks, container groups) first. */
const DISTRIBUTED_OVERHEAD_MS = 30 * 60_000;

/** Keep-alive connections per load generator, as the undici engine's pool: requests do not pay a new connection each. */
export const ARTILLERY_POOL = 64;

export interface PhaseScriptSpec {
  /** Origin (and base path) of the endpoint. */
  target: string;
  /** Path below the target, with its tag (e.g. `?parity-step=2`). */
  path: string;
  headers: Record<string, string>;
  /** Total offered rate, req/s, over every worker. */
  ratePerSecond: number;
  durationMs: number;
  timeoutMs: number;
  /** Load generators; each runs the whole script, so each offers `ratePerSecond / workers`. */
  workers: number;
}

/**
 * One phase as an Artillery script: one `arrivalRate` phase (each arrival is a virtual user
 * sending one GET), a shared connection `pool` and a per-request `timeout` (seconds).
 * Schema: https://www.artillery.io/docs/reference/test-script (config.target, config.phases
 * with duration/arrivalRate, config.http.pool and config.http.timeout, scenarios[].flow).
 * Each worker of a distributed run runs the whole script ("setting --count 10 can be thought of
 * as multiplying the load ... by a factor of 10", https://www.artillery.io/docs/reference/cli/run-fargate),
 * so the script's rate is the total divided by the workers.
 */
export function artilleryScript(spec: PhaseScriptSpec): Record<string, unknown> {
  return {
    config: {
      target: spec.target,
      // Whole seconds as a number; anything finer as "500ms", which Artillery's phase parser converts (packages/core/lib/phases.js).
      phases: [{ name: "measured", duration: spec.durationMs % 1000 === 0 ? spec.durationMs / 1000 : `${spec.durationMs}ms`, arrivalRate: spec.ratePerSecond / spec.workers }],
      http: { pool: ARTILLERY_POOL, timeout: spec.timeoutMs / 1000 },
    },
    scenarios: [{ name: "read one user", flow: [{ get: { url: spec.path, headers: spec.headers } }] }],
  };
}

/** The total length of a script's phases, ms, from the two forms `artilleryScript` writes (seconds, or "<n>ms"). */
export function scriptDurationMs(script: Record<string, unknown>): number {
  const phases = (script.config as { phases?: { duration?: number | string }[] } | undefined)?.phases ?? [];
  return phases.reduce((total, phase) => total + (typeof phase.duration === "string" ? Number.parseFloat(phase.duration) : (phase.duration ?? 0) * 1000), 0);
}

/**
 * The Artillery command line for a mode. Flags as Artillery 2.0.34 defines them
 * (packages/artillery/lib/cmds/run-lambda.ts, run-fargate.ts, run-aci.ts, lib/cli/common-flags;
 * https://www.artillery.io/docs/reference/cli/run-lambda, /run-fargate, /run-aci).
 */
export function artilleryArgs(choice: Pick<EngineChoice, "mode" | "workers" | "region">, scriptFile: string, outputFile: string): string[] {
  if (choice.mode === "local") return ["run", "--quiet", "--output", outputFile, scriptFile];
  const command = { lambda: "run-lambda", fargate: "run-fargate", aci: "run-aci" }[choice.mode];
  return [command, "--count", String(choice.workers), "--region", choice.region!, "--output", outputFile, scriptFile];
}

/**
 * run-aci takes its Azure account from these (or the same-named flags): without them it
 * cannot start, so they are checked before anything runs. https://www.artillery.io/docs/reference/cli/run-aci
 */
export const ACI_ENVIRONMENT = ["AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_STORAGE_ACCOUNT", "AZURE_BLOB_CONTAINER", "AZURE_RESOURCE_GROUP"] as const;

export function missingAciEnvironment(env: NodeJS.ProcessEnv = process.env): string[] {
  return ACI_ENVIRONMENT.filter((name) => !env[name]);
}

/** Why a distributed mode cannot run against this target, checked before anything starts; undefined when it can. */
export function distributedModeProblem(choice: Pick<EngineChoice, "mode">, targetKind: "local" | "stack" | "endpoints", env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (choice.mode === "local") return undefined;
  if (targetKind === "local") return `--mode ${choice.mode} runs Artillery's workers in the cloud, which cannot reach the local cloud on this machine; use it with --stack or --endpoints`;
  const missing = choice.mode === "aci" ? missingAciEnvironment(env) : [];
  if (missing.length > 0) return `--mode aci needs ${missing.join(", ")} (Artillery's run-aci reads its Azure account from them)`;
  return undefined;
}

/** The part of an Artillery `--output` report this reads. */
export interface ArtilleryReport {
  aggregate: {
    counters: Record<string, number>;
    summaries: Record<string, ArtillerySummary>;
    firstMetricAt?: number;
    lastMetricAt?: number;
  };
}

/** An Artillery histogram summary, ms (https://www.artillery.io/docs/reference/reported-metrics). */
export interface ArtillerySummary {
  min: number;
  max: number;
  count: number;
  mean: number;
  p50: number;
  median?: number;
  p75: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

/** Checks the report has the shape this reads; a different Artillery output fails here with what was missing. */
export function parseArtilleryReport(raw: unknown, origin: string): ArtilleryReport {
  const record = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
  if (!record(raw) || !record(raw.aggregate)) throw new Error(`${origin}: not an Artillery report (no \`aggregate\` object)`);
  const { counters, summaries } = raw.aggregate;
  if (!record(counters)) throw new Error(`${origin}: \`aggregate.counters\` is missing`);
  // A run where no request was answered has no summaries at all.
  if (summaries !== undefined && !record(summaries)) throw new Error(`${origin}: \`aggregate.summaries\` is not an object`);
  return raw as unknown as ArtilleryReport;
}

/** Artillery's error names for a request abandoned after `config.http.timeout`. */
const TIMEOUT_ERRORS = new Set(["ETIMEDOUT", "ESOCKETTIMEDOUT"]);

const EMPTY_SUMMARY: LatencySummary = { count: 0, min: NaN, mean: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };

export function latencyFromSummary(summary: ArtillerySummary | undefined): LatencySummary {
  if (!summary || summary.count === 0) return EMPTY_SUMMARY;
  return { count: summary.count, min: summary.min, mean: summary.mean, p50: summary.p50, p90: summary.p90, p99: summary.p99, p999: summary.p999, max: summary.max };
}

/** A CDF from the report's quantiles only: a few points, not every sample (labelled so in the results). */
export function cdfFromQuantiles(summary: ArtillerySummary | undefined): CdfPoint[] {
  if (!summary || summary.count === 0) return [];
  return [
    { percentile: 0, ms: summary.min },
    { percentile: 50, ms: summary.p50 },
    { percentile: 75, ms: summary.p75 },
    { percentile: 90, ms: summary.p90 },
    { percentile: 95, ms: summary.p95 },
    { percentile: 99, ms: summary.p99 },
    { percentile: 99.9, ms: summary.p999 },
    { percentile: 100, ms: summary.max },
  ];
}

/**
 * Turns a report into the phases' summary. Counters: `http.codes.<status>`, `http.responses`,
 * `http.requests`, `errors.<name>`, `vusers.skipped` (packages/core/lib/engine_http.js, runner.js).
 */
export function summaryFromReport(report: ArtilleryReport, offered: { ratePerSecond: number; durationMs: number }): LoadSummary {
  const { counters } = report.aggregate;
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const counts = { ok: 0, throttled: 0, unavailable: 0, otherErrors: 0, networkErrors: 0, timeouts: 0 };
  for (const [name, value] of Object.entries(counters)) {
    const status = /^http\.codes\.(\d{3})$/.exec(name)?.[1];
    if (status) {
      statuses[status] = value;
      counts[classifyStatus(Number(status))] += value;
    }
    const error = /^errors\.(.+)$/.exec(name)?.[1];
    if (error) {
      errors[error] = value;
      if (TIMEOUT_ERRORS.has(error)) counts.timeouts += value;
      else counts.networkErrors += value;
    }
  }
  const scheduled = scheduledCount(offered.ratePerSecond, offered.durationMs);
  const answered = counters["http.responses"] ?? 0;
  const sent = counters["http.requests"] ?? 0;
  const latency = latencyFromSummary(report.aggregate.summaries?.["http.response_time"]);
  const { firstMetricAt, lastMetricAt } = report.aggregate;
  const windowMs = Math.max(offered.durationMs, firstMetricAt !== undefined && lastMetricAt !== undefined ? lastMetricAt - firstMetricAt : 0, 1);
  const summary: LoadSummary = {
    ratePerSecond: offered.ratePerSecond,
    durationMs: offered.durationMs,
    scheduled,
    answered,
    achievedRate: (answered * 1000) / windowMs,
    ...counts,
    statuses,
    latency,
    // Artillery's time to first byte already starts once a connection is free: it is the service time.
    serviceTime: latency,
    // Artillery does not report how late it started requests.
    dispatchLag: EMPTY_SUMMARY,
    errors,
  };
  const mismatch = countMismatch(scheduled, sent, counters["vusers.skipped"] ?? 0);
  if (mismatch) summary.countMismatch = mismatch;
  return summary;
}

/**
 * Cross-checks the engine's own request count against rate × duration. Uniform arrivals give
 * the exact count on one machine; split over workers a rate may round, hence the 1 % slack.
 */
export function countMismatch(expected: number, sent: number, skipped: number): string | undefined {
  const off = Math.abs(sent - expected);
  if (off <= Math.max(1, expected * 0.01) && skipped === 0) return undefined;
  return `Artillery sent ${sent} requests where rate × duration is ${expected}${skipped ? ` (${skipped} virtual users skipped at maxVusers)` : ""}: the offered load differs from the one asked for`;
}

export function artilleryInstalled(): boolean {
  return fs.existsSync(path.join(ARTILLERY_PACKAGE, "package.json"));
}

/** The install command of engines/artillery: its own lock file, nothing added to the root. */
export function installArgs(): string[] {
  return ["ci", "--prefix", ARTILLERY_DIR, "--no-audit", "--no-fund"];
}

/** Installs Artillery into engines/artillery once (about a minute here; see docs/comparing.md for the figures). */
export async function ensureArtillery(log: (line: string) => void): Promise<void> {
  if (artilleryInstalled()) return;
  log(`Artillery is not installed yet: installing it once into engines/artillery (npm ${installArgs().join(" ")}; about a minute, ~600 MB) ...`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const { code, output } = await run(npm, installArgs(), ARTILLERY_DIR, INSTALL_TIMEOUT_MS);
  if (code !== 0 || !artilleryInstalled()) throw new Error(`installing Artillery failed (npm exit ${code}); run \`npm ${installArgs().join(" ")}\` to see why:\n${tail(output)}`);
  log(`Artillery ${packageVersion(ARTILLERY_PACKAGE)} installed in engines/artillery`);
}

/** Runs one script and returns its report. The script and report live in a temporary folder, removed after. */
export async function runArtilleryScript(
  script: Record<string, unknown>,
  choice: Pick<EngineChoice, "mode" | "workers" | "region">,
  log: (line: string) => void = () => undefined,
): Promise<ArtilleryReport> {
  await ensureArtillery(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-artillery-"));
  try {
    const scriptFile = path.join(dir, "script.yml");
    const outputFile = path.join(dir, "report.json");
    fs.writeFileSync(scriptFile, stringify(script));
    // Distributed runs print their own progress (workers starting, minutes of it): passed on to stderr.
    const { code, output } = await run(process.execPath, [ARTILLERY_BIN, ...artilleryArgs(choice, scriptFile, outputFile)], dir, scriptDurationMs(script) + (choice.mode === "local" ? LOCAL_OVERHEAD_MS : DISTRIBUTED_OVERHEAD_MS), choice.mode === "local" ? undefined : process.stderr);
    if (!fs.existsSync(outputFile)) throw new Error(`Artillery wrote no report (exit ${code}):\n${tail(output)}`);
    return parseArtilleryReport(JSON.parse(fs.readFileSync(outputFile, "utf8")), "Artillery report");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function artilleryEngine(choice: EngineChoice, log: (line: string) => void = (line) => console.error(line)): LoadEngine {
  const info: EngineInfo = {
    name: "artillery",
    version: packageVersion(ARTILLERY_PACKAGE),
    mode: choice.mode,
    workers: choice.workers,
    region: choice.region ?? null,
    latencyMeasures: "Artillery's http.response_time: from the request's actual send to its first response byte (no intended-send correction; excludes waiting for a connection)",
    cdfFrom: "quantiles",
    queueDelay: QUEUE_DELAY_CLIENT,
  };
  const measure = async (endpoint: Endpoint, userId: string, tag: string, ratePerSecond: number, durationMs: number, timeoutMs: number) => {
    const base = new URL(endpoint.url);
    const spec: PhaseScriptSpec = {
      target: base.origin,
      path: `${base.pathname.replace(/\/+$/, "")}/users/${userId}?${tag}`,
      headers: keyHeaders(endpoint.apiKey),
      ratePerSecond,
      durationMs,
      timeoutMs,
      workers: choice.workers,
    };
    const report = await runArtilleryScript(artilleryScript(spec), choice, log);
    const summary = summaryFromReport(report, { ratePerSecond, durationMs });
    if (summary.countMismatch) log(`${tag}: ${summary.countMismatch}`);
    return { summary, report };
  };
  return {
    info,
    async warm(endpoint, userId, options) {
      // Unmeasured, at the same rate, as the undici engine does: instances reach steady state first.
      await measure(endpoint, userId, "parity-phase=warmup", options.ratePerSecond, options.warmupMs, 10_000);
      info.version = packageVersion(ARTILLERY_PACKAGE); // installed by now, if it was not before
      options.onProgress?.(0, scheduledCount(options.ratePerSecond, options.durationMs));
      const { summary, report } = await measure(endpoint, userId, "parity-phase=warm", options.ratePerSecond, options.durationMs, 10_000);
      options.onProgress?.(summary.scheduled, summary.scheduled);
      const warm: WarmResult = { ...summary, cdf: cdfFromQuantiles(report.aggregate.summaries?.["http.response_time"]) };
      return warm;
    },
    async ramp(endpoint, userId, options) {
      // One Artillery run per step, tagged in its URL, so a step's counters are its own and the ramp stops where the undici one would.
      return rampSteps(options, async (rate, index) => (await measure(endpoint, userId, `parity-step=${index + 1}`, rate, options.stepMs, Math.max(5_000, options.stepMs))).summary);
    },
  };
}

/** Runs a child to its end, or stops it (by its own handle) after `timeoutMs`. */
function run(command: string, args: string[], cwd: string, timeoutMs: number, echo?: NodeJS.WritableStream): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...ARTILLERY_ENV }, stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => {
      output += `\n(stopped after ${Math.round(timeoutMs / 1000)} s)`;
      child.kill("SIGTERM");
    }, timeoutMs);
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-20_000);
      echo?.write(chunk);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function tail(output: string): string {
  return output.trim().split("\n").slice(-15).join("\n");
}
