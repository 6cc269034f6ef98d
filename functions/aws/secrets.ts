/**
 * The API key from Secrets Manager: fetched on first use, then cached in module scope for
 * the life of the instance (never an environment variable, never per invocation).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { once, type ApiKeySource } from "../core";

export interface SecretApiKeyOptions {
  client: SecretsManagerClient;
  secretArn: string;
}

export function secretsManagerApiKey({ client, secretArn }: SecretApiKeyOptions): ApiKeySource {
  return once(async () => {
    // Secrets Manager's own message does not name the secret (for one with no value: "can't find
    // the specified secret value for staging label: AWSCURRENT"); the logged cause must.
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn })).catch((error: Error) => {
      throw new Error(`secret ${secretArn} could not be read: ${error.message}`, { cause: error });
    });
    if (!result.SecretString) throw new Error(`secret ${secretArn} has no string value`);
    return result.SecretString;
  });
}
