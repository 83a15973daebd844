/**
 * Everything one routing decision writes, in the caller's transaction: the lead, the decision
 * with its trace, the pool counter bump (an upsert, so concurrent instances never lose a count)
 * and the CRM write queued in the outbox.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { json } from '../db/database.ts';
import type { Decision, RoutingState } from '../routing/decision.ts';
import type { Lead, LeadCrmRef } from '../routing/lead.ts';
import type { CrmSystem, RoutingWrite } from '../adapters/crm-port.ts';
import { formatDecision } from '../routing/trace-format.ts';
import { CRM_WRITES_CHANNEL } from '../outbox/outbox-store.ts';

// Shared with the fallback firer's reassignments: one definition of the counter upsert.
export { incrementPool } from './pool-count-store.ts';

type Trx = Transaction<Database>;

/**
 * Inserts or refreshes the lead row and returns its id. On an existing row the upsert takes its
 * row lock until commit, so two workers handling events for one lead run one after the other.
 */
export async function upsertLead(trx: Trx, ref: LeadCrmRef, lead: Lead): Promise<string> {
  const r = await trx
    .insertInto('leads')
    .values({
      crm_system: ref.system,
      crm_object: ref.object,
      crm_id: ref.id,
      tenant: ref.tenant ?? '',
      lead: json(lead),
    })
    .onConflict((oc) =>
      oc
        .columns(['crm_system', 'tenant', 'crm_id'])
        .doUpdateSet({ lead: json(lead), updated_at: sql`now()` }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export async function decisionsOf(
  trx: Trx,
  leadId: string,
): Promise<Array<{ id: string; handler_id: string }>> {
  return trx
    .selectFrom('decisions')
    .select(['id', 'handler_id'])
    .where('lead_id', '=', leadId)
    .orderBy('id')
    .execute();
}

/**
 * The pool snapshot route() needs: per member the running total and the most recent day/week
 * counters (keys sort chronologically: 2026-11-28, 2026-W48). route() compares the keys with the
 * member's current day/week and treats an older key as zero.
 */
/** The latest pool counter per (pool, member, period), as `routingStateFromRows` takes them. */
export const POOL_STATE_SQL = sql`
  select distinct on (pool, member, period) pool, member, period, period_key, count
  from pool_counts
  order by pool, member, period, period_key desc`;

export interface PoolCountRow {
  pool: string;
  member: string;
  period: string;
  period_key: string;
  count: number | string;
}

export async function readRoutingState(trx: Trx): Promise<RoutingState> {
  const rows = await sql<PoolCountRow>`${POOL_STATE_SQL}`.execute(trx);
  return routingStateFromRows(rows.rows);
}

export function routingStateFromRows(rows: PoolCountRow[]): RoutingState {
  const poolCounts: RoutingState['poolCounts'] = {};
  for (const r of rows) {
    const members = (poolCounts[r.pool] ??= {});
    const m = (members[r.member] ??= { total: 0 });
    const count = Number(r.count);
    if (r.period === 'total') m.total = count;
    else if (r.period === 'day') m.day = { key: r.period_key, count };
    else if (r.period === 'week') m.week = { key: r.period_key, count };
  }
  return { poolCounts };
}

export async function insertDecision(
  trx: Trx,
  input: { leadId: string; inboxId: string; reason: 'route' | 'reroute'; decision: Decision },
): Promise<string> {
  const d = input.decision;
  const r = await trx
    .insertInto('decisions')
    .values({
      lead_id: input.leadId,
      inbox_id: input.inboxId,
      reason: input.reason,
      config_hash: d.configHash,
      lead_type: d.leadType,
      handler_id: d.assignee.handlerId,
      decided_at: d.decidedAt,
      decision: json(d),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

/**
 * The routing write for one decision: owner, first-touch task (due at the SLA) and the
 * explanation note. The owner id is the assignee's id in the lead's CRM; the dry-run CRM records
 * whatever id is configured (falling back to the handler id so the record stays readable).
 */
export function buildRoutingWrite(input: {
  leadId: string;
  decisionId: string;
  step: string;
  ref: LeadCrmRef;
  lead: Lead;
  decision: Decision;
  crm: CrmSystem;
}): RoutingWrite {
  const d = input.decision;
  const ids = d.assignee.ownerIds;
  const system = input.crm === 'dryrun' ? input.ref.system : input.crm;
  const ownerId =
    (system === 'hubspot' ? ids.hubspot : system === 'salesforce' ? ids.salesforce : undefined) ??
    ids.hubspot ??
    ids.salesforce ??
    d.assignee.handlerId;
  const ft = d.firstTouch;
  return {
    key: `${input.leadId}:${input.decisionId}:${input.step}`,
    lead: input.ref,
    ownerId,
    task: ft
      ? {
          subject: ft.subject,
          body: ft.body,
          dueUtc: d.sla?.dueUtc ?? d.decidedAt,
          channel: ft.channel,
          priority: ft.priority ?? 'high',
          ownerId,
        }
      : d.sla
        ? {
            // No first touch configured for the type: still give the owner a task due at the SLA.
            subject: `New ${d.leadType} lead: ${input.lead.company ?? ([input.lead.first_name, input.lead.last_name].filter(Boolean).join(' ') || 'unknown')}`,
            body: 'Routed by Switchboard; the note on this record says why.',
            dueUtc: d.sla.dueUtc,
            channel: 'email',
            priority: 'high',
            ownerId,
          }
        : null,
    note: formatDecision(d, input.lead),
  };
}

export async function queueCrmWrite(
  trx: Trx,
  input: { leadId: string; decisionId: string; step: string; crm: CrmSystem; write: RoutingWrite },
): Promise<void> {
  await trx
    .insertInto('crm_writes')
    .values({
      lead_id: input.leadId,
      decision_id: input.decisionId,
      step: input.step,
      kind: 'routing',
      key: input.write.key,
      crm: input.crm,
      payload: json(input.write),
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  await sql`select pg_notify(${CRM_WRITES_CHANNEL}, '')`.execute(trx);
}
