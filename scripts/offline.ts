/**
 * Evaluates Pulumi code offline under `pulumi.runtime.setMocks`: no provider is asked,
 * every resource the code registers is recorded with its inputs. Used by the
 * infrastructure tests and by `npm run plan`.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  /** State the mock returned (inputs plus fake outputs). */
  state: Record<string, any>;
}

export interface MockRun<T> {
  result: T;
  resources: RecordedResource[];
  /**
   * What the program logged with `pulumi.log.warn` (without an engine the SDK prints these
   * to the console; here they are captured instead).
   */
  loggedWarnings: string[];
  /** Resources of one type token, e.g. `aws:lambda/function:Function`. */
  ofType(type: string): RecordedResource[];
  /** The one resource of a type whose name ends with `suffix`; fails otherwise. */
  one(type: string, suffix?: string): RecordedResource;
}

/** Extra fake outputs per resource (ARNs, URLs); the harness adds `id`, `name` and an `arn`. */
export type StateFor = (args: pulumi.runtime.MockResourceArgs) => Record<string, any>;

const fakeInvokes: Record<string, Record<string, any>> = {
  "aws:index/getCallerIdentity:getCallerIdentity": { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/test", userId: "AIDA" },
  "aws:index/getRegion:getRegion": { name: "eu-west-1", region: "eu-west-1", id: "eu-west-1" },
  "aws:index/getPartition:getPartition": { partition: "aws", dnsSuffix: "amazonaws.com" },
  "gcp:organizations/getProject:getProject": { projectId: "parity-test", number: "123456789012", name: "parity-test" },
  "gcp:organizations/getClientConfig:getClientConfig": { project: "parity-test", region: "europe-west1" },
  "azure-native:authorization:getClientConfig": {
    clientId: "00000000-0000-0000-0000-000000000001",
    objectId: "00000000-0000-0000-0000-000000000002",
    subscriptionId: "00000000-0000-0000-0000-000000000003",
    tenantId: "00000000-0000-0000-0000-000000000004",
  },
};

/**
 * Runs `program` under mocks for `stack` and waits until every resource it registered
 * has been recorded.
 */
export async function runWithMocks<T>(
  program: () => T,
  options: { stack?: string; stateFor?: StateFor; config?: Record<string, string> } = {},
): Promise<MockRun<T>> {
  const resources: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const extra = options.stateFor?.(args) ?? {};
        const state = {
          ...args.inputs,
          name: args.inputs.name ?? args.name,
          arn: `arn:aws:mock:eu-west-1:123456789012:${args.type.split(":")[1]}/${args.name}`,
          ...extra,
        };
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
        return { id: extra.id ?? `${args.name}-id`, state };
      },
      call(args) {
        return fakeInvokes[args.token] ?? args.inputs;
      },
    },
    "parity",
    options.stack ?? "test",
    false,
  );
  if (options.config) pulumi.runtime.setAllConfig(options.config);
  const loggedWarnings: string[] = [];
  const consoleWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    const line = args.map(String).join(" ");
    if (line.startsWith("warning: [runtime] ")) loggedWarnings.push(line.slice("warning: [runtime] ".length));
    else consoleWarn(...args);
  };
  let result: T;
  try {
    result = program();
    await waitForRegistrations();
  } finally {
    console.warn = consoleWarn;
  }
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    result,
    resources,
    loggedWarnings,
    ofType,
    one(type, suffix) {
      const matches = ofType(type).filter((r) => suffix === undefined || r.name.endsWith(suffix));
      if (matches.length !== 1) {
        throw new Error(`expected one ${type}${suffix ? ` named *${suffix}` : ""}, found ${matches.map((r) => r.name).join(", ") || "none"}`);
      }
      return matches[0];
    },
  };
}

/** Resolves an Output in a test (mocks resolve every value, even unknowns at preview). */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}

async function waitForRegistrations(): Promise<void> {
  // Registration is asynchronous; wait until the runtime's RPC queue stays drained.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  for (let i = 0; i < 3; i++) {
    await settings.waitForRPCs();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

