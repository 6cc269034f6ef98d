/**
 * Test helpers for the infrastructure code: the offline mock runner (shared with
 * `npm run plan`) and the checked-in stack files.
 */
import type { ParityConfig } from "../../components/config";
import { runWithMocks, type MockRun, type StateFor } from "../../scripts/offline";
import { stackFileValues } from "../../components/stack-file";
import { readStackFile } from "../../local/stack";

export { runWithMocks, valueOf, type MockRun, type RecordedResource, type StateFor } from "../../scripts/offline";
export { stackFileValues };

/** A test API key stands in for the secret `pulumi config set --secret` would hold. */
export const TEST_API_KEY = "test-api-key-0123456789";

/** The decided config of a checked-in stack file, as `index.ts` would see it. */
export function stackConfig(stack: "dev" | "prod"): ParityConfig {
  return readStackFile(stack, TEST_API_KEY);
}

/**
 * The provider-computed outputs the stack outputs and the dynamic resources' inputs are made of,
 * where the harness's defaults (scripts/offline.ts) give none: the endpoints' hosts, the
 * workers.dev subdomain and the D1 database's uuid (D1Migrations' `databaseId`).
 */
export const endpointState: StateFor = ({ type, name, inputs }) => {
  if (type === "aws:apigatewayv2/api:Api") return { apiEndpoint: `https://${name}.execute-api.eu-west-1.amazonaws.com` };
  if (type === "gcp:cloudfunctionsv2/function:Function") return { url: `https://europe-west1-parity-prod.cloudfunctions.net/${name}` };
  if (type === "azure-native:web:WebApp") return { defaultHostName: `${name}.azurewebsites.net` };
  if (type === "cloudflare:index/d1Database:D1Database") return { uuid: `uuid-of-${inputs.name}` };
  if (type === "pulumi-nodejs:dynamic:Resource") return { subdomain: "parity-test" };
  return {};
};

/**
 * Runs index.ts itself, with config as the Pulumi CLI hands it over (`parity:` keys, structured
 * values as JSON); with `preview`, as a new stack's first `pulumi preview` runs it.
 */
export function runIndex(values: Record<string, unknown>, options: { stack?: string; preview?: boolean } = {}): Promise<MockRun<typeof import("../../index")>> {
  const config = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [`parity:${key}`, typeof value === "string" ? value : JSON.stringify(value)]),
  );
  const indexPath = require.resolve("../../index");
  delete require.cache[indexPath];
  return runWithMocks(() => require(indexPath) as typeof import("../../index"), { stack: options.stack ?? "dev", config, stateFor: endpointState, preview: options.preview });
}
