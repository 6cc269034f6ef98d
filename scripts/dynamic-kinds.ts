/**
 * The program's dynamic resources, told apart. Every `pulumi.dynamic.Resource` registers as the
 * one type `pulumi-nodejs:dynamic:Resource`; what it does is in its serialised provider, the
 * `__provider` input (@pulumi/pulumi dynamic/index.ts), so each kind is recognised by a text
 * only its provider's code holds. A dynamic resource no kind (or two) recognises is an error,
 * so a new one cannot go unlisted where its permissions and its diff are checked.
 */
import type { RecordedResource } from "./offline";

export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";

export const dynamicKinds = [
  { kind: "OneDeploy", platform: "azure", source: "components/azure/one-deploy.ts", marker: "/api/publish" },
  { kind: "D1Migrations", platform: "cloudflare", source: "components/cloudflare/dynamic.ts", marker: "d1_migrations" },
  { kind: "WorkersDevSubdomain", platform: "cloudflare", source: "components/cloudflare/dynamic.ts", marker: "/workers/subdomain" },
  { kind: "IamPropagationWait", platform: "gcp", source: "components/gcp/iam-wait.ts", marker: "msPerSecond" },
] as const;

export type DynamicKind = (typeof dynamicKinds)[number]["kind"];

/** Which dynamic resource this is; throws when no kind, or more than one, recognises its provider. */
export function dynamicKindOf(resource: Pick<RecordedResource, "type" | "name" | "inputs">): DynamicKind {
  if (resource.type !== DYNAMIC_TYPE) throw new Error(`${resource.type} ${resource.name} is not a dynamic resource`);
  const provider = String(resource.inputs.__provider ?? "");
  const matches = dynamicKinds.filter((k) => provider.includes(k.marker));
  if (matches.length !== 1) {
    throw new Error(`dynamic resource ${resource.name}: ${matches.length === 0 ? "no known kind" : `${matches.map((m) => m.kind).join(" and ")}`} recognises its provider (scripts/dynamic-kinds.ts)`);
  }
  return matches[0].kind;
}
