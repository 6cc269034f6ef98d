/** The provider's options, shared by the host (./index.ts) and the tests that build a ComponentProvider offline. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ComponentProviderOptions } from "@pulumi/pulumi/provider/experimental";
import { packageFile } from "../components/package-root";
import { serverlessComponents } from "./components";

/** The Pulumi package name: resource types are `parity:index:<Component>`. */
export const PROVIDER_NAME = "parity";

export function providerOptions(): ComponentProviderOptions & { version: string } {
  const { version } = JSON.parse(fs.readFileSync(packageFile("package.json"), "utf8")) as { version: string };
  // The schema is inferred from the TypeScript sources in this folder, wherever it runs from.
  return { name: PROVIDER_NAME, components: serverlessComponents, dirname: path.join(packageFile("provider")), version };
}
