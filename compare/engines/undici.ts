/** The default engine: the open-loop generator of ../loadgen.ts, unchanged, on this machine. */
import * as path from "node:path";
import { projectRoot } from "../../components/bundle";
import { packageVersion } from "../machine";
import { throughputRamp, warmLatency } from "../phases";
import type { EngineInfo, LoadEngine } from "./engine";

/** What the built-in client runs the queue-delay phase on, whatever the engine. */
export const QUEUE_DELAY_CLIENT = "built-in client on this machine (POST, then poll each user until welcomed)";

export function undiciEngine(): LoadEngine {
  const info: EngineInfo = {
    name: "undici",
    version: packageVersion(path.join(projectRoot, "node_modules", "undici")),
    mode: "local",
    workers: 1,
    region: null,
    latencyMeasures: "from each request's intended send time (open loop: a stall shows as latency, not as fewer requests)",
    cdfFrom: "histogram",
    queueDelay: QUEUE_DELAY_CLIENT,
  };
  return { info, warm: warmLatency, ramp: throughputRamp };
}
