/**
 * Ranks the platforms that fit (with or without caveats) by the team's weights. Each
 * criterion scores best / value (lower is better, so the best gets 1); a platform's score
 * is the weighted mean over the criteria that every candidate has a usable figure for.
 * Local-emulation figures are not usable: they describe emulators on one machine, so they
 * never decide a ranking, alone or in part.
 */
import type { Platform } from "../components/catalog";
import type { Weights } from "./requirements";
import type { PlatformVerdict, Verdict } from "./verdict";

export type Criterion = keyof Weights;

export interface Ranked {
  platform: Platform;
  verdict: Verdict;
  /** Weighted score in [0, 1], 1 best; null when no criterion could be used. */
  score: number | null;
  /** The figure and its score per criterion used. */
  figures: Partial<Record<Criterion, { value: number; score: number }>>;
}

export interface Ranking {
  ranked: Ranked[];
  /** Criteria used, with their weights. */
  used: Partial<Weights>;
  /** Criteria weighted but left out, and why. */
  skipped: { criterion: Criterion; why: string }[];
}

const units: Record<Criterion, string> = { cost: "USD/month", latency: "ms warm p99", coldStart: "ms cold-start median" };
export const criterionLabel = (c: Criterion) => `${c} (${units[c]})`;

export function rankPlatforms(verdicts: PlatformVerdict[], weights: Weights): Ranking {
  const candidates = verdicts.filter((v) => v.verdict !== "no");
  const valueOf = (v: PlatformVerdict, criterion: Criterion): number | undefined => {
    if (criterion === "cost") return v.figures.costUsdPerMonth;
    if (v.figures.measuredOn !== "cloud") return undefined;
    return criterion === "latency" ? v.figures.p99LatencyMs : v.figures.coldStartMs;
  };
  const used: Partial<Weights> = {};
  const skipped: Ranking["skipped"] = [];
  for (const criterion of Object.keys(weights) as Criterion[]) {
    if (weights[criterion] <= 0 || candidates.length === 0) continue;
    const missing = candidates.filter((v) => valueOf(v, criterion) === undefined).map((v) => v.platform);
    if (missing.length === 0) {
      used[criterion] = weights[criterion];
      continue;
    }
    const why =
      criterion === "cost"
        ? "no monthlyRequests to estimate it at"
        : candidates.some((v) => v.figures.measuredOn === "local")
          ? "measured on local emulation only, which never decides a ranking"
          : `unmeasured for ${missing.join(", ")}`;
    skipped.push({ criterion, why });
  }
  const totalWeight = Object.values(used).reduce((a, b) => a + (b ?? 0), 0);
  const ranked = candidates.map((v): Ranked => {
    const figures: Ranked["figures"] = {};
    let sum = 0;
    for (const [criterion, weight] of Object.entries(used) as [Criterion, number][]) {
      const value = valueOf(v, criterion)!;
      const best = Math.min(...candidates.map((c) => valueOf(c, criterion)!));
      const score = value <= 0 ? 1 : best / value;
      figures[criterion] = { value, score };
      sum += weight * score;
    }
    return { platform: v.platform, verdict: v.verdict, score: totalWeight > 0 ? sum / totalWeight : null, figures };
  });
  // Best score first; "fits" before "caveats" on a tie; then the platforms' usual order.
  // Stryker disable next-line UnaryOperator: a score is null only when no criterion is used, and then every score is null, so `?? -1` and `?? +1` only ever compare null with null (0 either way)
  ranked.sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || (a.verdict === b.verdict ? 0 : a.verdict === "fits" ? -1 : 1));
  return { ranked, used, skipped };
}
