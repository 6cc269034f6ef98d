/** Cloudflare: a graph broken for each cloudflare policy (see ./index.ts). */
import type { Breaker } from "../graphs";

export const cloudflareBreakers: Record<string, Breaker> = {};
