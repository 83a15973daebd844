/**
 * Recent leads from Switchboard's own store, with the time each was first decided (the clock a
 * replay re-uses). Newest first in the query, so `--last N` takes the N most recent.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ReplayLead } from './replay.ts';

export interface LeadWindow {
  since?: Date;
  last?: number;
}

export function leadLabel(raw: unknown, fallback: string): string {
  const l = (raw ?? {}) as { company?: unknown; email?: unknown; crm?: { id?: unknown } };
  if (typeof l.company === 'string' && l.company) return l.company;
  if (typeof l.email === 'string' && l.email) return l.email;
  if (typeof l.crm?.id === 'string') return `crm ${l.crm.id}`;
  return fallback;
}

export async function readStoredLeads(
  db: Kysely<Database>,
  window: LeadWindow,
): Promise<ReplayLead[]> {
  const rows = await sql<{ id: string; lead: unknown; decided_at: Date | string | null }>`
    select l.id, l.lead, d.decided_at
    from leads l
    left join lateral (
      select decided_at from decisions where lead_id = l.id order by id limit 1
    ) d on true
    where ${window.since ? sql`coalesce(d.decided_at, l.created_at) >= ${window.since.toISOString()}` : sql`true`}
    order by coalesce(d.decided_at, l.created_at) desc, l.id desc
    ${window.last !== undefined ? sql`limit ${window.last}` : sql``}`.execute(db);
  return rows.rows.map((r) => ({
    id: String(r.id),
    label: leadLabel(r.lead, `lead ${r.id}`),
    raw: typeof r.lead === 'string' ? (JSON.parse(r.lead) as unknown) : r.lead,
    at: r.decided_at ? new Date(r.decided_at) : null,
  }));
}
