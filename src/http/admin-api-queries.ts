/**
 * Reads (and the few writes) behind the admin API and the operator page, straight against the
 * tables: a lead with everything that happened to it, recent decisions, open SLAs, parked items.
 * Everything returned here is safe to show an admin; nothing here is logged.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Decision } from '../routing/decision.ts';
import type { Lead } from '../routing/lead.ts';
import { formatDecision } from '../routing/trace-format.ts';
import { readLeadView, type LeadView } from '../intake/lead-view.ts';
import {
  listOverdueAndFailedTimers,
  listTimersForLead,
  type Timer,
} from '../fallback/timer-store.ts';

type Db = Kysely<Database>;

export interface TimerView {
  id: string;
  decisionId: string;
  checkpointId: string;
  status: string;
  runAt: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  firedAt: string | null;
  latenessMs: number | null;
  outcome: unknown;
}

export interface LeadDetail extends LeadView {
  /** The latest decision in plain words (the same text as the CRM note). */
  explanation: string | null;
  timers: TimerView[];
  fallbackEvents: Array<{
    id: string;
    timerId: string | null;
    kind: string;
    data: unknown;
    createdAt: string;
  }>;
}

export const toTimerView = (t: Timer): TimerView => ({
  id: t.id,
  decisionId: t.decisionId,
  checkpointId: t.checkpointId,
  status: t.status,
  runAt: t.runAt.toISOString(),
  attempts: t.attempts,
  maxAttempts: t.maxAttempts,
  lastError: t.lastError,
  firedAt: t.firedAt?.toISOString() ?? null,
  latenessMs: t.latenessMs,
  outcome: t.outcome,
});

const iso = (v: Date | string | null): string | null =>
  v == null ? null : new Date(v).toISOString();

export async function readLeadDetail(db: Db, id: string): Promise<LeadDetail | null> {
  const view = await readLeadView(db, id);
  if (!view) return null;
  const [timers, events] = await Promise.all([
    listTimersForLead(db, id),
    sql<{ id: string; timer_id: string | null; kind: string; data: unknown; created_at: Date }>`
      select id::text, timer_id::text, kind, data, created_at from fallback_events
      where lead_id = ${id} order by id`.execute(db),
  ]);
  const { id: _decisionId, ...decision } = view.decision ?? { id: '' };
  return {
    ...view,
    explanation: view.decision ? formatDecision(decision as Decision, view.lead as Lead) : null,
    timers: timers.map(toTimerView),
    fallbackEvents: events.rows.map((e) => ({
      id: String(e.id),
      timerId: e.timer_id === null ? null : String(e.timer_id),
      kind: e.kind,
      data: e.data,
      createdAt: new Date(e.created_at).toISOString(),
    })),
  };
}

/** Our lead ids for a CRM record id, most recently updated first (one per CRM tenant). */
export async function findLeadIdsByCrmId(
  db: Db,
  crmId: string,
  system?: string,
): Promise<string[]> {
  let q = db.selectFrom('leads').select('id').where('crm_id', '=', crmId);
  if (system) q = q.where('crm_system', '=', system);
  const rows = await q.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(20).execute();
  return rows.map((r) => r.id);
}

export interface DecisionSummary {
  id: string;
  leadId: string;
  company: string | null;
  crm: { system: string; id: string };
  reason: string;
  leadType: string;
  handlerId: string;
  handlerName: string;
  via: string;
  decidedAt: string;
  slaDueUtc: string | null;
  configHash: string;
  /** The trace lines that carried the decision: the type that matched, the handler chosen. */
  reasons: string[];
}

export async function listRecentDecisions(db: Db, limit: number): Promise<DecisionSummary[]> {
  const rows = await db
    .selectFrom('decisions as d')
    .innerJoin('leads as l', 'l.id', 'd.lead_id')
    .select([
      'd.id',
      'd.lead_id',
      'd.reason',
      'd.lead_type',
      'd.handler_id',
      'd.decided_at',
      'd.config_hash',
      'd.decision',
      'l.crm_system',
      'l.crm_id',
      'l.lead',
    ])
    .orderBy('d.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => {
    const d = r.decision as Decision;
    const lead = r.lead as Lead;
    return {
      id: r.id,
      leadId: r.lead_id,
      company: lead.company ?? null,
      crm: { system: r.crm_system, id: r.crm_id },
      reason: r.reason,
      leadType: r.lead_type,
      handlerId: r.handler_id,
      handlerName: d.assignee?.name ?? r.handler_id,
      via: d.assignee?.via ?? 'handler',
      decidedAt: new Date(r.decided_at).toISOString(),
      slaDueUtc: d.sla?.dueUtc ?? null,
      configHash: r.config_hash,
      reasons: keyReasons(d),
    };
  });
}

