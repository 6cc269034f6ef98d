/**
 * parity's components for every Pulumi language: one thin wrapper per platform whose args are
 * plain data (names, handler paths, trigger kinds, capabilities, settings), the shape the
 * component provider's schema inference accepts
 * (https://www.pulumi.com/docs/iac/guides/building-extending/packages/source-based-plugin/).
 * Each wrapper bundles the handlers on the machine running the program (the generic driver of
 * its platform, components/bundle.ts) and deploys them through the TypeScript component
 * (./deploy.ts), so a Python or YAML program gets the same scoped identities, concurrency
 * mapping and warnings.
 *
 * This file imports nothing of parity's and no cloud provider: the schema inference reads the
 * TypeScript program reachable from here, and the providers' declarations would make it take
 * half a minute. ./deploy.ts is loaded when a wrapper is constructed.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * How a function is invoked. An object of string constants, not a TypeScript `enum`: the schema
 * inference describes this shape as an enum type (@pulumi/pulumi provider/experimental/analyzer.js,
 * "const MyEnum = { ... } as const"), so every language's SDK gets the three values.
 */
export const Trigger = {
  /** An HTTP endpoint: every path, the root included. */
  Http: "http",
  /** The events queue's consumer. */
  Queue: "queue",
  /** Runs every `everyMinutes` minutes, aligned to the UTC clock. */
  Schedule: "schedule",
} as const;
export type Trigger = (typeof Trigger)[keyof typeof Trigger];

/** One function, as plain data. */
export interface FunctionArgs {
  /** Stable name; it prefixes the function's native names. */
  name: string;
  /** How it is invoked: `http`, `queue` or `schedule`. */
  trigger: Trigger;
  /**
   * The handler module (a fetch handler, a queue batch handler or a schedule function as its
   * default export), relative to `projectDir` or absolute.
   */
  handler: string;
  /** What it may do, e.g. `users.read`, `events.publish`; it is granted exactly this. Default: none. */
  capabilities?: string[];
  description?: string;
  /** Memory per instance, MiB. Default: 256. */
  memoryMb?: number;
  /** Maximum run time of one invocation, seconds. Default: 10 (http), 30 (queue), 60 (schedule). */
  timeoutSeconds?: number;
  /** Upper bound of concurrent executions. */
  reservedConcurrency?: number;
  /** Instances kept initialised (http and queue). Default: 0. */
  warmInstances?: number;
  /** Queue functions: messages per invocation. Default: 10. */
  batchSize?: number;
  /** Queue functions: deliveries of one message before it is dead-lettered. Default: 5. */
  maxAttempts?: number;
  /** Schedule functions: minutes between runs, dividing an hour (or whole hours dividing a day). Default: 60. */
  everyMinutes?: number;
}

/** What every platform's wrapper takes. */
export interface FunctionsArgs {
  /** The functions to deploy: at most one `http` (the endpoint) and one `queue` function. */
  functions: FunctionArgs[];
  /** The API key, kept in the platform's secret store; needed only when a function declares `apiKey.read`. */
  apiKey?: pulumi.Input<string>;
  /** Days each function's logs are kept. Default: 7. */
  logRetentionDays?: number;
  /** Deletion protection and point-in-time recovery on the store. Default: false. */
  protectData?: boolean;
  /** Tags / labels on every resource that takes them. */
  tags?: { [key: string]: string };
  /** The folder relative handler paths resolve against; bundles are written under its `.parity/build`. Default: the program's directory. */
  projectDir?: string;
}

/** The AWS wrapper's args: the HTTP API's routes besides the shared ones. */
export interface AwsServerlessArgs extends FunctionsArgs {
  /**
   * Route keys of the HTTP API, all sent to the HTTP function, e.g. `GET /users/{id}`. Default:
   * every path, the root included (`ANY /` and `ANY /{proxy+}`), as on the other platforms.
   */
  routes?: string[];
}

/** The Cloudflare wrapper's args: the account besides the shared ones. */
export interface CloudflareFunctionsArgs extends FunctionsArgs {
  /** The Cloudflare account id (32 hex characters). */
  accountId: string;
  /** A Cloudflare API token for the D1 schema step and the workers.dev subdomain lookup. */
  deployApiToken?: pulumi.Input<string>;
}

/** The outputs every wrapper registers (plain types the schema can describe). */
export interface WrapperOutputs {
  endpoint: pulumi.Output<string>;
  functionNames: pulumi.Output<{ [name: string]: string }>;
  queueName: pulumi.Output<string>;
  deadLetterQueueName: pulumi.Output<string>;
  warnings: pulumi.Output<string[]>;
}

