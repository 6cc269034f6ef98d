/**
 * Cloudflare Workers: not forceable. There is no API to evict a Worker's isolates, and
 * Workers start the isolate while the TLS handshake is under way, so a "cold" request
 * mostly hides its start (https://blog.cloudflare.com/eliminating-cold-starts-with-cloudflare-workers/,
 * and since 2025 routes a Worker's requests to servers that already run it:
 * https://blog.cloudflare.com/eliminating-cold-starts-2-shard-and-conquer/); parity says so instead of faking a cold sample.
 * Platform figure: the script's startup time measured by Cloudflare at upload
 * (`startup_time_ms` in the upload response, schema `workers_script-response-upload` of the Cloudflare
 * API; the Pulumi WorkersScript resource keeps it as the output `startupTimeMs`),
 * read from the stack's state (`pulumi stack export`).
 */
import type { ColdForcer } from "./force";

export const CLOUDFLARE_NOT_FORCEABLE = "not forceable: Cloudflare offers no way to evict a Worker's isolates (and starts them during the TLS handshake); only the first request of the run is sampled";

export function cloudflareColdForcer(startupTimeMs: number | undefined): ColdForcer {
  return {
    method: "not forced",
    forceable: false,
    reason: CLOUDFLARE_NOT_FORCEABLE,
    permissions: "none (the startup time is read from the stack's state through the Pulumi CLI)",
    async force() {
      throw new Error(CLOUDFLARE_NOT_FORCEABLE);
    },
    async figures() {
      return startupTimeMs === undefined
        ? { name: "startup time at deploy", values: [], note: "not available: no WorkersScript with startupTimeMs in the stack's state (or no Pulumi CLI)" }
        : { name: "startup time at deploy (startup_time_ms)", values: [startupTimeMs], note: "measured once by Cloudflare when the script was uploaded, not per request" };
    },
  };
}

/** The `startupTimeMs` of the WorkersScript named `scriptName` in a `pulumi stack export` document. */
export function startupTimeFromStackExport(exported: unknown, scriptName: string): number | undefined {
  const resources = (exported as { deployment?: { resources?: { type?: string; outputs?: Record<string, unknown> }[] } })?.deployment?.resources ?? [];
  for (const resource of resources) {
    if (resource.type !== "cloudflare:index/workersScript:WorkersScript") continue;
    if (resource.outputs?.scriptName !== scriptName) continue;
    const value = resource.outputs?.startupTimeMs;
    return typeof value === "number" ? value : undefined;
  }
  return undefined;
}
