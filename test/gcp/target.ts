/**
 * The GCP conformance target: the real bundles served by the Functions Framework, backed by
 * Google's Firestore and Pub/Sub emulators (see `local/gcp.ts`). Published events are read
 * from a pull subscription on the events topic; deliveries are real Pub/Sub push envelopes
 * POSTed to the worker, one message per request as Pub/Sub push sends them.
 */
import { Firestore } from "@google-cloud/firestore";
import type { Message } from "@google-cloud/pubsub";
import type { FunctionName } from "../../components/catalog";
import { planGcp } from "../../components/gcp/rules";
import type { ServedFunction } from "../../local/emulators/functions-framework";
import { freePort } from "../../local/emulators/loopback";
import { fireCloudScheduler, pushEnvelope, serveGcpFunction, serveGcpFunctions, startGcpBackends, type GcpBackends } from "../../local/gcp";
import { reconcilerEnv } from "../../functions/core/reconciler";
import { gcpEnv } from "../../functions/gcp/contract";
import { EMAILS_COLLECTION, emailDocumentId, USERS_COLLECTION } from "../../functions/gcp/firestore-store";
import { startDelayingProxy } from "../../local/fault-proxy";
import { Teardown } from "../../local/teardown";
import { plannedCatalog, type Overrides } from "../planned";
import type { ConformanceTarget, DeliveredMessage } from "../../conformance/target";

export const TEST_API_KEY = "gcp-conformance-key-0123456789";
export const PROBE_SUBSCRIPTION = "conformance-probe";
/** How long the slow-store proxy holds each byte: longer than the slow copy's 1 s timeout. */
export const SLOW_STORE_DELAY_MS = 1_500;
/** The store deadline of the store-down copy: well inside the suite's 3 s bound for a fault's 500. */
export const STORE_DOWN_TIMEOUT_MS = 500;

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
    backends,
    functions,
    push,
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
      // Firestore's emulator host is a loopback port nothing listens on: every call is refused, and
      // the client retries it until the store deadline, shortened (from 40 % of the
      // function's timeout) so that the case answers at once.
      const unreachable = `127.0.0.1:${await freePort()}`;
      const down = await serveGcpFunction(backends, planned["users-api"], {
        env: { FIRESTORE_EMULATOR_HOST: unreachable, [gcpEnv.storeTimeoutMs]: String(STORE_DOWN_TIMEOUT_MS) },
      });
      return {
        request: (request: Request) => forward(down.url, request),
        logs: () => down.logs().split("\n"),
        close: () => down.stop(),
      };
    },
    async usersApiWithEmptyApiKey() {
      // Cloud Functions resolves the secret version into API_KEY when the instance starts. Secret
      // Manager refuses an empty version ("Field [payload] is required":
      // https://github.com/hashicorp/terraform-provider-google/issues/10475), so an empty variable
      // is a misconfiguration the adapter must refuse, played here as the component would set it.
      const empty = await serveGcpFunction(backends, planned["users-api"], { env: { [gcpEnv.apiKey]: "" } });
      return {
        request: (request: Request) => forward(empty.url, request),
        logs: () => empty.logs().split("\n"),
        secretName: gcpEnv.apiKey,
        close: () => empty.stop(),
      };
    },
    async usersApiWithSlowStore() {
      // Firestore behind a proxy that holds each byte longer than this copy's 1 s timeout. The copy
      // is planned with that timeout, so the plan's STORE_TIMEOUT_MS (40 % of it) reaches the
      // function as a deploy sets it, and the store deadline answers before Cloud Run's 504. The
      // Functions Framework enforces no timeout itself; the case asserts the answer comes first.
      const timeoutSeconds = 1;
      const proxy = await startDelayingProxy({ host: "127.0.0.1", port: backends.firestore.port }, SLOW_STORE_DELAY_MS);
      const slow = await serveGcpFunction(backends, gcpTestFunctions({ "users-api": { timeoutSeconds } })["users-api"], {
        env: { FIRESTORE_EMULATOR_HOST: proxy.host },
      });
      // A warm instance: one read first loads the Firestore client (not part of the deadline, but
      // of the timeout), so the case measures the store deadline, not a cold start on a loaded machine.
      await (await forward(slow.url, new Request("http://parity.test/users/00000000-0000-4000-8000-000000000000", { headers: { "x-api-key": TEST_API_KEY } }))).arrayBuffer();
      // The universe domain given, the auth library does not probe for a metadata server first
      // (google-gax ClientOptions.universeDomain; the probe cost 3 s of this case's first read).
      const reader = new Firestore({ projectId: backends.projectId, host: backends.firestore.host, ssl: false, universeDomain: "googleapis.com" });
      return {
        request: (request: Request) => forward(slow.url, request),
        timeoutMs: timeoutSeconds * 1000,
        timeoutAnswer: {
          status: 500,
          code: "internal_error",
          source:
            "parity's store deadline (STORE_TIMEOUT_MS, 40 % of the timeout) answers before Cloud Functions' 504 at the timeout (https://cloud.google.com/functions/docs/configuring/timeout)",
        },
        storeCaughtUp: () => proxy.drained(),
        async recordsFor(email: string) {
          const [users, claim] = await Promise.all([
            reader.collection(USERS_COLLECTION).where("email", "==", email).get(),
            reader.collection(EMAILS_COLLECTION).doc(emailDocumentId(email)).get(),
          ]);
          return { users: users.size, claims: claim.exists ? 1 : 0 };
        },
        async close() {
          await slow.stop();
          await proxy.close();
          await reader.terminate();
        },
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
