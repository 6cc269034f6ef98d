// Mutation testing (`npm run mutate`, issue 18): the fast, pure modules, mutated by Stryker and
// checked by their unit tests only. The driver and emulator suites are too slow to run per mutant
// on two cores; test/README.md lists the hand mutations they must catch instead.
// Options: https://stryker-mutator.io/docs/stryker-js/configuration/

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "mocha",
  checkers: ["typescript"],
  // Type-checks only the mutated modules (the full program pulls in every cloud provider SDK: minutes per check).
  tsconfigFile: "tsconfig.mutate.json",
  // Mutants are type-checked in groups (fast). Should the checker stop with "Typescript error …
  // reported without a corresponding file" (seen once here, with static mutants included), set this
  // false: one mutant per check, about three times slower.
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    "functions/core/**/*.ts",
    "components/*/rules.ts",
    "components/config.ts",
    "components/schedule.ts",
    "compare/loadgen.ts",
    "compare/phases.ts",
    "compare/cost.ts",
    "compare/histogram.ts",
    // Issue 30: choose's requirements file and the local cloud's scheduler (its ticks under node's mock clock).
    "choose/requirements.ts",
    "local/scheduler.ts",
    "choose/rank.ts",
    "choose/measurements.ts",
    "reliability/invariants.ts",
    "reliability/reference.ts",
  ],
  mochaOptions: {
    // The unit tests of the modules above; .mocharc.json supplies ts-node's transpile-only register.
    // MUTATE_SPEC (comma-separated) narrows them for a one-module run: the dry run and each test
    // runner then load only that module's tests (docs/testing.md shows the command).
    spec: process.env.MUTATE_SPEC?.split(",") ?? [
      "test/core/*.test.ts",
      "components/schedule.test.ts",
      "components/*/rules.test.ts",
      "test/config.test.ts",
      // One by one: mocha's spec globs do not expand {a,b} braces.
      "test/compare/cost.test.ts",
      "test/compare/histogram.test.ts",
      "test/compare/loadgen.test.ts",
      "test/compare/phases.test.ts",
      "test/choose/requirements.test.ts",
      "test/choose/limits.test.ts",
      "test/local/scheduler.test.ts",
      "test/choose/rank.test.ts",
      "test/choose/measurements.test.ts",
      "test/reliability/invariants.test.ts",
      "test/reliability/reference.test.ts",
    ],
  },
  coverageAnalysis: "perTest",
  // Static mutants (module-level constants: limits, tables, patterns) each need a fresh process
  // running every test: 5 % of functions/core's mutants took 70 % of its time. They are left out
  // of the figure; the unit tests assert those constants by value (MAX_BODY_BYTES, the presets'
  // thresholds, the rules' limits). Set false for a complete, hours-long run.
  ignoreStatic: true,
  // A re-run mutates only what changed since the last one (code or tests).
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  reporters: ["html", "json", "clear-text", "progress"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  // Machine-readable survivors for triage (jq over .files[].mutants[] | select(.status == "Survived")).
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  // The agreed goal is 90 % (issue 18): the command fails below it. The complete run of
  // 2026-11-30 (48 min, two test runners) scored 99.47 %, every module at least 96 %.
  thresholds: { high: 95, low: 90, break: 90 },
  // With the type checker on, Stryker gives about half the processes to checkers: 2 made one
  // checker and one test runner (a full run took 93 min), 4 makes two of each (48 min).
  concurrency: 4,
  timeoutMS: 10000,
  tempDirName: ".stryker-tmp",
  ignorePatterns: ["reports", "dist", ".build", ".pulumi"],
};
