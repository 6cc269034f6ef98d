/**
 * AWS Lambda: a fresh execution environment by changing an environment variable
 * (UpdateFunctionConfiguration), then waiting until `LastUpdateStatus` is `Successful`
 * (the `function-updated` waiter's rule: https://docs.aws.amazon.com/cli/latest/reference/lambda/wait/function-updated.html).
 * Platform figure: `Init Duration` of the REPORT line of the cold request, read from CloudWatch
 * Logs (FilterLogEvents, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html),
 * matched by request id where the response carries one (Function URLs: `x-amzn-RequestId`),
 * else the first REPORT with an Init Duration after the sample was sent (an HTTP API sends its
 * own `apigw-requestid`). Text logs: `REPORT RequestId: … Init Duration: 265.72 ms`; JSON logs:
 * `platform.report` with `record.metrics.initDurationMs` (https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html#platform-report).
 */
import { createHash, createHmac } from "node:crypto";
import { defaultWaiting, FORCE_VARIABLE, waitFor, type Api, type ColdForcer, type PlatformFigure, type Waiting } from "./force";

export const AWS_PERMISSIONS = "lambda:GetFunctionConfiguration and lambda:UpdateFunctionConfiguration on the users-api function; logs:FilterLogEvents on /aws/lambda/<function>";

interface FunctionConfiguration {
  LastUpdateStatus?: "Successful" | "Failed" | "InProgress";
  LastUpdateStatusReason?: string;
  Environment?: { Variables?: Record<string, string> };
}

export function awsColdForcer(options: { functionName: string; region: string; lambda: Api; logs: Api; waiting?: Waiting; now?: () => number }): ColdForcer {
  const { functionName, region, lambda, logs } = options;
  const waiting = options.waiting ?? defaultWaiting;
  const now = options.now ?? Date.now;
  const configurationUrl = `https://lambda.${region}.amazonaws.com/2015-03-31/functions/${encodeURIComponent(functionName)}/configuration`;
  return {
    method: `environment variable ${FORCE_VARIABLE} changed (UpdateFunctionConfiguration), then waited for LastUpdateStatus Successful`,
    forceable: true,
    permissions: AWS_PERMISSIONS,
    async force() {
      const current = (await lambda({ method: "GET", url: configurationUrl })) as FunctionConfiguration;
      // Every variable is sent back: UpdateFunctionConfiguration replaces the whole set.
      const variables = { ...(current.Environment?.Variables ?? {}), [FORCE_VARIABLE]: String(now()) };
      await lambda({ method: "PUT", url: configurationUrl, body: { Environment: { Variables: variables } } });
      await waitFor(
        `${functionName}: LastUpdateStatus`,
        async () => {
          const config = (await lambda({ method: "GET", url: configurationUrl })) as FunctionConfiguration;
          if (config.LastUpdateStatus === "Failed") throw new Error(`${functionName}: update failed: ${config.LastUpdateStatusReason ?? "no reason given"}`);
          return config.LastUpdateStatus === "Successful" ? true : undefined;
        },
        waiting,
      );
    },
    async figures(samples) {
      const values: number[] = [];
      let byTime = 0;
      for (const sample of samples) {
        const events = await filterLogEvents(logs, region, `/aws/lambda/${functionName}`, sample.requestId, sample.sentAt);
        const report = pickReport(events, sample.requestId);
        if (report === undefined) continue;
        if (!sample.requestId) byTime++;
        values.push(report);
      }
      return {
        name: "Init Duration (REPORT line, CloudWatch Logs)",
        values,
        note:
          `${values.length} of ${samples.length} samples matched` +
          (byTime ? `; ${byTime} by time (first init after the request was sent: the response carried no Lambda request id)` : " by request id"),
      } satisfies PlatformFigure;
    },
  };
}

interface LogEvent {
  message: string;
  timestamp: number;
}

async function filterLogEvents(logs: Api, region: string, logGroupName: string, requestId: string | undefined, since: number): Promise<LogEvent[]> {
  const response = (await logs({
    method: "POST",
    url: `https://logs.${region}.amazonaws.com/`,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.FilterLogEvents" },
    // A quoted term matches that exact phrase; `?` terms match either (text or JSON REPORT lines).
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
    body: { logGroupName, startTime: since - 1_000, filterPattern: requestId ? `"${requestId}"` : '?"Init Duration" ?"initDurationMs"', limit: 50 },
  })) as { events?: LogEvent[] };
  return response.events ?? [];
}

/** The Init Duration of the REPORT line for `requestId`, or of the first REPORT that has one. */
export function pickReport(events: LogEvent[], requestId: string | undefined): number | undefined {
  for (const event of [...events].sort((a, b) => a.timestamp - b.timestamp)) {
    const parsed = parseReport(event.message);
    if (!parsed || parsed.initMs === undefined) continue;
    if (requestId === undefined || parsed.requestId === requestId) return parsed.initMs;
  }
  return undefined;
}

/** One REPORT log line, text or JSON format; undefined for any other line. */
export function parseReport(message: string): { requestId: string; initMs?: number } | undefined {
  const text = /^REPORT RequestId: ([\w-]+)/.exec(message);
  if (text) {
    const init = /Init Duration: ([\d.]+) ms/.exec(message);
    return { requestId: text[1], initMs: init ? Number(init[1]) : undefined };
  }
  if (!message.trimStart().startsWith("{")) return undefined;
  try {
    const json = JSON.parse(message) as { type?: string; record?: { requestId?: string; metrics?: { initDurationMs?: number } } };
    if (json.type !== "platform.report" || !json.record?.requestId) return undefined;
    return { requestId: json.record.requestId, initMs: json.record.metrics?.initDurationMs };
  } catch {
    return undefined;
  }
}

/**
 * A signed AWS REST caller: Signature Version 4 with the default credential chain
 * (environment, shared config, SSO, instance role), from the SDK packages in node_modules.
 */
export function awsApi(region: string, service: "lambda" | "logs"): Api {
  return async (call) => {
    // Loaded on use: only --force-cold on AWS needs them.
    const { SignatureV4 } = await import("@smithy/signature-v4");
    const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
    const url = new URL(call.url);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const signer = new SignatureV4({ credentials: defaultProvider(), region, service, sha256: NodeSha256 });
    const signed = await signer.sign({
      method: call.method,
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.hostname, ...(call.headers ?? {}), ...(body ? { "content-type": call.headers?.["content-type"] ?? "application/json" } : {}) },
      body,
    });
    const response = await fetch(call.url, { method: call.method, headers: signed.headers, body, signal: AbortSignal.timeout(30_000) });
    const json = (await response.json().catch(() => ({}))) as { message?: string; Message?: string };
    if (!response.ok) throw new Error(`${service} ${call.method} ${url.pathname}: HTTP ${response.status} ${json.message ?? json.Message ?? ""}`.trim());
    return json;
  };
}

/** SHA-256 (and HMAC) for the signer, from node:crypto. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac("sha256", bytes(secret)) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error("not reusable");
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}
