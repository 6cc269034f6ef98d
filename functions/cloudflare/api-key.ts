/** ApiKeySource on a secret_text binding: Workers injects the secret into `env`, no fetch needed. */
import type { ApiKeySource } from "../core";
import { cloudflareEnv } from "./contract";

export function secretBindingApiKey(secret: string | undefined): ApiKeySource {
  return async () => {
    if (!secret) throw new Error(`the ${cloudflareEnv.apiKey} secret binding is missing or empty`);
    return secret;
  };
}
