/** Google Cloud: a graph broken for each gcp policy (see ./index.ts). */
import type { Breaker } from "../graphs";

export const gcpBreakers: Record<string, Breaker> = {};
