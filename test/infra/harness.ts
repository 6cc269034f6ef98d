/**
 * Test helpers for the infrastructure code: the offline mock runner (shared with
 * `npm run plan`) and the checked-in stack files.
 */
import type { ParityConfig } from "../../components/config";
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
