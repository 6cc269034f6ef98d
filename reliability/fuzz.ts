/**
 * The differential fuzzing phase: each generated request goes to the core (the reference) and
 * to every platform at once; each answer must satisfy the invariants and match the reference's
 * status and error code unless a known deviation explains it; a 201 must read back
 * byte-identical. Seeded (fast-check): a failure is shrunk and reported with its seed and path.
 */
import fc from "fast-check";
import type { ConformanceTarget } from "../conformance/target";
import { fuzzRequest, materialize, type FuzzRequest } from "./generators";
import { explainedBy, outcome, violations, type Observed } from "./invariants";
import { createReference, observe, toWebRequest } from "./reference";

/** One platform under fuzzing: an answer per request, however it is reached. */
export interface FuzzSubject {
  platform: string;
  apiKey: string;
  send(request: FuzzRequest): Promise<Observed>;
}

export interface FuzzPlatformCounts {
  platform: string;
  requests: number;
  fiveXx: number;
  noAnswer: number;
  /** Answers that broke a per-answer invariant (5xx and no answer among them). */
  invalid: number;
  /** Status or error code unlike the reference's, not explained by a known deviation. */
  mismatches: number;
  /** Known deviation id → how many answers it explained. */
  deviations: Record<string, number>;
  created: number;
  readBackFailures: number;
  /** Created users not welcomed within the wait (only counted where the platform delivers by itself). */
  unwelcomed: number;
  /** Up to 5 of them, for the report. */
  unwelcomedExamples: string[];
}

export interface FuzzFailure {
  seed: number;
  /** Replays exactly this case with `--seed <seed> --path <path>`. */
  path: string;
  request: FuzzRequest;
  problems: string[];
}

export interface FuzzResult {
  seed: number;
  runs: number;
  interrupted: boolean;
  durationMs: number;
  platforms: FuzzPlatformCounts[];
  /** Outcome → count, over the reference's answers (what the generated requests exercised). */
  referenceOutcomes: Record<string, number>;
  failure?: FuzzFailure;
}

export interface FuzzOptions {
  seed: number;
  runs: number;
  /** Stop generating after this long (the run is then marked interrupted, not failed). */
  timeLimitMs?: number;
  /** Replay one shrink path of an earlier failure. */
  path?: string;
  /**
   * After the requests, wait up to this long for every created user to be welcomed (the
   * platform's queue delivers by itself: the local cloud, a deployed stack). Off by default.
   */
  welcomeWithinMs?: number;
  onProgress?(done: number, total: number): void;
}

const REFERENCE_KEY = "reference-key-0123456789abcdef";

/** A subject reached over HTTP at `baseUrl` (the local cloud, or a deployed endpoint). */
export function httpSubject(platform: string, baseUrl: string, apiKey: string, timeoutMs = 15_000): FuzzSubject {
  return {
    platform,
    apiKey,
    async send(request) {
      try {
        return await observe(await fetch(toWebRequest(baseUrl, request), { signal: AbortSignal.timeout(timeoutMs) }));
      } catch (error) {
        const e = error as Error & { cause?: Error };
        return { status: 0, contentType: "", text: "", connectionError: `${e.message}${e.cause ? `: ${e.cause.message}` : ""}` };
      }
    },
  };
}

/** A subject reached through a conformance target's real entry point. */
export function targetSubject(target: ConformanceTarget): FuzzSubject {
  return {
    platform: target.platform,
    apiKey: target.apiKey,
    async send(request) {
      try {
        return await observe(await target.request(toWebRequest("http://parity.test", request)));
      } catch (error) {
        return { status: 0, contentType: "", text: "", connectionError: (error as Error).message };
      }
    },
  };
}

export async function runFuzz(subjects: FuzzSubject[], options: FuzzOptions): Promise<FuzzResult> {
  const reference = createReference(REFERENCE_KEY);
  const counts = new Map(subjects.map((s) => [s.platform, emptyCounts(s.platform)]));
  const createdIds = new Map(subjects.map((s) => [s.platform, [] as string[]]));
  const referenceOutcomes: Record<string, number> = {};
  const runToken = `r${Date.now().toString(36)}`;
  let sent = 0;
  let lastProblems: string[] = [];
  const started = Date.now();

  const property = fc.asyncProperty(fuzzRequest, async (generated) => {
    const token = `${runToken}${(sent++).toString(36)}`;
    options.onProgress?.(Math.min(sent, options.runs), options.runs);
    const expectedRequest = materialize(generated, REFERENCE_KEY, token);
    const [expected, ...answers] = await Promise.all([
      reference(expectedRequest),
      ...subjects.map((s) => s.send(materialize(generated, s.apiKey, token))),
    ]);
    referenceOutcomes[outcome(expected)] = (referenceOutcomes[outcome(expected)] ?? 0) + 1;
    const problems = violations(expectedRequest, expected).map((v) => `reference (the core itself): ${v}`);
    await Promise.all(
      subjects.map(async (subject, i) => {
        const found = await check(subject, generated, token, expected, answers[i], counts.get(subject.platform)!);
        if (answers[i].status === 201) createdIds.get(subject.platform)!.push((JSON.parse(answers[i].text) as { id: string }).id);
        problems.push(...found.map((p) => `${subject.platform}: ${p}`));
      }),
    );
    if (problems.length > 0) lastProblems = problems;
    return problems.length === 0;
  });

  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    path: options.path,
    interruptAfterTimeLimit: options.timeLimitMs,
    markInterruptAsFailure: false,
  });
  if (options.welcomeWithinMs !== undefined) {
    await Promise.all(subjects.map((s) => awaitWelcomes(s, createdIds.get(s.platform)!, options.welcomeWithinMs!, counts.get(s.platform)!)));
  }
  return {
    seed: options.seed,
    runs: details.numRuns,
    interrupted: details.interrupted,
    durationMs: Date.now() - started,
    platforms: [...counts.values()],
    referenceOutcomes,
    failure:
      details.failed && details.counterexample
        ? { seed: details.seed, path: details.counterexamplePath ?? "", request: details.counterexample[0], problems: lastProblems }
        : undefined,
  };
}

