/**
 * The differential fuzzing phase: each generated request goes to the core (the reference) and
 * to every platform at once; each answer must satisfy the invariants and match the reference's
 * status and error code unless a known deviation explains it; a 201 must read back
 * byte-identical. Seeded (fast-check): a failure is shrunk and reported with its seed and path.
 */
import fc from "fast-check";
import type { ConformanceTarget } from "../conformance/target";
import * as net from "node:net";
import { fuzzRequest, materialize, RUN_TOKEN_LENGTH, type FuzzRequest } from "./generators";
import { explainedBy, outcome, violations, type Observed } from "./invariants";
import { createReference, observe, toWebRequest, wireBody } from "./reference";

/** One platform under fuzzing: an answer per request, however it is reached. */
export interface FuzzSubject {
  platform: string;
  apiKey: string;
  /**
   * Whether the subject is reached over a connection whose bytes the fuzzer writes (HTTP), so a
   * body's framing (chunked, lying lengths) can be sent as generated. A conformance target is
   * handed a web Request through the platform's native entry, behind no HTTP server: there
   * framing is the platform front's business, so runFuzz sends those requests honestly framed.
   */
  framesOnTheWire?: boolean;
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
    framesOnTheWire: true,
    async send(request) {
      try {
        // fetch frames every body honestly; a hostile framing needs the bytes written by hand.
        if (request.framing && request.body !== undefined) return await sendFramed(baseUrl, request, timeoutMs);
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
  // Fixed length (RUN_TOKEN_LENGTH): "r", 8 base-36 digits of the time, 4 of the count.
  const runToken = `r${Date.now().toString(36).padStart(8, "0")}`;
  let sent = 0;
  let lastProblems: string[] = [];
  const started = Date.now();

  const framed = subjects.every((subject) => subject.framesOnTheWire === true);
  const requests = framed ? fuzzRequest : fuzzRequest.map(({ framing: _framing, ...honest }) => honest);
  const property = fc.asyncProperty(requests, async (generated) => {
    const token = `${runToken}${(sent++).toString(36).padStart(4, "0")}`;
    if (token.length !== RUN_TOKEN_LENGTH) throw new Error(`run token ${token} is not ${RUN_TOKEN_LENGTH} characters: the exact-length bodies and emails would be off`);
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

/**
 * Sends a request whose body is framed in a hostile way (generators.ts `Framing`) over a raw
 * TCP connection, and reads the first answer: the status line, the headers, and a body delimited
 * by content-length, chunks or the close. A client that declared more than it sends closes its
 * side after the bytes it has (the server would otherwise wait for them until its own timeout).
 */
export function sendFramed(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<Observed> {
  const url = new URL(baseUrl);
  const body = Buffer.from(wireBody(request) ?? new Uint8Array(0));
  const { chunked, lengthDelta } = request.framing!;
  const head = [`${request.method} ${url.pathname.replace(/\/$/, "")}${request.path} HTTP/1.1`, `host: ${url.host}`];
  for (const [name, value] of Object.entries(request.headers)) head.push(`${name}: ${value}`);
  if (chunked) head.push("transfer-encoding: chunked");
  if (lengthDelta !== undefined) head.push(`content-length: ${Math.max(0, body.byteLength + lengthDelta)}`);
  const payload = chunked ? Buffer.concat([Buffer.from(body.byteLength > 0 ? `${body.byteLength.toString(16)}\r\n` : ""), body, Buffer.from(body.byteLength > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n")]) : body;
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port || 80), url.hostname);
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (observed: Observed) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(observed);
    };
    const noAnswer = (why: string): Observed => ({ status: 0, contentType: "", text: "", connectionError: why });
    const timer = setTimeout(() => settle(noAnswer(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const tryParse = (closed: boolean) => {
      const parsed = parseResponse(received, closed);
      if (parsed) settle(parsed);
      else if (closed) settle(noAnswer(received.length === 0 ? "the server closed the connection without an answer" : "the server closed the connection mid-answer"));
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse(false);
    });
    socket.on("end", () => tryParse(true));
    socket.on("error", (error) => (received.length > 0 ? tryParse(true) : settle(noAnswer(error.message))));
    socket.write(Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`), payload]));
    if (!chunked && (lengthDelta ?? 0) > 0) socket.end();
  });
}

/** The first HTTP/1.1 answer in `bytes`, once complete (or once the server closed, for a body delimited by the close). */
export function parseResponse(bytes: Buffer, closed: boolean): Observed | undefined {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) return { status: 0, contentType: "", text: "", connectionError: `not an HTTP answer: ${JSON.stringify(statusLine)}` };
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(":")).trim().toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
  const rest = bytes.subarray(end + 4);
  const answer = (body: Buffer): Observed => ({ status, contentType: headers.get("content-type") ?? "", text: body.toString("utf8") });
  if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
    const parts: Buffer[] = [];
    for (let at = 0; ; ) {
      const lineEnd = rest.indexOf("\r\n", at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(rest.subarray(at, lineEnd).toString("latin1"), 16);
      if (size === 0) return answer(Buffer.concat(parts));
      if (rest.length < lineEnd + 2 + size + 2) return undefined;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  const length = headers.get("content-length");
  if (length !== undefined) return rest.length >= Number(length) ? answer(rest.subarray(0, Number(length))) : undefined;
  return closed || status === 204 || status === 304 ? answer(rest) : undefined;
}
