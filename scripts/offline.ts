/**
 * Evaluates Pulumi code offline under `pulumi.runtime.setMocks`: no provider is asked,
 * every resource the code registers is recorded with its inputs. Used by the
 * infrastructure tests and by `npm run plan`.
 */
import * as pulumi from "@pulumi/pulumi";

/** The engine's unknown sentinel (pulumi/pulumi sdk/go/common/resource/plugin/rpc.go `UnknownStringValue`; the SDK's `unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  /** State the mock returned (inputs plus fake outputs). */
  state: Record<string, any>;
  /** The URN the engine would give it. */
  urn: string;
  /** The parent's URN ("" for the stack's children). */
  parent: string;
  /** URNs this resource waits for: explicit `dependsOn` and every resource an input came from. */
  dependencies: string[];
  /** Its `ignoreChanges` option: the property paths an update leaves as they were. */
  ignoreChanges?: string[];
  /** Its `protect` option. */
  protect?: boolean;
}

export interface MockRun<T> {
  result: T;
  resources: RecordedResource[];
  /**
   * What the program logged with `pulumi.log.warn` (without an engine the SDK prints these
   * to the console; here they are captured instead).
   */
  loggedWarnings: string[];
  /** The token of every provider function (invoke) the program called, in order, e.g. `aws:index/getRegion:getRegion`. */
  invoked: string[];
  /** Resources of one type token, e.g. `aws:lambda/function:Function`. */
  ofType(type: string): RecordedResource[];
  /** The one resource of a type whose name ends with `suffix`; fails otherwise. */
  one(type: string, suffix?: string): RecordedResource;
}

/** Extra fake outputs per resource (ARNs, URLs); the harness adds `id`, `name` and an `arn`. */
export type StateFor = (args: pulumi.runtime.MockResourceArgs) => Record<string, any>;

const MOCK_REGION = "eu-west-1";
const MOCK_ACCOUNT = "123456789012";
const MOCK_GCP_PROJECT = "parity-test";

const fakeInvokes: Record<string, Record<string, any>> = {
  "aws:index/getCallerIdentity:getCallerIdentity": { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/test", userId: "AIDA" },
  "aws:index/getRegion:getRegion": { name: "eu-west-1", region: "eu-west-1", id: "eu-west-1" },
  "aws:index/getPartition:getPartition": { partition: "aws", dnsSuffix: "amazonaws.com" },
  // The quota a new account often starts with is 10; a mock account that can hold any plan here.
  "aws:servicequotas/getServiceQuota:getServiceQuota": { value: 1000, quotaCode: "L-B99A9384", serviceCode: "lambda" },
  "gcp:organizations/getProject:getProject": { projectId: MOCK_GCP_PROJECT, number: "123456789012", name: MOCK_GCP_PROJECT },
  "gcp:organizations/getClientConfig:getClientConfig": { project: MOCK_GCP_PROJECT, region: "europe-west1" },
  "azure-native:authorization:getClientConfig": {
    clientId: "00000000-0000-0000-0000-000000000001",
    objectId: "00000000-0000-0000-0000-000000000002",
    subscriptionId: "00000000-0000-0000-0000-000000000003",
    tenantId: "00000000-0000-0000-0000-000000000004",
  },
};

/**
 * What @pulumi/random would make, in its shape (length and alphabet), so names built from it
 * (the Azure Key Vault's) are checked at their real length, not as `…-undefined`.
 */
function randomState(type: string, inputs: Record<string, any>): Record<string, unknown> {
  if (type !== "random:index/randomString:RandomString") return {};
  const alphabet = (inputs.lower === false ? "" : "abcdefghijklmnopqrstuvwxyz") + (inputs.numeric === false ? "" : "0123456789") || "x";
  return { result: Array.from({ length: Number(inputs.length) }, (_, i) => alphabet[(i * 7) % alphabet.length]).join("") };
}

/** A service account's outputs in the shape Google returns them, so bindings and schedules name a real-looking identity. */
function gcpState(type: string, inputs: Record<string, any>): Record<string, unknown> {
  if (type === "gcp:cloudfunctionsv2/function:Function") {
    // Both URLs a 2nd-gen function has: `url` (cloudfunctions.net) and its Cloud Run service's run.app `uri`.
    return {
      url: `https://${inputs.location}-${MOCK_GCP_PROJECT}.cloudfunctions.net/${inputs.name}`,
      serviceConfig: { ...inputs.serviceConfig, uri: `https://${inputs.name}-h4sh-ew.a.run.app` },
    };
  }
  if (type !== "gcp:serviceaccount/account:Account" || typeof inputs.accountId !== "string") return {};
  const email = `${inputs.accountId}@${MOCK_GCP_PROJECT}.iam.gserviceaccount.com`;
  return { email, member: `serviceAccount:${email}`, name: `projects/${MOCK_GCP_PROJECT}/serviceAccounts/${email}` };
}

/** ARNs (and URLs) in the shape AWS returns them, so grants and policies see realistic values. */
function awsState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${MOCK_REGION}:${MOCK_ACCOUNT}:${resource}`;
  switch (type) {
    case "aws:dynamodb/table:Table":
      return { arn: arn("dynamodb", `table/${name}`) };
    case "aws:sqs/queue:Queue": {
      const url = `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/${name}`;
      return { id: url, url, arn: arn("sqs", name) };
    }
    case "aws:secretsmanager/secret:Secret":
      return { arn: arn("secretsmanager", `secret:${name}-AbCdEf`) };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: arn("logs", `log-group:${name}`) };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}` };
    case "aws:lambda/function:Function":
      return { arn: arn("lambda", `function:${name}`), version: inputs.publish ? "1" : "$LATEST" };
    case "aws:lambda/alias:Alias":
      return { arn: arn("lambda", `function:${inputs.functionName}:${inputs.name}`) };
    case "aws:apigatewayv2/api:Api":
      return { apiEndpoint: `https://a1b2c3d4e5.execute-api.${MOCK_REGION}.amazonaws.com`, executionArn: arn("execute-api", "a1b2c3d4e5") };
    default:
      return type.startsWith("aws:") ? { arn: arn(type.split(":")[1].split("/")[0], name) } : {};
  }
}

