/** Markdown and page style for the reports (`npm run compare`, `npm run choose`): light, so either loads it without the charts. */

/** A Markdown table; `|` and line breaks in cells are escaped. */
export function table(header: string[], rows: string[][]): string {
  const cell = (c: string) => c.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [`| ${header.map(cell).join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

/** The style both HTML reports share: page, figure captions and tables. */
export const REPORT_CSS = `body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1260px; padding: 0 1rem; color: #1b1b1b; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
`;
