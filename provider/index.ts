/**
 * The component provider: the entry Pulumi launches for `pulumi package add` and for programs
 * in any language that use the package (PulumiPlugin.yaml at the repository root). It hosts the
 * four wrappers of ./components.ts; the schema is inferred from their TypeScript types, which the
 * host reads from this folder (its package.json `main` and tsconfig.json).
 * API: @pulumi/pulumi 3.248.0, provider/experimental `componentProviderHost`.
 */
import { componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import { providerOptions } from "./options";

componentProviderHost(providerOptions()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
