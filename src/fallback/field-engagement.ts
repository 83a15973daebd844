/**
 * Pure: engagement shown by a later update of an already-routed lead (a Salesforce outbound
 * message on Lead update, a redelivered creation, any event that carries the lead's fields),
 * judged against what Switchboard last saw of the same fields. No I/O; update-engagement.ts reads
 * the baseline, records the changes and cancels the checkpoints.
 *
 * The fields are read from fixed Lead paths under `lead.fields`, filled through the existing
 * `crm_mapping` (routing.yaml), so an org maps its own fields there:
 *
 *   fields.lead_status     a status picklist, judged by value (default ← Salesforce `Status`)
 *   fields.last_activity   a last-activity date: touched when set or advanced (default ← `LastActivityDate`)
 *   fields.touched | fields.opened | fields.replied | fields.meeting_booked
 *                          that signal when the field becomes set (true, a date, any text) or advances
 *
 * Only a change counts: the same value seen again (a redelivery) says nothing new, and a status
 * that was already "working" before does not count twice.
 */
import type { CrmMapping } from '../adapters/crm-mapping-schema.ts';
import type { EngagementSignal } from './early-exit.ts';

type Signal = 'touched' | 'opened' | 'replied' | 'meetingBooked';

/** The `lead.fields` keys an update's engagement is read from, and how each is judged. */
export const ENGAGEMENT_FIELDS = {
  lead_status: 'status',
  last_activity: 'touched',
  touched: 'touched',
  opened: 'opened',
  replied: 'replied',
  meeting_booked: 'meetingBooked',
} as const satisfies Record<string, 'status' | Signal>;
export type EngagementField = keyof typeof ENGAGEMENT_FIELDS;

/**
 * The `lead_events.property` a change is recorded under: the names the revops review already reads
 * (review-data.ts: `LastActivityDate` is a touch, `meeting_booked` a meeting, `Status` the status),
 * whichever CRM field the org mapped.
 */
export const EVENT_PROPERTY: Readonly<Record<EngagementField, string>> = {
  lead_status: 'Status',
  last_activity: 'LastActivityDate',
  touched: 'touched',
  opened: 'opened',
  replied: 'replied',
  meeting_booked: 'meeting_booked',
};

/**
 * Which changes to record: every one that shows engagement or moves a value already seen. A first
 * sighting that shows nothing (a status "Open - Not Contacted" the routing event did not carry) is
 * not news, and a recorded event reads as activity on the operator page.
 */
export const worthRecording = (c: FieldChange): boolean => c.signals.length > 0 || c.from !== null;
const KEYS = Object.keys(ENGAGEMENT_FIELDS) as EngagementField[];

/** Lead path ← Salesforce Lead field, merged under an org's own `crm_mapping.salesforce.lead`. */
export const DEFAULT_SALESFORCE_ENGAGEMENT_MAPPING: Readonly<Record<string, string>> =
  Object.freeze({
    'fields.lead_status': 'Status',
    'fields.last_activity': 'LastActivityDate',
  });

const withDefaults = new WeakMap<CrmMapping, CrmMapping>();
let withDefaultsOnly: CrmMapping | undefined;

/**
 * The routing.yaml `crm_mapping` with the Salesforce engagement defaults added where the org has
 * not mapped those paths itself, so outbound messages (and the adapter's Lead reads) carry them.
 * The same input object gives the same output object, so callers that cache by reference (the
 * adapters' mapping provider, per config reload) keep hitting their cache.
 */
export function withSalesforceEngagementFields(mapping: CrmMapping | undefined): CrmMapping {
  if (!mapping) return (withDefaultsOnly ??= addDefaults(undefined));
  let out = withDefaults.get(mapping);
  if (!out) withDefaults.set(mapping, (out = addDefaults(mapping)));
  return out;
}

function addDefaults(mapping: CrmMapping | undefined): CrmMapping {
  const sf = mapping?.salesforce;
  return {
    ...mapping,
    salesforce: { ...sf, lead: { ...DEFAULT_SALESFORCE_ENGAGEMENT_MAPPING, ...sf?.lead } },
  };
}

/**
 * A lead status as engagement: anything off the untouched values ("Open - Not Contacted", "New",
 * "Open") means somebody worked the lead; a qualified or converted status ("Qualified", "Closed -
 * Converted", but not "Closed - Not Converted" or "Unqualified") means a meeting happened.
 * Salesforce's default picklist; shared with the property-change path (early-exit.ts).
 */
