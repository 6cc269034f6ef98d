/**
 * The policy pack the Pulumi CLI loads: `pulumi preview --stack dev --policy-pack policies`.
 * The policies themselves live in ./pack.ts so that `npm run plan` and the tests run the same
 * objects offline (constructing a PolicyPack starts the CLI's policy server).
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, parityPolicies } from "./pack";

new PolicyPack(PACK_NAME, { policies: parityPolicies });
