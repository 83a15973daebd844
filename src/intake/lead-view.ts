/** The admin view of one lead: what was stored, decided, queued for the CRM and received. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Decision } from '../routing/decision.ts';

export interface LeadView {
  id: string;
  crm: { system: string; object: string; id: string; tenant: string };
  lead: unknown;
  createdAt: Date;
  updatedAt: Date;
  /** `pending` until the worker routed it. */
  status: 'pending' | 'routed' | 'failed';
  decision: (Decision & { id: string }) | null;
  decisions: Array<{
    id: string;
    reason: string;
    leadType: string;
    handlerId: string;
    decidedAt: string;
    configHash: string;
  }>;
  crmWrites: Array<{
    id: string;
    step: string;
    kind: string;
    crm: string;
    status: string;
    attempts: number;
    lastError: string | null;
    result: unknown;
    doneAt: Date | null;
  }>;
  events: Array<{
    id: string;
    source: string;
    kind: string;
    status: string;
    outcome: string | null;
    attempts: number;
    lastError: string | null;
    receivedAt: Date;
  }>;
}

export async function readLeadView(db: Kysely<Database>, id: string): Promise<LeadView | null> {
  const lead = await db.selectFrom('leads').selectAll().where('id', '=', id).executeTakeFirst();
  if (!lead) return null;
  const [decisions, writes, events] = await Promise.all([
    db.selectFrom('decisions').selectAll().where('lead_id', '=', id).orderBy('id').execute(),
    db.selectFrom('crm_writes').selectAll().where('lead_id', '=', id).orderBy('id').execute(),
    db.selectFrom('inbox').selectAll().where('lead_id', '=', id).orderBy('id').execute(),
  ]);
  const last = decisions.at(-1);
  const failed = events.some(
    (e) => e.status === 'parked' || (e.status === 'pending' && e.last_error),
  );
  return {
    id: lead.id,
    crm: { system: lead.crm_system, object: lead.crm_object, id: lead.crm_id, tenant: lead.tenant },
    lead: lead.lead,
    createdAt: lead.created_at,
    updatedAt: lead.updated_at,
    status: last ? 'routed' : failed ? 'failed' : 'pending',
    decision: last ? { id: last.id, ...(last.decision as Decision) } : null,
    decisions: decisions.map((d) => ({
      id: d.id,
      reason: d.reason,
      leadType: d.lead_type,
      handlerId: d.handler_id,
      decidedAt: new Date(d.decided_at).toISOString(),
      configHash: d.config_hash,
    })),
    crmWrites: writes.map((w) => ({
      id: w.id,
      step: w.step,
      kind: w.kind,
      crm: w.crm,
      status: w.status,
      attempts: w.attempts,
      lastError: w.last_error,
      result: w.result,
      doneAt: w.done_at,
    })),
    events: events.map((e) => ({
      id: e.id,
      source: e.source,
      kind: e.kind,
      status: e.status,
      outcome: e.outcome,
      attempts: e.attempts,
      lastError: e.last_error,
      receivedAt: e.received_at,
    })),
  };
}
