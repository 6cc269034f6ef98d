/**
 * The function catalog: the only list of functions in the project. Components, bundling,
 * the local cloud, `npm run plan` and the tests all read it.
 */

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

export interface FunctionDefinition {
  /** Stable name; also the key under `parity:functions` in stack config. */
  name: string;
  trigger: Trigger;
  /** Entry module per platform, relative to the project root. */
  entry: Record<Platform, string>;
  /** Everything the function needs; it is granted exactly this. */
  capabilities: readonly Capability[];
  description: string;
}

const entries = (name: string): Record<Platform, string> => ({
  aws: `functions/aws/${name}.ts`,
  gcp: `functions/gcp/${name}.ts`,
  azure: `functions/azure/${name}.ts`,
  cloudflare: `functions/cloudflare/${name}.ts`,
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

export type FunctionName = (typeof catalog)[number]["name"];
export const functionNames = catalog.map((fn) => fn.name) as FunctionName[];

export function findFunction(name: string): FunctionDefinition | undefined {
  return catalog.find((fn) => fn.name === name);
}
