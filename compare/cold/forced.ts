/**
 * The forced cold-start phase: N times force → probe on a new connection, then the platform's
 * own figure, summarised as n / min / median / max (a handful of samples supports no more).
 */
import type { Platform } from "../../components/catalog";
import { coldStartResult, type ColdConfirmation, type ColdStartResult, type DeployedEndpoint, type Endpoint, type ForcedColdSummary } from "../phases";
import { awsApi, awsColdForcer } from "./aws";
import { azureApi, azureColdForcer } from "./azure";
import { cloudflareColdForcer, CLOUDFLARE_NOT_FORCEABLE, startupTimeFromStackExport } from "./cloudflare";
import { smallSummary, type ColdForcer } from "./force";
import { gcpApi, gcpColdForcer } from "./gcp";
import { timedColdProbe, type TimedColdSample } from "./probe";

export async function forcedColdStart(
  forcer: ColdForcer,
  endpoint: Endpoint,
  count: number,
  options: { probe?: (endpoint: Endpoint) => Promise<TimedColdSample>; onSample?: (done: number) => void } = {},
): Promise<ColdStartResult & { forced: ForcedColdSummary }> {
  if (!forcer.forceable) throw new Error(forcer.reason ?? "not forceable");
  const probe = options.probe ?? timedColdProbe;
  const samples: TimedColdSample[] = [];
  for (let i = 0; i < count; i++) {
    await forcer.force();
    samples.push(await probe(endpoint));
    options.onSample?.(i + 1);
  }
  const figure = await forcer.figures(samples).catch((error: Error) => ({ name: "platform figure", values: [] as number[], note: `could not be read: ${error.message}` }));
  const platform = { name: figure.name, note: figure.note, ...smallSummary(figure.values) };
  const result = coldStartResult(samples, forcer.method, {
    ms: figure.values.length > 0 ? platform.median : null,
    note: `${figure.name}: ${figure.note}`,
  });
  const confirmations = result.samples.map((sample): ColdConfirmation => (sample.instance === undefined && sample.cold === undefined ? "unconfirmed" : sample.newInstance ? "confirmed" : "not cold"));
  return {
    ...result,
    forced: {
      requested: count,
      client: smallSummary(samples.map((s) => s.ms)),
      connect: smallSummary(samples.flatMap((s) => (s.connectMs === undefined ? [] : [s.connectMs]))),
      firstByte: smallSummary(samples.flatMap((s) => (s.firstByteMs === undefined ? [] : [s.firstByteMs]))),
      platform,
      confirmations,
      permissions: forcer.permissions,
    },
  };
}

/** What locates each platform's function for the management APIs, besides the stack outputs. */
export interface ColdContext {
  /** Regions from the stack file (aws:region, gcp:region, ...). */
  regions: Partial<Record<Platform, string>>;
  /** gcp:project from the stack file, else GOOGLE_CLOUD_PROJECT. */
  gcpProject?: string;
  /** `pulumi stack export` of the deployed stack, where the Pulumi CLI is available. */
  exported?: unknown;
  env: NodeJS.ProcessEnv;
}

/** The forcer for one deployed platform, or why there is none (named so the user can supply it). */
export function coldForcerFor(deployed: DeployedEndpoint, context: ColdContext): ColdForcer | { reason: string } {
  const name = deployed.functions?.["users-api"];
  if (deployed.platform === "cloudflare") return cloudflareColdForcer(name && context.exported ? startupTimeFromStackExport(context.exported, name) : undefined);
  if (!name) return { reason: "the stack outputs name no users-api function (`functions.<platform>.users-api`)" };
  const region = context.regions[deployed.platform];
  switch (deployed.platform) {
    case "aws":
      if (!region) return { reason: "no aws:region in the stack file" };
      return awsColdForcer({ functionName: name, region, lambda: awsApi(region, "lambda"), logs: awsApi(region, "logs") });
    case "gcp": {
      const project = context.gcpProject ?? context.env.GOOGLE_CLOUD_PROJECT;
      if (!region || !project) return { reason: "needs gcp:region and gcp:project in the stack file (or GOOGLE_CLOUD_PROJECT)" };
      return gcpColdForcer({ project, region, functionName: name, api: gcpApi() });
    }
    case "azure": {
      const site = context.exported ? azureSiteFromStackExport(context.exported, name) : undefined;
      const subscriptionId = site?.subscriptionId ?? context.env.AZURE_SUBSCRIPTION_ID;
      const resourceGroup = site?.resourceGroup ?? context.env.AZURE_RESOURCE_GROUP;
      if (!subscriptionId || !resourceGroup) return { reason: "needs the function app's subscription and resource group: the stack's state (Pulumi CLI) or AZURE_SUBSCRIPTION_ID and AZURE_RESOURCE_GROUP" };
      return azureColdForcer({ subscriptionId, resourceGroup, appName: name, api: azureApi() });
    }
    default:
      return { reason: CLOUDFLARE_NOT_FORCEABLE };
  }
}

/** Subscription and resource group of the function app `appName`, from its ARM id in a `pulumi stack export` document. */
export function azureSiteFromStackExport(exported: unknown, appName: string): { subscriptionId: string; resourceGroup: string } | undefined {
  const resources = (exported as { deployment?: { resources?: { type?: string; outputs?: Record<string, unknown> }[] } })?.deployment?.resources ?? [];
  for (const resource of resources) {
    if (!String(resource.type).startsWith("azure-native:web:WebApp") || resource.outputs?.name !== appName) continue;
    const id = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/sites\//i.exec(String(resource.outputs?.id ?? ""));
    if (id) return { subscriptionId: id[1], resourceGroup: id[2] };
  }
  return undefined;
}
