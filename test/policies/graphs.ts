/**
 * Offline graphs for the policy tests: the stack program evaluated under mocks for a stack
 * file, a 20-character stack name and a second catalog, and helpers to break one resource.
 */
import * as pulumi from "@pulumi/pulumi";
import type { FunctionDefinition } from "../../components/catalog";
import { parseStackConfig } from "../../components/config";
import { stackFileValues } from "../../components/stack-file";
import { deployStack } from "../../components/program";
import { runWithMocks, type RecordedResource } from "../../scripts/offline";

const API_KEY = "policy-test-api-key-0123456789";

/** A stack name of 20 characters, the longest the names of every platform must still fit. */
export const LONG_STACK = "feature-branch-xy123";

/**
 * The resources the stack program registers for `stack` (read from `Pulumi.<file>.yaml`);
 * with `preview`, as a new stack's first preview registers them (provider-computed values unknown).
 */
export async function stackGraph(options: { file: "dev" | "prod"; stack?: string; catalog?: readonly FunctionDefinition[]; preview?: boolean }): Promise<RecordedResource[]> {
  const stack = options.stack ?? options.file;
  const config = parseStackConfig({ ...stackFileValues(options.file), apiKey: API_KEY }, stack);
  const run = await runWithMocks(() => deployStack(config, pulumi.secret(API_KEY), {}, options.catalog), { stack, preview: options.preview });
  return run.resources;
}

/** Returns a copy of the graph broken for one policy. */
export type Breaker = (graph: readonly RecordedResource[]) => RecordedResource[];

/** A deep copy, so a test can break one graph without touching another's. */
export function copyGraph(graph: readonly RecordedResource[]): RecordedResource[] {
  return JSON.parse(JSON.stringify(graph)) as RecordedResource[];
}

/** Changes the first resource of `type` (whose name ends with `suffix`) in a copy of the graph. */
export function breakOne(graph: readonly RecordedResource[], type: string, change: (resource: RecordedResource) => void, suffix = ""): RecordedResource[] {
  const copy = copyGraph(graph);
  const target = copy.find((r) => r.type === type && r.name.endsWith(suffix));
  if (!target) throw new Error(`no ${type}${suffix ? ` named *${suffix}` : ""} in the graph to break`);
  change(target);
  // The same change to what the stack rules read, the outputs (`state`: a separate copy after
  // copyGraph). Where the outputs do not carry the changed property (azure-native's WebApp has
  // no appSettings output), they are left as they are.
  try {
    change({ ...target, inputs: target.state });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
  return copy;
}
