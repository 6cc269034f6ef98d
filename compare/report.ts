/**
 * The experiment's outputs: `results.json` (everything, machine-readable), `report.md`
 * (tables) and `report.html` (tables and charts). Charts are Vega-Lite specs rendered to
 * SVG here, at report time, and inlined: the page has no script and no external resource,
 * so it reads offline and prints as it shows.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import type { EngineInfo } from "./engines/engine";
import type { TopLevelSpec } from "vega-lite";
import { REPORT_CSS, table } from "./markdown";
import { freeTierNote, lineKinds, notModelled, trafficDescriptions } from "./cost";
import type { Results } from "./results";

export interface Chart {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

/** Colours per platform, fixed so every chart agrees, and far enough apart to tell at a glance. */
const platformColors = { domain: ["aws", "gcp", "azure", "cloudflare"], range: ["#ff9900", "#34a853", "#0078d4", "#7b3fbf"] };
const colorByPlatform = { field: "platform", type: "nominal", title: "platform", scale: platformColors } as const;

export async function writeReports(dir: string, results: Results): Promise<{ json: string; markdown: string; html: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const files = { json: path.join(dir, "results.json"), markdown: path.join(dir, "report.md"), html: path.join(dir, "report.html") };
  fs.writeFileSync(files.json, JSON.stringify(results, replacer, 2) + "\n");
  fs.writeFileSync(files.markdown, renderMarkdown(results));
  fs.writeFileSync(files.html, await renderHtml(results));
  return files;
}

/** NaN and Infinity are not JSON; write null. */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? null : value;
}

const measuredOf = (results: Results) => results.platforms.filter((p) => p.measured);

