/**
 * `npm run reliability`: differential fuzzing across the platforms, races and (on the local
 * cloud) queue chaos, with figures and a reproducible seed.
 *
 *   npm run reliability                              # the local cloud (stack dev), full run
 *   npm run reliability -- --quick                   # 300 requests per platform
 *   npm run reliability -- --seed 42 --path 17:3:0   # replay a failure printed by an earlier run
 *   npm run reliability -- --endpoints endpoints.json
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { targetChoiceFrom } from "../compare/targets";
import { fullRun, phaseNames, quickRun, runReliability, summaryRows, type PhaseName } from "../reliability/run";

const usage = `usage: npm run reliability -- [target] [options]

target (default: the local cloud with stack dev):
  --local                 the local cloud (with --stack: that stack's settings)
  --stack <name>          a deployed stack: pulumi stack output --json, pulumi config get parity:apiKey
  --endpoints <file>      deployed endpoints from a file (the format of npm run compare)
  --api-key <key>         API key for --endpoints (else the file's apiKey or PARITY_API_KEY)

options:
  --platforms a,b         only these platforms
  --quick                 ${quickRun.runs} generated requests per platform (a first look)
  --seed N                the fuzzing seed (default: random, printed)
  --path P                replay one failure: the shrink path printed with its seed
  --runs N                generated requests per platform        (full: ${fullRun.runs})
  --time-limit S          bound of the fuzzing phase, seconds     (full: ${fullRun.fuzzTimeLimitMs / 1000})
  --race-posts N          concurrent POSTs per race               (full: ${fullRun.racePosts})
  --chaos-users N         users per platform in the chaos phase   (full: ${fullRun.chaosUsers}; local cloud only)
  --phases a,b            phases to run: ${phaseNames.join(", ")} (default: all)
  --out <dir>             output folder (default reports/<timestamp>)`;

async function main(): Promise<void> {
  const { values } = withUsage(() => parseArgs({
    options: {
      local: { type: "boolean" },
      stack: { type: "string" },
      endpoints: { type: "string" },
      "api-key": { type: "string" },
      platforms: { type: "string" },
      quick: { type: "boolean" },
      seed: { type: "string" },
      path: { type: "string" },
      runs: { type: "string" },
      "time-limit": { type: "string" },
      "race-posts": { type: "string" },
      "chaos-users": { type: "string" },
      phases: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
  if (values.help) {
    console.log(usage);
    return;
  }
  const target = targetChoiceFrom(values);

  const preset = { ...(values.quick ? quickRun : fullRun) };
  const whole = (flag: string, value: string | undefined, max: number, apply: (n: number) => void) => {
    if (value === undefined) return;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${flag} must be a whole number from 1 to ${max}; got ${JSON.stringify(value)}\n\n${usage}`);
    apply(n);
  };
  whole("runs", values.runs, 1_000_000, (n) => (preset.runs = n));
  whole("time-limit", values["time-limit"], 24 * 3600, (n) => (preset.fuzzTimeLimitMs = n * 1000));
  whole("race-posts", values["race-posts"], 1_000, (n) => (preset.racePosts = n));
  whole("chaos-users", values["chaos-users"], 200, (n) => (preset.chaosUsers = n));
  let seed = Math.floor(Math.random() * 2 ** 31);
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer; got ${JSON.stringify(values.seed)}`);
  }
  const phases = (values.phases?.split(",").map((p) => p.trim()) ?? [...phaseNames]) as PhaseName[];
  const unknown = phases.filter((p) => !(phaseNames as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`unknown phase ${unknown.join(", ")}; allowed: ${phaseNames.join(", ")}`);

  const plan = [phases.includes("fuzz") && `${preset.runs} generated requests`, phases.includes("race") && `a race of ${preset.racePosts} POSTs`, phases.includes("chaos") && `chaos with ${preset.chaosUsers} users`].filter(Boolean);
  console.error(`seed ${seed}: ${plan.join(", ")} per platform (replay with --seed ${seed})`);
  const { dir, report } = await runReliability({ target, seed, ...preset, path: values.path, phases, outDir: values.out && path.resolve(values.out) });
  const { header, rows } = summaryRows(report);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  console.error(["", line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
  console.error(`\n${report.passed ? "passed" : "FAILED"}; report: ${dir}/{reliability.json,reliability.md}` + (report.label ? `\n(${report.label})` : ""));
  console.log(path.join(dir, "reliability.md"));
  if (!report.passed) process.exitCode = 1;
}

function withUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\n${usage}`);
  }
}

main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((error) => {
    console.error((error as Error).message);
    process.exit(1);
  });
