/**
 * parity as a library: the four components, the catalog types, the stack config's validation and
 * the bundler. Each part is also its own entry (`parity/aws`, `parity/catalog`, … in package.json
 * `exports`), so a program that deploys to one platform loads that platform's provider only.
 *
 * The four components are loaded on first use here too: each cloud's provider is an optional peer
 * dependency, so `require("parity")` must load none of them, and `AwsFunctions` read from here
 * needs `@pulumi/aws` only.
 */
import type * as Aws from "./aws";
import type * as Azure from "./azure";
import type * as Cloudflare from "./cloudflare";
import type * as Gcp from "./gcp";

export * from "./catalog";
export * from "./config";
export * from "./bundle";
export * from "./platform";
export { deployStack, readStackConfig, type StackOutputs, type StackProgram, type ProviderSecrets } from "./program";
export type { AwsFunctionsArgs } from "./aws";
export type { GcpFunctionsArgs } from "./gcp";
export type { AzureFunctionsArgs } from "./azure";
export type { CloudflareFunctionsArgs } from "./cloudflare";

export declare const AwsFunctions: typeof Aws.AwsFunctions;
export type AwsFunctions = Aws.AwsFunctions;
export declare const GcpFunctions: typeof Gcp.GcpFunctions;
export type GcpFunctions = Gcp.GcpFunctions;
export declare const AzureFunctions: typeof Azure.AzureFunctions;
export type AzureFunctions = Azure.AzureFunctions;
export declare const CloudflareFunctions: typeof Cloudflare.CloudflareFunctions;
export type CloudflareFunctions = Cloudflare.CloudflareFunctions;

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
const lazyComponents: Record<string, () => unknown> = {
  AwsFunctions: () => (require("./aws") as typeof Aws).AwsFunctions,
  GcpFunctions: () => (require("./gcp") as typeof Gcp).GcpFunctions,
  AzureFunctions: () => (require("./azure") as typeof Azure).AzureFunctions,
  CloudflareFunctions: () => (require("./cloudflare") as typeof Cloudflare).CloudflareFunctions,
};
/* eslint-enable @typescript-eslint/no-require-imports */
for (const [name, load] of Object.entries(lazyComponents)) Object.defineProperty(exports, name, { enumerable: true, get: load });
