/**
 * One claimed inbox event → its effect. Enrichment (a CRM read) happens before the transaction,
 * never inside it; then one transaction stores the lead, the decision, the pool bump, the outbox
 * row and the fallback timers, and marks the event done. Either all of it commits or none does.
 */
import type { Kysely } from 'kysely';
import type { Database, InboxRow } from '../db/schema.ts';
import type { CrmPort } from '../adapters/crm-port.ts';
import type { Clock } from '../clock.ts';
import type { Lead, LeadCrmRef } from '../routing/lead.ts';
import type { Decision } from '../routing/decision.ts';
import { scheduleTimers } from '../fallback/timer-store.ts';
import { cancelForEngagement, signalFromPropertyChange } from '../fallback/early-exit.ts';
import { recordUpdateEngagement } from '../fallback/update-engagement.ts';
import { recordShadowDecision } from '../revops/shadow-store.ts';
import type { EngagementEventPayload, LeadEventPayload } from './inbox-payload.ts';
import { completeInbox } from './inbox-store.ts';
import type { Router } from './router.ts';
import {
  buildRoutingWrite,
  decisionsOf,
  incrementPool,
  insertDecision,
  queueCrmWrite,
  readRoutingState,
  upsertLead,
} from './decision-store.ts';

export interface ProcessDeps {
  db: Kysely<Database>;
  router: Router;
  crm: EnrichingCrm;
  clock: Clock;
  workerId: string;
}

/** What a committed decision is counted by (metrics), so nothing has to read it back. */
export interface DecisionLabels {
  leadType: string;
  handlerId: string;
  via: string;
  reason: 'route' | 'reroute';
  startsSla: boolean;
}

export const decisionLabels = (d: Decision, reason: 'route' | 'reroute'): DecisionLabels => ({
  leadType: d.leadType,
  handlerId: d.assignee.handlerId,
  via: d.assignee.via,
  reason,
  startsSla: d.sla !== null,
});

export type ProcessOutcome =
  | { outcome: 'routed'; leadId: string; decisionId: string; labels: DecisionLabels }
  | { outcome: 'duplicate'; leadId: string; decisionId: string }
  | { outcome: 'gone' }
  | { outcome: 'recorded'; leadId: string | null };

/** The CRM as the worker uses it: one read per lead, or one batch read per claimed batch. */
export type EnrichingCrm = Pick<CrmPort, 'system' | 'readLead'> &
  Partial<Pick<CrmPort, 'readLeads'>>;

/** Leads read ahead for a batch, keyed by `leadRefKey`; absent keys are read one by one. */
export type Prefetched = Map<string, Lead | null>;

export const leadRefKey = (ref: LeadCrmRef): string =>
  `${ref.system}:${ref.tenant ?? ''}:${ref.id}`;

export async function processInboxEvent(
  deps: ProcessDeps,
  row: InboxRow,
  prefetched?: Prefetched,
): Promise<ProcessOutcome> {
  if (row.kind === 'engagement') return recordEngagement(deps, row);
  const p = row.payload as LeadEventPayload;
  const lead = await enrich(deps.crm, p, prefetched);
  if (!lead) {
    await deps.db
      .transaction()
      .execute((trx) => completeInbox(trx, row, deps.workerId, { outcome: 'gone' }));
    return { outcome: 'gone' };
  }
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const leadId = await upsertLead(trx, p.ref, lead);
    const earlier = await decisionsOf(trx, leadId);
    const last = earlier.at(-1);
    // A second creation event for a lead already routed (HubSpot and Salesforce both redeliver
    // with new ids) must not route it again; only an explicit re-route does. An update (a
    // Salesforce outbound message on Lead update) can still show engagement: it is recorded and
    // cancels the checkpoints it makes pointless, in this transaction.
    if (row.kind === 'route' && last) {
      await recordUpdateEngagement(trx, {
        leadId,
        ref: p.ref,
        lead,
        inboxId: row.id,
        ...(p.occurredAt ? { occurredAt: p.occurredAt } : {}),
        now,
      });
      await completeInbox(trx, row, deps.workerId, {
        outcome: 'duplicate',
        leadId,
        decisionId: last.id,
      });
      return { outcome: 'duplicate', leadId, decisionId: last.id };
    }
    const state = await readRoutingState(trx);
    if (earlier.length > 0) state.previousHolders = [...new Set(earlier.map((d) => d.handler_id))];
    const decision = deps.router.route({ ...lead, id: leadId }, now, state);
    const reason = row.kind === 'reroute' ? 'reroute' : 'route';
    const decisionId = await insertDecision(trx, { leadId, inboxId: row.id, reason, decision });
    if (deps.router.shadow)
      await recordShadowDecision(trx, {
        leadId,
        decisionId,
        lead: { ...lead, id: leadId },
        now,
        state,
        shadow: deps.router.shadow,
      });
    if (decision.poolIncrement) await incrementPool(trx, decision.poolIncrement);
    const step = 'route';
    const write = buildRoutingWrite({
      leadId,
      decisionId,
      step,
      ref: p.ref,
      lead,
      decision,
      crm: deps.crm.system,
    });
    await queueCrmWrite(trx, { leadId, decisionId, step, crm: deps.crm.system, write });
    await scheduleTimers(trx, {
      leadId,
      decisionId,
      plan: decision.fallbackPlan,
      configHash: decision.configHash,
      now,
    });
    await completeInbox(trx, row, deps.workerId, { outcome: 'routed', leadId, decisionId });
    return { outcome: 'routed', leadId, decisionId, labels: decisionLabels(decision, reason) };
  });
}

