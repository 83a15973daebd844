/**
 * The one port between Switchboard and a CRM: only what routing and fallbacks need, in domain
 * verbs and our own types. HubSpot (`@hubspot/api-client`), Salesforce (`jsforce`) and the dry-run
 * recorder implement it; nothing outside src/adapters imports a vendor type.
 */
import type { Lead, LeadCrmRef } from '../routing/lead.ts';

export type CrmSystem = 'hubspot' | 'salesforce' | 'dryrun';

export interface CrmOwner {
  id: string;
  email?: string;
  name?: string;
  active: boolean;
}

/** What a checkpoint learns about the lead since it was assigned. */
export interface Engagement {
  touched: boolean;
  opened: boolean;
  replied: boolean;
  meetingBooked: boolean;
  /** Lead status / lifecycle stage as the CRM reports it, when known. */
  status?: string;
  /** Which CRM fields or records each answer came from: shown in the trace. */
  evidence: string[];
}

/** A task as Switchboard writes it: the first touch, a channel switch, an escalation. */
export interface TaskWrite {
  subject: string;
  body: string;
  /** Due instant, ISO 8601. */
  dueUtc: string;
  channel: string;
  priority: 'high' | 'medium' | 'low';
  ownerId: string;
}

/**
 * Everything one routing decision writes, performed exactly once per `key`: the owner, the
 * first-touch task and the explanation note. Adapters use as few calls as the CRM allows
 * (Salesforce: one composite with allOrNone).
 */
export interface RoutingWrite {
  /** Idempotency key: `${leadId}:${decisionId}:${step}`. A retry with the same key must not duplicate. */
  key: string;
  lead: LeadCrmRef;
  ownerId: string;
  task: TaskWrite | null;
  note: string | null;
  /**
   * 1 on the first try. Above 1 an earlier attempt may have reached the CRM before we could
   * record it, so the adapter looks for its earlier task / note before creating another.
   */
  attempt?: number;
}

/** Per-call options of the single writes (fallback steps). */
export interface WriteOptions {
  /** As `RoutingWrite.attempt`. */
  attempt?: number;
}

export interface RoutingWriteResult {
  ownerSet: boolean;
  taskId?: string;
  noteId?: string;
  /** Number of HTTP calls the write cost (for the bench's calls-per-lead figure). */
  calls: number;
}

export interface CrmPort {
  readonly system: CrmSystem;
  /** Read a lead (and its company/account) as the router sees it; null when it no longer exists. */
  readLead(ref: LeadCrmRef): Promise<Lead | null>;
  /** Batch form of readLead: one map entry per ref id (null when missing). */
  readLeads(refs: LeadCrmRef[]): Promise<Map<string, Lead | null>>;
  listOwners(): Promise<CrmOwner[]>;
  /** Existing account owner for a company domain, when the CRM knows one. */
  findAccountOwner(domain: string): Promise<{ accountId: string; ownerId: string } | null>;
  /** Owner + task + note for one decision, idempotent on `write.key`. */
  writeRouting(write: RoutingWrite): Promise<RoutingWriteResult>;
  /** Batch form of writeRouting; one result (or error) per item, so one bad record never fails its neighbours. */
  writeRoutings(writes: RoutingWrite[]): Promise<Array<RoutingWriteResult | Error>>;
  assignOwner(key: string, lead: LeadCrmRef, ownerId: string): Promise<void>;
  createTask(
    key: string,
    lead: LeadCrmRef,
    task: TaskWrite,
    opts?: WriteOptions,
  ): Promise<{ id: string }>;
  addNote(
    key: string,
    lead: LeadCrmRef,
    body: string,
    ownerId?: string,
    opts?: WriteOptions,
  ): Promise<{ id: string }>;
  readEngagement(lead: LeadCrmRef, since: Date): Promise<Engagement>;
  /** Most recent leads, newest first (replay and the "last 100 leads" exercise). */
  listRecentLeads(opts: { limit: number; since?: Date }): Promise<Lead[]>;
}
