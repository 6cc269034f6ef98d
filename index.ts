/**
 * parity: the same functions on every enabled platform of this stack.
 * The stack config is read and validated first; a bad value stops the program before any
 * resource is created, naming the key, the stack and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployStack, readStackConfig } from "./components/program";

const { config, apiKey } = readStackConfig();
const { outputs } = deployStack(config, apiKey, {
  // Falls back to CLOUDFLARE_API_TOKEN in the environment when not set in config.
  cloudflareApiToken: new pulumi.Config("cloudflare").getSecret("apiToken"),
});

export const endpoints = outputs.endpoints;
export const queues = outputs.queues;
export const functions = outputs.functions;
