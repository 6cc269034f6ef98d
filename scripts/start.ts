/**
 * `npm start`: the local cloud. Every enabled platform's real bundle on its local runtime
 * and emulators, side by side on loopback, until Ctrl-C.
 *
 *   npm start                              # stack dev, all its platforms
 *   npm start -- --platforms aws,cloudflare --stack prod
 */
import { parseArgs } from "node:util";
import { allowedEveryMinutes, isAllowedEveryMinutes } from "../components/schedule";
import { endpointTable, parsePlatformList } from "../local/cloud";
import { startLocalCloudProcess, type LocalCloudProcess } from "../local/cloud-process";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "dev" },
      platforms: { type: "string" },
      "api-key": { type: "string" },
      "reconcile-every": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("usage: npm start -- [--stack dev] [--platforms aws,gcp,azure,cloudflare] [--api-key <key>] [--reconcile-every <minutes>]");
    return;
  }
  const reconcileEvery = values["reconcile-every"] === undefined ? undefined : Number(values["reconcile-every"]);
  if (reconcileEvery !== undefined && !isAllowedEveryMinutes(reconcileEvery)) {
    throw new Error(`--reconcile-every ${values["reconcile-every"]}: allowed: ${allowedEveryMinutes.join(", ")} (minutes that divide an hour, or hours that divide a day)`);
  }
  let cloud: LocalCloudProcess | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping every platform…`);
    await cloud?.stop();
    process.exit(0);
  };
  // Registered before starting so Ctrl-C during start-up still stops what did start.
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  const started = Date.now();
  // The platforms run in a child process that stops them all when told to, or when this
  // process goes away.
  cloud = await startLocalCloudProcess({
    stack: values.stack,
    platforms: values.platforms ? parsePlatformList(values.platforms) : undefined,
    apiKey: values["api-key"],
    scheduleEveryMinutes: reconcileEvery,
    functionLogs: true,
    log: (line) => console.error(line),
  });
  if (stopping) return void (await cloud.stop());
  console.log(`\n${endpointTable({ ...cloud, stack: values.stack! })}\n`);
  console.error(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s; Ctrl-C stops every child process`);
  if (cloud.running.length === 0) {
    console.error("no platform could start locally");
    process.exit(1);
  }
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
