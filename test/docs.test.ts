/**
 * The manual's links: every relative link in README.md, docs/*.md and test/README.md must point at a file that
 * exists and, when it names an anchor, at a heading that exists there. Text moved between pages cannot leave a
 * dead link behind. Links to other sites are not fetched (the tests run offline).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..");

/** The Markdown files of the manual, relative to the repository root. */
function manualFiles(): string[] {
  const docs = fs.readdirSync(path.join(root, "docs")).filter((name) => name.endsWith(".md")).map((name) => path.join("docs", name));
  return ["README.md", path.join("test", "README.md"), ...docs];
}

/** Markdown text without fenced code blocks and inline code spans, whose brackets are not links. */
function proseOf(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/**
 * GitHub's heading anchor: lower case, inline code marks and punctuation dropped (letters, digits, spaces, `-`
 * and `_` kept), each space a `-`; a repeated heading gets `-1`, `-2`, … (github-slugger's rule).
 */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const match of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const text = match[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, "").replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Every relative link target in the file, as written (`[text](target)` and `![alt](target)`). */
export function relativeLinksOf(markdown: string): string[] {
  const links: string[] = [];
  for (const match of proseOf(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1]!;
    if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push(target);
  }
  return links;
}

/** Dead links of one file (path relative to `base`), each as "file: target (why)". */
export function deadLinksOf(base: string, file: string): string[] {
  const dead: string[] = [];
  const markdown = fs.readFileSync(path.join(base, file), "utf8");
  for (const target of relativeLinksOf(markdown)) {
    const [linkPath, anchor] = target.split("#", 2) as [string, string | undefined];
    const resolved = linkPath === "" ? path.join(base, file) : path.resolve(path.dirname(path.join(base, file)), decodeURIComponent(linkPath));
    if (!fs.existsSync(resolved)) {
      dead.push(`${file}: ${target} (no such file)`);
      continue;
    }
    if (anchor === undefined || anchor === "") continue;
    if (!resolved.endsWith(".md")) {
      dead.push(`${file}: ${target} (an anchor into a file that is not Markdown)`);
      continue;
    }
    if (!anchorsOf(fs.readFileSync(resolved, "utf8")).has(decodeURIComponent(anchor).toLowerCase())) {
      dead.push(`${file}: ${target} (no heading with that anchor)`);
    }
  }
  return dead;
}

describe("the manual's links", () => {
  it("every relative link in README.md, docs/*.md and test/README.md reaches an existing file and heading", () => {
    const files = manualFiles();
    assert.ok(files.length >= 10, `the manual has its pages (${files.join(", ")})`);
    assert.deepEqual(files.flatMap((file) => deadLinksOf(root, file)), []);
  });

  it("README.md stays a front door: at most 300 lines, linking every page of docs/", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    const lines = readme.split("\n").length;
    assert.ok(lines <= 300, `README.md has ${lines} lines; move reference text to docs/`);
    const linked = new Set(relativeLinksOf(readme).map((target) => target.split("#")[0]));
    const unlinked = manualFiles().filter((file) => file.startsWith("docs") && !linked.has(file.split(path.sep).join("/")));
    assert.deepEqual(unlinked, [], "every docs page is reachable from the README");
  });

  it("every docs page opens with a paragraph saying who it is for", () => {
    for (const file of manualFiles().filter((name) => name.startsWith("docs"))) {
      const [title, blank, first] = fs.readFileSync(path.join(root, file), "utf8").split("\n");
      assert.match(title!, /^# /, `${file} starts with its title`);
      assert.equal(blank, "", file);
      assert.match(first!, /^For /, `${file}'s first paragraph says who it is for`);
    }
  });

  describe("the checker itself", () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-docs-"));
      fs.mkdirSync(path.join(dir, "docs"));
      fs.writeFileSync(
        path.join(dir, "docs", "page.md"),
        "# Page\n\n## Reliability: `npm run reliability`\n\n## Notes\n\n## Notes\n\n```md\n## Not a heading\n[fenced](missing.md)\n```\n",
      );
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("computes GitHub's anchors: code marks and punctuation dropped, repeats numbered, fenced lines ignored", () => {
      assert.deepEqual([...anchorsOf(fs.readFileSync(path.join(dir, "docs", "page.md"), "utf8"))], ["page", "reliability-npm-run-reliability", "notes", "notes-1"]);
    });

    it("reports a missing file, a missing anchor and a bad anchor in the same file; accepts good ones and URLs", () => {
      fs.writeFileSync(
        path.join(dir, "README.md"),
        [
          "[ok](docs/page.md) [ok](docs/page.md#notes-1) [ok](#top) [ok](https://example.com/x.md#nothing)",
          "[gone](docs/gone.md) [bad anchor](docs/page.md#notes-2) ![img](docs/missing.png) [here](#nowhere)",
          "`[code](not-a-link.md)`",
          "# Top",
        ].join("\n"),
      );
      assert.deepEqual(deadLinksOf(dir, "README.md"), [
        "README.md: docs/gone.md (no such file)",
        "README.md: docs/page.md#notes-2 (no heading with that anchor)",
        "README.md: docs/missing.png (no such file)",
        "README.md: #nowhere (no heading with that anchor)",
      ]);
    });
  });
});
