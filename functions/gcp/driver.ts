/**
 * The generic Cloud Functions (2nd gen) driver: adapts a portable handler (functions/handler.ts)
 * to an HTTP function registered with the Functions Framework under the function's entry point
 * (`entryPointName`, the component's `entryPoint`), one adapter per trigger kind:
 * - http: the request and response converted to web-standard ones (./http.ts);
 * - queue: a Pub/Sub push subscription, one message per request (./push.ts), authenticated with
 *   an OIDC token the platform checks before the function runs: only the push identity may invoke it;
 * - schedule: a private HTTP function that a Cloud Scheduler job POSTs to with an OIDC token of the
 *   scheduler's own service account. Cloud Scheduler marks its requests with `X-CloudScheduler: true`,
 *   the job name and the scheduled time
 *   (https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#HttpTarget, headers).
 */
import { http as register, type HttpFunction, type Request as FrameworkRequest, type Response as FrameworkResponse } from "@google-cloud/functions-framework";
import { createLogger } from "../core";
import { fetchHandlerOf, handlerContext, outcomesInOrder, queueHandlerOf, scheduleHandlerOf, type HandlerContext } from "../handler";
import { entryPointName } from "./contract";
import { requestIdOf, sendWebResponse, toWebRequest } from "./http";
import { answerFor, parsePushEnvelope } from "./push";
import { keepRequestBodiesUnread } from "./unread-bodies";

const contextOf = (name: string, requestId: string | undefined): HandlerContext => handlerContext("gcp", name, process.env, requestId);

/** Pub/Sub push and Cloud Scheduler only POST; anything else is answered 405 here and the handler never runs. */
function isPost(req: FrameworkRequest, res: FrameworkResponse, sender: string): boolean {
  if (req.method === "POST") return true;
  res.status(405).set("allow", "POST").json({ error: `${sender} with POST` });
  return false;
}

function registered(name: string, handler: HttpFunction): HttpFunction {
  register(entryPointName(name), handler);
  return handler;
}

/**
 * The body reaches the handler unread (./unread-bodies.ts); the request id is the core's own, not
 * a header the caller chose (./http.ts requestIdOf).
 */
export function http(name: string, exported: unknown): HttpFunction {
  const app = fetchHandlerOf(name, exported);
  keepRequestBodiesUnread();
  return registered(name, async (req, res) => {
    await sendWebResponse(await app.fetch(toWebRequest(req), contextOf(name, undefined)), res);
  });
}

export function queue(name: string, exported: unknown): HttpFunction {
  const app = queueHandlerOf(name, exported);
  const logger = createLogger({ platform: "gcp", function: name });
  return registered(name, async (req, res) => {
    if (!isPost(req, res, "Pub/Sub push delivers")) return;
    let body: unknown = req.body;
    if (req.rawBody && !req.is("application/json")) {
      try {
        body = JSON.parse(req.rawBody.toString("utf8"));
      } catch {
        body = undefined;
      }
    }
    const parsed = parsePushEnvelope(body);
    if (!parsed.ok) {
      // Not something Pub/Sub sends; if it were, the dead-letter policy bounds the retries.
      logger.error("rejected a request that is not a Pub/Sub push envelope", { reason: parsed.reason });
      res.status(400).json({ error: parsed.reason });
      return;
    }
    const [outcome] = outcomesInOrder([parsed.message], await app.queue([parsed.message], contextOf(name, requestIdOf(req))));
    const answer = answerFor(outcome, parsed.deadLettering);
    if (outcome.status === "poison" && answer.ack) {
      logger.error("acked a poison message: the subscription has no dead-letter policy to move it to", { messageId: outcome.id, reason: outcome.reason });
    }
    res.status(answer.status).json({ messageId: outcome.id, status: outcome.status, ...("reason" in outcome ? { reason: outcome.reason } : {}) });
  });
}

export function schedule(name: string, exported: unknown): HttpFunction {
  const run = scheduleHandlerOf(name, exported);
  const logger = createLogger({ platform: "gcp", function: name });
  return registered(name, async (req, res) => {
    if (!isPost(req, res, "the scheduler invokes a schedule function")) return;
    if (req.header("x-cloudscheduler") !== "true") {
      // Only the scheduler's identity may invoke the function at all (IAM); this only labels the log.
      logger.warn("schedule function invoked without the Cloud Scheduler headers", { userAgent: req.header("user-agent") });
    }
    const scheduledAt = req.header("x-cloudscheduler-scheduletime");
    try {
      const result = await run({ ...contextOf(name, requestIdOf(req) ?? scheduledAt), scheduledTime: scheduledAt ? new Date(scheduledAt) : new Date() });
      // Cloud Scheduler only needs a 2xx; the next tick is the retry of whatever this run left.
      res.status(200).json(result ?? {});
    } catch (error) {
      logger.error("scheduled run failed; the next tick retries", { error, job: req.header("x-cloudscheduler-jobname") });
      res.status(500).json({ error: "scheduled_run_failed" });
    }
  });
}
