/**
 * The API key from Secrets Manager: fetched on first use, then cached in module scope for
 * API_KEY_CACHE_MS (never an environment variable, never per invocation). Bounded because a
 * Lambda instance may live for hours (provisioned concurrency keeps it), and a rotated key must
 * reach every instance within minutes. AWS's own Parameters and Secrets extension caches for
 * 300 s by default (SECRETS_MANAGER_TTL:
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html);
 * one GetSecretValue per instance per 5 minutes costs $0.05 per 10,000 calls
 * (https://aws.amazon.com/secrets-manager/pricing/).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { cachedFor, type ApiKeySource } from "../core";

/** How long an instance keeps the key it read: the longest a rotated key is still accepted there. */
export const API_KEY_CACHE_MS = 5 * 60 * 1000;

export interface SecretApiKeyOptions {
  client: SecretsManagerClient;
  secretArn: string;
  /** Injected for tests; defaults to the wall clock. */
  now?: () => number;
}

export function secretsManagerApiKey({ client, secretArn, now }: SecretApiKeyOptions): ApiKeySource {
  return cachedFor(async () => {
    // Secrets Manager's own message does not name the secret (for one with no value: "can't find
    // the specified secret value for staging label: AWSCURRENT"); the logged cause must.
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn })).catch((error: Error) => {
      throw new Error(`secret ${secretArn} could not be read: ${error.message}`, { cause: error });
    });
    if (!result.SecretString) throw new Error(`secret ${secretArn} has no string value`);
    return result.SecretString;
  }, API_KEY_CACHE_MS, now);
}
