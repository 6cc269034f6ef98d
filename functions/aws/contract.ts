/**
 * The AWS environment contract, written once: the variables the component sets on each
 * Lambda, the driver reads and the local launcher sets, and which capability brings which.
 * A function only learns of the resources it may use.
 */
import type { Capability } from "../../components/catalog";
import { reconcilerEnv } from "../core/reconciler";

export const awsEnv = {
  platform: "PARITY_PLATFORM",
  usersTable: "USERS_TABLE",
  eventsQueueUrl: "EVENTS_QUEUE_URL",
  apiKeySecretArn: "API_KEY_SECRET_ARN",
} as const;

/** Every bundle is `index.mjs` exporting this; Lambda's handler setting is `index.handler`. */
export const AWS_HANDLER_EXPORT = "handler";

/** The values behind the variables: names and ARNs (Outputs in the component, strings locally). */
export interface AwsEnvValues<T> {
  usersTable: T;
  eventsQueueUrl: T;
  apiKeySecretArn: T;
}

/** Which values each capability needs (events.consume needs none: the event source mapping delivers). */
export const awsCapabilityEnv: Record<Capability, readonly (keyof AwsEnvValues<unknown>)[]> = {
  "users.read": ["usersTable"],
  "users.create": ["usersTable"],
  "users.update": ["usersTable"],
  // The index's name is part of the table's schema (awsUsersTable), not a variable.
  "users.listPending": ["usersTable"],
  "events.publish": ["eventsQueueUrl"],
  "events.consume": [],
  "apiKey.read": ["apiKeySecretArn"],
};

/** The environment of a function with these capabilities. */
export function awsEnvironment<T>(capabilities: readonly Capability[], values: AwsEnvValues<T>): Record<string, T | string> {
  const env: Record<string, T | string> = { [awsEnv.platform]: "aws", NODE_OPTIONS: "--enable-source-maps" };
  for (const capability of capabilities) for (const key of awsCapabilityEnv[capability]) env[awsEnv[key]] = values[key];
  return env;
}

/**
 * The users table's keys, written once for the store, the component and the local launcher.
 * `pendingIndex` is a sparse global secondary index: only unwelcomed user items carry its
 * partition attribute (a constant, set in the create's own PutItem); the worker's conditional
 * welcome REMOVEs it in the same UpdateItem, so the item leaves the index with no extra write.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html
 *
 * Known limit: the index's partition key is one constant, so every create, welcome and claim
 * writes to one index partition; a GSI short of write capacity throttles the table's writes too
 * (https://repost.aws/knowledge-center/dynamodb-gsi-throttling-table), and a partition takes about
 * 1,000 writes/s (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html).
 * Far above parity's rates; past them, shard the constant (`pending#0..N`) and query each shard.
 */
export const awsUsersTable = {
  partitionKey: "pk",
  pendingIndex: {
    name: "pending-by-created",
    /** Present only on pending user items, always with `pendingValue`. */
    partitionKey: "pending",
    pendingValue: "pending",
    /** ISO-8601 text sorts by time: the index returns the oldest first. */
    sortKey: "createdAt",
    /** Copied into the index besides its keys and the table key: what the reconciler reads. */
    projected: ["id", "email", "republishCount"],
  },
} as const;

/** The reconciler's two run settings (functions/core/reconciler.ts) as the variables the component and the launcher set. */
export function awsReconcilerEnvironment(settings: { graceSeconds: number; timeBudgetSeconds: number }): Record<string, string> {
  return { [reconcilerEnv.graceSeconds]: String(settings.graceSeconds), [reconcilerEnv.timeBudgetSeconds]: String(settings.timeBudgetSeconds) };
}

/** Reads a variable the component sets on every Lambda that may use it; a missing one is a deployment defect. */
export function requiredEnv(name: (typeof awsEnv)[keyof typeof awsEnv]): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the AWS component sets it on each Lambda that declares the capability`);
  return value;
}
