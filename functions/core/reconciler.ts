/**
 * The reconciler: a scheduled run that re-publishes `user.created` for users a failed publish
 * left unwelcomed, so "nothing is lost" holds even when the queue was down at create time.
 *
 * - Pending = created and not welcomed for longer than a grace period (by default twice the
 *   schedule interval, so a message still in flight is not re-published).
 * - Each store finds pending users through an index, a page at a time, never a full scan.
 * - Re-publishing is idempotent end to end: the event is rebuilt from the stored user with the
 *   same deterministic `eventId` the API used, the worker's conditional welcome turns
 *   duplicates into no-ops, and a conditional claim (`lastRepublishAt`) keeps overlapping or
 *   repeated runs from re-publishing the same user again within the claim window: the grace
 *   period, and never less than a run may last (so two overlapping runs cannot both claim).
 * - Bounded: at most `batchLimit` users per run, and it stops before its time budget ends.
 * - A user re-published `maxRepublishes` times without being welcomed is logged at error level
 *   and left for an operator.
 */
import type { Logger } from "./log";
import { userCreatedEvent, type EventPublisher, type PendingUserStore } from "./ports";

/**
 * The two run settings every platform passes to its reconciler, by the same names (as
 * environment variables, or plain-text bindings on Workers). The component derives them from
 * the schedule: the grace period is twice the interval; the time budget is the timeout minus
 * a margin for the final log line.
 */
export const reconcilerEnv = {
  graceSeconds: "RECONCILE_GRACE_SECONDS",
  timeBudgetSeconds: "RECONCILE_TIME_BUDGET_SECONDS",
} as const;

/** The run settings of a reconciler with this schedule and timeout, as the component sets them. */
export function reconcilerRunSettings(everyMinutes: number, timeoutSeconds: number): { graceSeconds: number; timeBudgetSeconds: number } {
  return { graceSeconds: 2 * everyMinutes * 60, timeBudgetSeconds: Math.max(1, Math.floor(timeoutSeconds * 0.8)) };
}

/** Reads the run settings a driver was given; a missing or malformed one is a deployment defect. */
export function reconcilerSettingsFrom(read: (name: string) => string | undefined): { graceSeconds: number; timeBudgetMs: number } {
  const number = (name: string) => {
    const raw = read(name);
    const value = Number(raw);
    // Number("") is 0: an empty setting is refused, not read as no grace at all.
    if (!raw?.trim() || !Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds ≥ 0; the component sets it on the reconciler`);
    return value;
  };
  return { graceSeconds: number(reconcilerEnv.graceSeconds), timeBudgetMs: number(reconcilerEnv.timeBudgetSeconds) * 1000 };
}

/**
 * Users re-published per run at most, by default: also the largest burst a run adds to the events
 * queue, which Google Cloud's push retry sizing must absorb (components/gcp/rules.ts).
 */
export const RECONCILER_BATCH_LIMIT = 100;

export interface ReconcilerDeps {
  store: PendingUserStore;
  publisher: EventPublisher;
  logger: Logger;
  /** A user is pending once it has waited this long unwelcomed. */
  graceSeconds: number;
  /** At most this many users are re-published per run. @default 100 */
  batchLimit?: number;
  /** Re-publishes of one user before it is left for an operator. @default 5 */
  maxRepublishes?: number;
  /** Users read per store query. @default 25 */
  pageSize?: number;
  /** Injected for tests; defaults to the wall clock. */
  now?: () => Date;
}

export interface ReconcileOptions {
  /** The platform's invocation id. */
  requestId?: string;
  /** Milliseconds the run may take before it must stop (its timeout minus a margin); also the shortest claim window. */
  timeBudgetMs: number;
}

/** What one run did; also its JSON log line. */
export interface ReconcileReport {
  /** The users re-published by this run (at most the batch limit), so a caller can tell them apart. */
  republishedIds: string[];
  /** Pending users read from the index. */
  scanned: number;
  republished: number;
  /** Claimed by another run within the grace period, or left for an operator. */
  skipped: number;
  /** Users over `maxRepublishes`, left for an operator. */
  abandoned: number;
  errors: number;
  durationMs: number;
  /** Why the run ended before the index was exhausted, if it did. */
  stoppedBecause?: "batch limit" | "time budget";
}

/** What a run answers its caller: the counts, not the users (ids stay in the run's log line, for an operator). */
export type ReconcileAnswer = Omit<ReconcileReport, "republishedIds">;

/**
 * The report without the ids of the users it re-published: a scheduled function's answer
 * reaches whoever may invoke it, and a count is all the scheduler needs.
 */
export function reconcileAnswer(report: ReconcileReport): ReconcileAnswer {
  const { republishedIds: _ids, ...counts } = report;
  return counts;
}

export interface Reconciler {
  run(options: ReconcileOptions): Promise<ReconcileReport>;
}

export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const now = deps.now ?? (() => new Date());
  const batchLimit = deps.batchLimit ?? RECONCILER_BATCH_LIMIT;
  const maxRepublishes = deps.maxRepublishes ?? 5;
  const pageSize = deps.pageSize ?? 25;

  return {
    async run({ requestId, timeBudgetMs }) {
      const log = deps.logger.forInvocation(requestId ?? crypto.randomUUID());
      // Elapsed time on the same clock as the claims, so a test can put a run exactly at its budget.
      const startedAt = now();
      const started = startedAt.getTime();
      const elapsedMs = () => now().getTime() - started;
      const cutoff = new Date(startedAt.getTime() - deps.graceSeconds * 1000).toISOString();
      const claimWindowMs = Math.max(deps.graceSeconds * 1000, timeBudgetMs);
      const claimableBefore = new Date(startedAt.getTime() - claimWindowMs).toISOString();
      const report: ReconcileReport = { republishedIds: [], scanned: 0, republished: 0, skipped: 0, abandoned: 0, errors: 0, durationMs: 0 };
      let cursor: string | undefined;
      scan: do {
        if (elapsedMs() >= timeBudgetMs) {
          report.stoppedBecause = "time budget";
          break;
        }
        const page = await deps.store.listPending({ createdBefore: cutoff, limit: pageSize, cursor });
        cursor = page.cursor;
        for (const user of page.users) {
          if (report.republished >= batchLimit) {
            report.stoppedBecause = "batch limit";
            break scan;
          }
          if (elapsedMs() >= timeBudgetMs) {
            report.stoppedBecause = "time budget";
            break scan;
          }
          report.scanned++;
          if (user.republishCount >= maxRepublishes) {
            report.abandoned++;
            report.skipped++;
            log.error("user re-published too often without being welcomed; left for an operator", {
              userId: user.id,
              republishCount: user.republishCount,
            });
            continue;
          }
          try {
            // Claimable when never claimed, or claimed before the claim window: a run that overlaps this
            // one, or repeats it within the window, finds the claim taken and moves on.
            const claimed = await deps.store.claimRepublish(user.id, startedAt.toISOString(), claimableBefore);
            if (!claimed) {
              report.skipped++;
              continue;
            }
            await deps.publisher.publish(userCreatedEvent(user));
            report.republished++;
            report.republishedIds.push(user.id);
          } catch (error) {
            report.errors++;
            log.error("re-publishing failed; the next run retries", { userId: user.id, error });
          }
        }
      } while (cursor !== undefined);
      report.durationMs = elapsedMs();
      // The ids (at most batchLimit) let an operator, and the local cloud's comparison, tell re-published users apart.
      log.info("reconciled", { ...report });
      return report;
    },
  };
}
