/** Azure constraints the mocks cannot see, from components/azure/rules.ts, each with its source. */
import type { ParityPolicy } from "./policy";

export const azurePolicies: ParityPolicy[] = [];
