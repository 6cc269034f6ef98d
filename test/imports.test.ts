/**
 * No import cycles among parity's own modules, type-only imports included: a type import ties two
 * files' meaning together as a value import does, and a cycle means neither can be read, tested or
 * moved without the other. What two modules share moves down to where both can import it.
 *
 * The graph is TypeScript's own: every file the project's tsconfig.json includes, each import,
 * `import type`, `export … from`, `import()` and `require()` found by `ts.preProcessFile`, resolved
 * with `ts.resolveModuleName` under the project's compiler options. Packages are left out.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

/** Each project file (absolute) → the project files it imports. */
export function importGraph(projectDir: string): Map<string, string[]> {
  const configFile = path.join(projectDir, "tsconfig.json");
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, projectDir);
  const files = new Set(parsed.fileNames.map((file) => path.resolve(file)));
  const cache = ts.createModuleResolutionCache(projectDir, (name) => name, parsed.options);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
    const imports = new Set<string>();
    for (const { fileName } of importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, parsed.options, ts.sys, cache).resolvedModule;
      if (resolved && !resolved.isExternalLibraryImport && files.has(path.resolve(resolved.resolvedFileName))) imports.add(path.resolve(resolved.resolvedFileName));
    }
    graph.set(file, [...imports]);
  }
  return graph;
}

/** The graph's cycles: each strongly connected component of more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const order = new Map<string, number>();
  const lowest = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    order.set(file, order.size);
    lowest.set(file, order.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!order.has(next)) {
        visit(next);
        lowest.set(file, Math.min(lowest.get(file)!, lowest.get(next)!));
      } else if (onStack.has(next)) {
        lowest.set(file, Math.min(lowest.get(file)!, order.get(next)!));
      }
    }
    if (lowest.get(file) !== order.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!order.has(file)) visit(file);
  return cycles;
}

/** One cycle, as a reader can follow it: each file and, beneath it, the files of the cycle it imports. */
function cycleText(cycle: string[], graph: Map<string, string[]>, root: string): string {
  const members = new Set(cycle);
  return cycle
    .map((file) => `${path.relative(root, file)} → ${(graph.get(file) ?? []).filter((next) => members.has(next)).map((next) => path.relative(root, next)).join(", ")}`)
    .join("\n  ");
}

describe("import graph", () => {
  it("has no cycle among parity's modules, type-only imports included", function () {
    // Reading and resolving ~260 files takes 6 s on an idle 2-core machine and 18 s at load 33: a busy machine must not fail it.
    this.timeout(120_000);
    const root = path.resolve(__dirname, "..");
    const graph = importGraph(root);
    assert.ok(graph.size > 200, `the project's files were read (${graph.size})`);
    const cycles = importCycles(graph);
    assert.equal(cycles.length, 0, `import cycles (move what both sides share down to a module both can import):\n  ${cycles.map((cycle) => cycleText(cycle, graph, root)).join("\n\n  ")}`);
  });

  describe("the checker itself", () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-imports-"));
      fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", moduleResolution: "node", strict: true }, include: ["*.ts"] }));
      const files: Record<string, string> = {
        // a ↔ b through a type-only import; c → d → e → c through a re-export and a lazy require; f imports itself.
        "a.ts": `import type { B } from "./b";\nexport const a = (b: B) => b;\n`,
        "b.ts": `import { a } from "./a";\nexport type B = number;\nexport const usesA = a;\n`,
        "c.ts": `export { d } from "./d";\n`,
        "d.ts": `export const d = () => require("./e");\n`,
        "e.ts": `import "./c";\n`,
        "f.ts": `import * as self from "./f";\nexport const f = self;\n`,
        "g.ts": `import { a } from "./a";\nimport * as fs from "node:fs";\nexport const g = [a, fs];\n`,
      };
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("finds cycles through type-only imports, re-exports, require() and a self-import; not through packages or one-way imports", () => {
      const graph = importGraph(dir);
      const named = importCycles(graph).map((cycle) => cycle.map((file) => path.basename(file)));
      assert.deepEqual(named.sort(), [["a.ts", "b.ts"], ["c.ts", "d.ts", "e.ts"], ["f.ts"]]);
    });
  });
});
