/**
 * The whole program for one stack, as a function of the decided config: one component per
 * enabled platform, and the stack outputs. `index.ts` runs it for `pulumi up`; `npm run plan`
 * runs it offline under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as Aws from "./aws";
import type * as Azure from "./azure";
import { catalog, type FunctionDefinition, type Platform } from "./catalog";
import type * as Cloudflare from "./cloudflare";
import { componentNameFor, OFFLINE_CLOUDFLARE_ACCOUNT_ID, parseStackConfig, type ParityConfig } from "./config";
import { deploymentsFor } from "./bundle";
import type { PlatformFunctionsArgs, PlatformOutputs } from "./platform";
import type * as Gcp from "./gcp";

/** Stack outputs; the comparison harness reads them with `pulumi stack output --json`. */
export interface StackOutputs {
  /** platform → base URL of users-api */
  endpoints: Partial<Record<Platform, pulumi.Output<string>>>;
  /** platform → events queue and dead-letter queue names */
  queues: Partial<Record<Platform, { queue: pulumi.Output<string>; deadLetter: pulumi.Output<string> }>>;
  /** platform → function → native name */
  functions: Partial<Record<Platform, Record<string, pulumi.Output<string>>>>;
}

export interface StackProgram {
  /** The component of each enabled platform. */
  components: Partial<Record<Platform, PlatformOutputs & pulumi.ComponentResource>>;
  outputs: StackOutputs;
}

/** Provider credentials some components need for calls the provider cannot make itself. */
export interface ProviderSecrets {
  /** Cloudflare API token (`cloudflare:apiToken`), used to apply D1 migrations and read the workers.dev subdomain. */
  cloudflareApiToken?: pulumi.Input<string>;
}

type Factory = (
  name: string,
  args: PlatformFunctionsArgs,
  config: ParityConfig,
  secrets: ProviderSecrets,
) => PlatformOutputs & pulumi.ComponentResource;

// Each platform's component (and so its cloud provider) is loaded when a stack enables it, so
// importing the package loads no provider and a stack needs only its own platforms' providers.
/* eslint-disable @typescript-eslint/no-require-imports */
const factories: Record<Platform, Factory> = {
  // parity's own application keeps its own routes (the users API, the health check, a catch-all
  // for its JSON 404/405), not the component's default of every path.
  aws: (name, args) => {
    const { AwsFunctions, parityHttpRoutes } = require("./aws") as typeof Aws;
    return new AwsFunctions(name, { ...args, routes: [...parityHttpRoutes] });
  },
  gcp: (name, args) => new (require("./gcp") as typeof Gcp).GcpFunctions(name, args),
  azure: (name, args) => new (require("./azure") as typeof Azure).AzureFunctions(name, args),
  // A deploy's config always has the account id (parseStackConfig requires it for deploys); an
  // offline evaluation (`npm run plan`) without one gets a labelled stand-in.
  cloudflare: (name, args, config, secrets) =>
    new (require("./cloudflare") as typeof Cloudflare).CloudflareFunctions(name, {
      ...args,
      accountId: config.cloudflareAccountId ?? OFFLINE_CLOUDFLARE_ACCOUNT_ID,
      deployApiToken: secrets.cloudflareApiToken === undefined ? undefined : pulumi.secret(secrets.cloudflareApiToken),
    }),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Creates one component per enabled platform. Components are named `parity-<stack>` so
 * that physical names (Lambda functions, Function Apps, Workers) do not collide when
 * several stacks share an account.
 */
export function deployStack(
  config: ParityConfig,
  apiKey: pulumi.Input<string>,
  secrets: ProviderSecrets = {},
  /** The functions to deploy. @default the project's catalog */
  functions: readonly FunctionDefinition[] = catalog,
): StackProgram {
  const components: StackProgram["components"] = {};
  const outputs: StackOutputs = { endpoints: {}, queues: {}, functions: {} };
  const tags = { project: "parity", stack: config.stack };
  for (const platform of config.platforms) {
    const component = factories[platform](
      componentNameFor(config.stack),
      {
        functions: deploymentsFor(config, platform, functions),
        apiKey,
        logRetentionDays: config.logRetentionDays,
        protectData: config.protectData,
        tags,
      },
      config,
      secrets,
    );
    components[platform] = component;
    if (component.endpoint) outputs.endpoints[platform] = component.endpoint;
    if (component.queues) outputs.queues[platform] = component.queues;
    outputs.functions[platform] = component.functionNames;
  }
  return { components, outputs };
}

/**
 * Reads `parity:*` from the running Pulumi program. Unknown keys are found by reading the
 * whole config map, which `pulumi.Config` alone cannot enumerate.
 */
export function readStackConfig(): { config: ParityConfig; apiKey: pulumi.Output<string> } {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace === "parity") raw[key] = parseConfigValue(value);
  }
  const config = parseStackConfig(raw, pulumi.getStack(), { forDeploy: true });
  return { config, apiKey: new pulumi.Config("parity").requireSecret("apiKey") };
}

/** Structured config values arrive as JSON strings; plain strings stay strings. */
function parseConfigValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
