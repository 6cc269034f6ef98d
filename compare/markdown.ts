/** Markdown for the reports (`npm run compare`, `npm run choose`): light, so either loads it without the charts. */

/** A Markdown table; `|` and line breaks in cells are escaped. */
export function table(header: string[], rows: string[][]): string {
  const cell = (c: string) => c.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [`| ${header.map(cell).join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}
