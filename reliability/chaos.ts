/**
 * Queue chaos on a platform's real queue worker: every event delivered 2–3 times, out of
 * order, in batches mixed with poison and unknown-user messages. The worker's answers are the
 * platform's own (ConformanceTarget.deliver: its native event shape, its partial-failure
 * report); the redelivery around them is the queue's contract played by this loop: a failed
 * message comes back later, and after `maxAttempts` deliveries it is dead-lettered.
 */
import fc from "fast-check";
import type { ConformanceTarget, DeliveredMessage } from "../conformance/target";

export interface ChaosResult {
  platform: string;
  seed: number;
  /** Deliveries owed: every copy of every message. */
  messagesIn: number;
  processed: number;
  deadLettered: number;
  /** Users welcomed, and redeliveries that changed nothing (duplicates suppressed). */
  welcomed: number;
  duplicatesSuppressed: number;
  /** in − processed − dead-lettered: must be 0. */
  lost: number;
  problems: string[];
}

export interface ChaosOptions {
  seed: number;
  maxAttempts: number;
  /** Batches hold 1 to this many messages. @default 5 */
  maxBatch?: number;
  /** The users' real `user.created` messages, as the platform's queue returned them. */
  events: DeliveredMessage[];
  /** Reads a user's welcomedAt through the API. */
  welcomedAt(userId: string): Promise<string | null>;
  /** Wall-time bound: messages still queued when it is reached count as lost. @default no bound */
  timeLimitMs?: number;
}

/** Messages the worker must fail every time: not JSON, the wrong shape, a user that does not exist. */
export function poisonMessages(tag: string): DeliveredMessage[] {
  return [
    { id: `${tag}-not-json`, body: "{not json" },
    { id: `${tag}-wrong-shape`, body: JSON.stringify({ type: "user.created", userId: 42 }) },
    { id: `${tag}-ghost`, body: JSON.stringify({ type: "user.created", eventId: `e-${tag}`, userId: "00000000-0000-4000-8000-00000000dead", email: "ghost@example.com", occurredAt: new Date().toISOString() }) },
  ];
}

export async function runChaos(target: Pick<ConformanceTarget, "platform" | "deliver">, options: ChaosOptions): Promise<ChaosResult> {
  const random = fc.sample(fc.integer({ min: 0, max: 2 ** 30 }), { seed: options.seed, numRuns: 10_000 });
  let r = 0;
  const next = (n: number) => random[r++ % random.length] % n;
  const tag = `chaos${options.seed}`;
  const poison = poisonMessages(tag);
  // Each event 2–3 times, each poison message once: a copy is one delivery the queue owes.
  const copies = [...options.events.flatMap((m) => Array.from({ length: 2 + next(2) }, (_, k) => ({ ...m, id: `${m.id}#${k}`, of: m.id }))), ...poison.map((m) => ({ ...m, of: m.id }))];
  for (let i = copies.length - 1; i > 0; i--) {
    const j = next(i + 1);
    [copies[i], copies[j]] = [copies[j], copies[i]];
  }
  const result: ChaosResult = { platform: target.platform, seed: options.seed, messagesIn: copies.length, processed: 0, deadLettered: 0, welcomed: 0, duplicatesSuppressed: 0, lost: 0, problems: [] };
  const attempts = new Map<string, number>();
  const userOf = new Map(options.events.map((m) => [m.id, JSON.parse(m.body).userId as string]));
  const firstWelcome = new Map<string, string>();
  const queue = [...copies];
  let rounds = 0;
  const deadline = Date.now() + (options.timeLimitMs ?? Infinity);
  while (queue.length > 0 && rounds++ < 1_000 && Date.now() < deadline) {
    const batch = queue.splice(0, 1 + next(options.maxBatch ?? 5));
    const { failedIds } = await target.deliver(batch.map(({ id, body }) => ({ id, body })));
    for (const message of batch) {
      attempts.set(message.id, (attempts.get(message.id) ?? 0) + 1);
      if (!failedIds.includes(message.id)) {
        result.processed++;
        const userId = userOf.get(message.of);
        if (!userId) {
          result.problems.push(`poison ${message.id} was reported processed`);
          continue;
        }
        const at = await options.welcomedAt(userId);
        if (!at) result.problems.push(`${userId} not welcomed after ${message.id} succeeded`);
        else if (!firstWelcome.has(userId)) {
          firstWelcome.set(userId, at);
          result.welcomed++;
        } else if (firstWelcome.get(userId) === at) result.duplicatesSuppressed++;
        else result.problems.push(`${userId} welcomed twice (${firstWelcome.get(userId)}, then ${at})`);
      } else if (attempts.get(message.id)! >= options.maxAttempts) {
        result.deadLettered++;
        if (userOf.has(message.of)) result.problems.push(`the event ${message.id} was dead-lettered`);
      } else {
        // Redelivered later, out of order.
        queue.splice(next(queue.length + 1), 0, message);
      }
    }
  }
  result.lost = result.messagesIn - result.processed - result.deadLettered;
  for (const m of poison) {
    if (attempts.get(m.id) !== options.maxAttempts) result.problems.push(`poison ${m.id} delivered ${attempts.get(m.id)} times, not maxAttempts (${options.maxAttempts})`);
  }
  if (result.welcomed !== options.events.length) result.problems.push(`${result.welcomed} of ${options.events.length} users welcomed`);
  if (result.lost !== 0) result.problems.push(`${result.lost} messages neither processed nor dead-lettered${queue.length > 0 ? ` (${queue.length} still queued when the ${Date.now() >= deadline ? "time limit" : "round limit"} was reached)` : ""}`);
  return result;
}

