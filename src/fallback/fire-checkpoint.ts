/**
 * Fires one claimed timer: read the lead's engagement through the CRM adapter, evaluate the
 * checkpoint's branches, and perform the first matching branch's actions. The read happens before
 * the transaction (a network call must not hold row locks); then one transaction queues the CRM
 * writes in the outbox, stores a reassignment (new decision, its timers, the old ones cancelled),
 * appends the firing to the lead's fallback history and completes the timer. If the timer was
 * cancelled or its lock swept meanwhile, completion fails and everything rolls back.
 *
 * A failed engagement read throws: the poller retries with backoff and parks the timer at
 * max_attempts. A branch never runs on missing data.
 */
import { sql } from 'kysely';
import type { CrmPort, Engagement } from '../adapters/crm-port.ts';
import type { Decision } from '../routing/decision.ts';
import type { LeadCrmRef } from '../routing/lead.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';
import { planActions, type PlannedEffects, type QueuedWrite } from './actions.ts';
import { evaluateCheckpoint } from './evaluate-checkpoint.ts';
import type { FireTimer } from './poller.ts';
import { incrementPool } from '../intake/pool-count-store.ts';
import type { FallbackPlanner } from './reassign.ts';
import { loadLead } from './lead-context.ts';
import { CRM_WRITES_CHANNEL } from '../outbox/outbox-store.ts';
import {
  cancelTimers,
  completeTimer,
  scheduleTimers,
  type AnyDb,
  type Timer,
} from './timer-store.ts';

const INBOX_CHANNEL = 'inbox';

export interface CheckpointFirerDeps {
  crm: Pick<CrmPort, 'system' | 'readEngagement'>;
  /** The config reassignments are decided under: the one loaded now (timers keep their own plan). */
  config: () => RoutingConfig;
  /** Resolves a type's fallback plan for a new holder; without it a reassignment has no timers. */
  planFallback?: FallbackPlanner;
  db: AnyDb;
}

/** Thrown when the timer was cancelled or re-claimed while it fired: the transaction rolls back. */
export class TimerLostError extends Error {
  override name = 'TimerLostError';
  constructor(timer: Timer) {
    super(
      `timer ${timer.id} (${timer.key}) was cancelled or claimed by another poller while firing; its actions were rolled back`,
    );
  }
}

export function createCheckpointFirer(deps: CheckpointFirerDeps): FireTimer {
  return async (timer, ctx) => {
    const lc = await loadLead(deps.db, timer.leadId);
    if (!lc) throw new Error(`lead ${timer.leadId} of timer ${timer.key} does not exist`);
    const own = lc.decisions.find((d) => d.id === timer.decisionId);
    const latest = lc.decisions.at(-1);
    if (!own || latest?.id !== timer.decisionId) {
      // Reassigned since (its timers should have been cancelled then): nothing to do any more.
      return {
        complete: {
          kind: 'fired',
          superseded: `decision ${timer.decisionId} is no longer the lead's current decision (now ${latest?.id})`,
        },
      };
    }

    let engagement: Engagement;
    try {
      engagement = await deps.crm.readEngagement(lc.ref, timer.since);
    } catch (err) {
      const reason = `engagement read failed (${deps.crm.system}): ${err instanceof Error ? err.message : String(err)}`;
      if (timer.attempts >= timer.maxAttempts)
        await appendEvent(deps.db, timer, 'parked', { reason, attempts: timer.attempts });
      throw new Error(reason, { cause: err });
    }

    const now = ctx.clock.now();
    const evaluation = evaluateCheckpoint(timer.plan, engagement);
    const config = deps.config();
    const effects: PlannedEffects = planActions(
      {
        config,
        crm: deps.crm.system,
        leadId: timer.leadId,
        decisionId: timer.decisionId,
        lead: lc.lead,
        ref: lc.ref,
        decision: own.decision,
        previousHolders: [...new Set(lc.decisions.map((d) => d.handlerId))],
        checkpointId: timer.checkpointId,
        after: timer.plan.after,
        now,
        evaluationLines: evaluation.lines,
        ...(deps.planFallback ? { planFallback: deps.planFallback } : {}),
      },
      evaluation.actions,
    );

    const outcome = {
      kind: 'fired',
      checkpoint: timer.checkpointId,
      configHash: timer.configHash,
      engagement: { ...evaluation.facts, status: engagement.status ?? null },
      evidence: engagement.evidence,
      branch: evaluation.branchIndex === null ? null : evaluation.branchIndex + 1,
      actions: effects.lines,
      writes: effects.writes.map((w) => w.key),
      reassignedTo: effects.reassignment?.assignee.handlerId ?? null,
      newDecisionId: null as string | null,
      trace: evaluation.lines,
    };
    const nothingToDo =
      effects.writes.length === 0 &&
      !effects.reassignment &&
      !effects.stopSequence &&
      !effects.reenrich;
    // Nothing to write (no branch matched): the poller completes these in one batched statement.
    if (nothingToDo) return { complete: outcome };

    await deps.db.transaction().execute(async (trx) => {
      // One lead, one change at a time: checkpoints of the same lead firing together, or a
      // re-route by the inbox worker (which upserts this row), wait here rather than both
      // reassigning. Whoever comes second finds its timer cancelled and rolls back.
      await sql`select id from leads where id = ${timer.leadId} for update`.execute(trx);
      await queueWrites(trx, timer, deps.crm.system, effects.writes, now);
      if (effects.reassignment) {
        outcome.newDecisionId = await storeReassignment(trx, timer, effects.reassignment, now);
      } else if (effects.stopSequence) {
        await cancelTimers(trx, {
          leadId: timer.leadId,
          exceptTimerId: timer.id,
          reason: `nurture at checkpoint ${timer.checkpointId}`,
          now,
        });
      }
      if (effects.reenrich) await queueReroute(trx, timer, lc.ref);
      await appendEvent(trx, timer, 'fired', outcome);
      const ok = await completeTimer(trx, { id: timer.id, workerId: ctx.workerId, now, outcome });
      if (!ok) throw new TimerLostError(timer);
    });
    return undefined;
  };
}

