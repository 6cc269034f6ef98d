/**
 * parity as a library: the four components, the catalog types, the stack config's validation and
 * the bundler. Each part is also its own entry (`parity/aws`, `parity/catalog`, … in package.json
 * `exports`), so a program that deploys to one platform loads that platform's provider only.
 */
export * from "./catalog";
export * from "./config";
export * from "./bundle";
export * from "./platform";
export { deployStack, readStackConfig, type StackOutputs, type StackProgram, type ProviderSecrets } from "./program";
export { AwsFunctions, type AwsFunctionsArgs } from "./aws";
export { GcpFunctions, type GcpFunctionsArgs } from "./gcp";
export { AzureFunctions, type AzureFunctionsArgs } from "./azure";
export { CloudflareFunctions, type CloudflareFunctionsArgs } from "./cloudflare";
