/**
 * CrmPort on Salesforce REST through `jsforce` 3.10.16 (the newest that loads on Node 20).
 *
 * One routed lead is one API call: a composite request with `allOrNone: true` holding the Lead
 * owner PATCH (with `Sforce-Auto-Assign: FALSE`, or the org's assignment rules would overwrite our
 * owner), the first-touch Task, and the explanation as a second, completed Task. Both Tasks are
 * upserted on the external id `Switchboard_Key__c`, so a retry after a lost answer updates the
 * same Tasks instead of adding new ones (exactly once without a read).
 *
 * jsforce's own retries are switched off per request (`retry.maxRetries: 0`); ours go through
 * the limiter and p-retry like HubSpot's. Token refresh on 401 is jsforce's `refreshFn`. Every
 * answer's `Sforce-Limit-Info` feeds `ApiAllowance`, which paces and holds calls as the org's 24 h
 * API allowance runs short.
 */
import { Connection } from 'jsforce';
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
  type CrmCaller,
  type RetrySettings,
} from '../crm-call.ts';
import {
  SALESFORCE_DEFAULT_RATE,
  type RateLimiter,
  type RateLimitSettings,
} from '../rate-limiter.ts';
import { silentLog, type CrmDeps, type CrmLog } from '../crm-deps.ts';
import { applyExtra, applyMapping } from '../lead-mapping.ts';
import { resolveSalesforceMapping, type SalesforceMapping } from '../crm-mapping-schema.ts';
import { mappingProvider, type CrmMappingSource } from '../mapping-provider.ts';
import { grantParams, type SalesforceAuth } from './salesforce-auth.ts';
import { ApiAllowance, type AllowanceState, type CallUrgency } from './api-allowance.ts';
import { countCall, countCalls } from '../call-tally.ts';
import {
  salesforceError,
  salesforceThrownError,
  type SalesforceErrorItem,
} from './salesforce-errors.ts';

export interface SalesforceSettings {
  /** SALESFORCE_INSTANCE_URL (My Domain); the token response may replace it. */
  instanceUrl?: string;
  /** SALESFORCE_LOGIN_URL: token endpoint host; default https://login.salesforce.com. */
  loginUrl?: string;
  /** SALESFORCE_API_VERSION; jsforce defaults to 50.0, so it is always set. */
  apiVersion?: string;
  auth: SalesforceAuth;
  /** External-id field on Task carrying the outbox key. */
  taskKeyField?: string;
  /** A fixed section, or a getter over the live config (a reload changes the next read). */
  mapping?: CrmMappingSource;
  rateLimit?: RateLimitSettings;
  retry?: Partial<RetrySettings>;
  /** Per-request timeout; jsforce's default is 30 minutes. */
  timeoutMs?: number;
  /**
   * Share of the org's 24 h API allowance (0–1] above which Switchboard conserves it
   * (SALESFORCE_API_USAGE_THRESHOLD_PERCENT / 100; default 0.9): see `ApiAllowance`.
   */
  apiUsageThreshold?: number;
  /** How long every call is held once the allowance is spent; default 5 minutes. */
  quotaHoldMs?: number;
}

interface SfRecord {
  Id: string;
  attributes?: { type: string; url?: string };
  [field: string]: unknown;
}

interface QueryResult {
  totalSize: number;
  done: boolean;
  records: SfRecord[];
  nextRecordsUrl?: string;
}

interface CompositeSub {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
  httpHeaders?: Record<string, string>;
}

interface CompositeReply {
  compositeResponse: Array<{
    body: unknown;
    httpHeaders: Record<string, string>;
    httpStatusCode: number;
    referenceId: string;
  }>;
}

interface SaveResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors: SalesforceErrorItem[];
}

const COLLECTION_MAX = 200;
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const likeEscape = (s: string) =>
  s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/%/g, '\\%').replace(/_/g, '\\_');
/** SOQL datetime literals are unquoted ISO instants without milliseconds. */
const soqlInstant = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const ID = /^[a-zA-Z0-9]{15,18}$/;

const taskType = (channel: string) => {
  const c = channel.toLowerCase();
  if (c.includes('mail')) return 'Email';
  if (c.includes('call') || c.includes('phone')) return 'Call';
  return 'Other';
};
const priority = (p: TaskWrite['priority']) =>
  p === 'high' ? 'High' : p === 'low' ? 'Low' : 'Normal';