/** The chart specs of a report, one per question the experiment answers. */
export function chartSpecs(results: Results): Chart[] {
  const measured = measuredOf(results);
  const charts: Chart[] = [];
  // Two charts per row on a laptop screen.
  const base = { width: 400, height: 240, background: "white", config: { font: "sans-serif" } } as const;

  const cdf = measured.flatMap((p) => (p.warm?.cdf ?? []).map((point) => ({ platform: p.platform, ...point })));
  if (cdf.length > 0) {
    charts.push({
      id: "latency-cdf",
      title:
        results.engine?.cdfFrom === "quantiles"
          ? `Warm latency CDF from ${results.engine.name}'s quantiles (time to first byte from the actual send)`
          : "Warm latency CDF (open loop, from the intended send time)",
      spec: {
        ...base,
        data: { values: cdf },
        mark: { type: "line", point: true, interpolate: "step-after" },
        encoding: {
          x: { field: "ms", type: "quantitative", title: "latency (ms, log scale)", scale: { type: "log" } },
          y: { field: "percentile", type: "quantitative", title: "percentile", scale: { domain: [0, 100] } },
          color: colorByPlatform,
        },
      },
    });
  }

  const percentiles = measured.flatMap((p) =>
    p.warm
      ? (["p50", "p90", "p99", "p999", "max"] as const).map((key) => ({ platform: p.platform, percentile: key === "p999" ? "p99.9" : key, ms: p.warm!.latency[key] }))
      : [],
  );
  if (percentiles.length > 0) {
    charts.push({
      id: "latency-percentiles",
      title: "Warm latency percentiles",
      spec: {
        ...base,
        data: { values: percentiles },
        mark: "bar",
        encoding: {
          x: { field: "percentile", type: "ordinal", sort: ["p50", "p90", "p99", "p99.9", "max"], title: null },
          xOffset: { field: "platform" },
          y: { field: "ms", type: "quantitative", title: "latency (ms)" },
          color: colorByPlatform,
        },
      },
    });
  }

  const ramp = measured.flatMap((p) =>
    (p.ramp?.steps ?? []).map((s) => ({
      platform: p.platform,
      offered: s.ratePerSecond,
      achieved: Math.round(s.achievedRate * 10) / 10,
      errors: s.scheduled - s.ok,
      "429": s.throttled,
      "503": s.unavailable,
    })),
  );
  if (ramp.length > 0) {
    charts.push({
      id: "throughput",
      title: "Throughput ramp: answered vs offered rate, and failed requests per step",
      spec: {
        ...base,
        data: { values: ramp },
        layer: [
          {
            mark: { type: "line", point: true },
            encoding: {
              x: { field: "offered", type: "quantitative", title: "offered rate (req/s)" },
              y: { field: "achieved", type: "quantitative", title: "answered (req/s)" },
              color: colorByPlatform,
            },
          },
          {
            mark: { type: "bar", opacity: 0.35, width: 8 },
            encoding: {
              x: { field: "offered", type: "quantitative" },
              y: { field: "errors", type: "quantitative", title: "failed requests (bars)", axis: { orient: "right" } },
              color: colorByPlatform,
            },
          },
        ],
        resolve: { scale: { y: "independent" } },
      },
    });
  }

  const delays = measured.flatMap((p) => (p.queue?.samples ?? []).map((ms) => ({ platform: p.platform, ms })));
  if (delays.length > 0) {
    charts.push({
      id: "queue-delay",
      title: "Queue delay: POST → welcomedAt visible",
      spec: {
        ...base,
        data: { values: delays },
        mark: { type: "bar", opacity: 0.8 },
        encoding: {
          x: { field: "ms", type: "quantitative", bin: { maxbins: 30 }, title: "delay (ms)" },
          y: { aggregate: "count", type: "quantitative", title: "messages" },
          color: colorByPlatform,
        },
      },
    });
  }

  // The bill by kind of line (compute, front, store, …): the same few colours on every platform.
  const costLines = measured.flatMap((p) =>
    p.cost ? lineKinds.map((kind) => ({ platform: p.platform, kind, usd: round(p.cost!.breakdown.filter((l) => l.kind === kind).reduce((total, l) => total + l.usd, 0), 2) })).filter((l) => l.usd > 0) : [],
  );
  const perMillion = measured.flatMap((p) => (p.cost ? [{ platform: p.platform, perMillion: round(p.cost.perMillion, 4) }] : []));
  if (perMillion.length > 0) {
    const cost = measured.find((p) => p.cost)!.cost!;
    charts.push({
      id: "cost",
      title: `Cost of the stack: per month at ${cost.monthlyRequests.toLocaleString("en-US")} users-api requests (${cost.traffic ?? "steady"} traffic), by kind of line (free tiers ${cost.freeTier ? "applied" : "left out"}), and users-api per 1M more requests on demand`,
      spec: {
        background: "white",
        config: { font: "sans-serif" },
        // Concatenated views share one colour scale unless told otherwise: the right view's
        // explicit platform domain then became the left view's, whose line items fell outside
        // it and drew with no fill (an empty plot in every browser).
        resolve: { scale: { color: "independent" } },
        hconcat: [
          {
            width: 260,
            height: 220,
            data: { values: costLines },
            mark: "bar",
            encoding: {
              x: { field: "platform", type: "nominal", title: null, sort: platformColors.domain },
              y: { field: "usd", type: "quantitative", aggregate: "sum", title: "USD per month" },
              color: { field: "kind", type: "nominal", title: "line kind", sort: [...lineKinds] },
              tooltip: [{ field: "platform" }, { field: "kind" }, { field: "usd" }],
            },
          },
          {
            width: 190,
            height: 220,
            data: { values: perMillion },
            mark: "bar",
            encoding: {
              x: { field: "platform", type: "nominal", title: null, sort: platformColors.domain },
              y: { field: "perMillion", type: "quantitative", title: "USD per 1M more requests" },
              color: colorByPlatform,
            },
          },
        ],
      },
    });
  }
  return charts;
}

