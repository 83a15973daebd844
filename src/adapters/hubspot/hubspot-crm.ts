/**
 * CrmPort on HubSpot CRM v3/v4 through `@hubspot/api-client` 13.5 (the newest that loads on
 * Node 20). Calls go through the SDK's `apiRequest`, which applies `basePath` and the Bearer
 * token, so we see every status and `X-HubSpot-RateLimit-*` header; the SDK's own retries are off
 * (`numberOfApiCallRetries: 0`) because ours honour Retry-After and the outbox (PROTOCOLS §9.9).
 *
 * A lone routed lead costs 5 calls: contact (+ company ids), company, owner PATCH, task, note.
 */
import { Client } from '@hubspot/api-client';
import type { Lead, LeadCrmRef } from '../../routing/lead.ts';
import type {
  CrmOwner,
  CrmPort,
  Engagement,
  RoutingWrite,
  RoutingWriteResult,
  TaskWrite,
  WriteOptions,
} from '../crm-port.ts';
import { CrmError } from '../crm-error.ts';
import {
  createPacedCaller,
  httpOperation,
  isAmbiguous,
  type CallOptions,
  type CrmCaller,
  type RetrySettings,
} from '../crm-call.ts';
import { HUBSPOT_DEFAULT_RATE, type RateLimiter, type RateLimitSettings } from '../rate-limiter.ts';
import { silentLog, type CrmDeps, type CrmLog } from '../crm-deps.ts';
import { applyExtra, applyMapping } from '../lead-mapping.ts';
import { hasMarker, markerFor } from '../idempotency-marker.ts';
import { resolveHubSpotMapping, type HubSpotMapping } from '../crm-mapping-schema.ts';
import { mappingProvider, type CrmMappingSource } from '../mapping-provider.ts';
import { hubspotHttpError, hubspotThrownError, type HubSpotErrorBody } from './hubspot-errors.ts';
import { settleRoutingParts } from './partial-write.ts';
import { countCall, countCalls } from '../call-tally.ts';

/** Read-only contact property: the id of the contact's primary company (HubSpot maintains it). */
const PRIMARY_COMPANY_PROPERTY = 'associatedcompanyid';

/** HUBSPOT_DEFINED association type ids (PROTOCOLS §2, SDK AssociationTypes). */
export const ASSOC = { taskToContact: 204, noteToContact: 202, contactToCompany: 279 } as const;

/** Contact properties read for engagement (PROTOCOLS §2.1; calculated, so hints, not facts). */
export const ENGAGEMENT_PROPERTIES = [
  'hs_sales_email_last_opened',
  'hs_sales_email_last_clicked',
  'hs_sales_email_last_replied',
  'notes_last_contacted',
  'hs_last_sales_activity_timestamp',
  'hs_latest_meeting_activity',
  'hs_lead_status',
  'lifecyclestage',
] as const;

const BATCH_MAX = 100;

export interface HubSpotSettings {
  accessToken: string;
  /** HUBSPOT_BASE_URL; default https://api.hubapi.com. */
  baseUrl?: string;
  /** A fixed section, or a getter over the live config (a reload changes the next read). */
  mapping?: CrmMappingSource;
  rateLimit?: RateLimitSettings;
  retry?: Partial<RetrySettings>;
}

interface HsObject {
  id: string;
  properties: Record<string, string | null>;
  associations?: Record<string, { results: Array<{ id: string; type?: string }> }>;
}

interface HsCreateInput {
  properties: Record<string, string>;
  associations: Array<{
    to: { id: string };
    types: Array<{ associationCategory: string; associationTypeId: number }>;
  }>;
}

interface Reply<T> {
  status: number;
  body: T;
}

const taskType = (channel: string): string => {
  const c = channel.toLowerCase();
  if (c.includes('mail')) return 'EMAIL';
  if (c.includes('call') || c.includes('phone')) return 'CALL';
  return 'TODO';
};

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Task and note bodies are rich text in HubSpot: one paragraph per line keeps the draft readable. */
const toHtml = (text: string) =>
  text
    .split('\n')
    .map((l) => `<p>${escapeHtml(l)}</p>`)
    .join('');

