/**
 * Early exit: engagement that arrives before a checkpoint (a HubSpot property-change webhook, a
 * Salesforce update, an engagement poll) cancels the checkpoints that can no longer do anything.
 * Signals only turn true, so a checkpoint whose every branch needs a signal to be false that is
 * now true is dead; a booked meeting ends the whole sequence (evaluate-checkpoint.ts). A signal
 * older than a timer's assignment (`since`) is about the previous holder and does not count.
 */
import { sql } from 'kysely';
import { engagementFromHubSpot } from '../adapters/hubspot/hubspot-crm.ts';
import type { Engagement } from '../adapters/crm-port.ts';
import { checkpointStillApplies, normaliseEngagement } from './evaluate-checkpoint.ts';
import { statusSignals } from './field-engagement.ts';
import { cancelTimers, listTimersForLead, type AnyDb, type Timer } from './timer-store.ts';

/** What became true, when, and where we learnt it. Absent signals are unknown, not false. */
export interface EngagementSignal {
  touched?: boolean;
  opened?: boolean;
  replied?: boolean;
  meetingBooked?: boolean;
  /** When it happened in the CRM (ISO 8601). */
  occurredAt: string;
  /** `hubspot webhook hs_sales_email_last_replied`, `engagement poll`… */
  source: string;
}

const hasAny = (s: Partial<Engagement>) =>
  Boolean(s.touched || s.opened || s.replied || s.meetingBooked);

/**
 * A CRM property change as an engagement signal, or null when the property says nothing about
 * engagement. HubSpot: the same mapping as the adapter's engagement read (an instant property set
 * counts). Salesforce: a Lead Status off the untouched values ("Open - Not Contacted", "New",
 * "Open") or a LastActivityDate means touched; a qualified or converted Status means a meeting
 * happened (statusSignals, shared with updates judged by field-engagement.ts).
 */
export function signalFromPropertyChange(
  system: 'hubspot' | 'salesforce' | 'json',
  property: string,
  value: string | null,
  occurredAt: string,
): EngagementSignal | null {
  if (value == null || value === '') return null;
  const source = `${system} ${property}`;
  if (system === 'hubspot') {
    const e = engagementFromHubSpot({ [property]: value }, new Date(0));
    return hasAny(e)
      ? {
          touched: e.touched,
          opened: e.opened,
          replied: e.replied,
          meetingBooked: e.meetingBooked,
          occurredAt,
          source,
        }
      : null;
  }
  if (system === 'salesforce') {
    if (property === 'LastActivityDate') return { touched: true, occurredAt, source };
    if (property === 'Status') {
      const signals = statusSignals(value);
      if (signals.has('meetingBooked'))
        return { touched: true, meetingBooked: true, occurredAt, source };
      if (signals.has('touched')) return { touched: true, occurredAt, source };
    }
  }
  return null;
}

export interface EarlyExitResult {
  cancelled: Array<{ timer: Timer; reason: string }>;
}

/**
 * Cancels the lead's pending checkpoints that the signal makes pointless, and records what it did
 * in the lead's fallback history. Pass the caller's transaction (the intake worker records the
 * webhook and calls this in one transaction). Timers being fired right now are cancelled too;
 * their firing then fails its status check and rolls back.
 */
export async function cancelForEngagement(
  trx: AnyDb,
  input: { leadId: string; signal: EngagementSignal; now: Date },
): Promise<EarlyExitResult> {
  const { signal } = input;
  if (!hasAny(signal)) return { cancelled: [] };
  // Serialises with checkpoint firings of the same lead (fire-checkpoint.ts takes the same lock).
  await sql`select id from leads where id = ${input.leadId} for update`.execute(trx);
  const occurred = new Date(signal.occurredAt).getTime();
  const { facts } = normaliseEngagement({
    touched: signal.touched ?? false,
    opened: signal.opened ?? false,
    replied: signal.replied ?? false,
    meetingBooked: signal.meetingBooked ?? false,
  });
  const pending = (await listTimersForLead(trx, input.leadId)).filter(
    (t) => t.status === 'pending' && !(occurred < t.since.getTime()),
  );
  const dead: Array<{ timer: Timer; reason: string }> = [];
  for (const timer of pending) {
    const r = checkpointStillApplies(timer.plan, facts);
    if (!r.applies) dead.push({ timer, reason: r.reason });
  }
  if (dead.length === 0) return { cancelled: [] };
  const byReason = new Map<string, string[]>();
  for (const d of dead) byReason.set(d.reason, [...(byReason.get(d.reason) ?? []), d.timer.id]);
  for (const [reason, ids] of byReason)
    await cancelTimers(trx, {
      leadId: input.leadId,
      timerIds: ids,
      reason: `early exit (${signal.source} at ${signal.occurredAt}): ${reason}`,
      now: input.now,
    });
  await sql`
    insert into fallback_events (lead_id, kind, data)
    values (${input.leadId}, 'early_exit', ${JSON.stringify({
      signal,
      cancelled: dead.map((d) => ({ key: d.timer.key, reason: d.reason })),
    })}::jsonb)`.execute(trx);
  return { cancelled: dead };
}

/** Convenience for callers outside a transaction: runs cancelForEngagement in its own. */
export async function recordEngagement(
  db: AnyDb,
  leadId: string,
  signal: EngagementSignal,
  now: Date,
): Promise<EarlyExitResult> {
  return db.transaction().execute((trx) => cancelForEngagement(trx, { leadId, signal, now }));
}
