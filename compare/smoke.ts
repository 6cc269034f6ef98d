/**
 * Phase 1, correctness smoke: the HTTP cases of the conformance suite (the same cases the
 * driver tests run, not a copy) against a live endpoint. The queue cases need to read the
 * platform's queue directly, which a live endpoint does not allow; the queue-delay phase
 * checks the same path end to end instead.
 */
import type { AssertionError } from "node:assert";
import { inspect } from "node:util";
import Mocha from "mocha";
import { describeConformance } from "../conformance/suite";
import type { ConformanceTarget } from "../conformance/target";

export interface SmokeResult {
  passed: number;
  failed: number;
  /** Titles and messages of the failed cases. */
  failures: { title: string; message: string }[];
  durationMs: number;
}

/** The conformance cases that run against a live endpoint. */
export const SMOKE_GREP = /conformance: \S+ HTTP /;
/** `--quick`: the same without the 20-way race, which spins up many cold instances at once. */
export const QUICK_SMOKE_GREP = /conformance: \S+ HTTP (?!20 concurrent)/;

/** A conformance target that sends every request to `baseUrl` over the network. */
export function liveTarget(platform: string, baseUrl: string, apiKey: string): ConformanceTarget {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    platform,
    apiKey,
    async request(request) {
      const url = new URL(request.url);
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      return fetch(base + url.pathname + url.search, { method: request.method, headers: request.headers, body, redirect: "manual" });
    },
    async receivePublished() {
      throw new Error("a live endpoint's queue cannot be read by the smoke phase");
    },
    async deliver() {
      throw new Error("a live endpoint's worker cannot be invoked by the smoke phase");
    },
    async usersApiWithQueueDown() {
      throw new Error("a live endpoint's queue cannot be taken down by the smoke phase");
    },
    async usersApiWithStoreDown() {
      throw new Error("a store outage is not available on a live endpoint: its store cannot be taken down by the smoke phase");
    },
    async usersApiWithEmptyApiKey() {
      throw new Error("a live endpoint's secret store cannot be emptied by the smoke phase");
    },
    async runReconciler() {
      throw new Error("a live endpoint's reconciler runs on its own schedule");
    },
    async close() {
      // Nothing to stop: the endpoint belongs to the local cloud or the deployed stack.
    },
  };
}

/** Runs the HTTP conformance cases against `target` and reports passes and failures. */
export function runSmoke(target: ConformanceTarget, options: { grep?: RegExp; timeoutMs?: number } = {}): Promise<SmokeResult> {
  const started = Date.now();
  const mocha = new Mocha({
    grep: options.grep ?? SMOKE_GREP,
    timeout: options.timeoutMs ?? 30_000,
    // Base collects results and prints nothing; the experiment reports them itself.
    reporter: Mocha.reporters.Base,
  });
  // Installs describe/it for the suite to register into this Mocha instance.
  mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, "conformance-smoke", mocha);
  describeConformance(target.platform, async () => target);

  return new Promise((resolve) => {
    const failures: SmokeResult["failures"] = [];
    let passed = 0;
    const runner = mocha.run(() => {
      mocha.dispose();
      resolve({ passed, failed: failures.length, failures, durationMs: Date.now() - started });
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, () => passed++);
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, error: Error) => {
      failures.push({ title: test.fullTitle(), message: failureMessage(error) });
    });
  });
}

/** The longest failure message kept, in characters: a line of the console and the report. */
const MESSAGE_CHARS = 600;

/**
 * A failed case's message on one line, saying what came back. The cases' own messages name the
 * statuses and codes (conformance/answers.ts); an assertion left with Node's generated message
 * ("Expected values to be strictly deep-equal:" and a multi-line diff) is given its expected and
 * actual values instead of the diff.
 */
export function failureMessage(error: Error): string {
  const assertion = error as Partial<AssertionError>;
  const text =
    assertion.code === "ERR_ASSERTION" && assertion.generatedMessage
      ? `${error.message.split("\n")[0]!.replace(/:\s*$/, "")}: expected ${brief(assertion.expected)}, got ${brief(assertion.actual)}`
      : error.message;
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MESSAGE_CHARS ? `${line.slice(0, MESSAGE_CHARS)}…` : line;
}

const brief = (value: unknown) => inspect(value, { breakLength: Infinity, depth: 3, maxArrayLength: 30, maxStringLength: 200 });
