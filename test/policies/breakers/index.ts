/**
 * For every policy of the pack, a graph broken for it: the test shows each rule fires on its
 * break (a rule that cannot fail is a defect) and passes on every clean graph.
 */
import type { Breaker } from "../graphs";
import { awsBreakers } from "./aws";
import { azureBreakers } from "./azure";
import { cloudflareBreakers } from "./cloudflare";
import { gcpBreakers } from "./gcp";

export const breakers: Record<string, Breaker> = { ...awsBreakers, ...gcpBreakers, ...azureBreakers, ...cloudflareBreakers };
