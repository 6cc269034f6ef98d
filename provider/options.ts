/** The provider's options and class, shared by the host (./index.ts) and the tests that build it offline. */
import * as fs from "node:fs";
import * as path from "node:path";
import { ComponentProvider, type ComponentProviderOptions } from "@pulumi/pulumi/provider/experimental";
import { packageFile } from "../components/package-root";
import { serverlessComponents } from "./components";

/** The Pulumi package name: resource types are `parity:index:<Component>`. */
export const PROVIDER_NAME = "parity";

export function providerOptions(): ComponentProviderOptions & { version: string } {
  const { version } = JSON.parse(fs.readFileSync(packageFile("package.json"), "utf8")) as { version: string };
  // The schema is inferred from the TypeScript sources in this folder, wherever it runs from.
  return { name: PROVIDER_NAME, components: serverlessComponents, dirname: path.join(packageFile("provider")), version };
}

/**
 * The inputs that are whole numbers. TypeScript has one `number` type, and the schema inference
 * maps it to the schema's `number` (@pulumi/pulumi provider/experimental/analyzer.js
 * `getSimplePropertyType`); the Pulumi package schema has `integer` besides it (the metaschema,
 * pulumi/pulumi pkg/codegen/schema/pulumi.json: a property's primitive `type` is one of
 * "boolean", "integer", "number", "string"), which gives `int` in Python, Go and C#. The components refuse anything but a whole number here.
 */
export const integerInputs = ["memoryMb", "timeoutSeconds", "reservedConcurrency", "warmInstances", "batchSize", "maxAttempts", "everyMinutes", "logRetentionDays"] as const;

interface SchemaProperties {
  properties?: Record<string, { type?: string }>;
  inputProperties?: Record<string, { type?: string }>;
}

/** The inferred schema with the whole-number inputs typed `integer`. */
export function withIntegerInputs(schemaJson: string): string {
  const schema = JSON.parse(schemaJson) as { resources?: Record<string, SchemaProperties>; types?: Record<string, SchemaProperties> };
  const integers = new Set<string>(integerInputs);
  const retype = (properties: SchemaProperties["properties"]) => {
    for (const [name, property] of Object.entries(properties ?? {})) if (integers.has(name) && property.type === "number") property.type = "integer";
  };
  for (const resource of Object.values(schema.resources ?? {})) retype(resource.inputProperties);
  for (const type of Object.values(schema.types ?? {})) retype(type.properties);
  return JSON.stringify(schema);
}

/** parity's component provider: the inferred schema, with whole numbers typed as integers. */
export class ParityProvider extends ComponentProvider {
  override async getSchema(): Promise<string> {
    return withIntegerInputs(await super.getSchema());
  }
}