export class SalesforceCrm implements CrmPort {
  readonly system = 'salesforce' as const;
  readonly #conn: Connection;
  readonly #caller: CrmCaller;
  readonly #allowance: ApiAllowance;
  /** The last `conn.limitInfo` read, so one header is observed once. */
  #seenLimitInfo: unknown;
  readonly #mapping: () => SalesforceMapping;
  readonly #keyField: string;
  readonly #version: string;
  readonly #settings: SalesforceSettings;
  readonly #deps: CrmDeps;
  readonly #log: CrmLog;
  #authorized: Promise<void> | undefined;

  constructor(settings: SalesforceSettings, deps: CrmDeps) {
    this.#settings = settings;
    this.#deps = deps;
    this.#log = deps.log ?? silentLog;
    this.#version = settings.apiVersion ?? '62.0';
    this.#keyField = settings.taskKeyField ?? 'Switchboard_Key__c';
    if (!/^[A-Za-z][A-Za-z0-9_]*__c$/.test(this.#keyField)) {
      throw new Error(
        `Salesforce task key field must be a custom field API name (…__c), got "${this.#keyField}"`,
      );
    }
    this.#mapping = mappingProvider(settings.mapping, resolveSalesforceMapping);
    const loginUrl = (settings.loginUrl ?? 'https://login.salesforce.com').replace(/\/+$/, '');
    const auth = settings.auth;
    this.#conn = new Connection({
      version: this.#version,
      loginUrl,
      ...(settings.instanceUrl ? { instanceUrl: settings.instanceUrl.replace(/\/+$/, '') } : {}),
      ...(auth.kind === 'token' ? { accessToken: auth.accessToken } : {}),
      ...(auth.kind === 'client_credentials'
        ? { oauth2: { clientId: auth.clientId, clientSecret: auth.clientSecret, loginUrl } }
        : { oauth2: { loginUrl } }),
      ...(auth.kind === 'token'
        ? {}
        : {
            // Neither server-to-server grant returns a refresh token: on a 401 run the grant again.
            refreshFn: (conn, callback) => {
              this.#grant(conn)
                .then(() => callback(undefined, conn.accessToken ?? undefined))
                .catch((e: Error) => callback(e));
            },
          }),
    });
    if (auth.kind === 'token') this.#authorized = Promise.resolve();
    let limiter: RateLimiter;
    ({ caller: this.#caller, limiter } = createPacedCaller({
      crm: 'salesforce',
      rate: settings.rateLimit ?? SALESFORCE_DEFAULT_RATE,
      ...(settings.retry ? { retry: settings.retry } : {}),
      deps,
      log: this.#log,
      classify: (e) => salesforceThrownError(e, 'a Salesforce call'),
    }));
    this.#allowance = new ApiAllowance({
      ...(settings.apiUsageThreshold === undefined
        ? {}
        : { threshold: settings.apiUsageThreshold }),
      ...(settings.quotaHoldMs === undefined ? {} : { holdMs: settings.quotaHoldMs }),
      limiter,
      clock: deps.clock,
      log: this.#log,
    });
  }

  get calls(): number {
    return this.#caller.calls;
  }

  get inFlight(): number {
    return this.#caller.inFlight;
  }

  /** jsforce's parse of the last `Sforce-Limit-Info` header (daily allocation used / limit). */
  get apiUsage(): { used: number; limit: number } | undefined {
    return this.#limitInfo()?.apiUsage;
  }

  /** `normal`, `conserving` (usage above the threshold) or `held` (allowance spent). */
  get apiAllowanceState(): AllowanceState {
    return this.#allowance.state;
  }

  #limitInfo() {
    return (this.#conn as unknown as { limitInfo?: { apiUsage?: { used: number; limit: number } } })
      .limitInfo;
  }

  /** jsforce replaces `limitInfo` on every answer with the header: act on each one once. */
  #observeUsage() {
    const info = this.#limitInfo();
    if (info === this.#seenLimitInfo) return;
    this.#seenLimitInfo = info;
    if (info?.apiUsage) this.#allowance.observe(info.apiUsage);
  }

  async #grant(conn: Connection): Promise<void> {
    const params = grantParams(
      this.#settings.auth,
      conn.loginUrl,
      this.#deps.clock.now().getTime(),
    );
    if (!params) return;
    try {
      await conn.authorize(params as never);
    } catch (e) {
      throw salesforceThrownError(e, 'the OAuth token request');
    }
  }

  #ensureAuth(): Promise<void> {
    this.#authorized ??= this.#grant(this.#conn).catch((e) => {
      this.#authorized = undefined;
      throw e;
    });
    return this.#authorized;
  }

  /** One REST request (path relative to /services/data/vXX.X) through limiter + retry. */
  async #req<T>(
    what: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    idempotent = true,
    urgency: CallUrgency = 'urgent',
  ): Promise<T> {
    // The first token request is not an API call (it does not count against the allocation).
    await this.#ensureAuth();
    // Refused before the limiter: a held call costs no slot and no HTTP request.
    this.#allowance.admit(what, urgency);
    return this.#caller.call(
      what,
      async () => {
        countCall();
        try {
          const res = (await this.#conn.request<T>(
            {
              method: method as 'GET',
              url: path,
              ...(body === undefined ? {} : { body: JSON.stringify(body) }),
              headers: {
                ...(body === undefined ? {} : { 'content-type': 'application/json' }),
                ...headers,
              },
            },
            { retry: { maxRetries: 0 }, timeout: this.#settings.timeoutMs ?? 30_000 },
          )) as T;
          this.#observeUsage();
          return res;
        } catch (e) {
          this.#observeUsage();
          const err = salesforceThrownError(e, what);
          throw err.code === 'CRM.QUOTA_EXHAUSTED' ? this.#allowance.spent(err) : err;
        }
      },
      // jsforce hands back only the body of a success: its status shows as `2xx`.
      { idempotent, operation: httpOperation(method, path, body) },
    );
  }

  #url(path: string) {
    return `/services/data/v${this.#version}${path}`;
  }

  async #query(what: string, soql: string, urgency: CallUrgency = 'urgent'): Promise<SfRecord[]> {
    const out: SfRecord[] = [];
    const get = (path: string) =>
      this.#req<QueryResult>(what, 'GET', path, undefined, {}, true, urgency);
    let res = await get(`/query?q=${encodeURIComponent(soql)}`);
    out.push(...(res.records ?? []));
    while (!res.done && res.nextRecordsUrl) {
      res = await get(res.nextRecordsUrl);
      out.push(...(res.records ?? []));
    }
    return out;
  }

  #fields(m = this.#mapping()): string[] {
    return [...new Set(['Id', 'OwnerId', ...Object.values(m.lead), ...m.extra])];
  }

  #toLead(r: SfRecord, ref?: LeadCrmRef, m = this.#mapping()): Lead {
    const lead: Lead = {
      crm: {
        system: 'salesforce',
        object: 'lead',
        id: r.Id,
        ...(ref?.tenant ? { tenant: ref.tenant } : {}),
      },
    };
    applyMapping(lead, r, m.lead);
    applyExtra(lead, r, m.extra);
    if (typeof r.OwnerId === 'string') lead.fields = { ...lead.fields, OwnerId: r.OwnerId };
    return lead;
  }

  #checkId(id: string, what: string) {
    if (!ID.test(id)) {
      throw new CrmError('CRM.INVALID', `"${id}" is not a Salesforce record id (${what})`, {
        crm: 'salesforce',
      });
    }
  }

  async readLead(ref: LeadCrmRef): Promise<Lead | null> {
    this.#checkId(ref.id, 'read lead');
    const m = this.#mapping(); // one mapping for the whole read, even across a reload
    try {
      const r = await this.#req<SfRecord>(
        'read lead',
        'GET',
        `/sobjects/Lead/${ref.id}?fields=${this.#fields(m).join(',')}`,
      );
      return this.#toLead(r, ref, m);
    } catch (e) {
      if (e instanceof CrmError && e.code === 'CRM.NOT_FOUND') return null;
      throw e;
    }
  }

  async readLeads(refs: LeadCrmRef[]): Promise<Map<string, Lead | null>> {
    const out = new Map<string, Lead | null>();
    const m = this.#mapping();
    for (let i = 0; i < refs.length; i += COLLECTION_MAX) {
      const chunk = refs.slice(i, i + COLLECTION_MAX);
      for (const r of chunk) this.#checkId(r.id, 'read leads');
      const rows = await this.#query(
        'read leads',
        `SELECT ${this.#fields(m).join(', ')} FROM Lead WHERE Id IN (${chunk.map((r) => quote(r.id)).join(', ')})`,
      );
      const byId = new Map(rows.map((r) => [r.Id.slice(0, 15), r]));
      for (const ref of chunk) {
        const r = byId.get(ref.id.slice(0, 15));
        out.set(ref.id, r ? this.#toLead(r, ref, m) : null);
      }
    }
    return out;
  }

  async listOwners(): Promise<CrmOwner[]> {
    // The owner check at start only warns: it can wait when the allowance is short.
    const rows = await this.#query(
      'list owners',
      "SELECT Id, Email, Name, IsActive FROM User WHERE UserType = 'Standard'",
      'deferrable',
    );
    return rows.map((u) => ({
      id: u.Id,
      ...(typeof u.Email === 'string' ? { email: u.Email } : {}),
      ...(typeof u.Name === 'string' ? { name: u.Name } : {}),
      active: u.IsActive === true,
    }));
  }

  async findAccountOwner(domain: string): Promise<{ accountId: string; ownerId: string } | null> {
    const d = likeEscape(domain.toLowerCase().replace(/^www\./, ''));
    const rows = await this.#query(
      'find account by domain',
      `SELECT Id, OwnerId, Website FROM Account WHERE Website LIKE '%${d}%' ORDER BY LastModifiedDate DESC LIMIT 1`,
    );
    const a = rows[0];
    return a && typeof a.OwnerId === 'string' ? { accountId: a.Id, ownerId: a.OwnerId } : null;
  }

  #taskBody(leadId: string, task: TaskWrite) {
    return {
      WhoId: leadId,
      OwnerId: task.ownerId,
      Subject: task.subject.slice(0, 255),
      Description: task.body.slice(0, 32_000),
      // ActivityDate is a date: the UTC day of the due instant; the exact instant is the reminder.
      ActivityDate: task.dueUtc.slice(0, 10),
      IsReminderSet: true,
      ReminderDateTime: task.dueUtc,
      Status: 'Not Started',
      Priority: priority(task.priority),
      Type: taskType(task.channel),
    };
  }

  #noteBody(leadId: string, note: string, ownerId: string | undefined) {
    return {
      WhoId: leadId,
      ...(ownerId ? { OwnerId: ownerId } : {}),
      Subject: 'Why Switchboard routed this lead to you',
      Description: note.slice(0, 32_000),
      ActivityDate: this.#deps.clock.now().toISOString().slice(0, 10),
      Status: 'Completed',
      Priority: 'Normal',
      Type: 'Other',
    };
  }

  #upsertUrl(extKey: string) {
    return this.#url(`/sobjects/Task/${this.#keyField}/${encodeURIComponent(extKey)}`);
  }

  /** Owner + task + note as one composite, all or none; the Tasks are upserts on the key. */
  async writeRouting(w: RoutingWrite): Promise<RoutingWriteResult> {
    this.#checkId(w.lead.id, 'write routing');
    const subs: CompositeSub[] = [
      {
        method: 'PATCH',
        url: this.#url(`/sobjects/Lead/${w.lead.id}`),
        referenceId: 'owner',
        httpHeaders: { 'Sforce-Auto-Assign': 'FALSE' },
        body: { OwnerId: w.ownerId },
      },
    ];
    if (w.task)
      subs.push({
        method: 'PATCH',
        url: this.#upsertUrl(`${w.key}:task`),
        referenceId: 'task',
        body: this.#taskBody(w.lead.id, w.task),
      });
    if (w.note)
      subs.push({
        method: 'PATCH',
        url: this.#upsertUrl(`${w.key}:note`),
        referenceId: 'note',
        body: this.#noteBody(w.lead.id, w.note, w.ownerId),
      });
    const { value: res, calls } = await countCalls(() =>
      this.#composite('write routing', subs, true),
    );
    const id = (ref: 'task' | 'note') => {
      const r = res.compositeResponse.find((x) => x.referenceId === ref);
      if (r?.httpStatusCode === 300) throw this.#ambiguousKey(`${w.key}:${ref}`, 'write routing');
      return (r?.body as SaveResult | undefined)?.id;
    };
    const taskId = id('task');
    const noteId = id('note');
    return {
      ownerSet: true,
      ...(taskId ? { taskId } : {}),
      ...(noteId ? { noteId } : {}),
      calls,
    };
  }

  async #composite(
    what: string,
    subs: CompositeSub[],
    allOrNone: boolean,
  ): Promise<CompositeReply> {
    const res = await this.#req<CompositeReply>(what, 'POST', '/composite', {
      allOrNone,
      compositeRequest: subs,
    });
    if (!res || !Array.isArray(res.compositeResponse)) {
      throw new CrmError(
        'CRM.BAD_RESPONSE',
        `Salesforce composite answer to ${what} has no compositeResponse`,
        {
          crm: 'salesforce',
          crmMessage: JSON.stringify(res).slice(0, 300),
        },
      );
    }
    if (allOrNone) {
      const failed = res.compositeResponse.filter((r) => r.httpStatusCode >= 400);
      // The cause is the one sub-response that is not the rollback echo PROCESSING_HALTED.
      const cause =
        failed.find(
          (r) =>
            !(r.body as SalesforceErrorItem[])?.some?.((e) => e.errorCode === 'PROCESSING_HALTED'),
        ) ?? failed[0];
      if (cause) {
        const item = (
          Array.isArray(cause.body) ? cause.body[0] : cause.body
        ) as SalesforceErrorItem;
        throw salesforceError(item ?? {}, `${what} (${cause.referenceId})`, cause.httpStatusCode);
      }
    }
    return res;
  }

  async assignOwner(_key: string, lead: LeadCrmRef, ownerId: string): Promise<void> {
    this.#checkId(lead.id, 'assign owner');
    await this.#req(
      'assign owner',
      'PATCH',
      `/sobjects/Lead/${lead.id}`,
      { OwnerId: ownerId },
      { 'Sforce-Auto-Assign': 'FALSE' },
    );
  }

  /**
   * An upsert whose key matches several Tasks answers 300 and writes nothing. Only possible when
   * the key field is not Unique (see docs/salesforce.md §2): a person has to remove the extras.
   */
  #ambiguousKey(extKey: string, what: string): CrmError {
    return new CrmError(
      'CRM.INVALID',
      `Salesforce found more than one Task with ${this.#keyField} = "${extKey}" during ${what} (HTTP 300): delete the extra Tasks in Salesforce (and mark the field Unique if your org offers it), then retry the write`,
      { crm: 'salesforce', status: 300 },
    );
  }

  async #upsertTask(what: string, extKey: string, body: object): Promise<{ id: string }> {
    const res = await this.#req<SaveResult | undefined>(
      what,
      'PATCH',
      `/sobjects/Task/${this.#keyField}/${encodeURIComponent(extKey)}`,
      body,
    ).catch((e: unknown) => {
      // jsforce turns the 300 answer into a MULTIPLE_CHOICES error.
      throw e instanceof CrmError && e.crmCode === 'MULTIPLE_CHOICES'
        ? this.#ambiguousKey(extKey, what)
        : e;
    });
    if (Array.isArray(res)) throw this.#ambiguousKey(extKey, what);
    if (res?.id) return { id: res.id };
    // Older API versions answer an upsert-update with 204 and no body: read the id back.
    const rows = await this.#query(
      what,
      `SELECT Id FROM Task WHERE ${this.#keyField} = ${quote(extKey)} LIMIT 1`,
    );
    if (!rows[0])
      throw new CrmError('CRM.BAD_RESPONSE', `Salesforce upsert for ${extKey} returned no id`, {
        crm: 'salesforce',
      });
    return { id: rows[0].Id };
  }

  async createTask(
    key: string,
    lead: LeadCrmRef,
    task: TaskWrite,
    _opts?: WriteOptions,
  ): Promise<{ id: string }> {
    this.#checkId(lead.id, 'create task');
    return this.#upsertTask('create task', `${key}:task`, this.#taskBody(lead.id, task));
  }

  async addNote(
    key: string,
    lead: LeadCrmRef,
    body: string,
    ownerId?: string,
    _opts?: WriteOptions,
  ): Promise<{ id: string }> {
    this.#checkId(lead.id, 'add note');
    return this.#upsertTask('add note', `${key}:note`, this.#noteBody(lead.id, body, ownerId));
  }

  /**
   * A burst through sObject Collections, allOrNone false, so each record succeeds or fails on its
   * own: one PATCH of up to 200 Lead owners (Sforce-Auto-Assign: FALSE), then one upsert of the
   * Tasks of the leads whose owner change went through (2 per lead, 100 leads per call).
   * An owner change can thus succeed while its Tasks fail; the outbox retries the whole write,
   * which is safe (PATCH and upserts).
   */
  async writeRoutings(writes: RoutingWrite[]): Promise<Array<RoutingWriteResult | Error>> {
    // Collections cost 2 calls per 100 leads; one composite per lead costs 1 and is atomic per lead.
    // Up to 2 leads, composites are no dearer, so they keep the all-or-none guarantee.
    if (writes.length <= 2) {
      // Two leads' composites are independent: sent together, through the limiter.
      return Promise.all(writes.map((w) => this.writeRouting(w).catch((e: Error) => e)));
    }
    const results: Array<RoutingWriteResult | Error> = new Array(writes.length);
    const valid: number[] = [];
    for (const [i, w] of writes.entries()) {
      if (ID.test(w.lead.id)) valid.push(i);
      else
        results[i] = new CrmError('CRM.INVALID', `"${w.lead.id}" is not a Salesforce record id`, {
          crm: 'salesforce',
        });
    }
    for (let s = 0; s < valid.length; s += COLLECTION_MAX / 2) {
      const idx = valid.slice(s, s + COLLECTION_MAX / 2);
      const before = this.#caller.calls;
      const owners = await this.#req<SaveResult[]>(
        'batch assign owners',
        'PATCH',
        '/composite/sobjects',
        {
          allOrNone: false,
          records: idx.map((i) => ({
            attributes: { type: 'Lead' },
            id: writes[i]!.lead.id,
            OwnerId: writes[i]!.ownerId,
          })),
        },
        { 'Sforce-Auto-Assign': 'FALSE' },
      );
      const ok: number[] = [];
      idx.forEach((i, n) => {
        const r = owners[n];
        if (r?.success) ok.push(i);
        else
          results[i] = salesforceError(
            r?.errors?.[0] ?? { message: 'no result' },
            `assign owner of ${writes[i]!.lead.id}`,
            400,
          );
      });
      const records: Array<{ i: number; part: 'task' | 'note'; rec: Record<string, unknown> }> = [];
      for (const i of ok) {
        const w = writes[i]!;
        if (w.task)
          records.push({
            i,
            part: 'task',
            rec: {
              attributes: { type: 'Task' },
              [this.#keyField]: `${w.key}:task`,
              ...this.#taskBody(w.lead.id, w.task),
            },
          });
        if (w.note)
          records.push({
            i,
            part: 'note',
            rec: {
              attributes: { type: 'Task' },
              [this.#keyField]: `${w.key}:note`,
              ...this.#noteBody(w.lead.id, w.note, w.ownerId),
            },
          });
      }
      const saved = records.length
        ? await this.#req<SaveResult[]>(
            'batch upsert tasks',
            'PATCH',
            `/composite/sobjects/Task/${this.#keyField}`,
            { allOrNone: false, records: records.map((r) => r.rec) },
          )
        : [];
      const share =
        Math.round(((this.#caller.calls - before) / Math.max(1, idx.length)) * 100) / 100;
      const partial = new Map<number, RoutingWriteResult>();
      for (const i of ok) partial.set(i, { ownerSet: true, calls: share });
      records.forEach((r, n) => {
        const res = saved[n];
        if (results[r.i] instanceof Error) return;
        if (!res?.success || !res.id) {
          results[r.i] = salesforceError(
            res?.errors?.[0] ?? { message: 'no result' },
            `upsert ${r.part} for ${writes[r.i]!.key}`,
            400,
          );
          partial.delete(r.i);
          return;
        }
        const p = partial.get(r.i);
        if (p) p[r.part === 'task' ? 'taskId' : 'noteId'] = res.id;
      });
      for (const [i, p] of partial) results[i] = p;
    }
    return results;
  }

  /**
   * Engagement in one composite of four queries (one API call): the lead's Status; Tasks touched
   * since (any not written by Switchboard, or our first-touch task completed) → touched; Events
   * created since → meetingBooked; EmailMessages related to the lead since → outgoing = touched,
   * FirstOpenedDate = opened, incoming = replied.
   */
  async readEngagement(lead: LeadCrmRef, since: Date): Promise<Engagement> {
    this.#checkId(lead.id, 'read engagement');
    const id = quote(lead.id);
    const at = soqlInstant(since);
    const q = (soql: string) => this.#url(`/query?q=${encodeURIComponent(soql)}`);
    const res = await this.#composite(
      'read engagement',
      [
        {
          method: 'GET',
          referenceId: 'lead',
          url: q(`SELECT Id, Status FROM Lead WHERE Id = ${id}`),
        },
        {
          method: 'GET',
          referenceId: 'tasks',
          url: q(
            `SELECT Id, Status, Subject, ${this.#keyField}, LastModifiedDate FROM Task WHERE WhoId = ${id} AND LastModifiedDate >= ${at}`,
          ),
        },
        {
          method: 'GET',
          referenceId: 'events',
          url: q(
            `SELECT Id, StartDateTime, CreatedDate FROM Event WHERE WhoId = ${id} AND CreatedDate >= ${at}`,
          ),
        },
        {
          method: 'GET',
          referenceId: 'emails',
          url: q(
            `SELECT Id, Incoming, FirstOpenedDate, MessageDate FROM EmailMessage WHERE Id IN (SELECT EmailMessageId FROM EmailMessageRelation WHERE RelationId = ${id}) AND MessageDate >= ${at}`,
          ),
        },
      ],
      false,
    );
    const rows = (ref: string): SfRecord[] => {
      const r = res.compositeResponse.find((x) => x.referenceId === ref);
      if (!r || r.httpStatusCode >= 400) {
        // An org without Email-to-Case / Enhanced Email has no EmailMessage: missing evidence, not an error.
        if (r)
          this.#log.warn(
            { crm: 'salesforce', query: ref, status: r.httpStatusCode, body: r.body },
            'engagement query failed',
          );
        return [];
      }
      return ((r.body as QueryResult).records ?? []) as SfRecord[];
    };
    const evidence: string[] = [];
    const status = rows('lead')[0]?.Status;
    const tasks = rows('tasks').filter((t) => {
      const key = t[this.#keyField];
      return (
        key === null ||
        key === undefined ||
        (String(key).endsWith(':task') && t.Status === 'Completed')
      );
    });
    for (const t of tasks) evidence.push(`salesforce Task ${t.Id} ${String(t.Status)}`);
    const events = rows('events');
    for (const e of events) evidence.push(`salesforce Event ${e.Id}`);
    const emails = rows('emails');
    const replied = emails.some((m) => m.Incoming === true);
    const opened =
      emails.some(
        (m) =>
          m.Incoming !== true &&
          typeof m.FirstOpenedDate === 'string' &&
          Date.parse(m.FirstOpenedDate) >= since.getTime(),
      ) || replied;
    for (const m of emails)
      evidence.push(
        `salesforce EmailMessage ${m.Id}${m.Incoming ? ' incoming' : m.FirstOpenedDate ? ' opened' : ''}`,
      );
    const sent = emails.some((m) => m.Incoming !== true);
    return {
      touched: tasks.length > 0 || sent || events.length > 0 || replied,
      opened,
      replied,
      meetingBooked: events.length > 0,
      ...(typeof status === 'string' ? { status } : {}),
      evidence,
    };
  }

  async listRecentLeads(opts: { limit: number; since?: Date }): Promise<Lead[]> {
    const where = opts.since ? ` WHERE CreatedDate >= ${soqlInstant(opts.since)}` : '';
    const limit = Math.max(1, Math.min(2000, Math.floor(opts.limit)));
    // Replay and taxonomy: a person can run them again later; routing cannot wait.
    const rows = await this.#query(
      'list recent leads',
      `SELECT ${this.#fields().join(', ')} FROM Lead${where} ORDER BY CreatedDate DESC LIMIT ${limit}`,
      'deferrable',
    );
    return rows.map((r) => this.#toLead(r));
  }
}
