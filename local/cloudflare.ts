/**
 * The local Cloudflare: the real Worker bundles on workerd (Miniflare), D1 and Queues in
 * memory. The HTTP function is served on 127.0.0.1; Queues delivers to the queue function by
 * itself, with the consumer settings `planCloudflare` decides for a deploy (batchSize,
 * max_retries = maxAttempts − 1, the dead-letter queue). Two differences, for promptness and
 * because Miniflare has no knob for them: batches wait at most 1 s to fill (Cloudflare's
 * default is 5 s), and one batch is handled at a time whatever maxConcurrency says.
 */
import { cloudflareNativeSummary, planCloudflare } from "../components/cloudflare/rules";
import { startMiniflareCloud, workerdStatus, type MiniflareCloud } from "./emulators/miniflare";
import { Teardown } from "./teardown";
import type { Launcher, LaunchOptions, LocalPlatform } from "./types";

/** The local Cloudflare, with its Miniflare reachable for tests and tools. */
export interface CloudflareLocalPlatform extends LocalPlatform {
  cloud: MiniflareCloud;
}

export const launchCloudflare: Launcher = (options) => startCloudflareLocal(options);

export async function startCloudflareLocal(options: LaunchOptions): Promise<CloudflareLocalPlatform> {
  const log = options.log ?? (() => {});
  const plan = planCloudflare({ name: "parity-local", functions: options.functions, logRetentionDays: 7, protectData: false });
  const bundles = new Map(options.functions.map((fn) => [fn.definition.name, fn.bundle]));
  const teardown = new Teardown();
  return teardown.guard(async () => {
    const started = Date.now();
    const cloud = await startMiniflareCloud({
      functions: plan.functions.map((fn) => ({ ...fn, bundle: bundles.get(fn.definition.name)! })),
      apiKey: options.apiKey,
      delivery: "deliver",
      onLog: (line) => {
        if (/"level":"error"/.test(line)) log(line);
      },
    });
    teardown.add(() => cloud.stop());
    const serving = plan.httpFunction ? `; ${plan.httpFunction.definition.name} on ${cloud.url}` : "";
    log(`Cloudflare: workerd + D1 + Queues ready in ${((Date.now() - started) / 1000).toFixed(1)} s${serving}`);
    const workerd = workerdStatus();
    return {
      platform: "cloudflare",
      cloud,
      url: cloud.url,
      nativeSettings: Object.fromEntries(plan.functions.map((fn) => [fn.definition.name, cloudflareNativeSummary(fn)])),
      warnings: plan.warnings,
      description: `Worker bundles on workerd${workerd.ok ? ` ${workerd.version}` : ""} (Miniflare 4) + D1 + Queues, in memory`,
      queueDepth: () => cloud.queueDepth(),
      stop: () => teardown.run(),
    };
  });
}
