/**
 * What the 90-day review reads from the store, as plain records: one per lead decided in the
 * window (its first decision, source, first touch, outcome signals, reassignments, whether it came
 * back), the fired fallback checkpoints and the pools' daily counts. The computation is in
 * review.ts, pure, so its figures are tested on hand-made data.
 *
 * Where the facts come from (docs/revops.md):
 * - first touch: the earliest CRM engagement signal recorded after the decision — a `lead_events`
 *   change of a touch property (HubSpot notes_last_contacted, hs_last_sales_activity_timestamp,
 *   hs_sales_email_last_replied; Salesforce LastActivityDate). When only a fallback checkpoint saw
 *   "touched", the time is unknown: the lead counts as touched but not in the minutes figures.
 * - outcomes: meeting booked ← hs_latest_meeting_activity or a checkpoint that saw meeting_booked;
 *   converted ← lifecyclestage opportunity/customer, a lead status containing "convert", or a
 *   checkpoint status saying so.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Decision } from '../routing/decision.ts';

export const TOUCH_PROPERTIES = [
  'notes_last_contacted',
  'hs_last_sales_activity_timestamp',
  'hs_sales_email_last_replied',
  'LastActivityDate',
];
export const MEETING_PROPERTIES = ['hs_latest_meeting_activity', 'meeting_booked'];
export const STATUS_PROPERTIES = ['lifecyclestage', 'hs_lead_status', 'Status', 'IsConverted'];

export interface ReviewLead {
  leadId: string;
  label: string;
  source: string;
  leadType: string;
  handler: string;
  decidedAt: Date;
  slaDue: Date | null;
  slaCalendar: string | null;
  /** Earliest recorded touch after the decision, when its time is known. */
  firstTouchAt: Date | null;
  /** Touched according to a checkpoint, time unknown. */
  touchedNoTime: boolean;
  meetingBooked: boolean;
  converted: boolean;
  /** Decisions after the first (re-routes, fallback reassignments). */
  reassignments: number;
  /** A later inbound for the same lead arrived before anyone had touched it. */
  cameBack: boolean;
}

export interface FiredCheckpoint {
  leadType: string;
  checkpoint: string;
  /** 1-based branch that ran, or null when none matched. */
  branch: number | null;
}

export interface PoolDay {
  pool: string;
  member: string;
  day: string;
  count: number;
}

export interface ReviewData {
  since: Date;
  until: Date;
  leads: ReviewLead[];
  fired: FiredCheckpoint[];
  poolDays: PoolDay[];
  /** Handler ids assigned by any decision in the window (first or later). */
  assignedHandlers: string[];
}

export function sourceOf(lead: unknown): string {
  const s = (lead as { source?: Record<string, unknown> } | null)?.source ?? {};
  const utm = (s.utm ?? {}) as Record<string, unknown>;
  for (const v of [s.channel, s.lead_source, utm.medium, utm.source])
    if (typeof v === 'string' && v.trim()) return v.trim().toLowerCase();
  return 'unknown';
}

const isConvertedStatus = (property: string, value: string | null): boolean => {
  const v = (value ?? '').toLowerCase();
  if (property === 'lifecyclestage') return v === 'opportunity' || v === 'customer';
  if (property === 'IsConverted') return v === 'true';
  return v.includes('convert');
};