export class HubSpotCrm implements CrmPort {
  readonly system = 'hubspot' as const;
  readonly #client: Client;
  readonly #caller: CrmCaller;
  readonly #limiter: RateLimiter;
  readonly #mapping: () => HubSpotMapping;
  readonly #deps: CrmDeps;
  readonly #log: CrmLog;

  constructor(settings: HubSpotSettings, deps: CrmDeps) {
    this.#client = new Client({
      accessToken: settings.accessToken,
      basePath: (settings.baseUrl ?? 'https://api.hubapi.com').replace(/\/+$/, ''),
      numberOfApiCallRetries: 0,
    });
    this.#deps = deps;
    this.#log = deps.log ?? silentLog;
    this.#mapping = mappingProvider(settings.mapping, resolveHubSpotMapping);
    ({ limiter: this.#limiter, caller: this.#caller } = createPacedCaller({
      crm: 'hubspot',
      rate: settings.rateLimit ?? HUBSPOT_DEFAULT_RATE,
      ...(settings.retry ? { retry: settings.retry } : {}),
      deps,
      log: this.#log,
      classify: (e) => hubspotThrownError(e, 'a HubSpot call'),
    }));
  }

  /** HTTP calls made so far, retries included. */
  get calls(): number {
    return this.#caller.calls;
  }

  /** Calls sent and not yet answered (tests advance virtual time only when this is 0). */
  get inFlight(): number {
    return this.#caller.inFlight;
  }

  get limiter(): RateLimiter {
    return this.#limiter;
  }

  /** One HubSpot request through limiter + retry; non-2xx becomes a CrmError. */
  async #req<T>(
    what: string,
    method: string,
    path: string,
    body?: unknown,
    callOpts?: CallOptions,
  ): Promise<Reply<T>> {
    const okStatuses = [200, 201, 204, 207];
    return this.#caller.call(
      what,
      async () => {
        countCall();
        let res;
        try {
          res = await this.#client.apiRequest({
            method,
            path,
            ...(body === undefined ? {} : { body }),
          });
        } catch (e) {
          throw hubspotThrownError(e, what);
        }
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          headers[k.toLowerCase()] = v;
        });
        this.#observeRateHeaders(headers);
        const raw = await res.text().catch(() => '');
        if (!okStatuses.includes(res.status)) {
          let parsed: HubSpotErrorBody = {};
          try {
            parsed = raw ? (JSON.parse(raw) as HubSpotErrorBody) : {};
          } catch {
            /* keep the raw text as the message */
          }
          throw hubspotHttpError(
            res.status,
            parsed,
            raw,
            headers,
            this.#deps.clock.now().getTime(),
            what,
          );
        }
        if (res.status === 204 || raw === '') return { status: res.status, body: undefined as T };
        try {
          return { status: res.status, body: JSON.parse(raw) as T };
        } catch {
          throw new CrmError('CRM.BAD_RESPONSE', `HubSpot answer to ${what} is not JSON`, {
            crm: 'hubspot',
            status: res.status,
            crmMessage: raw.slice(0, 300),
          });
        }
      },
      { ...callOpts, operation: httpOperation(method, path, body), statusOf: (r) => r.status },
    );
  }

  /** `Remaining: 0` means the window is spent: hold every caller until it rolls. */
  #observeRateHeaders(h: Record<string, string>) {
    const remaining = h['x-hubspot-ratelimit-remaining'];
    const interval = Number(h['x-hubspot-ratelimit-interval-milliseconds']);
    if (remaining === '0' && Number.isFinite(interval) && interval > 0) {
      this.#limiter.pauseUntil(this.#deps.clock.now().getTime() + interval);
    }
  }

  #contactProps(m = this.#mapping()): string[] {
    return [...new Set([...Object.values(m.contact), ...m.extra, 'hubspot_owner_id'])];
  }

  #companyProps(m = this.#mapping()): string[] {
    return [...new Set(Object.values(m.company))];
  }

  #toLead(
    contact: HsObject,
    company: HsObject | undefined,
    ref?: LeadCrmRef,
    m = this.#mapping(),
  ): Lead {
    const lead: Lead = {
      crm: {
        system: 'hubspot',
        object: 'contact',
        id: contact.id,
        ...(ref?.tenant ? { tenant: ref.tenant } : {}),
      },
    };
    applyMapping(lead, contact.properties, m.contact);
    applyExtra(lead, contact.properties, m.extra);
    if (contact.properties.hubspot_owner_id) {
      lead.fields = { ...lead.fields, hubspot_owner_id: contact.properties.hubspot_owner_id };
    }
    if (company) {
      // Company firmographics win over the contact's form answers.
      applyMapping(lead, company.properties, m.company);
      lead.account = { ...lead.account, id: company.id };
    }
    return lead;
  }

  async readLead(ref: LeadCrmRef): Promise<Lead | null> {
    const m = this.#mapping(); // one mapping for the whole read, even across a reload
    const qs = new URLSearchParams();
    for (const p of this.#contactProps(m)) qs.append('properties', p);
    qs.append('associations', 'companies');
    let contact: HsObject;
    try {
      contact = (
        await this.#req<HsObject>(
          'read contact',
          'GET',
          `/crm/v3/objects/contacts/${encodeURIComponent(ref.id)}?${qs}`,
        )
      ).body;
    } catch (e) {
      if (e instanceof CrmError && e.code === 'CRM.NOT_FOUND') return null;
      throw e;
    }
    const assoc = contact.associations?.companies?.results ?? [];
    // The primary company comes back typed `contact_to_company`; unlabeled ones are secondary.
    const companyId = (assoc.find((a) => a.type === 'contact_to_company') ?? assoc[0])?.id;
    let company: HsObject | undefined;
    if (companyId) {
      const cq = new URLSearchParams();
      for (const p of this.#companyProps(m)) cq.append('properties', p);
      try {
        company = (
          await this.#req<HsObject>(
            'read company',
            'GET',
            `/crm/v3/objects/companies/${encodeURIComponent(companyId)}?${cq}`,
          )
        ).body;
      } catch (e) {
        if (!(e instanceof CrmError && e.code === 'CRM.NOT_FOUND')) throw e;
      }
    }
    return this.#toLead(contact, company, ref, m);
  }

  async readLeads(refs: LeadCrmRef[]): Promise<Map<string, Lead | null>> {
    const out = new Map<string, Lead | null>();
    const m = this.#mapping();
    for (let i = 0; i < refs.length; i += BATCH_MAX) {
      const chunk = refs.slice(i, i + BATCH_MAX);
      const contacts = await this.#batchRead(
        'contacts',
        chunk.map((r) => r.id),
        [...this.#contactProps(m), PRIMARY_COMPANY_PROPERTY],
      );
      const companyOf = await this.#primaryCompanies(contacts);
      const companies = await this.#batchRead(
        'companies',
        [...new Set(companyOf.values())],
        this.#companyProps(m),
      );
      for (const ref of chunk) {
        const c = contacts.get(ref.id);
        const companyId = companyOf.get(ref.id);
        out.set(
          ref.id,
          c ? this.#toLead(c, companyId ? companies.get(companyId) : undefined, ref, m) : null,
        );
      }
    }
    return out;
  }

  /** Batch read (≤100); ids HubSpot does not know are simply absent from the map (207 errors). */
  async #batchRead(
    object: 'contacts' | 'companies',
    ids: string[],
    properties: string[],
  ): Promise<Map<string, HsObject>> {
    const map = new Map<string, HsObject>();
    if (ids.length === 0) return map;
    const { body } = await this.#req<{ results: HsObject[] }>(
      `batch read ${object}`,
      'POST',
      `/crm/v3/objects/${object}/batch/read`,
      {
        properties,
        propertiesWithHistory: [],
        inputs: ids.map((id) => ({ id })),
      },
    );
    for (const o of body.results ?? []) map.set(o.id, o);
    return map;
  }

  /**
   * contact id → primary company id. HubSpot keeps the primary company's id in the read-only
   * contact property `associatedcompanyid`, so a batch whose contacts all have one costs no
   * associations call: one HubSpot call and one round trip fewer per batch (the end-to-end
   * bench's batches of 2-4 leads at 100 leads/s read in 2 sequential calls instead of 3). The
   * v4 associations read remains for contacts without it (no company, or only unlabeled ones).
   */
  async #primaryCompanies(contacts: Map<string, HsObject>): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    const unknown: string[] = [];
    for (const [id, c] of contacts) {
      const primary = c.properties[PRIMARY_COMPANY_PROPERTY];
      if (primary) map.set(id, String(primary));
      else unknown.push(id);
    }
    for (const [id, company] of await this.#companyIds(unknown)) map.set(id, company);
    return map;
  }

  /** contact id → primary company id via v4 associations batch read. */
  async #companyIds(contactIds: string[]): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    if (contactIds.length === 0) return map;
    const { body } = await this.#req<{
      results: Array<{
        from: { id: string };
        to: Array<{ toObjectId: string | number; associationTypes?: Array<{ typeId: number }> }>;
      }>;
    }>('batch read contact→company', 'POST', '/crm/v4/associations/contacts/companies/batch/read', {
      inputs: contactIds.map((id) => ({ id })),
    });
    for (const r of body.results ?? []) {
      const primary = r.to.find((t) => t.associationTypes?.some((a) => a.typeId === 1)) ?? r.to[0];
      if (primary) map.set(String(r.from.id), String(primary.toObjectId));
    }
    return map;
  }

  async listOwners(): Promise<CrmOwner[]> {
    const owners: CrmOwner[] = [];
    for (const archived of [false, true]) {
      let after: string | undefined;
      do {
        const qs = new URLSearchParams({ limit: '100', archived: String(archived) });
        if (after) qs.set('after', after);
        const { body } = await this.#req<{
          results: Array<{
            id: string;
            email?: string;
            firstName?: string;
            lastName?: string;
            archived?: boolean;
          }>;
          paging?: { next?: { after?: string } };
        }>('list owners', 'GET', `/crm/v3/owners?${qs}`);
        for (const o of body.results ?? []) {
          const name = [o.firstName, o.lastName].filter(Boolean).join(' ');
          owners.push({
            id: String(o.id),
            ...(o.email ? { email: o.email } : {}),
            ...(name ? { name } : {}),
            active: !archived && !o.archived,
          });
        }
        after = body.paging?.next?.after;
      } while (after);
    }
    return owners;
  }

  async findAccountOwner(domain: string): Promise<{ accountId: string; ownerId: string } | null> {
    const { body } = await this.#req<{ results: HsObject[] }>(
      'search company by domain',
      'POST',
      '/crm/v3/objects/companies/search',
      {
        filterGroups: [
          { filters: [{ propertyName: 'domain', operator: 'EQ', value: domain.toLowerCase() }] },
        ],
        properties: ['domain', 'hubspot_owner_id'],
        limit: 1,
      },
    );
    const c = body.results?.[0];
    const owner = c?.properties.hubspot_owner_id;
    return c && owner ? { accountId: c.id, ownerId: owner } : null;
  }

  async assignOwner(_key: string, lead: LeadCrmRef, ownerId: string): Promise<void> {
    // Setting the same owner twice is harmless, so the PATCH needs no idempotency check.
    await this.#req(
      'set contact owner',
      'PATCH',
      `/crm/v3/objects/contacts/${encodeURIComponent(lead.id)}`,
      {
        properties: { hubspot_owner_id: ownerId },
      },
    );
  }

  #taskInput(key: string, lead: LeadCrmRef, task: TaskWrite): HsCreateInput {
    return {
      properties: {
        hs_timestamp: task.dueUtc,
        hs_task_subject: task.subject,
        hs_task_body: `${toHtml(task.body)}<p>${markerFor(key, 'task')}</p>`,
        hs_task_status: 'NOT_STARTED',
        hs_task_priority: task.priority.toUpperCase(),
        hs_task_type: taskType(task.channel),
        hubspot_owner_id: task.ownerId,
      },
      associations: [
        {
          to: { id: lead.id },
          types: [
            { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOC.taskToContact },
          ],
        },
      ],
    };
  }

  #noteInput(key: string, lead: LeadCrmRef, body: string, ownerId?: string): HsCreateInput {
    return {
      properties: {
        hs_timestamp: this.#deps.clock.now().toISOString(),
        // hs_note_body holds at most 65,536 characters.
        hs_note_body: `${toHtml(body.slice(0, 60_000))}<p>${markerFor(key, 'note')}</p>`,
        ...(ownerId ? { hubspot_owner_id: ownerId } : {}),
      },
      associations: [
        {
          to: { id: lead.id },
          types: [
            { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOC.noteToContact },
          ],
        },
      ],
    };
  }

  /** The earlier task / note this key created, found by its marker among the contact's. */
  async #findEarlier(
    object: 'tasks' | 'notes',
    key: string,
    lead: LeadCrmRef,
  ): Promise<string | undefined> {
    const bodyProp = object === 'tasks' ? 'hs_task_body' : 'hs_note_body';
    const { body } = await this.#req<{ results: HsObject[] }>(
      `search earlier ${object}`,
      'POST',
      `/crm/v3/objects/${object}/search`,
      {
        filterGroups: [
          { filters: [{ propertyName: 'associations.contact', operator: 'EQ', value: lead.id }] },
        ],
        properties: [bodyProp],
        sorts: [{ propertyName: 'hs_createdate', direction: 'DESCENDING' }],
        limit: 100,
      },
    );
    return body.results?.find((o) =>
      hasMarker(o.properties[bodyProp], key, object === 'tasks' ? 'task' : 'note'),
    )?.id;
  }

  async createTask(
    key: string,
    lead: LeadCrmRef,
    task: TaskWrite,
    opts?: WriteOptions,
  ): Promise<{ id: string }> {
    return this.#createOnce('tasks', key, lead, this.#taskInput(key, lead, task), opts);
  }

  async addNote(
    key: string,
    lead: LeadCrmRef,
    text: string,
    ownerId?: string,
    opts?: WriteOptions,
  ): Promise<{ id: string }> {
    return this.#createOnce('notes', key, lead, this.#noteInput(key, lead, text, ownerId), opts);
  }

  /**
   * Create a task / note at most once per key: on a retry look for the earlier one first; when
   * the create itself ends ambiguously (connection lost after sending) look again before failing,
   * and never re-send blindly.
   */
  async #createOnce(
    object: 'tasks' | 'notes',
    key: string,
    lead: LeadCrmRef,
    input: HsCreateInput,
    opts?: WriteOptions,
  ): Promise<{ id: string }> {
    if ((opts?.attempt ?? 1) > 1) {
      const earlier = await this.#findEarlier(object, key, lead);
      if (earlier) return { id: earlier };
    }
    try {
      const { body } = await this.#req<HsObject>(
        `create ${object.slice(0, -1)}`,
        'POST',
        `/crm/v3/objects/${object}`,
        input,
        { idempotent: false },
      );
      return { id: body.id };
    } catch (e) {
      if (!(e instanceof CrmError && isAmbiguous(e))) throw e;
      const earlier = await this.#findEarlier(object, key, lead).catch(() => undefined);
      if (earlier) return { id: earlier };
      // Search is eventually consistent: leave it to the outbox retry (attempt > 1 searches again).
      throw e;
    }
  }

  /**
   * Owner PATCH, task and note go out together (each through the limiter): none needs another's
   * answer — the task and note carry their own owner id and contact association — so a lone lead
   * waits for one round trip instead of three. On a retry each of task and note still looks for its
   * marker before creating; only the three chains run side by side. One failing part does not
   * discard the others: see `settleRoutingParts`.
   */
  async writeRouting(w: RoutingWrite): Promise<RoutingWriteResult> {
    const opts = { attempt: w.attempt ?? 1 };
    const {
      value: [owner, task, note],
      calls,
    } = await countCalls(() =>
      Promise.allSettled([
        this.assignOwner(w.key, w.lead, w.ownerId),
        w.task ? this.createTask(w.key, w.lead, w.task, opts) : undefined,
        w.note ? this.addNote(w.key, w.lead, w.note, w.ownerId, opts) : undefined,
      ]),
    );
    return settleRoutingParts(
      {
        owner,
        ...(w.task ? { task: task as PromiseSettledResult<{ id: string }> } : {}),
        ...(w.note ? { note: note as PromiseSettledResult<{ id: string }> } : {}),
      },
      calls,
    );
  }

  /**
   * Fresh writes go through batch update / create (≤100 each: 3 calls per 100 leads). If HubSpot
   * rejects a whole batch (one bad owner id fails it), the batch is redone item by item so the bad
   * record fails alone. Retries (attempt > 1) always go one by one: they need the marker search.
   */
  async writeRoutings(writes: RoutingWrite[]): Promise<Array<RoutingWriteResult | Error>> {
    const results: Array<RoutingWriteResult | Error> = new Array(writes.length);
    const fresh: number[] = [];
    const single: number[] = [];
    for (const [i, w] of writes.entries()) {
      if ((w.attempt ?? 1) > 1 || writes.length === 1) single.push(i);
      else fresh.push(i);
    }
    // Independent leads: their one-by-one writes share the limiter, not a queue of their own.
    await Promise.all(
      single.map(async (i) => {
        results[i] = await this.writeRouting(writes[i]!).catch((e: Error) => e);
      }),
    );
    for (let s = 0; s < fresh.length; s += BATCH_MAX) {
      await this.#writeBatch(writes, fresh.slice(s, s + BATCH_MAX), results);
    }
    return results;
  }

  async #writeBatch(
    writes: RoutingWrite[],
    idx: number[],
    results: Array<RoutingWriteResult | Error>,
  ): Promise<void> {
    const before = this.#caller.calls;
    try {
      await this.#req('batch set owners', 'POST', '/crm/v3/objects/contacts/batch/update', {
        inputs: idx.map((i) => ({
          id: writes[i]!.lead.id,
          properties: { hubspot_owner_id: writes[i]!.ownerId },
        })),
      });
    } catch (e) {
      if (e instanceof CrmError && e.retryable) throw e;
      this.#log.warn(
        { crm: 'hubspot', size: idx.length, code: (e as CrmError).code },
        'batch owner update rejected; writing one by one',
      );
      for (const i of idx)
        results[i] = await this.writeRouting(writes[i]!).catch((err: Error) => err);
      return;
    }
    // Owners go first: when HubSpot rejects the owner batch, each lead is redone one by one as a
    // first attempt (no marker search), so no task or note of this batch may exist yet. Tasks and
    // notes do not depend on each other.
    const [tasksOut, notesOut] = await Promise.allSettled([
      this.#batchCreate(
        'tasks',
        idx.filter((i) => writes[i]!.task),
        (i) => this.#taskInput(writes[i]!.key, writes[i]!.lead, writes[i]!.task!),
        'task',
        writes,
      ),
      this.#batchCreate(
        'notes',
        idx.filter((i) => writes[i]!.note),
        (i) =>
          this.#noteInput(writes[i]!.key, writes[i]!.lead, writes[i]!.note!, writes[i]!.ownerId),
        'note',
        writes,
      ),
    ]);
    if (tasksOut.status === 'rejected') throw tasksOut.reason;
    if (notesOut.status === 'rejected') throw notesOut.reason;
    const taskIds = tasksOut.value;
    const noteIds = notesOut.value;
    const share = Math.max(1, Math.round(((this.#caller.calls - before) / idx.length) * 100) / 100);
    for (const i of idx) {
      const t = taskIds.get(i);
      const n = noteIds.get(i);
      if (t instanceof Error) results[i] = t;
      else if (n instanceof Error) results[i] = n;
      else
        results[i] = {
          ownerSet: true,
          ...(t ? { taskId: t } : {}),
          ...(n ? { noteId: n } : {}),
          calls: share,
        };
    }
  }

  /** Batch create; results are matched back by the marker in the body (HubSpot does not keep order). */
  async #batchCreate(
    object: 'tasks' | 'notes',
    idx: number[],
    input: (i: number) => HsCreateInput,
    part: 'task' | 'note',
    writes: RoutingWrite[],
  ): Promise<Map<number, string | Error>> {
    const out = new Map<number, string | Error>();
    if (idx.length === 0) return out;
    const bodyProp = part === 'task' ? 'hs_task_body' : 'hs_note_body';
    try {
      const { body } = await this.#req<{ results: HsObject[] }>(
        `batch create ${object}`,
        'POST',
        `/crm/v3/objects/${object}/batch/create`,
        {
          inputs: idx.map(input),
        },
      );
      for (const i of idx) {
        const hit = body.results?.find((o) =>
          hasMarker(o.properties[bodyProp], writes[i]!.key, part),
        );
        out.set(
          i,
          hit
            ? hit.id
            : new CrmError(
                'CRM.BAD_RESPONSE',
                `HubSpot batch create returned no ${part} for ${writes[i]!.key}`,
                { crm: 'hubspot' },
              ),
        );
      }
    } catch (e) {
      if (e instanceof CrmError && e.retryable) throw e;
      // One bad item fails the whole batch: redo one by one so it fails alone.
      for (const i of idx) {
        const w = writes[i]!;
        const one =
          part === 'task'
            ? this.createTask(w.key, w.lead, w.task!)
            : this.addNote(w.key, w.lead, w.note!, w.ownerId);
        out.set(i, await one.then((r) => r.id).catch((err: Error) => err));
      }
    }
    return out;
  }

  async readEngagement(lead: LeadCrmRef, since: Date): Promise<Engagement> {
    const qs = new URLSearchParams();
    for (const p of ENGAGEMENT_PROPERTIES) qs.append('properties', p);
    const { body } = await this.#req<HsObject>(
      'read engagement',
      'GET',
      `/crm/v3/objects/contacts/${encodeURIComponent(lead.id)}?${qs}`,
    );
    return engagementFromHubSpot(body.properties, since);
  }

  async listRecentLeads(opts: { limit: number; since?: Date }): Promise<Lead[]> {
    const leads: Lead[] = [];
    let after: string | undefined;
    while (leads.length < opts.limit) {
      const { body } = await this.#req<{
        results: HsObject[];
        paging?: { next?: { after?: string } };
      }>('search recent contacts', 'POST', '/crm/v3/objects/contacts/search', {
        ...(opts.since
          ? {
              filterGroups: [
                {
                  filters: [
                    {
                      propertyName: 'createdate',
                      operator: 'GTE',
                      value: String(opts.since.getTime()),
                    },
                  ],
                },
              ],
            }
          : {}),
        properties: this.#contactProps(),
        sorts: [{ propertyName: 'createdate', direction: 'DESCENDING' }],
        limit: Math.min(100, opts.limit - leads.length),
        ...(after ? { after } : {}),
      });
      const companyOf = await this.#companyIds(body.results.map((c) => c.id));
      const companies = await this.#batchRead(
        'companies',
        [...new Set(companyOf.values())],
        this.#companyProps(),
      );
      for (const c of body.results) {
        const companyId = companyOf.get(c.id);
        leads.push(this.#toLead(c, companyId ? companies.get(companyId) : undefined));
      }
      after = body.paging?.next?.after;
      if (!after || body.results.length === 0) break;
    }
    return leads.slice(0, opts.limit);
  }
}