async function check(subject: FuzzSubject, generated: FuzzRequest, token: string, expected: Observed, observed: Observed, counts: FuzzPlatformCounts): Promise<string[]> {
  counts.requests++;
  const request = materialize(generated, subject.apiKey, token);
  if (observed.connectionError !== undefined) counts.noAnswer++;
  else if (observed.status >= 500) counts.fiveXx++;
  const problems: string[] = [];
  const deviation = outcome(observed) === outcome(expected) ? undefined : explainedBy(subject.platform, request, observed, expected);
  if (deviation) {
    counts.deviations[deviation.id] = (counts.deviations[deviation.id] ?? 0) + 1;
    // The runtime's own answer: only the must-never rules still apply to it.
    problems.push(...violations(request, observed).filter((v) => /^(status 5|no answer|a stack trace)/.test(v)));
    if (problems.length > 0) counts.invalid++;
  } else {
    problems.push(...violations(request, observed));
    if (problems.length > 0) counts.invalid++;
    if (outcome(observed) !== outcome(expected)) {
      counts.mismatches++;
      problems.push(`answered ${outcome(observed)}, the core answers ${outcome(expected)}`);
    }
  }
  if (observed.status === 201 && expected.status === 201) {
    counts.created++;
    const readBack = await readBackProblems(subject, observed, expected);
    if (readBack.length > 0) counts.readBackFailures++;
    problems.push(...readBack);
  }
  return problems;
}

/** A 201 must read back byte-identical, and hold what the core would have stored. */
async function readBackProblems(subject: FuzzSubject, created: Observed, expected: Observed): Promise<string[]> {
  const user = JSON.parse(created.text) as { id: string; email: string; name: string };
  const wanted = JSON.parse(expected.text) as { email: string; name: string };
  const problems: string[] = [];
  if (user.email !== wanted.email || user.name !== wanted.name) {
    problems.push(`stored ${JSON.stringify({ email: user.email, name: user.name })}, the core stores ${JSON.stringify({ email: wanted.email, name: wanted.name })}`);
  }
  const read = await subject.send({ method: "GET", path: `/users/${user.id}`, headers: { "x-api-key": subject.apiKey } });
  if (read.status !== 200) problems.push(`read back: ${outcome(read)}`);
  // The worker may have welcomed the user meanwhile (the local cloud delivers by itself):
  // everything else must read back byte for byte.
  else if (read.text !== withWelcomedAtOf(created.text, read.text)) problems.push(`read back differs: created ${JSON.stringify(created.text)}, read ${JSON.stringify(read.text)}`);
  return problems;
}

/** The created body with `welcomedAt` as the read body has it (null, or a time not before createdAt). */
function withWelcomedAtOf(createdText: string, readText: string): string {
  const created = JSON.parse(createdText) as { createdAt: string; welcomedAt: string | null };
  let welcomedAt: unknown = null;
  try {
    welcomedAt = (JSON.parse(readText) as { welcomedAt?: unknown }).welcomedAt;
  } catch {
    return createdText;
  }
  const plausible = welcomedAt === null || (typeof welcomedAt === "string" && Date.parse(welcomedAt) >= Date.parse(created.createdAt));
  return plausible ? JSON.stringify({ ...created, welcomedAt }) : createdText;
}

function emptyCounts(platform: string): FuzzPlatformCounts {
  return { platform, requests: 0, fiveXx: 0, noAnswer: 0, invalid: 0, mismatches: 0, deviations: {}, created: 0, readBackFailures: 0, unwelcomed: 0, unwelcomedExamples: [] };
}

/** At-least-once delivery, exactly-once effect: every created user ends up welcomed. */
async function awaitWelcomes(subject: FuzzSubject, ids: string[], withinMs: number, counts: FuzzPlatformCounts): Promise<void> {
  const deadline = Date.now() + withinMs;
  let waiting = [...new Set(ids)];
  while (waiting.length > 0 && Date.now() < deadline) {
    const still: string[] = [];
    for (const id of waiting) {
      const read = await subject.send({ method: "GET", path: `/users/${id}`, headers: { "x-api-key": subject.apiKey } });
      const welcomedAt = read.status === 200 ? (JSON.parse(read.text) as { welcomedAt: string | null }).welcomedAt : null;
      if (!welcomedAt) still.push(id);
    }
    waiting = still;
    if (waiting.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  counts.unwelcomed = waiting.length;
  counts.unwelcomedExamples = waiting.slice(0, 5);
}

/** How to replay a failure, for the console and the report. */
export function describeFailure(failure: FuzzFailure): string {
  return [
    `differential fuzzing failed; replay with: npm run reliability -- --seed ${failure.seed} --path ${failure.path} --phases fuzz`,
    `shrunk request: ${JSON.stringify(failure.request)}`,
    ...failure.problems.map((p) => `  - ${p}`),
  ].join("\n");
}
