/** Cloudflare: a graph broken for each cloudflare policy (see ./index.ts). */
import { cloudflareTypes as T } from "../../../policies/cloudflare";
import { SIG_KEY } from "../../../scripts/analyzer-requests";
import type { RecordedResource } from "../../../scripts/offline";
import { breakOne, type Breaker } from "../graphs";

type Binding = { type: string; name: string; [k: string]: unknown };

/** Changes a Worker's bindings whether the list arrives wrapped as a secret (it holds the API key) or plain. */
const withBindings = (r: RecordedResource, change: (bindings: Binding[]) => void) => {
  const holder = r.inputs.bindings && SIG_KEY in r.inputs.bindings ? r.inputs.bindings : undefined;
  change((holder ? holder.value : r.inputs.bindings) as Binding[]);
};

export const cloudflareBreakers: Record<string, Breaker> = {
  // users-api: no cron trigger or consumer refers to it by name.
  "cloudflare-worker-script-name": (g) => breakOne(g, T.script, (r) => (r.inputs.scriptName = "x".repeat(64)), "users-api"),
  "cloudflare-d1-database-name": (g) => breakOne(g, T.database, (r) => (r.inputs.name = "Users.DB")),
  // The events queue, not the DLQ the consumer names.
  "cloudflare-queue-name": (g) => breakOne(g, T.queue, (r) => (r.inputs.queueName = "events-"), "-events"),
  // 251 schedules: one past the Workers Paid limit.
  "cloudflare-cron-triggers-per-account": (g) => breakOne(g, T.cron, (r) => (r.inputs.schedules = Array.from({ length: 251 }, () => ({ cron: "*/5 * * * *" })))),
  // NCRONTAB's six fields, seconds first: valid on Azure, not on Workers.
  "cloudflare-cron-five-fields": (g) => breakOne(g, T.cron, (r) => (r.inputs.schedules = [{ cron: "0 */5 * * * *" }])),
  "cloudflare-consumer-has-dead-letter-queue": (g) => breakOne(g, T.consumer, (r) => delete r.inputs.deadLetterQueue),
  // queue-worker bound to the events queue as a producer: events.consume does not need it.
  "cloudflare-bindings-equal-capabilities": (g) =>
    breakOne(g, T.script, (r) => withBindings(r, (bindings) => bindings.push({ type: "queue", name: "EVENTS", queueName: "x-events" })), "queue-worker"),
  // The API key as plain text: the same binding name, the wrong type.
  "cloudflare-no-secret-in-plain-text": (g) =>
    breakOne(g, T.script, (r) => withBindings(r, (bindings) => (bindings.find((b) => b.name === "API_KEY")!.type = "plain_text")), "users-api"),
};
