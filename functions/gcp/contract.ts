/**
 * The GCP environment contract, written once: the entry point each bundle registers, the
 * variables the component sets on each Cloud Function (plain and secret), the driver reads
 * and the local launcher sets, and which capability brings which. A function only learns of
 * the resources it may use.
 */
import type { Capability } from "../../components/catalog";
import { reconcilerEnv } from "../core/reconciler";

/** The core's per-run limit: the rules size the push subscription's retries for a burst of this many events. */
export { RECONCILER_BATCH_LIMIT } from "../core/reconciler";

export const gcpEnv = {
  platform: "PARITY_PLATFORM",
  /** Set by the component: newer runtimes no longer set it themselves. */
  projectId: "GOOGLE_CLOUD_PROJECT",
  firestoreDatabase: "FIRESTORE_DATABASE",
  eventsTopic: "EVENTS_TOPIC",
  /**
   * A secret environment variable: Cloud Functions resolves the Secret Manager version into
   * it when an instance starts (https://cloud.google.com/run/docs/configuring/secrets); the
   * function configuration holds only the reference.
   */
  apiKey: "API_KEY",
  /**
   * How long one publish may take, retries included (set on functions that declare
   * events.publish): the client's default retries last up to 600 s, far past a function's timeout.
   */
  publishTimeoutMs: "PUBLISH_TIMEOUT_MS",
  /**
   * How long one store operation may take, retries included (set on functions that declare a
   * users.* capability): the Firestore client retries an unreachable host far past a function's
   * timeout (its Commit and read retries total up to 600 s: @google-cloud/firestore 8.7.1
   * build/src/v1/firestore_client_config.json, `total_timeout_millis`), so without a bound the
   * platform's timeout answers instead of parity's 500.
   */
  storeTimeoutMs: "STORE_TIMEOUT_MS",
} as const;

/**
 * The name each bundle registers with the Functions Framework and the component passes as
 * the Cloud Function's `entryPoint`: the catalog name in camelCase (`users-api` →
 * `usersApi`), a plain JavaScript identifier whatever the catalog name is.
 */
export function entryPointName(functionName: string): string {
  return functionName.replace(/[-_]+([a-z0-9])/gi, (_, next: string) => next.toUpperCase());
}

/** The values behind the plain variables: names (Outputs in the component, strings locally). */
export interface GcpEnvValues<T> {
  projectId: T;
  firestoreDatabase: T;
  eventsTopic: T;
}

/** The values behind the secret variables: a Secret Manager reference in the component, the value locally. */
export interface GcpSecretValues<S> {
  apiKey: S;
}

/** Which values each capability needs (events.consume needs none: the push subscription delivers). */
export const gcpCapabilityEnv: Record<Capability, { variables: readonly Exclude<keyof GcpEnvValues<unknown>, "projectId">[]; secrets: readonly (keyof GcpSecretValues<unknown>)[] }> = {
  "users.read": { variables: ["firestoreDatabase"], secrets: [] },
  "users.create": { variables: ["firestoreDatabase"], secrets: [] },
  "users.update": { variables: ["firestoreDatabase"], secrets: [] },
  "users.listPending": { variables: ["firestoreDatabase"], secrets: [] },
  "events.publish": { variables: ["eventsTopic"], secrets: [] },
  "events.consume": { variables: [], secrets: [] },
  "apiKey.read": { variables: [], secrets: ["apiKey"] },
};

/** The environment of a function with these capabilities: plain variables, and secret variable name → secret value or reference. */
export function gcpEnvironment<T, S>(
  capabilities: readonly Capability[],
  values: GcpEnvValues<T>,
  secretValues: GcpSecretValues<S>,
): { variables: Record<string, T | string>; secrets: Record<string, S> } {
  const variables: Record<string, T | string> = {
    [gcpEnv.platform]: "gcp",
    [gcpEnv.projectId]: values.projectId,
    // The Functions Framework answers body-parser errors (malformed JSON) through Express's
    // default handler, which prints the stack trace unless production.
    NODE_ENV: "production",
  };
  const secrets: Record<string, S> = {};
  for (const capability of capabilities) {
    for (const key of gcpCapabilityEnv[capability].variables) variables[gcpEnv[key]] = values[key];
    for (const key of gcpCapabilityEnv[capability].secrets) secrets[gcpEnv[key]] = secretValues[key];
  }
  return { variables, secrets };
}

/** Reads a variable the component sets on every function that may use it; a missing one is a deployment defect. */
export function requiredEnv(name: (typeof gcpEnv)[keyof typeof gcpEnv], env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the GCP component sets it on each function that declares the capability`);
  return value;
}

/** The project id, or undefined to let the client libraries find it. */
export const projectId = (env: NodeJS.ProcessEnv = process.env) => env[gcpEnv.projectId] || undefined;
/** The publish deadline the component set, or undefined for the client's default. */
export const publishTimeoutMs = (env: NodeJS.ProcessEnv = process.env) => (env[gcpEnv.publishTimeoutMs] ? Number(env[gcpEnv.publishTimeoutMs]) : undefined);
/** The store deadline the component set, or undefined for none (the client's own retries). */
export const storeTimeoutMs = (env: NodeJS.ProcessEnv = process.env) => (env[gcpEnv.storeTimeoutMs] ? Number(env[gcpEnv.storeTimeoutMs]) : undefined);

/** The deadlines the plan decided, as the variables the component and the local launcher set. */
export function gcpDeadlineEnvironment(deadlines: { publishTimeoutMs?: number; storeTimeoutMs?: number }): Record<string, string> {
  return {
    ...(deadlines.publishTimeoutMs ? { [gcpEnv.publishTimeoutMs]: String(deadlines.publishTimeoutMs) } : {}),
    ...(deadlines.storeTimeoutMs ? { [gcpEnv.storeTimeoutMs]: String(deadlines.storeTimeoutMs) } : {}),
  };
}
/** The database id the component created; `(default)` when unset. */
export const firestoreDatabase = (env: NodeJS.ProcessEnv = process.env) => env[gcpEnv.firestoreDatabase] || "(default)";

/** The reconciler's run settings as the environment variables its driver reads (functions/core/reconciler.ts). */
export function gcpScheduleEnvironment(run: { graceSeconds: number; timeBudgetSeconds: number }): Record<string, string> {
  return { [reconcilerEnv.graceSeconds]: String(run.graceSeconds), [reconcilerEnv.timeBudgetSeconds]: String(run.timeBudgetSeconds) };
}
