// `npm run mutate:survivors`: the last `npm run mutate` report (reports/mutation/mutation.json) as a
// score per file and, in reports/mutation/survivors.md, every survived or uncovered mutant with its
// line of code and the tests that ran against it: the list to work through, file by file.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const reportPath = process.argv[2] ?? "reports/mutation/mutation.json";
if (!existsSync(reportPath)) {
  console.error(`No mutation report at ${reportPath}: run \`npm run mutate\` first (its json reporter writes it).`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(reportPath, "utf8"));
const testNames = {};
for (const file of Object.values(report.testFiles ?? {})) for (const test of file.tests) testNames[test.id] = test.name;

const open = (m) => m.status === "Survived" || m.status === "NoCoverage";
let out = `# Mutants to look at (${reportPath})\n\nScore = (killed + timed out) / (killed + timed out + survived + no coverage); ignored and compile errors left out, as Stryker counts them.\n`;
const rows = [];
for (const [path, file] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const count = (status) => file.mutants.filter((m) => m.status === status).length;
  const detected = count("Killed") + count("Timeout");
  const valid = detected + count("Survived") + count("NoCoverage");
  const score = valid ? (100 * detected) / valid : NaN;
  rows.push([path, Number.isNaN(score) ? "n/a" : `${score.toFixed(1)} %`, count("Survived"), count("NoCoverage"), count("Ignored")]);
  const lines = file.source.split("\n");
  const left = file.mutants.filter(open).sort((a, b) => a.location.start.line - b.location.start.line);
  if (left.length === 0) continue;
  out += `\n## ${path}: ${rows.at(-1)[1]}\n\n`;
  for (const m of left) {
    const line = m.location.start.line;
    const tests = (m.coveredBy ?? []).map((id) => testNames[id] ?? id);
    out += `- L${line} ${m.status} ${m.mutatorName} → \`${(m.replacement ?? "").replace(/\s+/g, " ").slice(0, 120)}\`\n`;
    out += `  - \`${(lines[line - 1] ?? "").trim().slice(0, 160)}\`\n`;
    out += `  - ${tests.length} test(s) ran against it${tests.length ? `, e.g. "${tests[0].slice(0, 100)}"` : ""}\n`;
  }
}
const listPath = reportPath.replace(/[^/]+$/, "survivors.md");
writeFileSync(listPath, out);
console.table(rows.map(([file, score, survived, noCoverage, ignored]) => ({ file, score, survived, noCoverage, ignored })));
console.log(`Survivors listed in ${listPath}`);
