/**
 * Runs the pack's policies over an offline graph (the resources a program registered under
 * Pulumi's mocks, with their URNs, parents and dependencies; scripts/offline.ts), the way
 * the Pulumi engine runs them over a preview. `npm run plan` and the tests use it; the CLI
 * runs the same policy objects through `pulumi preview --policy-pack policies`.
 *
 * Props are the inputs the program gave (what a preview passes too); values only a provider
 * knows are the mocks' stand-ins.
 */
import type { EnforcementLevel, PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import type { RecordedResource } from "../scripts/offline";
import type { ParityPolicy } from "./policy";

export interface Violation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  /** The offending resource's type and logical name; absent for a stack-wide violation. */
  resource?: string;
  message: string;
  /** Where the constraint is documented. */
  url: string;
}

class NotApplicable extends Error {}

/** The recorded graph as the policy SDK presents it to stack policies. */
export function policyResources(recorded: readonly RecordedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const resources = recorded.map((r) => {
    const resource = {
      type: r.type,
      props: r.inputs,
      urn: r.urn,
      name: r.name,
      opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], deleteBeforeReplace: undefined, customTimeouts: {} },
      dependencies: [] as PolicyResource[],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    } as unknown as PolicyResource;
    byUrn.set(r.urn, resource);
    return resource;
  });
  recorded.forEach((r, i) => {
    const resource = resources[i] as { dependencies: PolicyResource[]; parent?: PolicyResource };
    resource.dependencies = r.dependencies.map((urn) => byUrn.get(urn)).filter((d): d is PolicyResource => d !== undefined);
    resource.parent = byUrn.get(r.parent);
  });
  return resources;
}

/** Every violation of `policies` in the graph, resource policies first, in policy order. */
export async function evaluatePolicies(recorded: readonly RecordedResource[], policies: readonly ParityPolicy[]): Promise<Violation[]> {
  const violations: Violation[] = [];
  const resources = policyResources(recorded);
  const notApplicable = (): never => {
    throw new NotApplicable();
  };
  for (const policy of policies) {
    if (policy.enforcementLevel === "disabled") continue;
    const report = (resource?: PolicyResource) => (message: string) =>
      violations.push({ policy: policy.name, enforcementLevel: policy.enforcementLevel, resource: resource && `${resource.type} ${resource.name}`, message, url: policy.url });
    try {
      if ("validateResource" in policy && policy.validateResource) {
        const validations = [policy.validateResource].flat();
        for (const resource of resources) {
          const args = { ...resource, stackTags: new Map(), getConfig: () => ({}), notApplicable } as unknown as ResourceValidationArgs;
          for (const validate of validations) await validate(args, report(resource));
        }
      }
      if ("validateStack" in policy && policy.validateStack) {
        await policy.validateStack({ resources, stackTags: new Map(), getConfig: () => ({}) as never, notApplicable }, (message, urn) =>
          report(urn ? resources.find((r) => r.urn === urn) : undefined)(message),
        );
      }
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
    }
  }
  return violations;
}

/** A violation as one line: level, policy, resource, message and source. */
export function formatViolation(v: Violation): string {
  return `[${v.enforcementLevel}] ${v.policy}${v.resource ? ` on ${v.resource}` : ""}: ${v.message} (${v.url})`;
}
