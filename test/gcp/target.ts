/**
 * The GCP conformance target: the real bundles served by the Functions Framework, backed by
 * Google's Firestore and Pub/Sub emulators (see `local/gcp.ts`). Published events are read
 * from a pull subscription on the events topic; deliveries are real Pub/Sub push envelopes
 * POSTed to the worker, one message per request as Pub/Sub push sends them.
 */
import type { Message, Subscription } from "@google-cloud/pubsub";
import { pushEnvelope, startGcpStack, type GcpStack } from "../../local/gcp";
import type { ConformanceTarget, DeliveredMessage } from "../../conformance/target";

export const TEST_API_KEY = "gcp-conformance-key-0123456789";
export const PROBE_SUBSCRIPTION = "conformance-probe";

export interface GcpTarget extends ConformanceTarget {
  stack: GcpStack;
  /** POSTs one push envelope (or any body) to the worker and returns the response. */
  push(body: unknown, init?: RequestInit): Promise<Response>;
}

export async function startGcpTarget(): Promise<GcpTarget> {
  const stack = await startGcpStack({ apiKey: TEST_API_KEY });
  let probe: Subscription | undefined;
  try {
    [probe] = await stack.eventsTopic.createSubscription(PROBE_SUBSCRIPTION, { ackDeadlineSeconds: 10 });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  const received: DeliveredMessage[] = [];
  let notify: (() => void) | undefined;
  probe.on("message", (message: Message) => {
    received.push({ id: message.id, body: message.data.toString("utf8") });
    message.ack();
    notify?.();
  });

  const usersApi = stack.functions["users-api"].url;
  const worker = stack.functions["queue-worker"].url;
  const subscriptionName = `projects/${stack.projectId}/subscriptions/${PROBE_SUBSCRIPTION}`;
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
    stack,
    push,
    async request(request) {
      const url = new URL(request.url);
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      return fetch(usersApi + url.pathname + url.search, { method: request.method, headers: request.headers, body });
    },
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
    async close() {
      probe!.removeAllListeners("message");
      await probe!.close().catch(() => undefined);
      await stack.stop();
    },
  };
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
