/**
 * The Cloudflare environment contract, written once: the bindings the component puts on each
 * Worker, the driver reads from `env` and the local launcher gives Miniflare, and which
 * capability brings which. On Workers a binding is both the permission and the handle: a
 * Worker can reach exactly what is bound to it, so a function only learns of what its
 * capabilities allow.
 */
import type { Capability } from "../../components/catalog";
import { reconcilerEnv } from "../core/reconciler";

/** Binding names: the keys of a Worker's `env`. */
export const cloudflareEnv = {
  platform: "PARITY_PLATFORM",
  usersDb: "USERS_DB",
  events: "EVENTS",
  apiKey: "API_KEY",
  /** A schedule function's run settings, plain-text bindings named as on every platform. */
  reconcileGraceSeconds: reconcilerEnv.graceSeconds,
  reconcileTimeBudgetSeconds: reconcilerEnv.timeBudgetSeconds,
} as const;

/** The native resources behind the bindings (Outputs in the component, strings locally). */
export interface CloudflareBindingValues<T> {
  /** The D1 database id (UUID on Cloudflare). */
  usersDatabaseId: T;
  eventsQueueName: T;
  /** The API key itself: Workers inject secrets into `env`. */
  apiKey: T;
}

/** A schedule function's run settings (`reconcilerRunSettings`), seconds. */
export interface ScheduleRunSettings {
  graceSeconds: number;
  timeBudgetSeconds: number;
}

/** A binding of one Worker, with the value it points at. */
export type WorkerBinding<T> =
  | { kind: "d1"; name: typeof cloudflareEnv.usersDb; databaseId: T }
  | { kind: "queue"; name: typeof cloudflareEnv.events; queueName: T }
  | { kind: "secret_text"; name: typeof cloudflareEnv.apiKey; text: T }
  | { kind: "plain_text"; name: typeof cloudflareEnv.platform; text: "cloudflare" }
  | { kind: "plain_text"; name: typeof cloudflareEnv.reconcileGraceSeconds | typeof cloudflareEnv.reconcileTimeBudgetSeconds; text: string };

/** The kind of binding a capability brings; `queue-consumer` is a consumer registration, not a binding. */
export type CapabilityBinding = "d1" | "queue" | "secret_text" | "queue-consumer";

/**
 * Capability → binding. A D1 binding is all-or-nothing on one database (there is no read-only
 * binding), so users.read/create/update share the one USERS_DB binding; events.consume is
 * the queue's consumer registration, which hands the Worker its batches without a binding.
 * Sources: https://developers.cloudflare.com/d1/worker-api/ ,
 * https://developers.cloudflare.com/queues/configuration/configure-queues/
 */
export const cloudflareCapabilityBindings: Record<Capability, CapabilityBinding> = {
  "users.read": "d1",
  "users.create": "d1",
  "users.update": "d1",
  // The pending index lives in the same database; D1 has no per-index binding.
  "users.listPending": "d1",
  "events.publish": "queue",
  "events.consume": "queue-consumer",
  "apiKey.read": "secret_text",
};

/**
 * The bindings of a Worker with these capabilities: one per distinct binding, in declaration
 * order, plus PARITY_PLATFORM, plus a schedule function's two run settings (plain text: they
 * are not secrets).
 */
export function workerBindings<T>(capabilities: readonly Capability[], values: CloudflareBindingValues<T>, schedule?: ScheduleRunSettings): WorkerBinding<T>[] {
  const byKind = new Map<CapabilityBinding, WorkerBinding<T>>();
  for (const capability of capabilities) {
    const kind = cloudflareCapabilityBindings[capability];
    if (kind === "queue-consumer" || byKind.has(kind)) continue;
    byKind.set(kind, bindingOf(kind, values));
  }
  const bindings: WorkerBinding<T>[] = [...byKind.values(), { kind: "plain_text", name: cloudflareEnv.platform, text: "cloudflare" }];
  if (schedule) {
    bindings.push(
      { kind: "plain_text", name: cloudflareEnv.reconcileGraceSeconds, text: String(schedule.graceSeconds) },
      { kind: "plain_text", name: cloudflareEnv.reconcileTimeBudgetSeconds, text: String(schedule.timeBudgetSeconds) },
    );
  }
  return bindings;
}

function bindingOf<T>(kind: Exclude<CapabilityBinding, "queue-consumer">, values: CloudflareBindingValues<T>): WorkerBinding<T> {
  switch (kind) {
    case "d1":
      return { kind, name: cloudflareEnv.usersDb, databaseId: values.usersDatabaseId };
    case "queue":
      return { kind, name: cloudflareEnv.events, queueName: values.eventsQueueName };
    case "secret_text":
      return { kind, name: cloudflareEnv.apiKey, text: values.apiKey };
  }
}