export function statusSignals(value: string | null | undefined): Set<Signal> {
  const out = new Set<Signal>();
  const v = value?.trim() ?? '';
  if (v === '' || /not contacted|^new$|^open$/i.test(v)) return out;
  out.add('touched');
  if (
    /qualified|converted/i.test(v) &&
    !/not (qualified|converted)|unqualified|disqualified/i.test(v)
  )
    out.add('meetingBooked');
  return out;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;
const asDate = (v: string): number | null => (ISO_DATE.test(v) ? Date.parse(v) : null);
const isSet = (v: string | null) => v !== null && !/^(false|0|null)?$/i.test(v.trim());
const DAY = 86_400_000;

/** A field value as text, or null when absent or empty. */
function text(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'string' ? v.trim() : String(v);
  return s === '' ? null : s;
}

/** The engagement fields a lead carries (`lead.fields.<key>`), as text. Absent keys are left out. */
export function engagementFieldsOf(
  fields: Record<string, unknown> | undefined,
): Partial<Record<EngagementField, string | null>> {
  const out: Partial<Record<EngagementField, string | null>> = {};
  if (!fields) return out;
  for (const k of KEYS) if (k in fields) out[k] = text(fields[k]);
  return out;
}

export interface FieldChange {
  field: EngagementField;
  from: string | null;
  to: string | null;
  /** What the change means, e.g. `touched`, `meetingBooked`; empty when it shows no engagement. */
  signals: Signal[];
  /** Plain words: `lead_status "Open - Not Contacted" → "Working - Contacted": touched`. */
  reason: string;
}

export interface UpdateEngagement {
  changes: FieldChange[];
  /** Null when no change shows engagement. */
  signal: EngagementSignal | null;
}

export interface UpdateEngagementInput {
  /** What Switchboard last saw of each field (null: never seen, or empty). */
  previous: Partial<Record<EngagementField, string | null>>;
  /** The update's values (engagementFieldsOf). */
  current: Partial<Record<EngagementField, string | null>>;
  /** When the current holder got the lead: a date field older than that is the previous holder's. */
  assignedAt: Date;
  /** When the update happened (ISO 8601): the signal's time. */
  occurredAt: string;
  /** `salesforce update`, for the trace. */
  source: string;
}

function judge(
  field: EngagementField,
  from: string | null,
  to: string | null,
  assignedAt: Date,
): { signals: Signal[]; why: string } {
  const kind = ENGAGEMENT_FIELDS[field];
  if (kind === 'status') {
    const before = statusSignals(from);
    const signals = [...statusSignals(to)].filter((s) => !before.has(s));
    return { signals, why: signals.length ? signals.join(', ') : 'no new engagement' };
  }
  if (!isSet(to)) return { signals: [], why: 'cleared' };
  const t = asDate(to!);
  if (t !== null) {
    // A date a whole day before the assignment belongs to the previous holder (date fields carry
    // no zone, hence the day of slack).
    if (t + DAY < assignedAt.getTime())
      return { signals: [], why: `before the current assignment (${assignedAt.toISOString()})` };
    const f = from === null ? null : asDate(from);
    if (f !== null && t <= f) return { signals: [], why: 'not later than before' };
  } else if (isSet(from)) return { signals: [], why: 'was already set' };
  return { signals: [kind], why: kind };
}

/** The changes of the engagement fields, and the engagement signal they add up to. */
export function engagementFromUpdate(input: UpdateEngagementInput): UpdateEngagement {
  const changes: FieldChange[] = [];
  const signal: EngagementSignal = { occurredAt: input.occurredAt, source: input.source };
  for (const field of KEYS) {
    if (!(field in input.current)) continue;
    const to = input.current[field] ?? null;
    const from = input.previous[field] ?? null;
    if (to === from) continue;
    const { signals, why } = judge(field, from, to, input.assignedAt);
    for (const s of signals) signal[s] = true;
    changes.push({
      field,
      from,
      to,
      signals,
      reason: `${field} ${JSON.stringify(from)} → ${JSON.stringify(to)}: ${why}`,
    });
  }
  const engaged = changes.filter((c) => c.signals.length > 0);
  if (engaged.length === 0) return { changes, signal: null };
  signal.source = `${input.source} (${engaged.map((c) => c.reason).join('; ')})`;
  return { changes, signal };
}
