/**
 * Issue 6: "a permanent failure on the handler's owner id falls to the backup and says so in the
 * trace". The outbox parks a routing write the CRM refused with CRM.UNKNOWN_OWNER and calls this
 * hook: the lead is handed on exactly like a fallback `reassign: backup` (planReassignment: the
 * backup, else the type's pool, never a previous holder), with the refused handler also marked
 * unusable, so a backup whose id is bad too parks in turn and the chain moves on until it ends.
 *
 * One transaction under the lead's row lock: the new decision (its trace says why), the pool count,
 * the old decision's timers cancelled and the new holder's scheduled, a new outbox `routing` row
 * with its own key, and a `fallback_events` line. A parked write of a decision that is no longer
 * the lead's latest (re-routed meanwhile) changes nothing.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { CrmWriteRow, Database } from '../db/schema.ts';
import type { CrmSystem, RoutingWrite } from '../adapters/crm-port.ts';
import type { Clock } from '../clock.ts';
import type { Decision } from '../routing/decision.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';
import {
  buildRoutingWrite,
  incrementPool,
  queueCrmWrite,
  readRoutingState,
} from '../intake/decision-store.ts';
import { planReassignment, type FallbackPlanner } from './reassign.ts';
import { cancelTimers, scheduleTimers, type AnyDb } from './timer-store.ts';
import { loadLead } from './lead-context.ts';

export const UNKNOWN_OWNER = 'CRM.UNKNOWN_OWNER';

export interface UnknownOwnerDeps {
  db: Kysely<Database>;
  crm: CrmSystem;
  clock: Clock;
  config: () => RoutingConfig;
  planFallback?: FallbackPlanner;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Called after a new routing write was queued (the server nudges the outbox). */
  onCrmWritesQueued?: () => void;
}

export type UnknownOwnerOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'reassigned'; decisionId: string; handlerId: string; line: string }
  | { kind: 'stuck'; reason: string };

const parse = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/** The outbox runner's `onParked` hook. */
export function createUnknownOwnerHandler(deps: UnknownOwnerDeps) {
  return async (row: CrmWriteRow, err: Error): Promise<UnknownOwnerOutcome> => {
    const code = (err as { code?: unknown }).code;
    if (row.kind !== 'routing' || code !== UNKNOWN_OWNER)
      return { kind: 'ignored', reason: `not a routing write refused with ${UNKNOWN_OWNER}` };
    const outcome = await deps.db
      .transaction()
      .execute((trx) => reassignFromUnknownOwner(trx, deps, row));
    if (outcome.kind === 'reassigned') {
      deps.log.info({ leadId: row.lead_id, decisionId: outcome.decisionId }, outcome.line);
      deps.onCrmWritesQueued?.();
    } else if (outcome.kind === 'stuck') {
      deps.log.warn({ leadId: row.lead_id, crmWriteId: row.id }, outcome.reason);
    }
    return outcome;
  };
}

async function reassignFromUnknownOwner(
  trx: Transaction<Database>,
  deps: UnknownOwnerDeps,
  row: CrmWriteRow,
): Promise<UnknownOwnerOutcome> {
  const leadId = String(row.lead_id);
  // One lead, one change at a time (the inbox worker and the timer firer take the same lock).
  const lc = await loadLead(trx, leadId, { forUpdate: true });
  if (!lc) return { kind: 'ignored', reason: `lead ${leadId} does not exist` };
  const latest = lc.decisions.at(-1);
  if (!latest || latest.id !== String(row.decision_id))
    return {
      kind: 'ignored',
      reason: `decision ${row.decision_id} is no longer the lead's current decision`,
    };
  const current = latest.decision;
  const refused = current.assignee.handlerId;
  const ownerId = parse<RoutingWrite>(row.payload as RoutingWrite | string).ownerId;
  const { ref, lead } = lc;
  const now = deps.clock.now();
  const holders = [...new Set(lc.decisions.map((d) => d.handlerId))];
  const state = await readRoutingState(trx);
  const plan = planReassignment({
    config: deps.config(),
    lead,
    current,
    target: 'backup',
    now,
    previousHolders: holders,
    state: { ...state, unusableHandlers: [refused] },
    checkpointId: 'unknown_owner',
    ...(deps.planFallback ? { planFallback: deps.planFallback } : {}),
  });
  const why = `owner id ${ownerId} of handler ${refused} rejected by the CRM`;
  if (!plan.ok) {
    const reason = `${why}; no backup to fall to: ${plan.reason}`;
    await appendEvent(trx, leadId, { reason, crmWriteId: String(row.id) });
    return { kind: 'stuck', reason };
  }
  const next = plan.decision.assignee;
  const line = `${why} → backup ${next.handlerId} (${next.name})`;
  const decision: Decision = {
    ...plan.decision,
    // Replaces the checkpoint wording of planReassignment's first step; the chain's steps follow.
    trace: [
      { stage: 'fallback', ruleId: refused, outcome: 'chosen', reason: line },
      ...plan.decision.trace.slice(1),
    ],
  };
  const { rows } = await sql<{ id: string }>`
    insert into decisions (lead_id, reason, config_hash, lead_type, handler_id, decided_at, decision)
    values (${leadId}, 'reroute', ${decision.configHash}, ${decision.leadType}, ${next.handlerId},
            ${decision.decidedAt}::timestamptz, ${JSON.stringify(decision)}::jsonb)
    returning id::text as id`.execute(trx);
  const decisionId = rows[0]!.id;
  if (decision.poolIncrement) await incrementPool(trx, decision.poolIncrement);
  await cancelTimers(trx, {
    leadId,
    exceptDecisionId: decisionId,
    reason: `${why}; reassigned to ${next.handlerId}`,
    now,
  });
  await scheduleTimers(trx, {
    leadId,
    decisionId,
    plan: decision.fallbackPlan,
    configHash: decision.configHash,
    now,
  });
  const write = buildRoutingWrite({
    leadId,
    decisionId,
    step: 'route',
    ref,
    lead,
    decision,
    crm: deps.crm,
  });
  await queueCrmWrite(trx, { leadId, decisionId, step: 'route', crm: deps.crm, write });
  await appendEvent(trx, leadId, {
    reason: line,
    crmWriteId: String(row.id),
    from: refused,
    to: next.handlerId,
    newDecisionId: decisionId,
  });
  return { kind: 'reassigned', decisionId, handlerId: next.handlerId, line };
}

async function appendEvent(trx: AnyDb, leadId: string, data: object): Promise<void> {
  await sql`
    insert into fallback_events (lead_id, kind, data)
    values (${leadId}, 'unknown_owner', ${JSON.stringify(data)}::jsonb)`.execute(trx);
}
