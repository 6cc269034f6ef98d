/**
 * The chaos phase of `npm run reliability` on the local cloud: each platform's conformance target
 * (test/<platform>/target.ts), the one place where a platform's real worker entry point is driven
 * with its native delivery shape (an SQS batch, Pub/Sub push envelopes, a Storage queue entry,
 * a Workers queue batch). The local cloud of `npm start` delivers its queues by itself, so it
 * cannot replay a message 2–3 times on demand. Loaded only when the phase runs.
 */
import type { Platform } from "../components/catalog";
import type { ConformanceTarget } from "../conformance/target";

export async function startChaosTarget(platform: Platform): Promise<ConformanceTarget> {
  switch (platform) {
    case "aws":
      return (await import("../test/aws/target")).startAwsTarget();
    case "gcp":
      return (await import("../test/gcp/target")).startGcpTarget();
    case "azure":
      return (await import("../test/azure/target")).startAzureTarget();
    case "cloudflare":
      return (await import("../test/cloudflare/target")).startCloudflareTarget();
  }
}
