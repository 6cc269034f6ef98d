/**
 * `npm run choose`: requirements, platform facts, prices, a compare run and the stack's plan
 * joined into one reasoned verdict per platform, and a ranking of those that fit.
 */
import type { Platform } from "../components/catalog";
import { loadPricing, type PricingTables } from "../compare/cost";
import { isLocal, type MeasuredRun } from "./measurements";
import { rankPlatforms, type Ranking } from "./rank";
import type { Requirements } from "./requirements";
import { judgeAll, type Figures, type Reason, type Verdict } from "./verdict";

export interface ChoiceInput {
  requirements: Requirements;
  /** The file the requirements came from, for the report. */
  requirementsFile: string;
  run?: MeasuredRun;
  /** From `stackReasons` and `stackRegions` (choose/stack.ts), with the stack's name. */
  stack?: { name: string; reasons: Partial<Record<Platform, Reason[]>>; regions?: Partial<Record<Platform, string>> };
  /** @default the shipped pricing/ tables */
  pricing?: PricingTables;
  /** @default now */
  date?: Date;
}

/** What `choice.json` holds. */
export interface Choice {
  schema: "parity-choose/1";
  date: string;
  requirementsFile: string;
  requirements: Requirements;
  /** The compare run used, if any; `label` is set for local emulation. */
  results: { file: string; label: string | null; local: boolean } | null;
  stack: string | null;
  platforms: Record<Platform, { verdict: Verdict; reasons: Reason[]; figures: Figures }>;
  ranking: Ranking;
}

export function choose(input: ChoiceInput): Choice {
  const verdicts = judgeAll({
    requirements: input.requirements,
    pricing: input.pricing ?? loadPricing(),
    run: input.run,
    stackReasons: input.stack?.reasons,
    stackRegions: input.stack && { name: input.stack.name, regions: input.stack.regions ?? {} },
  });
  return {
    schema: "parity-choose/1",
    date: (input.date ?? new Date()).toISOString(),
    requirementsFile: input.requirementsFile,
    requirements: input.requirements,
    results: input.run ? { file: input.run.file, label: input.run.results.label, local: isLocal(input.run.results) } : null,
    stack: input.stack?.name ?? null,
    platforms: Object.fromEntries(verdicts.map(({ platform, verdict, reasons, figures }) => [platform, { verdict, reasons, figures }])) as Choice["platforms"],
    ranking: rankPlatforms(verdicts, input.requirements.weights),
  };
}