/**
 * Outputs in the shape azure-native returns them where that differs from the inputs: a
 * WebApp's `identity.userAssignedIdentities` is a map from each identity's ARM id to its
 * principal and client ids (ManagedServiceIdentityResponse, types/output.d.ts), and its
 * `siteConfig` output has no `appSettings` (SiteConfigResponse has no such property).
 */
function azureState(type: string, inputs: Record<string, any>): Record<string, unknown> {
  if (type !== "azure-native:web:WebApp") return {};
  const assigned: unknown = inputs.identity?.userAssignedIdentities;
  const identity = inputs.identity && {
    ...inputs.identity,
    userAssignedIdentities: Array.isArray(assigned)
      ? Object.fromEntries(assigned.map((id) => [String(id), { principalId: `principal-of-${String(id).split("/").pop()}`, clientId: `client-of-${String(id).split("/").pop()}` }]))
      : assigned,
  };
  const { appSettings: _notAnOutput, ...siteConfig } = inputs.siteConfig ?? {};
  return { ...(identity && { identity }), ...(inputs.siteConfig && { siteConfig }) };
}

/**
 * A recorded value with every unknown (a preview's provider-computed value) replaced by the
 * engine's unknown sentinel, so a recorded graph can be copied as JSON and encoded for an
 * analyzer as the engine encodes it (scripts/analyzer-requests.ts).
 */
function withUnknownSentinels(value: unknown): any {
  if (pulumi.isUnknown(value)) return UNKNOWN;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(withUnknownSentinels);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withUnknownSentinels(v)]));
}

/**
 * Runs `program` under mocks for `stack` and waits until every resource it registered
 * has been recorded.
 */
