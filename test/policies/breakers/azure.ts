/** Azure: a graph broken for each azure policy (see ./index.ts). */
import type { Breaker } from "../graphs";

export const azureBreakers: Record<string, Breaker> = {};
