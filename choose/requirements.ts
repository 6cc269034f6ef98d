/**
 * A team's requirements for `npm run choose`: what the functions must be allowed to do, how
 * fast and how cheap. Read from YAML and validated like the stack config: every problem is
 * reported at once, naming the key and what is allowed.
 */
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { platforms, type Platform } from "../components/catalog";
import { trafficShapes, type TrafficShape } from "../compare/traffic";

export interface QueueRequirements {
  /** Deliveries of one message before it is dead-lettered. */
  maxAttempts?: number;
  /** Messages per invocation of the queue worker. */
  batchSize?: number;
}

/** What to rank the platforms that fit by; each weight ≥ 0. */
export interface Weights {
  cost: number;
  latency: number;
  coldStart: number;
}

export interface Requirements {
  /** HTTP requests per month, for the cost. */
  monthlyRequests?: number;
  /** When in the month they come (compare/cost.ts trafficSegments). @default "steady" */
  traffic?: TrafficShape;
  /** Highest HTTP request rate, requests per second; with a duration it gives the concurrency needed. */
  peakRequestsPerSecond?: number;
  /** Warm HTTP latency, 99th percentile, ms (measured by `npm run compare`). */
  p99LatencyMs?: number;
  /** Cold start, median, ms (measured by `npm run compare`). */
  coldStartMs?: number;
  /** The longest HTTP request a function must be allowed to run, seconds. */
  maxRequestSeconds?: number;
  /** Memory per instance, MB. */
  memoryMb?: number;
  /** Per platform, the regions the functions must run in (names as the platform spells them). */
  regions?: Partial<Record<Platform, string[]>>;
  /** Highest acceptable cost of the HTTP function and its front, USD per month. */
  budgetUsdPerMonth?: number;
  queue?: QueueRequirements;
  /** Minutes between runs of the scheduled function (the reconciler). */
  scheduleEveryMinutes?: number;
  weights: Weights;
}

/** Ranking weights when the file gives none: each criterion counts the same. */
export const defaultWeights: Weights = { cost: 1, latency: 1, coldStart: 1 };

export const requirementKeys = [
  "monthlyRequests",
  "traffic",
  "peakRequestsPerSecond",
  "p99LatencyMs",
  "coldStartMs",
  "maxRequestSeconds",
  "memoryMb",
  "regions",
  "budgetUsdPerMonth",
  "queue",
  "scheduleEveryMinutes",
  "weights",
] as const;
export const queueKeys = ["maxAttempts", "batchSize"] as const;
export const weightKeys = ["cost", "latency", "coldStart"] as const;