/** The platforms, as ./deploy.ts names them. */
export type WrapperPlatform = "aws" | "gcp" | "azure" | "cloudflare";

/** What ./deploy.ts provides: the component of one platform created under the wrapper, and its outputs. */
export type DeployPlatform = (platform: WrapperPlatform, parent: pulumi.ComponentResource, name: string, args: FunctionsArgs | AwsServerlessArgs | CloudflareFunctionsArgs) => WrapperOutputs & pulumi.Inputs;

/** Creates the platform's component under `wrapper` and takes its outputs as the wrapper's. */
function deploy(wrapper: pulumi.ComponentResource, platform: WrapperPlatform, name: string, args: FunctionsArgs | AwsServerlessArgs | CloudflareFunctionsArgs): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { deployPlatform } = require("./deploy") as { deployPlatform: DeployPlatform };
  const outputs = deployPlatform(platform, wrapper, name, args);
  Object.assign(wrapper, outputs);
  (wrapper as unknown as { registerOutputs(outputs: pulumi.Inputs): void }).registerOutputs(outputs);
}

// The four classes repeat the same five output fields on purpose: the schema inference reads a
// component's outputs from its own declared members, and takes only classes that extend
// ComponentResource directly (@pulumi/pulumi provider/experimental/analyzer.js), so neither a
// shared base class nor a factory would be described.

/** Lambda functions behind API Gateway, SQS and EventBridge Scheduler (parity's `AwsFunctions`). */
export class AwsServerless extends pulumi.ComponentResource {
  /** Base URL of the HTTP function; "" when there is none. */
  readonly endpoint!: pulumi.Output<string>;
  /** Function name → native function name. */
  readonly functionNames!: pulumi.Output<{ [name: string]: string }>;
  readonly queueName!: pulumi.Output<string>;
  readonly deadLetterQueueName!: pulumi.Output<string>;
  /** Every setting the platform could not express exactly. */
  readonly warnings!: pulumi.Output<string[]>;

  constructor(name: string, args: AwsServerlessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:index:AwsServerless", name, {}, opts);
    deploy(this, "aws", name, args);
  }
}

/** Cloud Functions (2nd gen) behind Pub/Sub push and Cloud Scheduler (parity's `GcpFunctions`). */
export class GcpServerless extends pulumi.ComponentResource {
  /** Base URL of the HTTP function; "" when there is none. */
  readonly endpoint!: pulumi.Output<string>;
  /** Function name → native function name. */
  readonly functionNames!: pulumi.Output<{ [name: string]: string }>;
  readonly queueName!: pulumi.Output<string>;
  readonly deadLetterQueueName!: pulumi.Output<string>;
  /** Every setting the platform could not express exactly. */
  readonly warnings!: pulumi.Output<string[]>;

  constructor(name: string, args: FunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:index:GcpServerless", name, {}, opts);
    deploy(this, "gcp", name, args);
  }
}

/** Function Apps on Flex Consumption with Storage Queues and timer triggers (parity's `AzureFunctions`). */
export class AzureServerless extends pulumi.ComponentResource {
  /** Base URL of the HTTP function; "" when there is none. */
  readonly endpoint!: pulumi.Output<string>;
  /** Function name → native function name. */
  readonly functionNames!: pulumi.Output<{ [name: string]: string }>;
  readonly queueName!: pulumi.Output<string>;
  readonly deadLetterQueueName!: pulumi.Output<string>;
  /** Every setting the platform could not express exactly. */
  readonly warnings!: pulumi.Output<string[]>;

  constructor(name: string, args: FunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:index:AzureServerless", name, {}, opts);
    deploy(this, "azure", name, args);
  }
}

/** Workers with D1, Queues and Cron Triggers (parity's `CloudflareFunctions`). */
export class CloudflareServerless extends pulumi.ComponentResource {
  /** Base URL of the HTTP function; "" when there is none. */
  readonly endpoint!: pulumi.Output<string>;
  /** Function name → native function name. */
  readonly functionNames!: pulumi.Output<{ [name: string]: string }>;
  readonly queueName!: pulumi.Output<string>;
  readonly deadLetterQueueName!: pulumi.Output<string>;
  /** Every setting the platform could not express exactly. */
  readonly warnings!: pulumi.Output<string[]>;

  constructor(name: string, args: CloudflareFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("parity:index:CloudflareServerless", name, {}, opts);
    deploy(this, "cloudflare", name, args);
  }
}

/** The four wrappers, as the provider host lists them. */
export const serverlessComponents = [AwsServerless, GcpServerless, AzureServerless, CloudflareServerless];
