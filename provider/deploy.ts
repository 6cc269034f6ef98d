/**
 * What a wrapper of ./components.ts does when it is constructed: turns its plain-data functions
 * into parity's definitions and settings, bundles each handler with the platform's generic
 * driver (relative paths against the program's directory), and creates the platform's
 * TypeScript component under the wrapper.
 *
 * Each platform's component is loaded when a wrapper of that platform is constructed, never
 * before: its cloud's provider is an optional peer dependency of parity, so a program or plugin
 * with only `@pulumi/aws` installed constructs `AwsServerless` without the other three.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as Aws from "../components/aws";
import type * as Azure from "../components/azure";
import { bundleFunction } from "../components/bundle";
import { capabilities as knownCapabilities, triggerKinds, type Capability, type FunctionDefinition, type Platform, type Trigger } from "../components/catalog";
import type * as Cloudflare from "../components/cloudflare";
import { defaultsFor, settingRanges, type FunctionSettingKey, type FunctionSettings } from "../components/config";
import type * as Gcp from "../components/gcp";
import { ComponentArgsError, formatWarning, type FunctionDeployment, type PlatformFunctionsArgs, type PlatformOutputs } from "../components/platform";
import type { AwsServerlessArgs, CloudflareFunctionsArgs, DeployPlatform, FunctionArgs, FunctionsArgs, WrapperOutputs } from "./args";

const defaultEveryMinutes = 60;

/** A function of plain data as parity's definition and settings; a bad value is a sentence naming the function. */
export function deploymentOf(platform: Platform, component: string, fn: FunctionArgs, projectDir: string): FunctionDeployment {
  const fail = (sentence: string): never => {
    throw new ComponentArgsError(platform, component, `function "${fn.name}": ${sentence}`);
  };
  if (!(triggerKinds as readonly string[]).includes(fn.trigger)) fail(`trigger must be one of ${triggerKinds.join(", ")}; got ${JSON.stringify(fn.trigger)}.`);
  const unknown = (fn.capabilities ?? []).filter((c) => !(knownCapabilities as readonly string[]).includes(c));
  if (unknown.length > 0) fail(`unknown capabilities ${unknown.join(", ")}; allowed: ${knownCapabilities.join(", ")}.`);
  const trigger: Trigger = fn.trigger === "schedule" ? { kind: "schedule", everyMinutes: fn.everyMinutes ?? defaultEveryMinutes } : { kind: fn.trigger as "http" | "queue" };
  const definition: FunctionDefinition = {
    name: fn.name,
    trigger,
    entry: fn.handler,
    capabilities: (fn.capabilities ?? []) as Capability[],
    description: fn.description ?? fn.name,
  };
  const settings: FunctionSettings = { ...defaultsFor(definition) };
  for (const key of Object.keys(settingRanges) as FunctionSettingKey[]) {
    const value = fn[key];
    if (value === undefined) continue;
    const { min, max } = settingRanges[key];
    if (!Number.isInteger(value) || value < min || value > max) fail(`${key} must be a whole number from ${min} to ${max}; got ${value}.`);
    settings[key] = value;
  }
  return { definition, settings, bundle: bundleFunction(definition, platform, { root: projectDir }) };
}

/** The TypeScript component's args from the wrapper's. */
function platformArgs(platform: Platform, name: string, args: FunctionsArgs): PlatformFunctionsArgs {
  const projectDir = path.resolve(args.projectDir ?? process.cwd());
  return {
    functions: (args.functions ?? []).map((fn) => deploymentOf(platform, name, fn, projectDir)),
    apiKey: args.apiKey === undefined ? undefined : pulumi.secret(args.apiKey),
    logRetentionDays: args.logRetentionDays,
    protectData: args.protectData,
    tags: args.tags,
  };
}

/** The wrapper's outputs from the component's. */
function outputsOf(inner: PlatformOutputs): WrapperOutputs & pulumi.Inputs {
  return {
    endpoint: inner.endpoint ?? pulumi.output(""),
    functionNames: pulumi.output(inner.functionNames),
    // "" when no function publishes or consumes events: the component creates no queue then.
    queueName: inner.queues?.queue ?? pulumi.output(""),
    deadLetterQueueName: inner.queues?.deadLetter ?? pulumi.output(""),
    warnings: pulumi.output(inner.warnings.map(formatWarning)),
  };
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see the header */
const components: Record<Platform, (name: string, args: FunctionsArgs | CloudflareFunctionsArgs, opts: pulumi.ComponentResourceOptions) => PlatformOutputs> = {
  aws: (name, args, opts) => {
    const { AwsFunctions } = require("../components/aws") as typeof Aws;
    return new AwsFunctions(name, { ...platformArgs("aws", name, args), routes: (args as AwsServerlessArgs).routes }, opts);
  },
  gcp: (name, args, opts) => {
    const { GcpFunctions } = require("../components/gcp") as typeof Gcp;
    return new GcpFunctions(name, platformArgs("gcp", name, args), opts);
  },
  azure: (name, args, opts) => {
    const { AzureFunctions } = require("../components/azure") as typeof Azure;
    return new AzureFunctions(name, platformArgs("azure", name, args), opts);
  },
  cloudflare: (name, args, opts) => {
    const { CloudflareFunctions } = require("../components/cloudflare") as typeof Cloudflare;
    const { accountId, deployApiToken } = args as CloudflareFunctionsArgs;
    return new CloudflareFunctions(name, { ...platformArgs("cloudflare", name, args), accountId, deployApiToken }, opts);
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const deployPlatform: DeployPlatform = (platform, parent, name, args) => outputsOf(components[platform](name, args, { parent }));