export async function readReviewData(
  db: Kysely<Database>,
  window: { since: Date; until: Date },
): Promise<ReviewData> {
  const since = window.since.toISOString();
  const until = window.until.toISOString();
  const leads = await sql<{
    lead_id: string;
    lead: unknown;
    decided_at: Date | string;
    decision: Decision;
    lead_type: string;
    handler_id: string;
    decisions: number;
  }>`
    select d.lead_id, l.lead, d.decided_at, d.decision, d.lead_type, d.handler_id,
           (select count(*)::int from decisions x where x.lead_id = d.lead_id) as decisions
    from decisions d
    join leads l on l.id = d.lead_id
    where d.id = (select min(id) from decisions y where y.lead_id = d.lead_id)
      and d.decided_at >= ${since} and d.decided_at < ${until}
    order by d.decided_at`.execute(db);
  const ids = leads.rows.map((r) => String(r.lead_id));
  if (ids.length === 0)
    return {
      ...window,
      leads: [],
      fired: [],
      poolDays: await poolDays(db, window),
      assignedHandlers: [],
    };

  const events = await sql<{
    lead_id: string;
    property: string;
    value: string | null;
    occurred_at: Date | string;
  }>`
    select lead_id, property, value, occurred_at from lead_events
    where lead_id in (${sql.join(ids)}) and property is not null
    order by occurred_at`.execute(db);
  const timers = await sql<{
    lead_id: string;
    outcome: Record<string, unknown> | null;
    lead_type: string;
  }>`
    select t.lead_id, t.outcome, d.lead_type from timers t join decisions d on d.id = t.decision_id
    where t.lead_id in (${sql.join(ids)}) and t.status = 'fired'`.execute(db);
  const inbound = await sql<{ lead_id: string; received_at: Date | string }>`
    select lead_id, received_at from inbox
    where lead_id in (${sql.join(ids)}) and kind = 'route'
    order by received_at`.execute(db);
  const assigned = await sql<{ handler_id: string }>`
    select distinct handler_id from decisions
    where decided_at >= ${since} and decided_at < ${until}`.execute(db);

  const byLead = <T extends { lead_id: string }>(rows: T[]) => {
    const m = new Map<string, T[]>();
    for (const r of rows) {
      const k = String(r.lead_id);
      m.set(k, [...(m.get(k) ?? []), r]);
    }
    return m;
  };
  const ev = byLead(events.rows);
  const tm = byLead(timers.rows);
  const inb = byLead(inbound.rows);

  const out: ReviewLead[] = leads.rows.map((r) => {
    const id = String(r.lead_id);
    const decidedAt = new Date(r.decided_at);
    const evs = ev.get(id) ?? [];
    const touch = evs.find(
      (e) => TOUCH_PROPERTIES.includes(e.property) && new Date(e.occurred_at) >= decidedAt,
    );
    const firstTouchAt = touch ? new Date(touch.occurred_at) : null;
    const outcomes = (tm.get(id) ?? []).map(
      (t) => (t.outcome?.engagement ?? {}) as Record<string, unknown>,
    );
    const meetingBooked =
      evs.some((e) => MEETING_PROPERTIES.includes(e.property) && e.value) ||
      outcomes.some((o) => o.meeting_booked === true);
    const converted =
      evs.some(
        (e) => STATUS_PROPERTIES.includes(e.property) && isConvertedStatus(e.property, e.value),
      ) ||
      outcomes.some((o) => typeof o.status === 'string' && isConvertedStatus('status', o.status));
    // The first inbound is the one that created the decision; a later one before any touch means
    // the lead wrote again because nobody answered.
    const later = (inb.get(id) ?? [])
      .map((x) => new Date(x.received_at))
      .filter((t) => t.getTime() > decidedAt.getTime());
    const cameBack = later.some((t) => !firstTouchAt || t < firstTouchAt);
    const sla = r.decision.sla;
    const lead = r.lead as { company?: string; email?: string } | null;
    return {
      leadId: id,
      label: lead?.company ?? lead?.email ?? `lead ${id}`,
      source: sourceOf(r.lead),
      leadType: r.lead_type,
      handler: r.handler_id,
      decidedAt,
      slaDue: sla ? new Date(sla.dueUtc) : null,
      slaCalendar: sla?.calendar ?? null,
      firstTouchAt,
      touchedNoTime: !firstTouchAt && outcomes.some((o) => o.touched === true),
      meetingBooked,
      converted,
      reassignments: Math.max(0, Number(r.decisions) - 1),
      cameBack,
    };
  });
  const fired: FiredCheckpoint[] = timers.rows
    .filter((t) => t.outcome && !('superseded' in t.outcome))
    .map((t) => ({
      leadType: t.lead_type,
      checkpoint: String(t.outcome?.checkpoint ?? '?'),
      branch: typeof t.outcome?.branch === 'number' ? t.outcome.branch : null,
    }));
  return {
    ...window,
    leads: out,
    fired,
    poolDays: await poolDays(db, window),
    assignedHandlers: assigned.rows.map((r) => r.handler_id),
  };
}

async function poolDays(
  db: Kysely<Database>,
  window: { since: Date; until: Date },
): Promise<PoolDay[]> {
  const from = window.since.toISOString().slice(0, 10);
  const to = window.until.toISOString().slice(0, 10);
  const r = await sql<{ pool: string; member: string; period_key: string; count: number }>`
    select pool, member, period_key, count from pool_counts
    where period = 'day' and period_key >= ${from} and period_key <= ${to}
    order by pool, member, period_key`.execute(db);
  return r.rows.map((x) => ({
    pool: x.pool,
    member: x.member,
    day: x.period_key,
    count: Number(x.count),
  }));
}
