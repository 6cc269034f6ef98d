/**
 * The API key as the platform exposes it: Cloud Functions resolves the Secret Manager
 * version named in `secretEnvironmentVariables` into the `API_KEY` environment variable
 * when the instance starts (https://cloud.google.com/run/docs/configuring/secrets);
 * the function configuration holds only the secret reference.
 */
import type { ApiKeySource } from "../core";

export const API_KEY_ENV = "API_KEY";

export function apiKeyFromSecretEnv(env: NodeJS.ProcessEnv = process.env): ApiKeySource {
  return async () => {
    const value = env[API_KEY_ENV];
    if (!value) throw new Error(`${API_KEY_ENV} is not set: the secret environment variable is missing`);
    return value;
  };
}
