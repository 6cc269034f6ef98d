/** Google Cloud constraints the mocks cannot see, from components/gcp/rules.ts, each with its source. */
import type { ParityPolicy } from "./policy";

export const gcpPolicies: ParityPolicy[] = [];
