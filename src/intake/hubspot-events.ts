/**
 * A HubSpot webhook delivery (a JSON array of ≤ 100 events) → inbox events. `contact.creation`
 * routes; `contact.propertyChange` re-routes on configured property values (HUBSPOT_REROUTE_ON)
 * or is recorded as engagement for fallbacks (HUBSPOT_ENGAGEMENT_PROPERTIES); everything else is
 * acknowledged and dropped, because HubSpot retries every non-2xx for a day.
 *
 * Dedupe key: portal, app, subscription, event id, object id, occurredAt and property name.
 * HubSpot documents `eventId` as not unique on its own.
 */
import { z } from 'zod';
import { SwitchboardError } from '../errors.ts';
import type { LeadCrmRef } from '../routing/lead.ts';
import type { NewInboxEvent } from './inbox-payload.ts';

export const MAX_HUBSPOT_BATCH = 100;

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);

export const HubSpotEventSchema = z
  .object({
    eventId: id,
    subscriptionId: id,
    portalId: id,
    appId: id.optional(),
    occurredAt: z.number().int().nonnegative(),
    subscriptionType: z.string().optional(),
    eventType: z.string().optional(),
    objectId: id,
    objectTypeId: z.string().optional(),
    propertyName: z.string().optional(),
    propertyValue: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    attemptNumber: z.number().optional(),
  })
  .loose()
  .refine((e) => e.subscriptionType ?? e.eventType, { message: 'subscriptionType is required' });

export type HubSpotEvent = z.infer<typeof HubSpotEventSchema>;

export interface HubSpotIntakeRules {
  /** `property` or `property=value` entries: a change matching one re-routes the contact. */
  rerouteOn: string[];
  engagementProperties: string[];
}

export interface ParsedDelivery {
  events: NewInboxEvent[];
  ignored: number;
}

export function parseHubSpotDelivery(body: unknown, rules: HubSpotIntakeRules): ParsedDelivery {
  if (!Array.isArray(body)) {
    throw new SwitchboardError(
      'WEBHOOK.MALFORMED',
      'A HubSpot delivery is a JSON array of events.',
      400,
    );
  }
  if (body.length > MAX_HUBSPOT_BATCH) {
    throw new SwitchboardError(
      'WEBHOOK.BATCH_TOO_LARGE',
      `A HubSpot delivery holds at most ${MAX_HUBSPOT_BATCH} events; got ${body.length}.`,
      400,
    );
  }
  const events: NewInboxEvent[] = [];
  let ignored = 0;
  body.forEach((raw, i) => {
    const ev = toInboxEvent(checkHubSpotEvent(raw, i), rules);
    if (ev) events.push(ev);
    else ignored++;
  });
  return { events, ignored };
}

/** One event, validated: the plain-code check first, zod for anything it does not accept. */
export function checkHubSpotEvent(raw: unknown, i = 0): HubSpotEvent {
  const fast = quickHubSpotEvent(raw);
  if (fast) return fast;
  const res = HubSpotEventSchema.safeParse(raw);
  if (!res.success) {
    throw new SwitchboardError(
      'WEBHOOK.MALFORMED',
      `HubSpot event [${i}] is malformed: ${res.error.issues.map((x) => `${x.path.join('.') || '(event)'}: ${x.message}`).join('; ')}`,
      400,
    );
  }
  return res.data;
}

/**
 * The schema above in plain code, for the events HubSpot actually sends: returns what zod would
 * (ids as strings, other keys kept) or null when unsure, and then zod decides and words the 400.
 * zod was the largest single cost of our own code on the ack path (~10 µs of ~20 µs per one-event
 * delivery, more under load; issue 5). test/unit/intake/hubspot-events.test.ts checks that both
 * agree on valid and broken variants.
 */
export function quickHubSpotEvent(raw: unknown): HubSpotEvent | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const e = raw as Record<string, unknown>;
  const eventId = quickId(e.eventId);
  const subscriptionId = quickId(e.subscriptionId);
  const portalId = quickId(e.portalId);
  const objectId = quickId(e.objectId);
  const appId = e.appId === undefined ? undefined : quickId(e.appId);
  if (eventId === null || subscriptionId === null || portalId === null || objectId === null)
    return null;
  if (appId === null || !isNonNegativeInt(e.occurredAt)) return null;
  if (!optional(e.subscriptionType, 'string') || !optional(e.eventType, 'string')) return null;
  if (!optional(e.objectTypeId, 'string') || !optional(e.propertyName, 'string')) return null;
  if (!optional(e.attemptNumber, 'number') || !Number.isFinite(e.attemptNumber ?? 0)) return null;
  const v = e.propertyValue;
  if (v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'boolean') {
    if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  }
  if (!((e.subscriptionType as string | undefined) ?? (e.eventType as string | undefined)))
    return null;
  const out = { ...e, eventId, subscriptionId, portalId, objectId } as HubSpotEvent;
  if (appId !== undefined) out.appId = appId;
  return out;
}

function quickId(v: unknown): string | null {
  if (typeof v === 'number') return isNonNegativeInt(v) ? String(v) : null;
  return typeof v === 'string' && /^\d+$/.test(v) ? v : null;
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function optional(v: unknown, type: 'string' | 'number'): boolean {
  return v === undefined || typeof v === type;
}

function isContact(e: HubSpotEvent, type: string): boolean {
  return type.startsWith('contact.') || (type.startsWith('object.') && e.objectTypeId === '0-1');
}

function toInboxEvent(e: HubSpotEvent, rules: HubSpotIntakeRules): NewInboxEvent | null {
  const type = (e.subscriptionType ?? e.eventType)!;
  if (!isContact(e, type)) return null;
  const ref: LeadCrmRef = {
    system: 'hubspot',
    object: 'contact',
    id: e.objectId,
    tenant: e.portalId,
  };
  const dedupeKey = [
    e.portalId,
    e.appId ?? '',
    e.subscriptionId,
    e.eventId,
    e.objectId,
    e.occurredAt,
    e.propertyName ?? '',
  ].join(':');
  const occurredAt = new Date(e.occurredAt).toISOString();
  const action = type.slice(type.indexOf('.') + 1);
  if (action === 'creation') {
    return { source: 'hubspot', dedupeKey, kind: 'route', payload: { ref, occurredAt } };
  }
  if (action === 'propertyChange' && e.propertyName) {
    const value =
      e.propertyValue === undefined || e.propertyValue === null ? null : String(e.propertyValue);
    if (matchesReroute(rules.rerouteOn, e.propertyName, value)) {
      return {
        source: 'hubspot',
        dedupeKey,
        kind: 'reroute',
        payload: { ref, occurredAt, trigger: { property: e.propertyName, value } },
      };
    }
    if (rules.engagementProperties.includes(e.propertyName)) {
      return {
        source: 'hubspot',
        dedupeKey,
        kind: 'engagement',
        payload: { ref, property: e.propertyName, value, occurredAt },
      };
    }
  }
  return null;
}

function matchesReroute(rules: string[], property: string, value: string | null): boolean {
  return rules.some((r) => {
    const eq = r.indexOf('=');
    if (eq < 0) return r === property;
    return r.slice(0, eq) === property && r.slice(eq + 1) === (value ?? '');
  });
}