export async function runWithMocks<T>(
  program: () => T,
  options: {
    stack?: string;
    stateFor?: StateFor;
    config?: Record<string, string>;
    /**
     * Answers for provider functions (invokes), by token, over the built-in ones; a function
     * answers from the invoke's inputs, and throws to make the invoke fail as a provider would.
     */
    invokes?: Record<string, Record<string, any> | ((inputs: Record<string, any>) => Record<string, any>)>;
    /**
     * A first preview (`pulumi preview` of a new stack): the runtime is in dry-run mode and a
     * resource's state is its inputs only, so every provider-computed output is unknown.
     */
    preview?: boolean;
  } = {},
): Promise<MockRun<T>> {
  const resources: RecordedResource[] = [];
  const invoked: string[] = [];
  const graph = recordGraph();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (options.preview) {
          const inputs = withUnknownSentinels(args.inputs);
          resources.push({ type: args.type, name: args.name, inputs, state: inputs, urn: "", parent: "", dependencies: [] });
          return { id: undefined, state: args.inputs };
        }
        const extra = options.stateFor?.(args) ?? {};
        const state = { ...args.inputs, name: args.inputs.name ?? args.name, ...awsState(args.type, args.inputs.name ?? args.name, args.inputs), ...randomState(args.type, args.inputs), ...gcpState(args.type, args.inputs), ...azureState(args.type, args.inputs), ...extra };
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, state, urn: "", parent: "", dependencies: [] });
        return { id: extra.id ?? `${args.name}-id`, state };
      },
      call(args) {
        invoked.push(args.token);
        const answer = options.invokes?.[args.token];
        if (typeof answer === "function") {
          try {
            return answer(args.inputs);
          } catch (error) {
            // The engine answers a failed invoke over gRPC, and the SDK rejects with its `details`.
            throw Object.assign(error instanceof Error ? error : new Error(String(error)), { details: error instanceof Error ? error.message : String(error) });
          }
        }
        return answer ?? fakeInvokes[args.token] ?? args.inputs;
      },
    },
    "parity",
    options.stack ?? "test",
    options.preview ?? false,
  );
  // setMocks turns transforms off, since the mock monitor never calls them back; the
  // registration hook (recordGraph) does, as the engine would, so they are on again.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  (require("@pulumi/pulumi/runtime/state") as { getStore(): { supportsTransforms: boolean } }).getStore().supportsTransforms = true;
  if (options.config) pulumi.runtime.setAllConfig(options.config);
  const loggedWarnings: string[] = [];
  const consoleWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    const line = args.map(String).join(" ");
    if (line.startsWith("warning: [runtime] ")) loggedWarnings.push(line.slice("warning: [runtime] ".length));
    else consoleWarn(...args);
  };
  // The Pulumi language host fails the program on an unhandled rejection (an input whose
  // Output threw, e.g. a deploy-time check); here it fails the run the same way instead of
  // leaving registrations waiting forever.
  const otherHandlers = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  let onRejection: (reason: unknown) => void = () => undefined;
  const programFailed = new Promise<never>((_, reject) => (onRejection = reject));
  process.on("unhandledRejection", onRejection);
  // @pulumi/pulumi captures a stack trace for every promise it makes (runtime/debuggable.js) and
  // for each resource's source position, and under ts-node every capture is mapped back to
  // TypeScript by source-map-support: that mapping was about 60 % of the CPU of evaluating the
  // program here (prod's 151 resources: 4 s of CPU an evaluation with it, 1.6 s without, and
  // the tests evaluate the program dozens of times). Nothing reads those traces offline, so V8's
  // own formatting serves while the program runs; errors keep their messages, and a stack
  // captured meanwhile names the transpiled JavaScript's lines instead of the TypeScript's.
  const mapStackTraces = Error.prepareStackTrace;
  (Error as { prepareStackTrace?: typeof Error.prepareStackTrace }).prepareStackTrace = undefined;
  let result: T;
  try {
    result = program();
    await Promise.race([waitForRegistrations(), programFailed]);
  } finally {
    Error.prepareStackTrace = mapStackTraces;
    console.warn = consoleWarn;
    process.removeListener("unhandledRejection", onRejection);
    for (const handler of otherHandlers) process.on("unhandledRejection", handler as (reason: unknown) => void);
  }
  for (const resource of resources) Object.assign(resource, graph.get(`${resource.type}::${resource.name}`));
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    result,
    resources,
    loggedWarnings,
    invoked,
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

/**
 * The graph the engine would see: `setMocks` hands the mocks only type, name and inputs, so the
 * mock monitor's registrations are observed for each resource's URN, parent and dependencies
 * (what `dependsOn` and Output inputs wire), and the options the engine applies to an update
 * (`ignoreChanges`, `protect`). The policy pack's ordering rules read the graph.
 */
function recordGraph(): Map<string, Pick<RecordedResource, "urn" | "parent" | "dependencies" | "ignoreChanges" | "protect">> {
  const graph = new Map<string, Pick<RecordedResource, "urn" | "parent" | "dependencies" | "ignoreChanges" | "protect">>();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: Record<string, any> } };
  const original = (MockMonitor.prototype.__parityOriginalRegister ??= MockMonitor.prototype.registerResource);
  MockMonitor.prototype.registerResource = function (req: any, callback: (error: unknown, response: any) => void) {
    const register = () =>
      original.call(this, req, (error: unknown, response: any) => {
        if (!error && response) {
          graph.set(`${req.getType()}::${req.getName()}`, {
            urn: response.getUrn(),
            parent: req.getParent(),
            dependencies: req.getDependenciesList(),
            ignoreChanges: req.getIgnorechangesList(),
            protect: req.getProtect(),
          });
        }
        callback(error, response);
      });
    applyTransforms(req).then(register, (error) => callback(error, undefined));
  };
  return graph;
}

/**
 * What the engine does with a resource's `transforms` option and the mock monitor does not: it
 * calls each transform back (through the SDK's callback server) with the properties as
 * registered, the SDK's defaults included, and registers what the transform returns
 * (pulumi/pulumi `pkg/resource/deploy/source_eval.go`, RegisterResource). Only properties are
 * carried over; the options a transform may also change are not needed here.
 */
async function applyTransforms(req: any): Promise<void> {
  const transforms: any[] = req.getTransformsList?.() ?? [];
  if (transforms.length === 0) return;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const settings = require("@pulumi/pulumi/runtime/settings") as { getCallbacks(): { _callbacks: Map<string, (bytes: Uint8Array) => Promise<any>> } | undefined };
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const resproto = require("@pulumi/pulumi/proto/resource_pb");
  const callbacks = settings.getCallbacks()?._callbacks;
  for (const transform of transforms) {
    const run = callbacks?.get(transform.getToken());
    if (!run) throw new Error(`transform ${transform.getToken()} of ${req.getType()} ${req.getName()} is not registered`);
    const request = new resproto.TransformRequest();
    request.setType(req.getType());
    request.setName(req.getName());
    request.setCustom(req.getCustom());
    request.setParent(req.getParent());
    request.setProperties(req.getObject());
    const response = await run(request.serializeBinary());
    if (response.getProperties()) req.setObject(response.getProperties());
  }
  req.clearTransformsList();
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

