/**
 * Azure Functions (Flex Consumption): a fresh instance by restarting the app (Web Apps -
 * Restart, `synchronous=true` blocks until restarted: https://learn.microsoft.com/en-us/rest/api/appservice/web-apps/restart),
 * then waiting until the site reports `state: Running` (Web Apps - Get). Readiness comes from
 * the management API, not from a request, so the probe stays the restarted app's first request.
 * Platform figure: not reported (Azure Functions reports no init duration unless its
 * OpenTelemetry mode is on, which this stack does not enable).
 */
import { defaultWaiting, waitFor, type Api, type ColdForcer, type Waiting } from "./force";
import { jsonFetch } from "./gcp";

export const AZURE_PERMISSIONS = "Microsoft.Web/sites/restart/action and Microsoft.Web/sites/read on the function app (e.g. Website Contributor)";

/** The App Service management API version used (listed on the Web Apps - Restart page). */
export const AZURE_WEB_API_VERSION = "2025-05-01";

export function azureColdForcer(options: { subscriptionId: string; resourceGroup: string; appName: string; api: Api; waiting?: Waiting }): ColdForcer {
  const { subscriptionId, resourceGroup, appName, api } = options;
  const waiting = options.waiting ?? defaultWaiting;
  const siteUrl = `https://management.azure.com/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${appName}`;
  return {
    method: "app restarted (Web Apps - Restart, synchronous), then waited for state Running",
    forceable: true,
    permissions: AZURE_PERMISSIONS,
    async force() {
      await api({ method: "POST", url: `${siteUrl}/restart?api-version=${AZURE_WEB_API_VERSION}&softRestart=false&synchronous=true` });
      await waitFor(
        `${appName}: state Running`,
        async () => (((await api({ method: "GET", url: `${siteUrl}?api-version=${AZURE_WEB_API_VERSION}` })) as { properties?: { state?: string } }).properties?.state === "Running" ? true : undefined),
        waiting,
      );
    },
    async figures() {
      return { name: "init duration", values: [], note: "not reported: Azure Functions reports no init duration unless its OpenTelemetry mode is on" };
    },
  };
}

/** An Azure Resource Manager caller with DefaultAzureCredential (@azure/identity, in node_modules). */
export function azureApi(): Api {
  return async (call) => {
    const { DefaultAzureCredential } = await import("@azure/identity");
    const token = await new DefaultAzureCredential().getToken("https://management.azure.com/.default");
    return jsonFetch(call.url, call.method, { authorization: `Bearer ${token.token}`, ...(call.headers ?? {}) }, call.body);
  };
}
