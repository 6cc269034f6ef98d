/**
 * `npm run reliability`, as a library: opens the targets (the local cloud by default, like
 * `npm run compare`), runs the phases, and writes `reports/<timestamp>/reliability.json` and
 * `reliability.md`. Every loop is bounded in count and time.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { table } from "../compare/markdown";
import { Progress } from "../compare/progress";
import { LOCAL_LABEL, timestampFolder } from "../compare/results";
import type { Platform } from "../components/catalog";
import type { FunctionSettings } from "../components/config";
import { openTargets, stackSettings, type TargetChoice } from "../compare/targets";
import { choosePlatforms, generateApiKey } from "../local/cloud";
import { readStackFile } from "../local/stack";
import { chaosRound, type ChaosResult } from "./chaos";
import { startChaosTarget } from "./chaos-targets";
import { describeFailure, httpSubject, runFuzz, type FuzzResult } from "./fuzz";
import { knownDeviations } from "./invariants";
import { runRace, type RaceResult } from "./races";

export const phaseNames = ["fuzz", "race", "chaos"] as const;
export type PhaseName = (typeof phaseNames)[number];

export interface ReliabilityOptions {
  target: TargetChoice;
  seed: number;
  /** Generated requests per platform. */
  runs: number;
  /** Wall-time bound of the fuzzing phase. */
  fuzzTimeLimitMs: number;
  /** Replays one failure's shrink path. */
  path?: string;
  racePosts: number;
  /** Users per platform whose events the chaos phase delivers 2–3 times each. */
  chaosUsers: number;
  /** Wall-time bound of the chaos phase, per platform. */
  chaosTimeLimitMs: number;
  phases: PhaseName[];
  outDir?: string;
}

/** A full run: at least 10,000 requests per platform (issue 13), at most 30 minutes of fuzzing. */
export const fullRun = { runs: 10_000, fuzzTimeLimitMs: 30 * 60_000, racePosts: 50, chaosUsers: 20, chaosTimeLimitMs: 3 * 60_000 };
/** A first look in about a minute. */
export const quickRun = { runs: 300, fuzzTimeLimitMs: 3 * 60_000, racePosts: 50, chaosUsers: 4, chaosTimeLimitMs: 60_000 };

/** Why the chaos phase does not run against deployed endpoints. */
export const chaosNotDeployed =
  "not run on deployed endpoints: chaos replays each message 2–3 times into the worker's entry point and plays the queue's redelivery, which only the local targets allow; a deployed queue delivers (and redelivers) by itself";

export interface ReliabilityReport {
  schema: "parity-reliability/1";
  startedAt: string;
  finishedAt: string;
  label?: string;
  target: string;
  seed: number;
  options: { runs: number; fuzzTimeLimitMs: number; path?: string; racePosts: number; chaosUsers: number; chaosTimeLimitMs: number; phases: PhaseName[] };
  platforms: string[];
  unavailable: { platform: string; reason: string }[];
  fuzz?: FuzzResult;
  races?: RaceResult[];
  /** Per platform; with maxAttempts the stack's queue-worker setting. */
  chaos?: (ChaosResult & { maxAttempts: number; users: number })[];
  /** Set when the chaos phase was asked for but could not run, with the reason. */
  chaosNotRun?: string;
  knownDeviations: { id: string; platform: string; what: string; why: string }[];
  /** Every must-be-zero figure was zero and every race gave one 201. */
  passed: boolean;
}

const projectRoot = path.resolve(__dirname, "..");

