/** Rows the fallback suites need before a timer can exist: a lead and its decision. */
import { sql } from 'kysely';
import type { AnyDb } from '../../../src/fallback/timer-store.ts';
import type { Decision } from '../../../src/routing/decision.ts';
import type { LeadCrmRef } from '../../../src/routing/lead.ts';

export async function seedLead(
  db: AnyDb,
  crmId: string,
  ref: Partial<LeadCrmRef> = {},
  lead: Record<string, unknown> = {},
): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into leads (crm_system, crm_object, crm_id, tenant, lead)
    values (${ref.system ?? 'hubspot'}, ${ref.object ?? 'contact'}, ${crmId}, ${ref.tenant ?? ''},
            ${JSON.stringify({ crm: { system: 'hubspot', object: 'contact', id: crmId }, ...lead })}::jsonb)
    returning id::text as id`.execute(db);
  return rows[0]!.id;
}

export async function seedDecision(
  db: AnyDb,
  leadId: string,
  decision: Pick<Decision, 'assignee' | 'decidedAt' | 'configHash' | 'leadType'> &
    Partial<Decision>,
  reason: 'route' | 'reroute' = 'route',
): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into decisions (lead_id, reason, config_hash, lead_type, handler_id, decided_at, decision)
    values (${leadId}, ${reason}, ${decision.configHash}, ${decision.leadType},
            ${decision.assignee.handlerId}, ${decision.decidedAt}::timestamptz,
            ${JSON.stringify(decision)}::jsonb)
    returning id::text as id`.execute(db);
  return rows[0]!.id;
}

/** A lead with one decision held by `handlerId`, for tests that only need valid ids. */
export async function seedLeadWithDecision(
  db: AnyDb,
  crmId: string,
  handlerId = 'dana',
): Promise<{ leadId: string; decisionId: string }> {
  const leadId = await seedLead(db, crmId);
  const decisionId = await seedDecision(db, leadId, {
    configHash: 'h',
    leadType: 'strategic',
    decidedAt: '2026-11-30T16:00:00.000Z',
    assignee: { via: 'handler', handlerId, name: handlerId, ownerIds: {} },
  });
  return { leadId, decisionId };
}
