/**
 * What the Pulumi engine sends a policy pack, built from a graph recorded under mocks
 * (scripts/offline.ts): the requests of the Analyzer gRPC service
 * (`@pulumi/pulumi/proto/analyzer.proto`), encoded the way the engine encodes them.
 *
 * - `Analyze` gets one resource's INPUTS, `AnalyzeStack` every resource's OUTPUTS:
 *   pulumi/pulumi pkg/resource/deploy/step_generator.go, `analyzeAll` builds
 *   `Properties: resource.FromResourcePropertyMap(inputs)`, `AnalyzeResources` builds
 *   `Properties: resource.FromResourcePropertyMap(v.Outputs)` ("Unlike Analyze, AnalyzeStack
 *   is called on the final outputs of each resource").
 * - Both marshal with `MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true}`
 *   (pkg/resource/plugin/analyzer_plugin.go, `Analyze` and `AnalyzeStack`): a secret travels
 *   wrapped in Pulumi's secret signature, an unknown as the string sentinel
 *   `UnknownStringValue` "04da6b54-80e4-46f7-96ec-b56ff0331ba9" whatever its type
 *   (sdk/go/common/resource/plugin/rpc.go, MarshalPropertyValue), and `__`-prefixed keys
 *   (a dynamic resource's serialised `__provider`) are left out.
 * - @pulumi/policy then unwraps every secret before a rule sees it (deserialize.ts,
 *   `deserializeProperty`: "secrets must be fully unpacked into plain-old-JSON"), and wraps
 *   the props in `unknownCheckingProxy` (proxy.ts): reading an unknown throws, and the
 *   server turns that into an advisory "can't run policy … during preview" (server.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { UNKNOWN, type RecordedResource } from "./offline";

/** Pulumi's signature key and its secret value (sdk/nodejs/runtime/rpc.ts `specialSigKey`, `specialSecretSig`). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export { UNKNOWN };

/** A property value as the engine marshals it for an analyzer (see the file comment). */
export function engineValue(value: unknown): unknown {
  if (pulumi.isUnknown(value)) return UNKNOWN;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : engineValue(v)));
  const object = value as Record<string, unknown>;
  if (object[SIG_KEY] === SECRET_SIG) return { [SIG_KEY]: SECRET_SIG, value: engineValue(object.value) ?? null };
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(object)) {
    // SkipInternalKeys drops the engine's own keys (`__provider`, `__defaults`) at every level.
    if (key.startsWith("__") && key !== SIG_KEY) continue;
    if (v === undefined) continue;
    out[key] = engineValue(v);
  }
  return out;
}

/** A whole property map as the engine marshals it. */
export const engineProperties = (props: Record<string, unknown>) => engineValue(props) as Record<string, unknown>;

/** The protobuf modules the Analyzer service is made of, as @pulumi/policy loads them. */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const structProto = require("google-protobuf/google/protobuf/struct_pb");

function resourceOptions(r: RecordedResource) {
  const options = new analyzerProto.AnalyzerResourceOptions();
  options.setProtect(false);
  if (r.parent) options.setParent(r.parent);
  return options;
}

/** What `Analyze` and `AnalyzeStack` both say of a resource: urn, type, name, properties and options. */
function describeResource<T extends { setUrn(v: string): unknown; setType(v: string): unknown; setName(v: string): unknown; setProperties(v: unknown): unknown; setOptions(v: ReturnType<typeof resourceOptions>): unknown }>(
  message: T,
  r: RecordedResource,
  properties: Record<string, any>,
): T {
  message.setUrn(r.urn);
  message.setType(r.type);
  message.setName(r.name);
  message.setProperties(structProto.Struct.fromJavaScript(engineProperties(properties)));
  message.setOptions(resourceOptions(r));
  return message;
}

/** The `Analyze` request of one resource: its inputs. */
export function analyzeRequest(r: RecordedResource) {
  return describeResource(new analyzerProto.AnalyzeRequest(), r, r.inputs);
}

/** The `AnalyzeStack` request: every resource's outputs, parent and dependencies. */
export function analyzeStackRequest(graph: readonly RecordedResource[]) {
  const request = new analyzerProto.AnalyzeStackRequest();
  request.setResourcesList(
    graph.map((r) => {
      const resource = describeResource(new analyzerProto.AnalyzerResource(), r, r.state);
      resource.setParent(r.parent);
      resource.setDependenciesList(r.dependencies);
      return resource;
    }),
  );
  return request;
}

/** A diagnostic the analyzer returned, as plain data. */
export interface AnalyzerDiagnostic {
  policyName: string;
  enforcementLevel: "advisory" | "mandatory" | "disabled" | "remediate";
  message: string;
  urn: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

/** Reads an `AnalyzeResponse` (analyzer.proto `EnforcementLevel`: ADVISORY 0, MANDATORY 1, DISABLED 2, REMEDIATE 3). */
export function diagnosticsOf(response: { getDiagnosticsList(): any[] }): AnalyzerDiagnostic[] {
  return response.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? "advisory",
    message: d.getMessage(),
    urn: d.getUrn(),
  }));
}
