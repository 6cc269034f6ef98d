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
  "events.publish",
  "events.consume",
  "apiKey.read",
] as const;
export type Capability = (typeof capabilities)[number];

export type Trigger = { kind: "http" } | { kind: "queue" };
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
] as const satisfies readonly FunctionDefinition[];

export type FunctionName = (typeof catalog)[number]["name"];
export const functionNames = catalog.map((fn) => fn.name) as FunctionName[];

export function findFunction(name: string): FunctionDefinition | undefined {
  return catalog.find((fn) => fn.name === name);
}