/**
 * The lead to route: the CRM's current record when the event carries only an id (HubSpot, always)
 * or when the CRM it came from is the one we talk to (Salesforce: messages can be stale, so the
 * current record wins over the message's fields). Null when the record no longer exists.
 */
export async function enrich(
  crm: EnrichingCrm,
  p: LeadEventPayload,
  prefetched?: Prefetched,
): Promise<Lead | null> {
  const carried = p.lead ?? {};
  if (needsRead(crm, p)) {
    const key = leadRefKey(p.ref);
    const fetched = prefetched?.has(key) ? prefetched.get(key)! : await crm.readLead(p.ref);
    const hasFields = Object.keys(carried).some((k) => k !== 'crm' && k !== 'id');
    const sameCrm = crm.system === p.ref.system;
    if (!fetched) return hasFields && !sameCrm ? withRef(carried, p) : null;
    return withRef({ ...carried, ...fetched }, p);
  }
  return withRef(carried, p);
}

/** Whether routing this event needs a CRM read (see `enrich`). */
export function needsRead(crm: Pick<CrmPort, 'system'>, p: LeadEventPayload): boolean {
  const carried = p.lead ?? {};
  const hasFields = Object.keys(carried).some((k) => k !== 'crm' && k !== 'id');
  return crm.system === p.ref.system || (!hasFields && p.ref.system !== 'json');
}

/**
 * One batch read (≤ 100 ids per call in the adapters) for every lead of a claimed batch that
 * needs one, instead of one call per event: HubSpot allows 100–190 calls per 10 s. A failed batch
 * read is not an error here; the events fall back to single reads and fail one by one.
 */
export async function prefetchLeads(crm: EnrichingCrm, rows: InboxRow[]): Promise<Prefetched> {
  const out: Prefetched = new Map();
  if (!crm.readLeads) return out;
  const refs = new Map<string, LeadCrmRef>();
  for (const row of rows) {
    if (row.kind === 'engagement') continue;
    const p = row.payload as LeadEventPayload;
    if (needsRead(crm, p)) refs.set(leadRefKey(p.ref), p.ref);
  }
  if (refs.size < 2) return out;
  // The adapters key their answer by record id; read one tenant at a time so ids cannot collide.
  const byTenant = new Map<string, LeadCrmRef[]>();
  for (const ref of refs.values()) {
    const t = `${ref.system}:${ref.tenant ?? ''}`;
    byTenant.set(t, [...(byTenant.get(t) ?? []), ref]);
  }
  for (const group of byTenant.values()) {
    try {
      const found = await crm.readLeads(group);
      for (const ref of group) if (found.has(ref.id)) out.set(leadRefKey(ref), found.get(ref.id)!);
    } catch {
      // fall back to single reads
    }
  }
  return out;
}

function withRef(lead: Lead, p: LeadEventPayload): Lead {
  const { id: _id, ...rest } = lead;
  return {
    ...rest,
    crm: p.ref,
    ...(rest.created_at || !p.occurredAt ? {} : { created_at: p.occurredAt }),
  };
}

async function recordEngagement(deps: ProcessDeps, row: InboxRow): Promise<ProcessOutcome> {
  const p = row.payload as EngagementEventPayload;
  return deps.db.transaction().execute(async (trx) => {
    const lead = await findLead(trx, p.ref);
    const signal = signalFromPropertyChange(p.ref.system, p.property, p.value, p.occurredAt);
    await trx
      .insertInto('lead_events')
      .values({
        lead_id: lead,
        crm_system: p.ref.system,
        tenant: p.ref.tenant ?? '',
        crm_id: p.ref.id,
        kind: 'property_change',
        property: p.property,
        value: p.value,
        occurred_at: p.occurredAt,
        inbox_id: row.id,
        engaged: signal !== null,
      })
      .execute();
    // Engagement that arrives before a checkpoint cancels the checkpoints it makes pointless
    // (a reply, a booked meeting), in the same transaction as the record.
    if (lead && signal)
      await cancelForEngagement(trx, { leadId: lead, signal, now: deps.clock.now() });
    await completeInbox(trx, row, deps.workerId, { outcome: 'recorded', leadId: lead });
    return { outcome: 'recorded', leadId: lead };
  });
}

async function findLead(db: Kysely<Database>, ref: LeadCrmRef): Promise<string | null> {
  const r = await db
    .selectFrom('leads')
    .select('id')
    .where('crm_system', '=', ref.system)
    .where('tenant', '=', ref.tenant ?? '')
    .where('crm_id', '=', ref.id)
    .executeTakeFirst();
  return r?.id ?? null;
}
