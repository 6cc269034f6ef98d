// `npm test`: the typecheck and the mocha suites side by side, not one after the other.
//
// The typecheck is about 50 s of CPU on its own (every cloud provider SDK's types), while most of
// the mocha run waits on emulators, child processes and timers; run in sequence they added up
// (3 min 37 s on an idle 2-core machine). Here tsc runs at a lower priority beside mocha, so the
// tests keep the CPU they need, and tsc is incremental: its build info is kept in
// node_modules/.cache, so a second run with few changed files checks only what changed (a clean
// clone checks everything once). The tsc output is printed after mocha's, and either failing
// fails `npm test`.
//
// Arguments are mocha's (`npm test -- --grep conformance`); `npm run typecheck` is the typecheck alone.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSC_PRIORITY = 10;

/** Runs `args` with this Node; resolves with the exit code (signals count as failures) and, when captured, the output. */
function run(args, { capture = false, priority } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit" });
    if (priority !== undefined) {
      try {
        os.setPriority(child.pid, priority);
      } catch {
        // Not permitted on this system: the typecheck runs at normal priority.
      }
    }
    let output = "";
    if (capture) for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

const started = Date.now();
const typecheck = run(
  [require.resolve("typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.json", "--incremental", "--tsBuildInfoFile", path.join("node_modules", ".cache", "parity", "typecheck.tsbuildinfo")],
  { capture: true, priority: TSC_PRIORITY },
).then((result) => ({ ...result, seconds: (Date.now() - started) / 1000 }));
const mocha = await run([require.resolve("mocha/bin/mocha.js"), "--parallel", "--jobs", "3", "components/**/*.test.ts", "test/**/*.test.ts", ...process.argv.slice(2)]);
const checked = await typecheck;

if (checked.code === 0) console.log(`typecheck: no errors (tsc, ${checked.seconds.toFixed(0)} s beside mocha)`);
else console.error(`typecheck FAILED (tsc exit ${checked.code}):\n${checked.output}`);
process.exitCode = mocha.code !== 0 ? mocha.code : checked.code;
