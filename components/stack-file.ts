/** Reads a checked-in stack file (`Pulumi.<stack>.yaml`) as the Pulumi CLI would hand it to the program. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { projectRoot } from "./bundle";
import type { Platform } from "./catalog";

/** The `parity:*` values of `Pulumi.<stack>.yaml`, keys without the namespace. */
export function stackFileValues(stack: string): Record<string, unknown> {
  const file = path.join(projectRoot, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`No stack file ${path.basename(file)}; known stacks: ${knownStacks().join(", ")}`);
  const document = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  return Object.fromEntries(
    Object.entries(document?.config ?? {})
      .filter(([key]) => key.startsWith("parity:"))
      .map(([key, value]) => [key.slice("parity:".length), value]),
  );
}

/** Provider settings of a stack file (e.g. `aws:region`), as written. */
export function stackProviderValues(stack: string): Record<string, unknown> {
  const file = path.join(projectRoot, `Pulumi.${stack}.yaml`);
  const document = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  return Object.fromEntries(Object.entries(document?.config ?? {}).filter(([key]) => !key.startsWith("parity:")));
}

export function knownStacks(): string[] {
  return fs
    .readdirSync(projectRoot)
    .map((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1])
    .filter((stack): stack is string => stack !== undefined);
}

/** The stack's provider key that names each platform's region. */
export const stackRegionKeys: Partial<Record<Platform, string>> = { aws: "aws:region", gcp: "gcp:region", azure: "azure-native:location" };

/** The region the stack deploys each platform to, as its provider settings say. */
export function stackRegions(stack: string): Partial<Record<Platform, string>> {
  const values = stackProviderValues(stack);
  const out: Partial<Record<Platform, string>> = {};
  for (const [platform, key] of Object.entries(stackRegionKeys) as [Platform, string][]) {
    if (typeof values[key] === "string") out[platform] = values[key] as string;
  }
  return out;
}
