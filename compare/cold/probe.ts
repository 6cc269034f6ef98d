/**
 * A cold-start probe on a new connection, split in two: connect (DNS + TCP + TLS) and
 * request → first byte. node:http(s) socket events give the split; the Fetch API does not.
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import { performance } from "node:perf_hooks";
import { COLD_HEADER, INSTANCE_HEADER, INSTANCE_PROBE_HEADER } from "../../functions/core/users-api";
import type { ColdSample, Endpoint } from "../phases";

/** Lambda's invocation id, where the front door passes it on (Function URLs do; API Gateway HTTP APIs send `apigw-requestid` instead). */
export const AWS_REQUEST_ID_HEADER = "x-amzn-requestid";

export interface TimedColdSample extends ColdSample {
  /** DNS + TCP + TLS of the new connection, ms. */
  connectMs?: number;
  /** Request written → first response byte, ms: the instance's start and its first answer. */
  firstByteMs?: number;
  /** The platform's id of this request, where the response carries one. */
  requestId?: string;
  /** When the request was sent (epoch ms): platform figures are matched to it. */
  sentAt: number;
}

/** Reads one unknown user on a fresh connection (expected answer: 404), as `coldProbe` does, with the timing split. */
export function timedColdProbe(endpoint: Endpoint, timeoutMs = 30_000): Promise<TimedColdSample> {
  const url = new URL(`${endpoint.url}/users/${randomUUID()}`);
  const client = url.protocol === "https:" ? https : http;
  const sentAt = Date.now();
  const started = performance.now();
  return new Promise((resolve) => {
    let connectedAt: number | undefined;
    let settled = false;
    const settle = (sample: TimedColdSample) => {
      if (!settled) {
        settled = true;
        resolve(sample);
      }
    };
    // agent: false: a connection of its own, never a pooled one, so the connect time is real.
    const request = client.get(url, { agent: false, headers: { "x-api-key": endpoint.apiKey, [INSTANCE_PROBE_HEADER]: "instance" }, timeout: timeoutMs }, (response) => {
      const firstByteAt = performance.now();
      response.resume();
      response.on("end", () => {
        const header = (name: string) => {
          const value = response.headers[name];
          return Array.isArray(value) ? value[0] : value;
        };
        const cold = header(COLD_HEADER);
        settle({
          ms: performance.now() - started,
          status: response.statusCode ?? 0,
          instance: header(INSTANCE_HEADER),
          ...(cold === undefined ? {} : { cold: cold === "true" }),
          connectMs: connectedAt === undefined ? undefined : connectedAt - started,
          firstByteMs: firstByteAt - (connectedAt ?? started),
          requestId: header(AWS_REQUEST_ID_HEADER),
          sentAt,
        });
      });
    });
    request.on("socket", (socket) => {
      socket.once(url.protocol === "https:" ? "secureConnect" : "connect", () => (connectedAt = performance.now()));
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", () => settle({ ms: performance.now() - started, status: 0, sentAt }));
  });
}
