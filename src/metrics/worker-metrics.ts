/**
 * Metrics from the inbox worker's and the timer poller's events, attached from outside so neither
 * loop carries metric code. Decisions are counted after commit (the worker's `event:done`), never
 * at route() time, so a rolled-back transaction that is retried does not count twice.
 */
import type { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Database, InboxRow } from '../db/schema.ts';
import type { Clock } from '../clock.ts';
import type { PollerEvent } from '../fallback/poller.ts';
import type { Router } from '../intake/router.ts';
import type { ProcessOutcome } from '../intake/process-event.ts';
import type { Metrics } from './metrics.ts';

export interface WorkerMetricsDeps {
  db: Kysely<Database>;
  clock: Clock;
  onError?: (err: unknown) => void;
}

export interface WorkerMetricsHandle {
  detach(): void;
  /** Resolves when every decision read started so far has been counted (tests, shutdown). */
  settled(): Promise<void>;
}

/**
 * Listens to an inbox worker's `events` (`event:done`, `event:failed`). For a routed event it reads
 * the committed decision's labels (one primary-key read) and counts the decision, the SLA it
 * started and the receipt→decision delay.
 */
export function attachWorkerMetrics(
  events: EventEmitter,
  m: Metrics,
  deps: WorkerMetricsDeps,
): WorkerMetricsHandle {
  const pending = new Set<Promise<void>>();
  const onDone = (row: InboxRow, out: ProcessOutcome) => {
    if (out.outcome !== 'routed') return;
    const delay = (deps.clock.now().getTime() - new Date(row.received_at).getTime()) / 1000;
    m.receiptToDecisionSeconds.observe({ source: row.source }, Math.max(0, delay));
    const p: Promise<void> = countDecision(m, deps.db, out.decisionId)
      .catch((err: unknown) => deps.onError?.(err))
      .finally(() => pending.delete(p));
    pending.add(p);
  };
  const onFailed = (row: InboxRow, _err: unknown, status: string | null) => {
    m.inboxFailures.inc({ source: row.source, status: status ?? 'lost_lock' });
  };
  events.on('event:done', onDone);
  events.on('event:failed', onFailed);
  return {
    detach() {
      events.off('event:done', onDone);
      events.off('event:failed', onFailed);
    },
    async settled() {
      await Promise.all([...pending]);
    },
  };
}

async function countDecision(m: Metrics, db: Kysely<Database>, decisionId: string): Promise<void> {
  const d = await db
    .selectFrom('decisions')
    .select(['lead_type', 'handler_id', 'reason', 'decision'])
    .where('id', '=', decisionId)
    .executeTakeFirst();
  if (!d) return;
  const decision = d.decision as { assignee?: { via?: string }; sla?: unknown };
  m.decisions.inc({
    lead_type: d.lead_type,
    handler: d.handler_id,
    via: decision.assignee?.via ?? 'unknown',
    reason: d.reason,
  });
  if (decision.sla) m.slaStarted.inc({ lead_type: d.lead_type });
}

/** Wraps a Router so each route() call's CPU time is observed. Decisions are counted on commit. */
export function instrumentRouter(router: Router, m: Metrics): Router {
  return {
    get configHash() {
      return router.configHash;
    },
    route(lead, now, state) {
      const end = m.routeComputeSeconds.startTimer();
      try {
        return router.route(lead, now, state);
      } finally {
        end();
      }
    },
    // A getter, not a copy: the shadow config is swapped by a reload like the live one.
    get shadow() {
      return router.shadow;
    },
  };
}

/** The timer poller's `onEvent`: lateness of each firing and its result. */
export function pollerEventMetrics(m: Metrics, clock: Clock): (e: PollerEvent) => void {
  return (e) => {
    if (e.type === 'fired') {
      m.timerFirings.inc({ result: 'fired' });
      const late = (clock.now().getTime() - e.timer.runAt.getTime()) / 1000;
      m.timerLatenessSeconds.observe(Math.max(0, late));
    } else if (e.type === 'failed') {
      m.timerFirings.inc({ result: e.status === 'parked' ? 'parked' : 'retry' });
    }
  };
}
