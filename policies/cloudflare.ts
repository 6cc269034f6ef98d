/** Cloudflare constraints the mocks cannot see, from components/cloudflare/rules.ts, each with its source. */
import type { ParityPolicy } from "./policy";

export const cloudflarePolicies: ParityPolicy[] = [];
