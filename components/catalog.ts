/**
 * The function catalog: the only list of functions in the project. Components, bundling,
 * the local cloud, `npm run plan` and the tests all read it.
 */
import { packageFile } from "./package-root";

export const platforms = ["aws", "gcp", "azure", "cloudflare"] as const;
export type Platform = (typeof platforms)[number];

/**
 * What a function may do, independent of platform. Each component compiles a capability
 * into the narrowest native grant on the exact resource.
 */
export const capabilities = [
  "users.read",
  "users.create",
  "users.update",
  /** Find users created and not yet welcomed (the reconciler), through the store's pending index only. */
  "users.listPending",
  "events.publish",
  "events.consume",
  "apiKey.read",
] as const;
export type Capability = (typeof capabilities)[number];

/**
 * How a function is invoked. A schedule fires every `everyMinutes` minutes, aligned to the UTC
 * clock (components/schedule.ts); the stack may set another interval per function
 * (`parity:functions.<name>.everyMinutes`), and this one is the default.
 */
export type Trigger = { kind: "http" } | { kind: "queue" } | { kind: "schedule"; everyMinutes: number };
export type TriggerKind = Trigger["kind"];
/** Every trigger kind, for run-time checks and messages. */
export const triggerKinds = ["http", "queue", "schedule"] as const satisfies readonly TriggerKind[];

/**
 * A function's handler module (functions/handler.ts): its default export is a fetch handler
 * (`http`), a batch handler (`queue`) or a plain function (`schedule`), and parity's generic
 * driver of each platform serves it. Either one portable file for every platform, or one per
 * platform (parity's own functions: each binds that platform's store and queue). A relative
 * path resolves against the bundle root (your Pulumi program's directory by default, see
 * `BundleOptions.root`); an absolute one is taken as it is.
 * @example
 * entry: "src/hello.ts"
 */
export type FunctionEntry = string | Record<Platform, string>;

export interface FunctionDefinition {
  /** Stable name; also the key under `parity:functions` in stack config. */
  name: string;
  trigger: Trigger;
  entry: FunctionEntry;
  /** Everything the function needs; it is granted exactly this. */
  capabilities: readonly Capability[];
  description: string;
}

/** Parity's own handlers, by absolute path inside the package, so they bundle the same from a checkout or an install. */
const entries = (name: string): Record<Platform, string> => ({
  aws: packageFile("functions", "aws", `${name}.ts`),
  gcp: packageFile("functions", "gcp", `${name}.ts`),
  azure: packageFile("functions", "azure", `${name}.ts`),
  cloudflare: packageFile("functions", "cloudflare", `${name}.ts`),
});

export const catalog = [
  {
    name: "users-api",
    trigger: { kind: "http" },
    entry: entries("users-api"),
    capabilities: ["users.read", "users.create", "events.publish", "apiKey.read"],
    description: "GET /users/{id}, POST /users; publishes user.created",
  },
  {
    name: "queue-worker",
    trigger: { kind: "queue" },
    entry: entries("queue-worker"),
    capabilities: ["events.consume", "users.update"],
    description: "consumes user.created and marks the user welcomed, idempotently",
  },
  {
    name: "reconciler",
    trigger: { kind: "schedule", everyMinutes: 5 },
    entry: entries("reconciler"),
    capabilities: ["users.listPending", "users.update", "events.publish"],
    description: "re-publishes user.created for users a failed publish left unwelcomed",
  },
] as const satisfies readonly FunctionDefinition[];

/** The handler module of a function on one platform. */
export function entryFor(entry: FunctionEntry, platform: Platform): string {
  return typeof entry === "string" ? entry : entry[platform];
}

export type FunctionName = (typeof catalog)[number]["name"];
export const functionNames = catalog.map((fn) => fn.name) as FunctionName[];

export function findFunction(name: string): FunctionDefinition | undefined {
  return catalog.find((fn) => fn.name === name);
}

/** A value as a message shows it: strings quoted, the rest as JSON or their type. */
export function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Refuses a platform name outside the four, naming the value and the allowed ones. */
export function checkPlatform(platform: unknown): asserts platform is Platform {
  if (!(platforms as readonly unknown[]).includes(platform)) throw new TypeError(`unknown platform ${describe(platform)}; allowed: ${platforms.join(", ")}.`);
}
