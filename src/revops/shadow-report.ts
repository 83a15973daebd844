/**
 * `replay --shadow`: live decisions next to the shadow decisions recorded with them, over a window,
 * compared with the same diff as replay. Shadow rows that recorded an error are listed as not
 * re-decidable, with the error.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Decision } from '../routing/decision.ts';
import { summarize } from './decision-diff.ts';
import { compareDecisionPairs, type DecisionPair, type ReplayReport } from './replay.ts';
import { leadLabel, type LeadWindow } from './stored-leads.ts';

export async function shadowReport(
  db: Kysely<Database>,
  window: LeadWindow,
  catchAll: { before: string; after: string } = { before: '', after: '' },
): Promise<ReplayReport> {
  const rows = await sql<{
    lead_id: string;
    lead: unknown;
    decided_at: Date | string;
    live: Decision;
    live_hash: string;
    shadow: Decision | null;
    shadow_hash: string;
    error: string | null;
  }>`
    select d.lead_id, l.lead, d.decided_at, d.decision as live, d.config_hash as live_hash,
           s.decision as shadow, s.config_hash as shadow_hash, s.error
    from shadow_decisions s
    join decisions d on d.id = s.decision_id
    join leads l on l.id = d.lead_id
    where ${window.since ? sql`d.decided_at >= ${window.since.toISOString()}` : sql`true`}
    order by d.decided_at desc, d.id desc
    ${window.last !== undefined ? sql`limit ${window.last}` : sql``}`.execute(db);
  const ordered = [...rows.rows].reverse();
  const pairs: DecisionPair[] = ordered.map((r) => {
    const lead = {
      id: String(r.lead_id),
      label: leadLabel(r.lead, `lead ${r.lead_id}`),
      raw: r.lead,
      at: new Date(r.decided_at),
    };
    return r.shadow
      ? { lead, at: lead.at, before: summarize(r.live), after: summarize(r.shadow) }
      : { lead, error: `shadow config failed: ${r.error ?? 'no decision recorded'}` };
  });
  const mostCommon = (xs: string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return [...m.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  };
  return compareDecisionPairs(
    { name: 'live decisions', hash: mostCommon(rows.rows.map((r) => r.live_hash)) },
    { name: 'shadow decisions', hash: mostCommon(rows.rows.map((r) => r.shadow_hash)) },
    pairs,
    catchAll,
  );
}
