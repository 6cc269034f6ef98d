/**
 * The GCP conformance target: the real bundles served by the Functions Framework, backed by
 * Google's Firestore and Pub/Sub emulators (see `local/gcp.ts`). Published events are read
 * from a pull subscription on the events topic; deliveries are real Pub/Sub push envelopes
 * POSTed to the worker, one message per request as Pub/Sub push sends them.
 */
import type { Message } from "@google-cloud/pubsub";
import type { FunctionName } from "../../components/catalog";
import { planGcp } from "../../components/gcp/rules";
import type { ServedFunction } from "../../local/emulators/functions-framework";
import { freePort } from "../../local/emulators/loopback";
import { fireCloudScheduler, pushEnvelope, serveGcpFunction, serveGcpFunctions, startGcpBackends, type GcpBackends } from "../../local/gcp";
import { reconcilerEnv } from "../../functions/core/reconciler";
import { gcpEnv } from "../../functions/gcp/contract";
import { Teardown } from "../../local/teardown";
import { plannedCatalog, type Overrides } from "../planned";
import type { ConformanceTarget, DeliveredMessage } from "../../conformance/target";

export const TEST_API_KEY = "gcp-conformance-key-0123456789";
export const PROBE_SUBSCRIPTION = "conformance-probe";

/** The catalog on GCP as a deploy plans it, with `overrides` (test/planned.ts). */
export const gcpTestFunctions = (overrides: Overrides = {}) => plannedCatalog("gcp", planGcp, overrides, 30).functions;

export interface GcpTarget extends ConformanceTarget {
  backends: GcpBackends;
  /** Function name → its Functions Framework instance. */
  functions: Record<FunctionName, ServedFunction>;
  /** POSTs one push envelope (or any body) to the worker and returns the response. */
  push(body: unknown, init?: RequestInit): Promise<Response>;
}

export async function startGcpTarget(): Promise<GcpTarget> {
  const teardown = new Teardown();
  const planned = gcpTestFunctions();
  const { backends, functions, probe } = await teardown.guard(async () => {
    const backends = await startGcpBackends({ apiKey: TEST_API_KEY });
    teardown.add(() => backends.stop());
    const functions = (await serveGcpFunctions(backends, Object.values(planned), teardown, undefined, {
      // Grace 0: users the test just created are pending at once.
      envFor: (fn) => (fn === "reconciler" ? { [reconcilerEnv.graceSeconds]: "0" } : undefined),
    })) as Record<FunctionName, ServedFunction>;
    const [probe] = await backends.eventsTopic.createSubscription(PROBE_SUBSCRIPTION, { ackDeadlineSeconds: 10 });
    teardown.add(async () => {
      probe.removeAllListeners("message");
      await probe.close().catch(() => undefined);
    });
    return { backends, functions, probe };
  });
  const received: DeliveredMessage[] = [];
  let notify: (() => void) | undefined;
  probe.on("message", (message: Message) => {
    received.push({ id: message.id, body: message.data.toString("utf8") });
    message.ack();
    notify?.();
  });

  const usersApi = functions["users-api"].url;
  const worker = functions["queue-worker"].url;
  const subscriptionName = `projects/${backends.projectId}/subscriptions/${PROBE_SUBSCRIPTION}`;
  const push = (body: unknown, init: RequestInit = {}) =>
    fetch(worker, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...init,
    });

  return {
    platform: "gcp",
    apiKey: TEST_API_KEY,
    runtimeRejectsMalformedJson:
      "the Functions Framework (what Cloud Functions runs) parses application/json bodies before the function and answers malformed JSON with its own 400",
    backends,
    functions,
    push,
    storeOutageUnbounded:
      "the Firestore client retries an unreachable host past the test's 60 s timeout (measured), and the driver reads no timeout setting (only Pub/Sub's PUBLISH_TIMEOUT_MS)",
    request: (request) => forward(usersApi, request),
    async receivePublished({ atLeast, timeoutMs = 5_000 }) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < atLeast && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, Math.max(0, Math.min(100, deadline - Date.now())));
        });
        notify = undefined;
      }
      return received.splice(0, received.length);
    },
    async deliver(messages) {
      // Pub/Sub push sends each message in its own request, concurrently.
      const statuses = await Promise.all(
        messages.map(async (message) => {
          const envelope = pushEnvelope({ id: message.id, data: Buffer.from(message.body, "utf8") }, subscriptionName, 1);
          const response = await push(envelope);
          await response.arrayBuffer();
          return { id: message.id, ok: response.status >= 200 && response.status < 300 };
        }),
      );
      return { failedIds: statuses.filter((s) => !s.ok).map((s) => s.id) };
    },
    async usersApiWithQueueDown() {
      // Nothing listens on this loopback port: every publish fails (after the publish deadline,
      // shortened so that a create answers at once), as with Pub/Sub unreachable.
      const unreachable = `127.0.0.1:${await freePort()}`;
      const down = await serveGcpFunction(backends, planned["users-api"], {
        env: { PUBSUB_EMULATOR_HOST: unreachable, [gcpEnv.publishTimeoutMs]: "100" },
      });
      return {
        request: (request: Request) => forward(down.url, request),
        logs: () => down.logs().split("\n"),
        close: () => down.stop(),
      };
    },
    async usersApiWithStoreDown() {
      // Firestore's emulator host is a loopback port nothing listens on: every call is refused.
      const unreachable = `127.0.0.1:${await freePort()}`;
      const down = await serveGcpFunction(backends, planned["users-api"], { env: { FIRESTORE_EMULATOR_HOST: unreachable } });
      return {
        request: (request: Request) => forward(down.url, request),
        logs: () => down.logs().split("\n"),
        close: () => down.stop(),
      };
    },
    async runReconciler() {
      await fireCloudScheduler(functions.reconciler.url, planned.reconciler.native.schedule!.jobName, new Date());
    },
    close: () => teardown.run(),
  };
}

/** Sends a web request to a served function at `base`, keeping its path, query, headers and body. */
async function forward(base: string, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
  return fetch(base + url.pathname + url.search, { method: request.method, headers: request.headers, body });
}

/**
 * One target shared by `users` describe blocks of a file (emulators start once, ~4 s):
 * each block gets it from `acquire()` and its `close()` releases it; the last release stops it.
 */
export function sharedGcpTarget(users: number): { acquire(): Promise<GcpTarget> } {
  let started: Promise<GcpTarget> | undefined;
  let remaining = users;
  return {
    acquire() {
      started ??= startGcpTarget();
      return started.then((target) => ({
        ...target,
        close: async () => {
          if (--remaining === 0) await target.close();
        },
      }));
    },
  };
}
