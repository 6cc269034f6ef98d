/**
 * The choice as a terminal summary, `choice.md`, `choice.json` and HTML (a page of its own,
 * and a section in the compare run's `report.html` when results were given). The HTML reuses
 * compare's Markdown → HTML and its Vega-Lite renderer, so both reports read alike.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { platforms } from "../components/catalog";
import { REPORT_CSS, table } from "../compare/markdown";
import { LOCAL_LABEL } from "../compare/results";
import type { Choice } from "./choose";
import { criterionLabel, type Criterion } from "./rank";
import { serviceNames, usd, type Reason, type Verdict } from "./verdict";

export const verdictLabels: Record<Verdict, string> = { fits: "fits", caveats: "fits with caveats", no: "does not fit" };
const marks: Record<Verdict, string> = { fits: "✓", caveats: "!", no: "✗" };

const count = (reasons: Reason[], verdict: Verdict) => reasons.filter((r) => r.verdict === verdict).length;
const ms = (value: number | undefined) => (value === undefined ? "-" : String(Math.round(value)));
const figure = (criterion: Criterion, value: number) => (criterion === "cost" ? usd(value) : `${Math.round(value)} ms`);

function measuredLine(choice: Choice): string {
  if (!choice.results) return "Measurements: none given, so latency and cold start are **unmeasured** (pass `--results reports/<timestamp>/results.json`).";
  return `Measurements: \`${choice.results.file}\`${choice.results.local ? ` — **${LOCAL_LABEL}**: shown, never judged or ranked` : " (cloud)"}.`;
}

function rankingLine(choice: Choice): string {
  const { ranking, requirements } = choice;
  const weights = Object.entries(requirements.weights).map(([k, v]) => `${k} ${v}`).join(", ");
  const used = Object.keys(ranking.used);
  const skipped = ranking.skipped.map((s) => `${s.criterion} (${s.why})`);
  return `Weights: ${weights}. Ranked by: ${used.length ? used.join(", ") : "nothing usable"}${skipped.length ? `. Left out: ${skipped.join("; ")}` : ""}.`;
}

export function renderMarkdown(choice: Choice): string {
  const lines: string[] = [`# Choosing a provider — ${choice.date}`, ""];
  lines.push(`Requirements: \`${choice.requirementsFile}\`. ${measuredLine(choice)} Stack: ${choice.stack ? `\`${choice.stack}\` (its plan warnings are included)` : "none (pass `--stack <name>` for the plan warnings your stack would get)"}.`, "");
  if (choice.results?.local) lines.push(`> **${LOCAL_LABEL}.** The figures below come from local emulators on one machine; they are labelled and never decide a verdict or a ranking.`, "");

  lines.push("## Verdicts", "", table(
    ["platform", "service", "verdict", "does not fit", "caveats", "USD/month", "warm p99 (ms)", "cold start (ms)"],
    platforms.map((p) => {
      const v = choice.platforms[p];
      const measuredOn = v.figures.measuredOn === "local" ? " (local)" : "";
      return [p, serviceNames[p], verdictLabels[v.verdict], String(count(v.reasons, "no")), String(count(v.reasons, "caveats")), v.figures.costUsdPerMonth === undefined ? "-" : usd(v.figures.costUsdPerMonth), ms(v.figures.p99LatencyMs) + (v.figures.p99LatencyMs === undefined ? "" : measuredOn), ms(v.figures.coldStartMs) + (v.figures.coldStartMs === undefined ? "" : measuredOn)];
    }),
  ), "");

  lines.push("## Ranking", "", rankingLine(choice), "");
  if (choice.ranking.ranked.length === 0) lines.push("No platform fits these requirements.", "");
  else {
    const used = Object.keys(choice.ranking.used) as Criterion[];
    lines.push(table(
      ["rank", "platform", "verdict", "score", ...used.map((c) => `${criterionLabel(c)}: figure, score`)],
      choice.ranking.ranked.map((r, i) => [String(i + 1), r.platform, verdictLabels[r.verdict], r.score === null ? "-" : r.score.toFixed(2), ...used.map((c) => `${figure(c, r.figures[c]!.value)}, ${r.figures[c]!.score.toFixed(2)}`)]),
    ), "", "Each criterion scores best ÷ figure (1 = best); the score is their mean weighted by `weights`. Costs rest on the duration each reason states.", "");
  }

  lines.push("## Reasons", "");
  for (const p of platforms) {
    const v = choice.platforms[p];
    lines.push(`### ${p} — ${serviceNames[p]}: ${verdictLabels[v.verdict]}`, "");
    if (v.reasons.length === 0) lines.push("No requirement concerns this platform.", "");
    else lines.push(...v.reasons.map((r) => `- ${marks[r.verdict]} **${verdictLabels[r.verdict]}** — ${r.text} — ${r.source}`), "");
  }
  return lines.join("\n");
}

/** The short form for the terminal: verdicts, ranking, then only what does not simply fit. */
export function renderSummary(choice: Choice): string {
  const lines: string[] = [`Choosing a provider for ${choice.requirementsFile}`, measuredLine(choice).replace(/\*\*|`/g, "")];
  if (choice.stack) lines.push(`Stack: ${choice.stack} (plan warnings included)`);
  lines.push("");
  for (const p of platforms) {
    const v = choice.platforms[p];
    lines.push(`  ${marks[v.verdict]} ${p.padEnd(11)} ${verdictLabels[v.verdict].padEnd(18)} ${v.figures.costUsdPerMonth === undefined ? "" : `${usd(v.figures.costUsdPerMonth)}/month`}`);
    for (const r of v.reasons.filter((r) => r.verdict !== "fits")) lines.push(`      ${marks[r.verdict]} ${r.text} — ${r.source}`);
  }
  lines.push("", rankingLine(choice));
  if (choice.ranking.ranked.length === 0) lines.push("No platform fits these requirements.");
  choice.ranking.ranked.forEach((r, i) => {
    const parts = Object.entries(r.figures).map(([c, f]) => `${c} ${figure(c as Criterion, f.value)} (${f.score.toFixed(2)})`);
    lines.push(`  ${i + 1}. ${r.platform.padEnd(11)} ${r.score === null ? "unranked" : `score ${r.score.toFixed(2)}`}${parts.length ? `  ${parts.join(", ")}` : ""}`);
  });
  return lines.join("\n");
}

/** The choice as an HTML section: compare's Markdown → HTML, and a cost chart where there are costs. */
export async function renderHtmlSection(choice: Choice): Promise<string> {
  const { markdownTablesToHtml, renderSvg } = await import("../compare/report");
  const costs = platforms.filter((p) => choice.platforms[p].figures.costUsdPerMonth !== undefined);
  let chart = "";
  if (costs.length > 0) {
    const budget = choice.requirements.budgetUsdPerMonth;
    const values = costs.map((p) => ({ platform: p, usd: choice.platforms[p].figures.costUsdPerMonth!, verdict: verdictLabels[choice.platforms[p].verdict] }));
    const svg = await renderSvg({
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      width: 360,
      height: 160,
      layer: [
        {
          data: { values },
          mark: "bar",
          encoding: {
            y: { field: "platform", type: "nominal", sort: [...platforms], title: null },
            x: { field: "usd", type: "quantitative", title: "USD per month (HTTP function and front)" },
            color: { field: "platform", type: "nominal", legend: null, scale: { domain: [...platforms], range: ["#ff9900", "#34a853", "#0078d4", "#7b3fbf"] } },
            tooltip: [{ field: "verdict" }],
          },
        },
        ...(budget === undefined ? [] : [{ data: { values: [{ budget }] }, mark: { type: "rule" as const, color: "#c00", strokeDash: [4, 3] }, encoding: { x: { field: "budget", type: "quantitative" as const } } }]),
      ],
    });
    chart = `<figure id="choice-cost"><figcaption>Estimated monthly cost${budget === undefined ? "" : ` (dashed: budget ${usd(budget)})`}</figcaption>${svg}</figure>`;
  }
  // The chart goes under the verdicts table, before the ranking that uses its figures.
  const body = markdownTablesToHtml(renderMarkdown(choice)).replace("<h2>Ranking</h2>", `${chart}\n<h2>Ranking</h2>`);
  return `<section id="parity-choice">\n${body}\n</section>`;
}

export async function renderHtmlPage(choice: Choice): Promise<string> {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>parity: choosing a provider ${choice.date}</title>
<style>
${REPORT_CSS}.label { background: #fff3cd; border: 2px solid #c99a00; padding: .6rem 1rem; font-weight: 700; }
figure { margin: 0 0 1rem; border: 1px solid #ddd; padding: .5rem; background: white; display: inline-block; }
</style>
</head>
<body>
${await renderHtmlSection(choice)}
</body>
</html>
`;
}

/** Adds (or replaces) the choice section in a compare run's report.html; false when there is no report. */
export async function appendToReport(reportHtml: string, choice: Choice): Promise<boolean> {
  if (!fs.existsSync(reportHtml)) return false;
  const html = fs.readFileSync(reportHtml, "utf8").replace(/<section id="parity-choice">[\s\S]*?<\/section>\n?/, "");
  const section = await renderHtmlSection(choice);
  fs.writeFileSync(reportHtml, html.includes("</body>") ? html.replace("</body>", `${section}\n</body>`) : html + section);
  return true;
}

export interface WrittenChoice {
  dir: string;
  files: string[];
  /** The compare run's report.html the section was added to, if any. */
  report?: string;
}

/** Writes choice.md, choice.json and choice.html into `dir`, and the section into the run's report. */
export async function writeChoice(dir: string, choice: Choice): Promise<WrittenChoice> {
  fs.mkdirSync(dir, { recursive: true });
  const files = { markdown: path.join(dir, "choice.md"), json: path.join(dir, "choice.json"), html: path.join(dir, "choice.html") };
  fs.writeFileSync(files.markdown, renderMarkdown(choice));
  fs.writeFileSync(files.json, JSON.stringify(choice, null, 2) + "\n");
  fs.writeFileSync(files.html, await renderHtmlPage(choice));
  const written: WrittenChoice = { dir, files: Object.values(files) };
  if (choice.results) {
    const report = path.join(path.dirname(choice.results.file), "report.html");
    if (await appendToReport(report, choice)) written.report = report;
  }
  return written;
}