export interface ChaosRoundOptions {
  seed: number;
  /** Users created for the round: each one's real event is the chaos's input. */
  users: number;
  maxAttempts: number;
  maxBatch?: number;
  timeLimitMs?: number;
}

/**
 * One chaos round on a target: creates `users` users through its users API, collects their real
 * events from its queue (up to 15 s), then runs the chaos on its worker. Used by the conformance
 * suite and by `npm run reliability`.
 */
export async function chaosRound(target: Pick<ConformanceTarget, "platform" | "apiKey" | "request" | "receivePublished" | "deliver">, options: ChaosRoundOptions): Promise<ChaosResult> {
  const api = (path: string, init: RequestInit = {}) =>
    target.request(new Request(`http://parity.test${path}`, { ...init, headers: { "x-api-key": target.apiKey, "content-type": "application/json", ...init.headers } }));
  await target.receivePublished({ atLeast: 0, timeoutMs: 0 });
  const ids = new Set<string>();
  for (let i = 0; i < options.users; i++) {
    const response = await api("/users", { method: "POST", body: JSON.stringify({ email: `chaos-${options.seed}-${i}-${Date.now()}@example.com`, name: `Chaos ${i}` }) });
    if (response.status !== 201) throw new Error(`chaos on ${target.platform}: creating a user answered ${response.status} ${await response.text()}`);
    ids.add(((await response.json()) as { id: string }).id);
  }
  // Collected without waiting for duplicates: duplicates are the chaos's own doing.
  const events: DeliveredMessage[] = [];
  const collectBy = Date.now() + 15_000;
  while (events.length < ids.size && Date.now() < collectBy) {
    for (const message of await target.receivePublished({ atLeast: ids.size - events.length, timeoutMs: 2_000 })) {
      if (ids.has(JSON.parse(message.body).userId)) events.push(message);
    }
  }
  if (events.length !== ids.size) throw new Error(`chaos on ${target.platform}: ${events.length} of ${ids.size} users' events arrived within 15 s`);
  return runChaos(target, {
    seed: options.seed,
    maxAttempts: options.maxAttempts,
    maxBatch: options.maxBatch,
    timeLimitMs: options.timeLimitMs,
    events,
    welcomedAt: async (id) => ((await (await api(`/users/${id}`)).json()) as { welcomedAt: string | null }).welcomedAt,
  });
}
