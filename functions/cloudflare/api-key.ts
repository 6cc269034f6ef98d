/** ApiKeySource on a secret_text binding: Workers injects the secret into `env`, no fetch needed. */
import type { ApiKeySource } from "../core";

export function secretBindingApiKey(secret: string | undefined): ApiKeySource {
  return async () => {
    if (!secret) throw new Error("the API_KEY secret binding is missing or empty");
    return secret;
  };
}
