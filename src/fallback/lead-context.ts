/**
 * A routed lead as the fallback side needs it: its CRM reference, the stored lead and every
 * decision so far (who held it). Shared by the checkpoint firer and the unknown-owner fallback.
 */
import { sql } from 'kysely';
import type { Decision } from '../routing/decision.ts';
import type { Lead, LeadCrmRef } from '../routing/lead.ts';
import type { AnyDb } from './timer-store.ts';

export interface LeadContext {
  ref: LeadCrmRef;
  lead: Lead;
  decisions: Array<{ id: string; handlerId: string; decision: Decision }>;
}

/**
 * Null when the lead does not exist. `forUpdate` locks the lead row until the caller's
 * transaction ends: one lead, one change at a time (the timer firer and the unknown-owner
 * fallback take the same lock, as does the inbox worker's single-event path).
 */
export async function loadLead(
  db: AnyDb,
  leadId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<LeadContext | null> {
  const { rows: leads } = await sql<{
    crm_system: LeadCrmRef['system'];
    crm_object: LeadCrmRef['object'];
    crm_id: string;
    tenant: string;
    lead: Lead | string;
  }>`select crm_system, crm_object, crm_id, tenant, lead from leads where id = ${leadId}
     ${opts.forUpdate ? sql`for update` : sql``}`.execute(db);
  const row = leads[0];
  if (!row) return null;
  const { rows: decisions } = await sql<{
    id: string | number;
    handler_id: string;
    decision: Decision | string;
  }>`select id, handler_id, decision from decisions where lead_id = ${leadId} order by id`.execute(
    db,
  );
  return {
    ref: {
      system: row.crm_system,
      object: row.crm_object,
      id: row.crm_id,
      ...(row.tenant ? { tenant: row.tenant } : {}),
    },
    lead: parse(row.lead),
    decisions: decisions.map((d) => ({
      id: String(d.id),
      handlerId: d.handler_id,
      decision: parse(d.decision),
    })),
  };
}

const parse = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
