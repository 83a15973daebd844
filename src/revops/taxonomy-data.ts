/**
 * Outcomes for the taxonomy exercise. From the store: the CRM signals recorded in lead_events
 * (the same reading as the review). From the CRM: the lead's own status fields.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ReplayLead } from './replay.ts';
import { outcomeFromFields, type Outcome, type TaxonomyLead } from './taxonomy.ts';

export async function withStoredOutcomes(
  db: Kysely<Database>,
  leads: ReplayLead[],
): Promise<TaxonomyLead[]> {
  if (leads.length === 0) return [];
  const rows = await sql<{ lead_id: string; property: string; value: string | null }>`
    select lead_id, property, value from lead_events
    where lead_id in (${sql.join(leads.map((l) => l.id))}) and property is not null
    order by occurred_at`.execute(db);
  const fields = new Map<string, Record<string, unknown>>();
  for (const r of rows.rows) {
    const f = fields.get(String(r.lead_id)) ?? {};
    f[r.property] = r.property === 'IsConverted' ? r.value === 'true' : r.value; // last value wins
    fields.set(String(r.lead_id), f);
  }
  return leads.map((l) => ({ ...l, outcome: outcomeFromFields(fields.get(l.id)) }));
}

export function withCrmOutcomes(leads: ReplayLead[]): TaxonomyLead[] {
  return leads.map((l) => ({
    ...l,
    outcome: outcomeFromFields((l.raw as { fields?: Record<string, unknown> }).fields) as Outcome,
  }));
}
