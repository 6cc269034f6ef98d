/**
 * The launcher of each platform, in one static table. Each module loads only when its platform
 * is started, so a local cloud of one platform does not load the other three's SDKs.
 */
import type { Platform } from "../components/catalog";
import type { Launcher } from "./types";

export const launchers: Record<Platform, () => Promise<Launcher>> = {
  aws: async () => (await import("./aws")).launchAws,
  gcp: async () => (await import("./gcp")).launchGcp,
  azure: async () => (await import("./azure")).launchAzure,
  cloudflare: async () => (await import("./cloudflare")).launchCloudflare,
};
