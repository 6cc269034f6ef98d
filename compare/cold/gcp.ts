/**
 * Google Cloud Functions (2nd gen): a new revision by changing an environment variable
 * (functions.patch with `updateMask=serviceConfig.environmentVariables`, which returns a
 * long-running Operation: https://cloud.google.com/functions/docs/reference/rest/v2/projects.locations.functions/patch),
 * then waiting until the operation is done and the function is ACTIVE again. Readiness is read
 * from the API, not by a request, so the probe stays the new revision's first request.
 * Platform figure: the Cloud Run metric `run.googleapis.com/container/startup_latencies`
 * ("distribution of time spent starting a new container instance", ms) of the function's
 * service, from Cloud Monitoring timeSeries.list (https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/list).
 * It is aggregated per minute and per service, so it is matched to the samples by time window, not per request.
 */
import { defaultWaiting, FORCE_VARIABLE, waitFor, type Api, type ColdForcer, type Waiting } from "./force";

export const GCP_PERMISSIONS =
  "cloudfunctions.functions.get, cloudfunctions.functions.update, cloudfunctions.operations.get (roles/cloudfunctions.developer) and iam.serviceAccounts.actAs on the function's service account; monitoring.timeSeries.list (roles/monitoring.viewer)";

export const STARTUP_LATENCY_METRIC = "run.googleapis.com/container/startup_latencies";

interface CloudFunction {
  state?: string;
  serviceConfig?: { environmentVariables?: Record<string, string>; service?: string };
}

interface Operation {
  name: string;
  done?: boolean;
  error?: { code?: number; message?: string };
}

interface TimeSeriesList {
  timeSeries?: { points?: { interval?: { endTime?: string }; value?: { distributionValue?: { count?: string | number; mean?: number } } }[] }[];
}

export function gcpColdForcer(options: { project: string; region: string; functionName: string; api: Api; waiting?: Waiting; now?: () => number }): ColdForcer {
  const { project, region, functionName, api } = options;
  const waiting = options.waiting ?? defaultWaiting;
  const now = options.now ?? Date.now;
  const functionUrl = `https://cloudfunctions.googleapis.com/v2/projects/${project}/locations/${region}/functions/${functionName}`;
  return {
    method: `new revision: environment variable ${FORCE_VARIABLE} changed (functions.patch), then waited for the operation and state ACTIVE`,
    forceable: true,
    permissions: GCP_PERMISSIONS,
    async force() {
      const current = (await api({ method: "GET", url: functionUrl })) as CloudFunction;
      const environmentVariables = { ...(current.serviceConfig?.environmentVariables ?? {}), [FORCE_VARIABLE]: String(now()) };
      const operation = (await api({
        method: "PATCH",
        url: `${functionUrl}?updateMask=serviceConfig.environmentVariables`,
        body: { serviceConfig: { environmentVariables } },
      })) as Operation;
      await waitFor(
        `${functionName}: operation ${operation.name}`,
        async () => {
          const state = (await api({ method: "GET", url: `https://cloudfunctions.googleapis.com/v2/${operation.name}` })) as Operation;
          if (state.error) throw new Error(`${functionName}: update failed: ${state.error.message ?? `code ${state.error.code}`}`);
          return state.done ? true : undefined;
        },
        waiting,
      );
      await waitFor(`${functionName}: state ACTIVE`, async () => (((await api({ method: "GET", url: functionUrl })) as CloudFunction).state === "ACTIVE" ? true : undefined), waiting);
    },
    async figures(samples) {
      if (samples.length === 0) return { name: STARTUP_LATENCY_METRIC, values: [], note: "no samples" };
      const fn = (await api({ method: "GET", url: functionUrl })) as CloudFunction;
      // The function's Cloud Run service: projects/<p>/locations/<l>/services/<name>.
      const service = fn.serviceConfig?.service?.split("/").pop() ?? functionName;
      const start = new Date(Math.min(...samples.map((s) => s.sentAt)) - 60_000).toISOString();
      const end = new Date(Math.max(...samples.map((s) => s.sentAt)) + 120_000).toISOString();
      const filter = `metric.type="${STARTUP_LATENCY_METRIC}" AND resource.labels.service_name="${service}"`;
      const query = new URLSearchParams({ filter, "interval.startTime": start, "interval.endTime": end });
      const list = (await api({ method: "GET", url: `https://monitoring.googleapis.com/v3/projects/${project}/timeSeries?${query}` })) as TimeSeriesList;
      const values = startupLatencies(list);
      return {
        name: `Cloud Run ${STARTUP_LATENCY_METRIC} (service ${service})`,
        values,
        note: `${values.length} container start(s) reported between ${start} and ${end}; the metric is per minute and per service, matched to the samples by time, not per request (it can take minutes to appear)`,
      };
    },
  };
}

/** Every start in the series: a point's distribution counts `count` starts averaging `mean` ms. */
export function startupLatencies(list: TimeSeriesList): number[] {
  const values: number[] = [];
  for (const series of list.timeSeries ?? []) {
    for (const point of series.points ?? []) {
      const distribution = point.value?.distributionValue;
      const count = Number(distribution?.count ?? 0);
      if (count > 0 && typeof distribution?.mean === "number") for (let i = 0; i < count; i++) values.push(distribution.mean);
    }
  }
  return values;
}

/** A Google REST caller with Application Default Credentials (google-auth-library, in node_modules). */
export function gcpApi(): Api {
  return async (call) => {
    const { GoogleAuth } = await import("google-auth-library");
    const token = await new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] }).getAccessToken();
    return jsonFetch(call.url, call.method, { authorization: `Bearer ${token}`, ...(call.headers ?? {}) }, call.body);
  };
}

/** fetch with a JSON body and answer; a non-2xx answer throws with the API's error message. */
export async function jsonFetch(url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const json = text ? (JSON.parse(text) as { error?: { message?: string } | string; errors?: { message?: string }[] }) : {};
  if (!response.ok) {
    const message = typeof json.error === "string" ? json.error : (json.error?.message ?? json.errors?.[0]?.message ?? "");
    throw new Error(`${method} ${new URL(url).pathname}: HTTP ${response.status} ${message}`.trim());
  }
  return json;
}
