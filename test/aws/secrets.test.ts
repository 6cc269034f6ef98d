/**
 * The API key's cache on AWS, through the real SDK client against the Secrets Manager stand-in
 * (local/aws-secrets-standin.ts: it counts the signed GetSecretValue calls it answers), with a
 * fake clock: a rotated key reaches a warm instance within API_KEY_CACHE_MS.
 */
import assert from "node:assert/strict";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { API_KEY_CACHE_MS, secretsManagerApiKey } from "../../functions/aws/secrets";
import { startSecretsStandIn, type SecretsStandIn } from "../../local/aws-secrets-standin";

describe("aws: the API key's cache is bounded", () => {
  let standIn: SecretsStandIn;
  before(async () => {
    standIn = await startSecretsStandIn({ name: "parity-api-key", value: "first-key-0123456789" });
  });
  after(async () => {
    await standIn?.stop();
  });

  it(`reads once per ${API_KEY_CACHE_MS / 60_000} minutes, and a rotated key is served from then on`, async () => {
    assert.equal(API_KEY_CACHE_MS, 300_000, "the Parameters and Secrets extension's default TTL");
    let clock = 1_000_000;
    const client = new SecretsManagerClient({ endpoint: standIn.endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    const apiKey = secretsManagerApiKey({ client, secretArn: standIn.secretArn, now: () => clock });
    const calls0 = standIn.getSecretValueCalls;
    assert.deepEqual(await Promise.all([apiKey(), apiKey(), apiKey()]), Array(3).fill("first-key-0123456789"), "concurrent first reads share one call");
    assert.equal(standIn.getSecretValueCalls, calls0 + 1);

    standIn.rotate("second-key-0123456789");
    clock += API_KEY_CACHE_MS - 1;
    assert.equal(await apiKey(), "first-key-0123456789", "cached until the TTL");
    assert.equal(standIn.getSecretValueCalls, calls0 + 1);
    clock += 1;
    assert.equal(await apiKey(), "second-key-0123456789", "at the TTL, read again");
    assert.equal(standIn.getSecretValueCalls, calls0 + 2);
    assert.equal(await apiKey(), "second-key-0123456789");
    assert.equal(standIn.getSecretValueCalls, calls0 + 2);
    client.destroy();
  });
});