/**
 * HubSpot engagement mapping (docs/crm-adapters.md): an instant property at or after `since`
 * counts. touched ← notes_last_contacted | hs_last_sales_activity_timestamp; opened ←
 * hs_sales_email_last_opened | _clicked; replied ← hs_sales_email_last_replied; meetingBooked ←
 * hs_latest_meeting_activity; status ← hs_lead_status, else lifecyclestage.
 */
export function engagementFromHubSpot(
  p: Record<string, string | null | undefined>,
  since: Date,
): Engagement {
  const evidence: string[] = [];
  const after = (name: string): boolean => {
    const v = p[name];
    if (!v) return false;
    const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (Number.isNaN(t) || t < since.getTime()) return false;
    evidence.push(`hubspot ${name}=${new Date(t).toISOString()}`);
    return true;
  };
  const replied = after('hs_sales_email_last_replied');
  const opened =
    [after('hs_sales_email_last_opened'), after('hs_sales_email_last_clicked')].some(Boolean) ||
    replied;
  const meetingBooked = after('hs_latest_meeting_activity');
  const touched =
    [after('notes_last_contacted'), after('hs_last_sales_activity_timestamp')].some(Boolean) ||
    replied ||
    meetingBooked;
  const status = p.hs_lead_status ?? p.lifecyclestage ?? undefined;
  return { touched, opened, replied, meetingBooked, ...(status ? { status } : {}), evidence };
}
