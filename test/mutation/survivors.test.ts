import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A report in Stryker's mutation-testing-report-schema shape, two files, every status. */
const mutant = (id: string, line: number, status: string, coveredBy: string[] = []) => ({
  id, mutatorName: "EqualityOperator", replacement: "a >= b", status, coveredBy, location: { start: { line, column: 1 }, end: { line, column: 5 } },
});
const report = {
  schemaVersion: "2",
  thresholds: { high: 90, low: 80 },
  files: {
    "b.ts": { language: "typescript", source: "x\nif (a > b) y();\n", mutants: [mutant("1", 2, "Killed", ["t1"]), mutant("2", 2, "Survived", ["t1"]), mutant("3", 1, "NoCoverage"), mutant("4", 1, "Timeout"), mutant("5", 1, "Ignored"), mutant("6", 1, "CompileError")] },
    "a.ts": { language: "typescript", source: "ok\n", mutants: [mutant("7", 1, "Killed", ["t1"])] },
  },
  testFiles: { "a.test.ts": { tests: [{ id: "t1", name: "refuses a past b" }] } },
};

describe("npm run mutate:survivors", () => {
  it("scores each file as Stryker does and lists only the survived and uncovered mutants, with their code and tests", () => {
    const dir = mkdtempSync(join(tmpdir(), "parity-survivors-"));
    try {
      writeFileSync(join(dir, "mutation.json"), JSON.stringify(report));
      const printed = execFileSync(process.execPath, ["scripts/mutation-survivors.mjs", join(dir, "mutation.json")], { encoding: "utf8" });
      // b.ts: killed 1 + timeout 1 of 4 valid (ignored and compile errors left out) = 50 %.
      assert.match(printed, /'b\.ts'\s*│\s*'50\.0 %'\s*│\s*1\s*│\s*1\s*│\s*1/);
      assert.match(printed, /'a\.ts'\s*│\s*'100\.0 %'/);
      const list = readFileSync(join(dir, "survivors.md"), "utf8");
      assert.deepEqual(list.match(/^- L\d+ \w+/gm), ["- L1 NoCoverage", "- L2 Survived"], "ordered by line; killed, timed out, ignored and compile errors left out");
      assert.match(list, /`if \(a > b\) y\(\);`\n  - 1 test\(s\) ran against it, e\.g\. "refuses a past b"/);
      assert.doesNotMatch(list, /## a\.ts/, "a file with nothing left has no section");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says what to run when there is no report", () => {
    assert.throws(() => execFileSync(process.execPath, ["scripts/mutation-survivors.mjs", "/nonexistent/mutation.json"], { encoding: "utf8", stdio: "pipe" }), (error: { stderr: string; status: number }) => error.status === 1 && /run `npm run mutate` first/.test(error.stderr));
  });
});
