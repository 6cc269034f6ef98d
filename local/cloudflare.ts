/**
 * The local Cloudflare: the real Worker bundles on workerd (Miniflare), D1 and Queues in
 * memory. The HTTP function is served on 127.0.0.1; Queues delivers to the queue function by
 * itself, with the consumer settings `planCloudflare` decides for a deploy (batchSize,
 * max_retries = maxAttempts − 1, the dead-letter queue). Two differences, for promptness and
 * because Miniflare has no knob for them: batches wait at most 1 s to fill (Cloudflare's
 * default is 5 s), and one batch is handled at a time whatever maxConcurrency says. Each
 * schedule function fires at the times its Cron Trigger expression says (the local scheduler,
 * UTC), through the Worker's real `scheduled()` handler as a Cron Trigger invokes it.
 */
import { cloudflareNativeSummary, planCloudflare } from "../components/cloudflare/rules";
import { startMiniflareCloud, workerdStatus, type MiniflareCloud } from "./emulators/miniflare";
import { startLocalSchedule, type LocalSchedule } from "./scheduler";
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
        options.onFunctionLog?.(functionOfLogLine(line), line);
      },
    });
    teardown.add(() => cloud.stop());
    const schedules: Record<string, LocalSchedule> = {};
    for (const fn of plan.scheduled) {
      const name = fn.definition.name;
      const cron = fn.native.schedule.cron;
      const schedule = startLocalSchedule({
        function: name,
        dialect: "unix",
        expression: cron,
        fire: async (scheduledTime) => {
          const result = await cloud.fireScheduled(name, { cron, scheduledTime });
          if (result.outcome !== "ok") throw new Error(`${name}: scheduled() ended with outcome "${result.outcome}"`);
        },
        onError: (error) => log(`${name}: ${error.message}`),
      });
      schedules[name] = schedule;
      teardown.add(async () => schedule.stop());
    }
    const serving = plan.httpFunction ? `; ${plan.httpFunction.definition.name} on ${cloud.url}` : "";
    log(`Cloudflare: workerd + D1 + Queues ready in ${((Date.now() - started) / 1000).toFixed(1)} s${serving}`);
    const workerd = workerdStatus();
    return {
      platform: "cloudflare",
      cloud,
      url: cloud.url,
      nativeSettings: Object.fromEntries(plan.functions.map((fn) => [fn.definition.name, cloudflareNativeSummary(fn)])),
      warnings: plan.warnings,
      schedules,
      description: `Worker bundles on workerd${workerd.ok ? ` ${workerd.version}` : ""} (Miniflare 4) + D1 + Queues, in memory`,
      queueDepth: () => cloud.queueDepth(),
      stop: () => teardown.run(),
    };
  });
}

/**
 * workerd writes every Worker's console output to one stream; parity's functions log one JSON
 * object per line naming the function (functions/core/log.ts). A line that is not such an
 * object (a runtime message, an uncaught exception's trace) is attributed to "workerd".
 */
export function functionOfLogLine(line: string): string {
  const start = line.indexOf("{");
  if (start < 0) return "workerd";
  try {
    const record = JSON.parse(line.slice(start)) as { function?: unknown };
    return typeof record.function === "string" ? record.function : "workerd";
  } catch {
    return "workerd";
  }
}
