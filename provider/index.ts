/**
 * The component provider: what the plugin directory (this folder: its package.json `main`
 * points at the compiled `dist/provider/index.js`, PulumiPlugin.yaml names the runtime) runs
 * for `pulumi package add` and for programs in any language that use the package. It hosts the
 * four wrappers of ./components.ts; the schema is inferred from their TypeScript types, which
 * the host reads from this folder (its tsconfig.json names this file as the entry).
 * API: @pulumi/pulumi 3.248.0, provider `main` and provider/experimental `ComponentProvider`.
 */
import { main } from "@pulumi/pulumi/provider";
import { ParityProvider, providerOptions } from "./options";

main(new ParityProvider(providerOptions()), process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
