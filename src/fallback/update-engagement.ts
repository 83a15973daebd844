/**
 * An event for a lead that is already routed (a Salesforce outbound message on Lead update, a
 * redelivered creation) is not routed again, but what it shows still counts: each engagement field
 * (field-engagement.ts) whose value differs from what Switchboard last saw of it is recorded as a
 * lead event (`lead_events.kind = 'field_change'`, property `Status`, `LastActivityDate`…; a first
 * sighting that shows nothing is not), and engagement among those changes cancels the
 * checkpoints it makes pointless (cancelForEngagement). Runs in the caller's transaction, the one
 * that completes the inbox event, under the lead's row lock.
 *
 * "Last saw": the newest `field_change` of that field, else the value the event that first routed
 * the lead carried, else nothing. The stored lead row itself cannot serve, because the intake has
 * already refreshed it with this very event by the time it knows the lead was routed before.
 */
import { sql } from 'kysely';
import type { Lead, LeadCrmRef } from '../routing/lead.ts';
import { cancelForEngagement, type EarlyExitResult } from './early-exit.ts';
import {
  EVENT_PROPERTY,
  engagementFieldsOf,
  engagementFromUpdate,
  worthRecording,
  type EngagementField,
  type FieldChange,
} from './field-engagement.ts';
import type { AnyDb } from './timer-store.ts';

export interface UpdateEngagementRecord {
  changes: FieldChange[];
  cancelled: EarlyExitResult['cancelled'];
}

export interface RecordUpdateInput {
  leadId: string;
  ref: LeadCrmRef;
  /** The lead as this event has it (after enrichment). */
  lead: Lead;
  inboxId: string;
  /** When the CRM says the update happened; default `now`. */
  occurredAt?: string;
  now: Date;
}

const parse = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

export async function recordUpdateEngagement(
  trx: AnyDb,
  input: RecordUpdateInput,
): Promise<UpdateEngagementRecord> {
  const current = engagementFieldsOf(input.lead.fields);
  const fields = Object.keys(current) as EngagementField[];
  if (fields.length === 0) return { changes: [], cancelled: [] };

  // One round trip: the current holder's assignment time, the values the routing event carried and
  // the newest recorded value of each field.
  const { rows } = await sql<{
    assigned_at: Date | string;
    routed_with: Lead | string | null;
    seen: Record<string, string | null> | string | null;
  }>`
    select
      (select decided_at from decisions where lead_id = ${input.leadId} order by id desc limit 1)
        as assigned_at,
      (select i.payload -> 'lead' from decisions d join inbox i on i.id = d.inbox_id
        where d.lead_id = ${input.leadId} order by d.id limit 1) as routed_with,
      (select jsonb_object_agg(property, value) from (
         select distinct on (property) property, value from lead_events
         where lead_id = ${input.leadId} and kind = 'field_change'
         order by property, id desc) last) as seen`.execute(trx);
  const r = rows[0]!;
  const routedWith = engagementFieldsOf(parse(r.routed_with ?? {})?.fields);
  const seen = parse(r.seen ?? {}) ?? {};
  const previous: Partial<Record<EngagementField, string | null>> = {};
  for (const f of fields) {
    const key = EVENT_PROPERTY[f];
    previous[f] = key in seen ? (seen[key] ?? null) : (routedWith[f] ?? null);
  }

  const occurredAt = input.occurredAt ?? input.now.toISOString();
  const result = engagementFromUpdate({
    previous,
    current,
    assignedAt: toDate(r.assigned_at),
    occurredAt,
    source: `${input.ref.system} update`,
  });
  const recorded = result.changes.filter(worthRecording);
  if (recorded.length > 0)
    await sql`
      insert into lead_events (lead_id, crm_system, tenant, crm_id, kind, property, value, occurred_at, inbox_id, engaged)
      values ${sql.join(
        recorded.map(
          (c) => sql`(${input.leadId}, ${input.ref.system}, ${input.ref.tenant ?? ''},
            ${input.ref.id}, 'field_change', ${EVENT_PROPERTY[c.field]}, ${c.to},
            ${occurredAt}::timestamptz, ${input.inboxId}, ${c.signals.length > 0})`,
        ),
      )}`.execute(trx);
  const cancelled = result.signal
    ? (
        await cancelForEngagement(trx, {
          leadId: input.leadId,
          signal: result.signal,
          now: input.now,
        })
      ).cancelled
    : [];
  return { changes: result.changes, cancelled };
}
