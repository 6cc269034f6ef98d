/**
 * The plain-data args and outputs of ./components.ts's wrappers, and the signature of
 * ./deploy.ts's entry. Both import them from here, so neither imports the other for its types
 * (no import cycle); like ./components.ts this file imports nothing of parity's.
 */
import type * as pulumi from "@pulumi/pulumi";

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
