/**
 * The API key as the platform exposes it: Cloud Functions resolves the Secret Manager
 * version named in `secretEnvironmentVariables` into the `API_KEY` environment variable
 * when the instance starts (https://cloud.google.com/run/docs/configuring/secrets);
 * the function configuration holds only the secret reference.
 */
import type { ApiKeySource } from "../core";
import { gcpEnv } from "./contract";

export function apiKeyFromSecretEnv(env: NodeJS.ProcessEnv = process.env): ApiKeySource {
  return async () => {
    const value = env[gcpEnv.apiKey];
    if (!value) throw new Error(`${gcpEnv.apiKey} is empty or not set: the secret environment variable is missing or its secret has no value`);
    return value;
  };
}