/** The lines a human asks for first: why this type, why this person. */
export function keyReasons(d: Decision): string[] {
  const steps = Array.isArray(d.trace) ? d.trace : [];
  const picked = steps.filter(
    (s) =>
      (s.stage === 'classify' && s.outcome === 'matched') ||
      ((s.stage === 'handler' ||
        s.stage === 'availability' ||
        s.stage === 'pool' ||
        s.stage === 'account') &&
        (s.outcome === 'chosen' || s.outcome === 'failed' || s.outcome === 'skipped')),
  );
  return (picked.length > 0 ? picked : steps.slice(0, 3)).map((s) => s.reason);
}

export interface OpenSla {
  leadId: string;
  decisionId: string;
  company: string | null;
  leadType: string;
  handlerId: string;
  handlerName: string;
  dueUtc: string;
  /** Negative once overdue. */
  timeLeftMs: number;
}

/**
 * SLAs still waiting for a first touch: the latest decision per lead (last 30 days) with a due
 * time and no engagement signal since it was decided, soonest due first. Overdue ones included.
 */
export async function listOpenSlas(db: Db, now: Date, limit: number): Promise<OpenSla[]> {
  const since = new Date(now.getTime() - 30 * 86_400_000).toISOString();
  const r = await sql<{
    lead_id: string;
    decision_id: string;
    lead_type: string;
    handler_id: string;
    handler_name: string | null;
    due: Date | string;
    company: string | null;
  }>`
    with latest as (
      select distinct on (lead_id) id, lead_id, lead_type, handler_id, decided_at,
             decision->'assignee'->>'name' as handler_name,
             (decision->'sla'->>'dueUtc')::timestamptz as due
      from decisions
      where decided_at >= ${since}::timestamptz and jsonb_typeof(decision->'sla') = 'object'
      order by lead_id, id desc
    )
    select l.lead_id::text, l.id::text as decision_id, l.lead_type, l.handler_id, l.handler_name,
           l.due, ld.lead->>'company' as company
    from latest l join leads ld on ld.id = l.lead_id
    where not exists (select 1 from lead_events e where e.lead_id = l.lead_id and e.engaged and e.occurred_at >= l.decided_at)
    order by l.due, l.lead_id
    limit ${limit}`.execute(db);
  return r.rows.map((x) => {
    const due = new Date(x.due);
    return {
      leadId: String(x.lead_id),
      decisionId: String(x.decision_id),
      company: x.company,
      leadType: x.lead_type,
      handlerId: x.handler_id,
      handlerName: x.handler_name ?? x.handler_id,
      dueUtc: due.toISOString(),
      timeLeftMs: due.getTime() - now.getTime(),
    };
  });
}

export interface ParkedItems {
  events: Array<{
    id: string;
    source: string;
    kind: string;
    attempts: number;
    lastError: string | null;
    leadId: string | null;
    receivedAt: string;
  }>;
  crmWrites: Array<{
    id: string;
    leadId: string;
    decisionId: string;
    step: string;
    kind: string;
    crm: string;
    attempts: number;
    lastError: string | null;
    updatedAt: string;
  }>;
  /** Parked timers, and pending ones that failed or are more than a minute overdue. */
  timers: Array<TimerView & { leadId: string }>;
}

export async function listParked(db: Db, now: Date, limit: number): Promise<ParkedItems> {
  const [events, writes, timers] = await Promise.all([
    db
      .selectFrom('inbox')
      .select(['id', 'source', 'kind', 'attempts', 'last_error', 'lead_id', 'received_at'])
      .where('status', '=', 'parked')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute(),
    db
      .selectFrom('crm_writes')
      .select([
        'id',
        'lead_id',
        'decision_id',
        'step',
        'kind',
        'crm',
        'attempts',
        'last_error',
        'updated_at',
      ])
      .where('status', '=', 'parked')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute(),
    listOverdueAndFailedTimers(db, { now, limit }),
  ]);
  return {
    events: events.map((e) => ({
      id: e.id,
      source: e.source,
      kind: e.kind,
      attempts: e.attempts,
      lastError: e.last_error,
      leadId: e.lead_id,
      receivedAt: iso(e.received_at)!,
    })),
    crmWrites: writes.map((w) => ({
      id: w.id,
      leadId: w.lead_id,
      decisionId: w.decision_id,
      step: w.step,
      kind: w.kind,
      crm: w.crm,
      attempts: w.attempts,
      lastError: w.last_error,
      updatedAt: iso(w.updated_at)!,
    })),
    timers: timers.map((t) => ({ ...toTimerView(t), leadId: t.leadId })),
  };
}