export async function runReliability(options: ReliabilityOptions, progress = new Progress()): Promise<{ dir: string; report: ReliabilityReport }> {
  const startedAt = new Date();
  const opened = options.target.kind !== "local" || options.phases.some((phase) => phase !== "chaos") ? await openTargets(options.target, progress) : undefined;
  const subjects = (opened?.subjects ?? []).map((s) => httpSubject(s.platform, s.endpoint.url, s.endpoint.apiKey));
  // Chaos alone needs no endpoint: the platforms and their settings come from the stack file.
  const underTest: { platform: Platform; settings?: Record<string, FunctionSettings> }[] = opened?.subjects ?? chaosOnlyPlatforms(options.target as LocalTarget);
  const report: ReliabilityReport = {
    schema: "parity-reliability/1",
    startedAt: startedAt.toISOString(),
    finishedAt: "",
    label: options.target.kind === "local" ? LOCAL_LABEL : undefined,
    target: options.target.kind === "local" ? `local cloud (stack ${options.target.stack})` : options.target.kind === "stack" ? `stack ${options.target.stack}` : `endpoints ${options.target.file}`,
    seed: options.seed,
    options: {
      runs: options.runs,
      fuzzTimeLimitMs: options.fuzzTimeLimitMs,
      path: options.path,
      racePosts: options.racePosts,
      chaosUsers: options.chaosUsers,
      chaosTimeLimitMs: options.chaosTimeLimitMs,
      phases: options.phases,
    },
    platforms: underTest.map((s) => s.platform),
    unavailable: opened?.unavailable ?? [],
    knownDeviations: knownDeviations.map(({ id, platform, what, why }) => ({ id, platform, what, why })),
    passed: false,
  };
  try {
    if (underTest.length === 0) throw new Error("no platform to test");
    if (options.phases.includes("fuzz")) {
      const bar = progress.start(subjects.map((s) => s.platform).join(","), "fuzz");
      report.fuzz = await runFuzz(subjects, { seed: options.seed, runs: options.runs, timeLimitMs: options.fuzzTimeLimitMs, path: options.path, welcomeWithinMs: 60_000, onProgress: (done, total) => {
        bar.update(done, total);
        // Off a terminal the bar does not redraw: a line every 1,000 requests instead.
        if (!process.stderr.isTTY && done % 1_000 === 0) progress.note(`  ${done} / ${total} requests per platform`);
      } });
      bar.end(report.fuzz.failure ? "FAILED" : `${report.fuzz.runs} requests per platform${report.fuzz.interrupted ? " (time limit reached)" : ""}`);
      if (report.fuzz.failure) progress.note(describeFailure(report.fuzz.failure));
    }
    if (options.phases.includes("race")) {
      report.races = [];
      for (const subject of subjects) {
        const bar = progress.start(subject.platform, "race");
        const race = await runRace(subject, options.racePosts);
        report.races.push(race);
        bar.end(`${race.created} × 201, ${race.emailTaken} × 409${race.ok ? "" : " FAILED"}`);
      }
    }
  } finally {
    await opened?.stop();
  }
  if (options.phases.includes("chaos")) {
    if (options.target.kind !== "local") {
      report.chaosNotRun = chaosNotDeployed;
      progress.note(`chaos: ${chaosNotDeployed}`);
    } else {
      // After the local cloud stopped: each target starts its own emulators, one platform at a time.
      report.chaos = [];
      for (const subject of underTest) {
        const maxAttempts = subject.settings?.["queue-worker"]?.maxAttempts ?? 5;
        const bar = progress.start(subject.platform, "chaos");
        let result: ChaosResult;
        try {
          const target = await startChaosTarget(subject.platform);
          try {
            result = await chaosRound(target, { seed: options.seed, users: options.chaosUsers, maxAttempts, timeLimitMs: options.chaosTimeLimitMs });
          } finally {
            await target.close();
          }
        } catch (error) {
          // Recorded, not thrown: the report is still written, and the run fails on it.
          result = { platform: subject.platform, seed: options.seed, messagesIn: 0, processed: 0, deadLettered: 0, welcomed: 0, duplicatesSuppressed: 0, lost: 0, problems: [`chaos did not run: ${(error as Error).message}`] };
        }
        report.chaos.push({ ...result, maxAttempts, users: options.chaosUsers });
        bar.end(`${result.messagesIn} in, ${result.welcomed} welcomed, ${result.duplicatesSuppressed} duplicates suppressed, ${result.deadLettered} dead-lettered, ${result.lost} lost${result.problems.length ? " FAILED" : ""}`);
        for (const problem of result.problems) progress.note(`  ${subject.platform}: ${problem}`);
      }
    }
  }
  report.finishedAt = new Date().toISOString();
  report.passed = passed(report);

  const dir = options.outDir ?? path.join(projectRoot, "reports", timestampFolder(startedAt));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "reliability.json"), JSON.stringify(report, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "reliability.md"), reliabilityMarkdown(report));
  return { dir, report };
}

type LocalTarget = Extract<TargetChoice, { kind: "local" }>;

/** The stack's platforms and settings, without starting the local cloud. */
function chaosOnlyPlatforms(target: LocalTarget): { platform: Platform; settings: Record<string, FunctionSettings> }[] {
  const config = readStackFile(target.stack, generateApiKey());
  return choosePlatforms(config, target.platforms).map((platform) => ({ platform, settings: stackSettings(config, platform) }));
}

export function passed(report: ReliabilityReport): boolean {
  const fuzzClean = !report.fuzz || (!report.fuzz.failure && report.fuzz.platforms.every((p) => p.fiveXx + p.noAnswer + p.mismatches + p.readBackFailures + p.invalid + p.unwelcomed === 0));
  return fuzzClean && (report.races ?? []).every((r) => r.ok) && (report.chaos ?? []).every((c) => c.problems.length === 0 && c.lost === 0);
}

