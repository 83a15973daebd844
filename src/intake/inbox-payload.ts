/**
 * What an inbox row holds, per kind. Intake writes these; the worker reads them. Stored as jsonb,
 * so every shape here must stay readable by later versions (add optional fields only).
 */
import type { Lead, LeadCrmRef } from '../routing/lead.ts';

export type InboxSource = 'hubspot' | 'salesforce' | 'json';
export type InboxKind = 'route' | 'reroute' | 'engagement';

/** A lead to route (kind `route`) or to route again (kind `reroute`). */
export interface LeadEventPayload {
  ref: LeadCrmRef;
  /** Fields the event carried (Salesforce sObject, JSON body). HubSpot events carry none. */
  lead?: Lead;
  /** Set when intake already created the lead row (JSON intake answers with its id). */
  leadId?: string;
  /** When the CRM says it happened (HubSpot occurredAt), ISO 8601. */
  occurredAt?: string;
  /** The property change that asked for a re-route. */
  trigger?: { property: string; value: string | null };
}

/** A CRM property change recorded for fallback checkpoints (kind `engagement`). */
export interface EngagementEventPayload {
  ref: LeadCrmRef;
  property: string;
  value: string | null;
  occurredAt: string;
}

export interface NewInboxEvent {
  source: InboxSource;
  dedupeKey: string;
  kind: InboxKind;
  payload: LeadEventPayload | EngagementEventPayload;
}