/** Renders one Vega-Lite spec to an SVG string (no canvas, no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function renderMarkdown(results: Results): string {
  const lines: string[] = [];
  const measured = measuredOf(results);
  lines.push(`# parity comparison — ${results.environment.date}`, "");
  if (results.label) lines.push(`> **${results.label}.** These figures come from local emulators sharing one machine; they compare the local runtimes, not the clouds.`, "");
  lines.push(targetLine(results), "");
  lines.push(`Machine: ${results.environment.machine.cpus} × ${results.environment.machine.cpuModel}, ${results.environment.machine.memoryGiB} GiB, ${results.environment.machine.os}; Node ${results.environment.versions.node}; commit ${results.environment.commit ?? "unknown"}.`, "");
  if (results.engine) lines.push(engineLine(results.engine), "");

  lines.push("## Platforms", "", table(["platform", "endpoint", "what runs", "smoke"], [
    ...results.platforms.map((p) => [p.platform, p.url, p.description, `${p.smoke.passed} passed, ${p.smoke.failed} failed${p.measured ? "" : " — not measured"}`]),
    ...results.unavailable.map((u) => [u.platform, "-", u.reason, "-"]),
  ]), "");
  for (const p of results.platforms.filter((r) => !r.measured)) {
    lines.push(`**${p.platform} failed the correctness smoke** and was not measured:`, "", ...p.smoke.failures.map((f) => `- ${f.title}: ${f.message}`), "");
  }

  if (measured.length > 0) {
    lines.push("## Cold start", "", table(["platform", "samples (ms)", "median (ms)", "platform-reported init", "how"], measured.map((p) => [
      p.platform,
      p.coldStart ? p.coldStart.samples.map((s) => `${ms(s.ms)}${s.status === 404 ? "" : ` (HTTP ${s.status})`}${s.newInstance === false ? " ⚠" : ""}`).join(", ") : "-",
      p.coldStart ? ms(p.coldStart.median) : "-",
      p.coldStart?.platformInitMs != null ? ms(p.coldStart.platformInitMs) : "not reported",
      p.coldStart?.method ?? "-",
    ])), "");
    const unconfirmed = measured.filter((p) => (p.coldStart?.notNewInstance ?? 0) > 0);
    if (unconfirmed.length > 0) {
      lines.push(
        `⚠ marks a sample that did not hit a new instance (the answer's \`x-parity-cold\` was not true, its \`x-parity-instance\` had answered before, or it had none): ${unconfirmed.map((p) => `${p.platform} ${p.coldStart!.notNewInstance} of ${p.coldStart!.samples.length}`).join(", ")}. Those samples are warm requests, not cold starts.`,
        "",
      );
    }

    const forced = measured.filter((p) => p.coldStart?.forced);
    if (forced.length > 0) {
      const cell = (s: { n: number; min: number; median: number; max: number }) => (s.n === 0 ? "-" : `${ms(s.min)} / ${ms(s.median)} / ${ms(s.max)}`);
      lines.push("### Forced cold starts (n; min / median / max, ms)", "", table(["platform", "n", "client", "connect + TLS", "request → first byte", "platform's own figure", "confirmed cold"], forced.map((p) => {
        const f = p.coldStart!.forced!;
        const confirmed = f.confirmations.filter((c) => c === "confirmed").length;
        const unconfirmed = f.confirmations.filter((c) => c === "unconfirmed").length;
        return [p.platform, String(f.client.n), cell(f.client), cell(f.connect), cell(f.firstByte), f.platform.n === 0 ? `${f.platform.name}: ${f.platform.note}` : `${f.platform.name}: ${cell(f.platform)} (n ${f.platform.n})`, `${confirmed} of ${f.client.n}${unconfirmed ? `, ${unconfirmed} unconfirmed (no x-parity headers)` : ""}`];
      })), "", "Each sample follows a forced replacement of the platform's instances and a wait until it can serve; the platform's figure is its own, kept apart from the client's.", "");
    }

    lines.push(`## Warm latency (open loop, ${results.phases.warmRate} req/s for ${results.phases.warmDurationMs / 1000} s)`, "", table(["platform", "requests", "p50", "p90", "p99", "p99.9", "max", "non-2xx", "generator lag p99"], measured.map((p) => {
      const w = p.warm;
      if (!w) return [p.platform, "-", "-", "-", "-", "-", "-", "-", "-"];
      return [p.platform, String(w.answered), ms(w.latency.p50), ms(w.latency.p90), ms(w.latency.p99), ms(w.latency.p999), ms(w.latency.max), String(w.scheduled - w.ok), ms(w.dispatchLag.p99)];
    })), "", results.engine ? `Latencies in ms, ${results.engine.latencyMeasures}.` : "Latencies in ms, measured from each request's intended send time, so a stall shows as latency instead of as fewer requests.", "");
    const mismatches = measured.flatMap((p) => [p.warm, ...(p.ramp?.steps ?? [])].flatMap((s) => (s?.countMismatch ? [`- ${p.platform} at ${s.ratePerSecond} req/s: ${s.countMismatch}`] : [])));
    if (mismatches.length > 0) lines.push("⚠ Request counts that do not match rate × duration:", "", ...mismatches, "");

    lines.push("## Throughput ramp", "", table(["platform", "offered req/s", "answered req/s", "2xx", "429", "503", "other", "network", "timeouts", "p99 (ms)"], measured.flatMap((p) =>
      (p.ramp?.steps ?? []).map((s) => [p.platform, String(s.ratePerSecond), s.achievedRate.toFixed(1), String(s.ok), String(s.throttled), String(s.unavailable), String(s.otherErrors), String(s.networkErrors), String(s.timeouts), ms(s.latency.p99)]),
    )), "", ...measured.map((p) => `- ${p.platform}: sustained ${p.ramp?.sustainedRate ?? "-"} req/s; ${p.ramp?.stoppedBecause ?? "not run"}`), "");

    lines.push("## Queue delay (POST → welcomedAt visible)", "", table(["platform", "posted", "welcomed", "lost", "dead-lettered", "re-published", "p50", "p90", "p99", "max", "server-side p50"], measured.map((p) => {
      const q = p.queue;
      if (!q) return [p.platform, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"];
      return [p.platform, String(q.posted), String(q.welcomed), String(q.lost), q.deadLettered === null ? "n/a" : String(q.deadLettered), q.republished === null || q.republished === undefined ? "n/a" : String(q.republished), ms(q.delay.p50), ms(q.delay.p90), ms(q.delay.p99), ms(q.delay.max), ms(q.serverDelay.p50)];
    })), "", `Delays in ms, exact to one poll interval (${results.phases.pollIntervalMs} ms). Lost = not welcomed within ${results.phases.queueTimeoutMs / 1000} s and not in the dead-letter queue; it must be 0. Re-published = welcomed only after the reconciler re-sent its event (the queue lost or held back the first one); counted apart so the reconciler never hides a lost message, and 0 in a healthy run.`, "");

    lines.push(...costMarkdown(results, measured));
  }

  const failures = results.platforms.flatMap((p) => p.errors.map((e) => `- ${p.platform}, ${e.phase}: ${e.message}`));
  if (failures.length > 0) lines.push("## Phase errors", "", ...failures, "");
  return lines.join("\n");
}

export async function renderHtml(results: Results): Promise<string> {
  const charts = chartSpecs(results);
  const svgs = await Promise.all(charts.map((chart) => renderSvg(chart.spec)));
  const body = markdownTablesToHtml(renderMarkdown(results));
  const figures = charts
    .map((chart, i) => `<figure id="${chart.id}"><figcaption>${escapeHtml(chart.title)}</figcaption>${svgs[i]}</figure>`)
    .join("\n");
  const banner = results.label ? `<p class="label">${escapeHtml(results.label)}</p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>parity comparison ${escapeHtml(results.environment.date)}</title>
<style>
${REPORT_CSS}.label { background: #fff3cd; border: 2px solid #c99a00; padding: .6rem 1rem; font-weight: 700; font-size: 1.1rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; border: 1px solid #ddd; padding: .5rem; background: white; }
</style>
</head>
<body>
${banner}
<section class="charts">
${figures}
</section>
${body}
</body>
</html>
`;
}

/** A minimal Markdown → HTML for the report's own output: headings, tables, lists, paragraphs. */
export function markdownTablesToHtml(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("|")) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i].startsWith("|")) {
        rows.push(lines[i].slice(1, -1).split(" | ").map((c) => c.trim()));
        i++;
      }
      i--;
      const [head, , ...rest] = rows;
      out.push(
        `<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join("")}</tr></thead><tbody>` +
          rest.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`).join("") +
          "</tbody></table>",
      );
    } else if (/^#{1,3} /.test(line)) {
      const level = line.indexOf(" ");
      out.push(`<h${level}>${inline(line.slice(level + 1))}</h${level}>`);
    } else if (line.startsWith("- ")) {
      out.push(`<ul><li>${inline(line.slice(2))}</li></ul>`);
    } else if (line.startsWith("> ")) {
      out.push(`<p class="label">${inline(line.slice(2))}</p>`);
    } else if (line.trim() !== "") {
      out.push(`<p>${inline(line)}</p>`);
    }
  }
  return out.join("\n").replace(/<\/ul>\n<ul>/g, "\n");
}

function inline(text: string): string {
  return escapeHtml(text.replace(/\\\|/g, "|")).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function targetLine(results: Results): string {
  const t = results.target;
  if (t.kind === "local") return `Target: the local cloud (\`npm run compare\`), settings from \`Pulumi.${t.stack ?? "dev"}.yaml\`.`;
  if (t.kind === "stack") return `Target: the deployed stack \`${t.stack}\` (\`pulumi stack output\`).`;
  return `Target: the endpoints in \`${t.file}\`.`;
}

/** The cost section: a summary per platform, every line item, what is assumed and left out, and the prices with their sources. */
function costMarkdown(results: Results, measured: Results["platforms"]): string[] {
  const lines = [
    `## Cost of the stack (${results.phases.monthlyRequests.toLocaleString("en-US")} users-api requests per month, traffic ${trafficDescriptions[measured.find((p) => p.cost)?.cost?.traffic ?? "steady"]})`,
    "",
    table(["platform", "USD per month", ...lineKinds, "USD per 1M more requests", "prices of", "stack region", "memory billed (MiB)", "billed per request (ms)", "warm instances"], measured.map((p) => {
      const c = p.cost;
      if (!c) return [p.platform, "-", ...lineKinds.map(() => "-"), "-", "-", "-", "-", "-", p.errors.find((e) => e.phase === "cost")?.message ?? "-"];
      const byKind = lineKinds.map((kind) => c.breakdown.filter((l) => l.kind === kind).reduce((total, l) => total + l.usd, 0).toFixed(2));
      return [p.platform, c.perMonth.toFixed(2), ...byKind, c.perMillion.toFixed(4), c.region.prices, c.region.stack ?? "unknown", String(c.billedMemoryMb || "not billed"), ms(c.billedMs), String(c.warmInstances)];
    })),
    "",
    "### Line items",
    "",
    table(["platform", "kind", "item", "USD per month", "how"], measured.flatMap((p) => (p.cost ? p.cost.breakdown.map((l) => [p.platform, l.kind, l.item, l.usd.toFixed(2), l.detail]) : []))),
    "",
  ];
  const costed = measured.filter((p) => p.cost);
  for (const p of costed) {
    const c = p.cost!;
    if (c.region.note) lines.push(`- ${p.platform}: ${c.region.note}.`);
    for (const assumption of c.assumptions) lines.push(`- ${p.platform} assumes ${assumption}.`);
  }
  const first = costed[0]?.cost;
  lines.push(
    `- Durations: ${first?.durationSource ?? "-"}.`,
    `- Free tiers ${first?.freeTier === false ? "left out (`--no-free-tier`)" : "applied"}: ${freeTierNote}`,
    `- Not included: ${notModelled.join("; ")}.`,
    "",
  );
  const pricingRows = Object.values(results.pricing).flatMap((t) =>
    t
      ? [...Object.entries(t), ...Object.entries(t.services ?? {}).map(([k, v]) => [`services.${k}`, v] as [string, unknown])]
          .filter(([, v]) => isPriced(v))
          .map(([k, v]) => [t.platform, t.region, k, JSON.stringify((v as { value: unknown }).value), (v as { source: string }).source, (v as { read: string }).read, (v as { unverified?: string }).unverified ?? "vendor page"])
      : [],
  );
  lines.push("### Prices used", "", table(["platform", "price list", "item", "value", "source", "read", "checked on"], pricingRows), "");
  return lines;
}

function isPriced(value: unknown): boolean {
  return typeof value === "object" && value !== null && "source" in value && "read" in value;
}

/** Which engine generated the load, where, and how to read its latency and CDF. */
export function engineLine(engine: EngineInfo): string {
  const where = engine.mode === "local" ? "from this machine" : `Artillery ${engine.mode} mode, ${engine.workers} worker${engine.workers === 1 ? "" : "s"} in ${engine.region}`;
  const cdf = engine.cdfFrom === "quantiles" ? " The latency CDF is drawn from the engine's reported quantiles (min, p50, p75, p90, p95, p99, p99.9, max), not from every sample." : "";
  return `Load engine: ${engine.name} ${engine.version}, ${where}. Queue delay: ${engine.queueDelay}.${cdf}`;
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return "-";
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