/** The per-platform summary rows, for the console and the Markdown. */
export function summaryRows(report: ReliabilityReport): { header: string[]; rows: string[][] } {
  const header = ["platform", "requests", "5xx", "no answer", "invalid answers", "mismatches", "known deviations", "201s read back", "not welcomed", "race (201 / 409)", "chaos (in / welcomed / dup. suppressed / dead-lettered / lost)"];
  const rows = report.platforms.map((platform) => {
    const fuzz = report.fuzz?.platforms.find((p) => p.platform === platform);
    const race = report.races?.find((r) => r.platform === platform);
    const chaos = report.chaos?.find((c) => c.platform === platform);
    const deviations = fuzz ? Object.values(fuzz.deviations).reduce((a, b) => a + b, 0) : 0;
    return [
      platform,
      fuzz ? String(fuzz.requests) : "-",
      fuzz ? String(fuzz.fiveXx) : "-",
      fuzz ? String(fuzz.noAnswer) : "-",
      fuzz ? String(fuzz.invalid) : "-",
      fuzz ? String(fuzz.mismatches) : "-",
      fuzz ? String(deviations) : "-",
      fuzz ? `${fuzz.created - fuzz.readBackFailures}/${fuzz.created}` : "-",
      fuzz ? `${fuzz.unwelcomed}${fuzz.unwelcomedExamples.length ? ` (${fuzz.unwelcomedExamples.join(", ")})` : ""}` : "-",
      race ? `${race.created} / ${race.emailTaken}${race.ok ? "" : " ✗"}` : "-",
      chaos ? `${chaos.messagesIn} / ${chaos.welcomed} / ${chaos.duplicatesSuppressed} / ${chaos.deadLettered} / ${chaos.lost}${chaos.problems.length ? " ✗" : ""}` : report.chaosNotRun ? "not run" : "-",
    ];
  });
  return { header, rows };
}

export function reliabilityMarkdown(report: ReliabilityReport): string {
  const { header, rows } = summaryRows(report);
  const lines = [
    `# parity reliability — ${report.passed ? "passed" : "FAILED"}`,
    "",
    ...(report.label ? [`**${report.label}.**`, ""] : []),
    `Target: ${report.target}. Started ${report.startedAt}, finished ${report.finishedAt}. Seed ${report.seed}` +
      (report.fuzz ? `; ${report.fuzz.runs} generated requests per platform in ${(report.fuzz.durationMs / 1000).toFixed(0)} s${report.fuzz.interrupted ? " (stopped by the time limit)" : ""}` : "") +
      ".",
    "",
    table(header, rows),
    "",
    "Must be zero: 5xx, no answer, invalid answers (not `{\"error\":{\"code\",\"message\"}}` with a documented code and its status), mismatches (status or code unlike the core's own answer, outside the known deviations), failed read-backs, created users not welcomed within 60 s of the last request (the platform's own queue delivery). A race is 50 concurrent POSTs of one email in spellings that normalise alike: one 201, the rest 409.",
    "",
  ];
  if (report.chaos) {
    const [first] = report.chaos;
    lines.push(
      `Chaos: ${first ? `${first.users} users per platform` : "no platform"}, each user's real event delivered 2–3 times, shuffled, in batches mixed with 3 poison messages (not JSON, wrong shape, an unknown user), through each platform's real worker entry point; a failed message comes back later and is dead-lettered after the stack's maxAttempts (${[...new Set(report.chaos.map((c) => c.maxAttempts))].join(", ")}). Must hold: each user welcomed exactly once, only poison dead-lettered, lost = 0.`,
      "",
    );
    const problems = report.chaos.flatMap((c) => c.problems.map((p) => `- ${c.platform}: ${p}`));
    if (problems.length > 0) lines.push("## Chaos problems", "", ...problems, "");
  }
  if (report.chaosNotRun) lines.push(`Chaos: ${report.chaosNotRun}.`, "");
  if (report.unavailable.length > 0) lines.push(`Not tested: ${report.unavailable.map((u) => `${u.platform} (${u.reason})`).join("; ")}.`, "");
  if (report.fuzz?.failure) {
    lines.push("## Failure", "", "```", describeFailure(report.fuzz.failure), "```", "");
  }
  if (report.fuzz) {
    lines.push("## What the generated requests exercised (the core's answers)", "", table(["answer", "requests"], Object.entries(report.fuzz.referenceOutcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, String(v)])), "");
  }
  const seen = (id: string) => (report.fuzz?.platforms ?? []).reduce((n, p) => n + (p.deviations[id] ?? 0), 0);
  lines.push("## Known deviations", "", table(["id", "platform", "what differs", "why", "seen"], report.knownDeviations.map((d) => [d.id, d.platform, d.what, d.why, String(seen(d.id))])), "");
  lines.push(`Reproduce: \`npm run reliability -- --seed ${report.seed}${report.fuzz ? ` --runs ${report.options.runs}` : ""}\`.`, "");
  return lines.join("\n");
}
