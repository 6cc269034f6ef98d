/**
 * The parity cloud-rules pack: every documented cloud constraint and parity invariant that
 * Pulumi's mocks and `tsc` cannot see. Each policy's `url` is its source.
 */
import { awsPolicies } from "./aws";
import { azurePolicies } from "./azure";
import { cloudflarePolicies } from "./cloudflare";
import { gcpPolicies } from "./gcp";
import type { ParityPolicy } from "./policy";

export const PACK_NAME = "parity-cloud-rules";

export const parityPolicies: ParityPolicy[] = [...awsPolicies, ...gcpPolicies, ...azurePolicies, ...cloudflarePolicies];
