/**
 * What the experiment measures: one endpoint per platform. They come from the local cloud
 * (default), a deployed stack (`pulumi stack output --json`), or an endpoints file for a
 * machine without the Pulumi CLI.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { promisify } from "node:util";
import { platforms, type Platform } from "../components/catalog";

/** One platform's deployed endpoint, as the stack outputs describe it. */
export interface DeployedEndpoint {
  platform: Platform;
  /** Base URL of users-api. */
  url: string;
  queue?: string;
  deadLetter?: string;
  /** Function name → native name. */
  functions?: Record<string, string>;
}

/**
 * Parses the stack outputs `index.ts` exports (`endpoints`, `queues`, `functions`, each
 * keyed by platform). Platforms without an endpoint are left out.
 */
export function parseStackOutputs(raw: unknown, origin = "stack outputs"): DeployedEndpoint[] {
  const fail = (message: string): never => {
    throw new Error(`${origin}: ${message}`);
  };
  if (!isRecord(raw)) fail("expected a JSON object with an `endpoints` map (platform → URL)");
  const outputs = raw as Record<string, unknown>;
  if (!isRecord(outputs.endpoints)) fail("`endpoints` is missing; expected { endpoints: { <platform>: <url> } }");
  const endpoints = outputs.endpoints as Record<string, unknown>;
  const queues = isRecord(outputs.queues) ? outputs.queues : {};
  const functions = isRecord(outputs.functions) ? outputs.functions : {};
  const result: DeployedEndpoint[] = [];
  for (const [platform, url] of Object.entries(endpoints)) {
    if (!(platforms as readonly string[]).includes(platform)) fail(`unknown platform "${platform}"; allowed: ${platforms.join(", ")}`);
    if (url === null || url === undefined || url === "") continue;
    if (typeof url !== "string") fail(`endpoints.${platform} must be a URL string`);
    let parsed: URL;
    try {
      parsed = new URL(url as string);
    } catch {
      return fail(`endpoints.${platform} is not a URL: ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") fail(`endpoints.${platform} must be http(s), got ${parsed.protocol}`);
    const queue = isRecord(queues[platform]) ? (queues[platform] as Record<string, unknown>) : {};
    const names = isRecord(functions[platform]) ? (functions[platform] as Record<string, unknown>) : undefined;
    result.push({
      platform: platform as Platform,
      url: (url as string).replace(/\/+$/, ""),
      queue: typeof queue.queue === "string" ? queue.queue : undefined,
      deadLetter: typeof queue.deadLetter === "string" ? queue.deadLetter : undefined,
      functions: names ? Object.fromEntries(Object.entries(names).filter(([, v]) => typeof v === "string")) as Record<string, string> : undefined,
    });
  }
  if (result.length === 0) fail("no platform has an endpoint");
  return result;
}

/**
 * An endpoints file: the JSON `pulumi stack output --json` prints, plus optionally
 * `apiKey` (else `PARITY_API_KEY` or `--api-key`) and `stack` (whose `Pulumi.<stack>.yaml`
 * gives memory for the cost estimate).
 */
export interface EndpointsFile {
  endpoints: DeployedEndpoint[];
  apiKey?: string;
  stack?: string;
}

export function parseEndpointsFile(text: string, origin: string): EndpointsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${origin}: not valid JSON (${(error as Error).message})`);
  }
  const endpoints = parseStackOutputs(raw, origin);
  const record = raw as Record<string, unknown>;
  if (record.apiKey !== undefined && typeof record.apiKey !== "string") throw new Error(`${origin}: apiKey must be a string`);
  if (record.stack !== undefined && typeof record.stack !== "string") throw new Error(`${origin}: stack must be a string`);
  return { endpoints, apiKey: record.apiKey as string | undefined, stack: record.stack as string | undefined };
}

export function readEndpointsFile(file: string): EndpointsFile {
  return parseEndpointsFile(fs.readFileSync(file, "utf8"), file);
}

const run = promisify(execFile);

/** Reads a deployed stack through the Pulumi CLI: its outputs and its API key. */
export async function readDeployedStack(stack: string): Promise<{ endpoints: DeployedEndpoint[]; apiKey: string }> {
  const pulumi = async (args: string[]) => {
    try {
      return (await run("pulumi", args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === "ENOENT") {
        throw new Error("the Pulumi CLI is not installed; use --endpoints endpoints.json (see README: comparing deployed stacks)");
      }
      throw new Error(`pulumi ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
    }
  };
  const outputs = JSON.parse(await pulumi(["stack", "output", "--json", "--stack", stack]));
  const apiKey = (await pulumi(["config", "get", "parity:apiKey", "--stack", stack])).trim();
  return { endpoints: parseStackOutputs(outputs, `pulumi stack output --stack ${stack}`), apiKey };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
