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
 * This file imports nothing of parity's but its own args (./args.ts) and no cloud provider: the
 * schema inference reads the TypeScript program reachable from here, and the providers'
 * declarations would make it take half a minute. ./deploy.ts is loaded when a wrapper is constructed.
 */
import * as pulumi from "@pulumi/pulumi";

import type { AwsServerlessArgs, CloudflareFunctionsArgs, DeployPlatform, FunctionsArgs, WrapperPlatform } from "./args";

// The args live in ./args.ts, which ./deploy.ts imports too; re-exported here, the module programs import.
export { Trigger } from "./args";
export type { AwsServerlessArgs, CloudflareFunctionsArgs, DeployPlatform, FunctionArgs, FunctionsArgs, WrapperOutputs, WrapperPlatform } from "./args";

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