async function appendEvent(db: AnyDb, timer: Timer, kind: string, data: unknown): Promise<void> {
  await sql`
    insert into fallback_events (lead_id, timer_id, kind, data)
    values (${timer.leadId}, ${timer.id}, ${kind}, ${JSON.stringify(data)}::jsonb)`.execute(db);
}

async function queueWrites(
  trx: AnyDb,
  timer: Timer,
  crm: string,
  writes: QueuedWrite[],
  now: Date,
): Promise<void> {
  if (writes.length === 0) return;
  await sql`
    insert into crm_writes (lead_id, decision_id, step, kind, key, crm, payload, run_at)
    values ${sql.join(
      writes.map(
        (w) =>
          sql`(${timer.leadId}, ${timer.decisionId}, ${w.step}, ${w.kind}, ${w.key}, ${crm},
               ${JSON.stringify(w.payload)}::jsonb, ${now.toISOString()}::timestamptz)`,
      ),
    )}
    on conflict (key) do nothing`.execute(trx);
  await sql`select pg_notify(${CRM_WRITES_CHANNEL}, '')`.execute(trx);
}

/** The new holder's decision, its pool count, its own timers; the lead's older timers cancelled. */
async function storeReassignment(
  trx: AnyDb,
  timer: Timer,
  d: Decision,
  now: Date,
): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into decisions (lead_id, reason, config_hash, lead_type, handler_id, decided_at, decision)
    values (${timer.leadId}, 'reroute', ${d.configHash}, ${d.leadType}, ${d.assignee.handlerId},
            ${d.decidedAt}::timestamptz, ${JSON.stringify(d)}::jsonb)
    returning id::text as id`.execute(trx);
  const decisionId = rows[0]!.id;
  if (d.poolIncrement) await incrementPool(trx, d.poolIncrement);
  await cancelTimers(trx, {
    leadId: timer.leadId,
    exceptTimerId: timer.id,
    reason: `reassigned to ${d.assignee.handlerId} at checkpoint ${timer.checkpointId}`,
    now,
  });
  await scheduleTimers(trx, {
    leadId: timer.leadId,
    decisionId,
    plan: d.fallbackPlan,
    configHash: d.configHash,
    now,
  });
  return decisionId;
}

/** `reenrich`: an inbox `reroute` event; the worker re-reads the lead and routes it again. */
async function queueReroute(trx: AnyDb, timer: Timer, ref: LeadCrmRef): Promise<void> {
  await sql`
    insert into inbox (source, dedupe_key, kind, payload)
    values (${ref.system === 'salesforce' ? 'salesforce' : ref.system === 'hubspot' ? 'hubspot' : 'json'},
            ${`fallback:${timer.key}`}, 'reroute',
            ${JSON.stringify({ ref, leadId: timer.leadId })}::jsonb)
    on conflict (source, dedupe_key) do nothing`.execute(trx);
  await sql`select pg_notify(${INBOX_CHANNEL}, '')`.execute(trx);
}
