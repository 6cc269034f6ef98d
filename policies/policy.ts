/**
 * How parity writes a policy: a CrossGuard policy (`@pulumi/policy`'s plain objects) whose `url`
 * is the source of the constraint it enforces. The same objects run three ways: in the pack
 * the CLI loads (`pulumi preview --policy-pack policies`), over the mocked graph in
 * `npm run plan`, and in the tests (./evaluate.ts), so a rule is written once.
 */
import type { EnforcementLevel, PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

/** Every parity policy names the source of the constraint it enforces. */
type WithSource<P> = P & { url: string; enforcementLevel: EnforcementLevel };
export type ParityResourcePolicy = WithSource<ResourceValidationPolicy>;
export type ParityStackPolicy = WithSource<StackValidationPolicy>;
export type ParityPolicy = ParityResourcePolicy | ParityStackPolicy;

/** A resource check on the resources of the given type tokens only. */
export function resourcePolicy(
  policy: Omit<ParityResourcePolicy, "validateResource"> & {
    types: readonly string[];
    validate: (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation) => void;
  },
): ParityResourcePolicy {
  const { types, validate, ...rest } = policy;
  return {
    ...rest,
    validateResource: (args, report) => {
      if (types.includes(args.type)) validate(args.props, args, report);
    },
  };
}

/** A physical-name check: the name a resource of `type` will have is within `rule`'s length and alphabet. */
export function namePolicy(
  policy: Omit<ParityResourcePolicy, "validateResource"> & {
    type: string;
    rule: { min?: number; max: number; pattern: RegExp; alphabet: string };
    /** The input holding the explicit name. @default "name" */
    nameProperty?: string;
  },
): ParityResourcePolicy {
  const { type, rule, nameProperty, ...rest } = policy;
  return resourcePolicy({
    ...rest,
    types: [type],
    validate: (props, args, report) => {
      const problem = nameProblem(physicalName(props, args.name, nameProperty), rule);
      if (problem) report(problem);
    },
  });
}

/** A check over the whole stack (relations between resources). */
export function stackPolicy(policy: Omit<ParityStackPolicy, "validateStack"> & { validate: (args: StackValidationArgs, report: ReportViolation) => void }): ParityStackPolicy {
  const { validate, ...rest } = policy;
  return { ...rest, validateStack: validate };
}

/** The resources of a type token. */
export const ofType = (resources: readonly PolicyResource[], type: string) => resources.filter((r) => r.type === type);

/** Every resource `resource` waits for, directly or through others (what `dependsOn` and inputs wire). */
export function transitiveDependencies(resource: PolicyResource): Set<PolicyResource> {
  const seen = new Set<PolicyResource>();
  const walk = (r: PolicyResource) => {
    for (const dependency of r.dependencies) {
      if (seen.has(dependency)) continue;
      seen.add(dependency);
      walk(dependency);
    }
  };
  walk(resource);
  return seen;
}

/**
 * The physical name a resource will have: its explicit name property, or, where the provider
 * auto-names it, the logical name plus the suffix Pulumi adds (a dash and 7 random characters;
 * https://www.pulumi.com/docs/iac/concepts/resources/names/#autonaming), here 7 letters.
 */
export function physicalName(props: Record<string, any>, logicalName: string, nameProperty = "name"): string {
  const explicit = props[nameProperty];
  return typeof explicit === "string" && explicit !== "" ? explicit : `${logicalName}-abcdefg`;
}

/** Checks a name against a length and an alphabet; returns the problem, if any. */
export function nameProblem(name: string, rule: { min?: number; max: number; pattern: RegExp; alphabet: string }): string | undefined {
  if (name.length < (rule.min ?? 1) || name.length > rule.max) return `"${name}" is ${name.length} characters; allowed ${rule.min ?? 1} to ${rule.max}`;
  if (!rule.pattern.test(name)) return `"${name}" does not match ${rule.alphabet}`;
  return undefined;
}

/*
 * No rule reads Pulumi's secret marker: the engine sends secrets wrapped, but @pulumi/policy
 * unwraps every one before a rule sees it (deserialize.ts `deserializeProperty`), so under the
 * CLI a secret and a plain value look the same. "No secret in a plain input" is proved by the
 * program test instead (test/program.test.ts, "no secret in a plain input"), where the SDK
 * still shows which inputs are secrets.
 */

/** A variable or setting name that says it holds a secret. */
export const SECRET_NAME = /(^|_)(API_?KEY|SECRET|TOKEN|PASSWORD|CREDENTIALS?)(_|$)/i;
