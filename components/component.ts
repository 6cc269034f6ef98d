/**
 * What every platform component does with Pulumi itself, the same way: report its plan's
 * warnings, upload a package, and register the outputs every platform shares. The rules
 * (what to create, with which values) stay in each platform's pure `rules.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { FunctionPackage } from "./bundle";
import { formatWarning, type PlatformOutputs, type SettingWarning } from "./platform";

/** Reports every inexact translation of a plan with `pulumi.log.warn`, so nothing is adjusted silently. */
export function reportWarnings(resource: pulumi.Resource, warnings: readonly SettingWarning[]): void {
  for (const warning of warnings) pulumi.log.warn(formatWarning(warning), resource);
}

/** A package's zip as a Pulumi asset (uploaded as-is: its name and bytes never change for the same code). */
export function packageAsset(pkg: FunctionPackage): pulumi.asset.FileAsset {
  return new pulumi.asset.FileAsset(pkg.zipFile);
}

/** A package's zip as a Pulumi archive (for inputs that take an archive, e.g. Lambda `code`). */
export function packageArchive(pkg: FunctionPackage): pulumi.asset.FileArchive {
  return new pulumi.asset.FileArchive(pkg.zipFile);
}

/**
 * A shared resource a function's declared capability needs. The component creates it whenever a
 * function declares such a capability (platform.ts `sharedResourcesFor`), so a missing one is a
 * defect in the component, never in the caller's args.
 */
export function created<T>(resource: T | undefined, what: string): T {
  if (resource === undefined) throw new Error(`parity: the ${what} was not created although a function declares a capability that uses it; this is a bug in the component`);
  return resource;
}

/** The outputs every platform component registers: `this.registerOutputs(platformOutputs(this))`. */
export function platformOutputs(component: PlatformOutputs): pulumi.Inputs {
  return {
    endpoint: component.endpoint,
    queues: component.queues ?? {},
    functionNames: component.functionNames,
    warnings: component.warnings,
    nativeSettings: component.nativeSettings,
    schedules: Object.fromEntries(Object.entries(component.schedules).map(([fn, s]) => [fn, { expression: s.expression, identity: s.identity }])),
  };
}