export class RequirementsError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid requirements in ${file}:\n` + problems.map((problem) => `  - ${problem}`).join("\n"));
    this.name = "RequirementsError";
  }
}

/** Reads and validates a requirements file; throws {@link RequirementsError} listing every problem. */
export function readRequirements(file: string): Requirements {
  if (!fs.existsSync(file)) throw new RequirementsError(file, [`no such file; copy requirements.example.yaml and edit it`]);
  let document: unknown;
  try {
    document = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new RequirementsError(file, [`not valid YAML: ${(error as Error).message.split("\n")[0]}`]);
  }
  return parseRequirements(document, file);
}

/** Validates parsed requirements (YAML or JSON values); `origin` names them in messages. */
export function parseRequirements(raw: unknown, origin = "requirements"): Requirements {
  const problems: string[] = [];
  const problem = (key: string, message: string) => problems.push(`${key}: ${message}`);
  if (!isRecord(raw)) {
    throw new RequirementsError(origin, [`the file must be a map of requirements; allowed keys: ${requirementKeys.join(", ")}`]);
  }
  for (const key of Object.keys(raw)) {
    if (!(requirementKeys as readonly string[]).includes(key)) problem(key, `unknown key; allowed keys: ${requirementKeys.join(", ")}`);
  }

  const integer = (key: string, value: unknown, min: number): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      problem(key, `${JSON.stringify(value)} is not allowed; allowed: an integer ≥ ${min}`);
      return undefined;
    }
    return value;
  };
  const positive = (key: string, value: unknown, allowZero = false): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      problem(key, `${JSON.stringify(value)} is not allowed; allowed: a number ${allowZero ? "≥ 0" : "> 0"}`);
      return undefined;
    }
    return value;
  };

  const requirements: Requirements = { weights: { ...defaultWeights } };
  const set = <K extends keyof Requirements>(key: K, value: Requirements[K] | undefined) => {
    if (value !== undefined) requirements[key] = value;
  };
  set("monthlyRequests", integer("monthlyRequests", raw.monthlyRequests, 0));
  set("peakRequestsPerSecond", positive("peakRequestsPerSecond", raw.peakRequestsPerSecond));
  set("p99LatencyMs", positive("p99LatencyMs", raw.p99LatencyMs));
  set("coldStartMs", positive("coldStartMs", raw.coldStartMs));
  set("maxRequestSeconds", positive("maxRequestSeconds", raw.maxRequestSeconds));
  set("memoryMb", integer("memoryMb", raw.memoryMb, 1));
  set("budgetUsdPerMonth", positive("budgetUsdPerMonth", raw.budgetUsdPerMonth, true));
  set("scheduleEveryMinutes", integer("scheduleEveryMinutes", raw.scheduleEveryMinutes, 1));
  if (raw.traffic !== undefined) {
    if ((trafficShapes as readonly unknown[]).includes(raw.traffic)) requirements.traffic = raw.traffic as TrafficShape;
    else problem("traffic", `${JSON.stringify(raw.traffic)} is not allowed; allowed values: ${trafficShapes.join(", ")}`);
  }
  if (requirements.budgetUsdPerMonth !== undefined && raw.monthlyRequests === undefined) {
    problem("budgetUsdPerMonth", "needs monthlyRequests: the cost is estimated at that volume");
  }

  if (raw.regions !== undefined) {
    if (!isRecord(raw.regions)) {
      problem("regions", `must be a map of platform → list of region names, e.g. { aws: [eu-west-1] }; allowed platforms: ${platforms.join(", ")}`);
    } else {
      const regions: Partial<Record<Platform, string[]>> = {};
      for (const [platform, names] of Object.entries(raw.regions)) {
        if (!(platforms as readonly string[]).includes(platform)) {
          problem(`regions.${platform}`, `unknown platform; allowed values: ${platforms.join(", ")}`);
        } else if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string" && n.trim() !== "")) {
          problem(`regions.${platform}`, "must be a non-empty list of region names, e.g. [eu-west-1]");
        } else {
          regions[platform as Platform] = names as string[];
        }
      }
      requirements.regions = regions;
    }
  }

  if (raw.queue !== undefined) {
    if (!isRecord(raw.queue)) {
      problem("queue", `must be a map; allowed keys: ${queueKeys.join(", ")}`);
    } else {
      for (const key of Object.keys(raw.queue)) {
        if (!(queueKeys as readonly string[]).includes(key)) problem(`queue.${key}`, `unknown key; allowed keys: ${queueKeys.join(", ")}`);
      }
      const queue: QueueRequirements = {};
      const maxAttempts = integer("queue.maxAttempts", raw.queue.maxAttempts, 1);
      const batchSize = integer("queue.batchSize", raw.queue.batchSize, 1);
      if (maxAttempts !== undefined) queue.maxAttempts = maxAttempts;
      if (batchSize !== undefined) queue.batchSize = batchSize;
      requirements.queue = queue;
    }
  }

  if (raw.weights !== undefined) {
    if (!isRecord(raw.weights)) {
      problem("weights", `must be a map; allowed keys: ${weightKeys.join(", ")}`);
    } else {
      for (const key of Object.keys(raw.weights)) {
        if (!(weightKeys as readonly string[]).includes(key)) problem(`weights.${key}`, `unknown key; allowed keys: ${weightKeys.join(", ")}`);
      }
      // Weights not given count 0 once any is given: the file says what matters.
      const weights: Weights = { cost: 0, latency: 0, coldStart: 0 };
      for (const key of weightKeys) {
        const value = positive(`weights.${key}`, raw.weights[key], true);
        if (value !== undefined) weights[key] = value;
      }
      if (weightKeys.every((key) => weights[key] === 0)) {
        problem("weights", `at least one of ${weightKeys.join(", ")} must be > 0`);
      }
      requirements.weights = weights;
    }
  }

  if (problems.length > 0) throw new RequirementsError(origin, problems);
  return requirements;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
