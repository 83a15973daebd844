/**
 * A local Salesforce (REST v62.0 + OAuth token endpoint) on 127.0.0.1 with an ephemeral port, for
 * adapter tests through the real `jsforce`. In-memory Leads, Accounts, Users, Tasks, Events and
 * EmailMessages; a small SOQL reader for the query shapes the adapter sends; every request
 * recorded. Real shapes (PROTOCOLS §5, §9.11): 204 on PATCH, 201/200 on upsert, the composite 200
 * envelope with per-subrequest status and allOrNone rollback (PROCESSING_HALTED), error arrays,
 * `Sforce-Limit-Info` on every answer, token responses with `id` and `instance_url`, 401
 * INVALID_SESSION_ID for an expired token.
 *
 * Lead assignment rules are simulated: set `assignmentRuleOwner` and any Lead update that does not
 * carry `Sforce-Auto-Assign: FALSE` hands the lead to that owner, as a real org would.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SfRecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export interface SfFault {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Rec = Record<string, unknown> & { Id: string };

interface Out {
  status: number;
  body: unknown;
}

const ORG = '00D000000000001EAA';

const err = (status: number, errorCode: string, message: string, fields?: string[]): Out => ({
  status,
  body: [{ message, errorCode, ...(fields ? { fields } : {}) }],
});

export class SalesforceDouble {
  readonly requests: SfRecordedRequest[] = [];
  readonly leads = new Map<string, Rec>();
  readonly accounts = new Map<string, Rec>();
  readonly users = new Map<string, Rec>();
  readonly tasks = new Map<string, Rec>();
  readonly events = new Map<string, Rec>();
  readonly emails = new Map<string, Rec & { relationIds: string[] }>();
  readonly validTokens = new Set<string>(['test-token']);
  keyField = 'Switchboard_Key__c';
  /** Owner an active lead assignment rule gives any lead updated without `Sforce-Auto-Assign: FALSE`. */
  assignmentRuleOwner: string | undefined;
  clientId = 'sb-client';
  clientSecret = 'sb-secret';
  fault: ((r: SfRecordedRequest) => SfFault | undefined) | undefined;
  outage = false;
  delayMs = 0;
  /** Most requests ever in the double's hands at the same time (set `delayMs` to make them overlap). */
  peakInFlight = 0;
  #handling = 0;
  dropAfterAccept = 0;
  /** The org's API calls in the last 24 h and its allowance, as `Sforce-Limit-Info` reports them. */
  apiUsed = 17;
  apiLimit = 15000;
  /** Refuse API calls with 403 REQUEST_LIMIT_EXCEEDED once `apiUsed` reaches `apiLimit`, as an org over its allowance may. */
  enforceApiLimit = false;
  baseUrl = '';
  #server: Server | undefined;
  #n = 1;
  #tokenN = 1;
  #now: () => number;

  constructor(opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }

  /** Stamp requests with another clock (virtual time in rate tests). */
  setNow(now: () => number): void {
    this.#now = now;
  }

  /** Invalidate every issued token: the next API call gets 401 INVALID_SESSION_ID. */
  expireTokens(): void {
    this.validTokens.clear();
  }

  randomFaults(rate: number, seed = 42): void {
    let s = seed >>> 0;
    const rnd = () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    this.fault = (r) =>
      r.path.startsWith('/services/oauth2') || rnd() >= rate
        ? undefined
        : {
            status: 503,
            body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'Server temporarily unavailable' }],
          };
  }

  id(prefix: string): string {
    return `${prefix}${String(this.#n++).padStart(12, '0')}AAA`;
  }

  addUser(id: string, email: string, active = true): void {
    this.users.set(id, {
      Id: id,
      Email: email,
      Name: email.split('@')[0],
      IsActive: active,
      UserType: 'Standard',
    });
  }

  addLead(fields: Record<string, unknown>, id = this.id('00Q')): string {
    this.leads.set(id, {
      Id: id,
      CreatedDate: new Date(this.#now()).toISOString().replace('Z', '+0000'),
      Status: 'Open - Not Contacted',
      ...fields,
    });
    return id;
  }

  calls(method: string, pathPart: string): SfRecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.includes(pathPart));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body: unknown = raw;
    if (String(req.headers['content-type'] ?? '').includes('json') && raw) body = JSON.parse(raw);
    if (String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded'))
      body = Object.fromEntries(new URLSearchParams(raw));
    const rec: SfRecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      at: this.#now(),
    };
    this.requests.push(rec);
    // Requests being handled at once: shows whether a client sent them concurrently.
    this.#handling++;
    this.peakInFlight = Math.max(this.peakInFlight, this.#handling);
    res.once('close', () => this.#handling--);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const send = (o: Out, headers: Record<string, string> = {}) => {
      const h: Record<string, string> = {
        'Sforce-Limit-Info': `api-usage=${this.apiUsed}/${this.apiLimit}`,
        ...headers,
      };
      if (o.status !== 204) h['Content-Type'] = 'application/json;charset=UTF-8';
      res.writeHead(o.status, h);
      res.end(o.status === 204 ? undefined : JSON.stringify(o.body));
    };
    if (rec.path === '/services/oauth2/token') return send(this.#token(rec));
    const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!this.validTokens.has(token))
      return send(err(401, 'INVALID_SESSION_ID', 'Session expired or invalid'));
    if (this.outage) return send(err(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable'));
    const f = this.fault?.(rec);
    if (f)
      return send(
        {
          status: f.status,
          body: f.body ?? [{ errorCode: 'SERVER_UNAVAILABLE', message: 'fault' }],
        },
        f.headers,
      );
    if (this.enforceApiLimit && this.apiUsed >= this.apiLimit)
      return send(err(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    this.apiUsed++;
    const prefix = '/services/data/v62.0';
    if (!rec.path.startsWith(prefix))
      return send(err(404, 'NOT_FOUND', `The requested resource does not exist: ${rec.path}`));
    const out = this.#route(
      rec.method,
      rec.path.slice(prefix.length),
      rec.query,
      body,
      rec.headers,
    );
    if (rec.method !== 'GET' && out.status < 300 && this.dropAfterAccept > 0) {
      this.dropAfterAccept--;
      res.socket?.destroy();
      return;
    }
    send(out);
  }

  #token(r: SfRecordedRequest): Out {
    const b = r.body as Record<string, string>;
    const ok =
      (b.grant_type === 'client_credentials' &&
        b.client_id === this.clientId &&
        b.client_secret === this.clientSecret) ||
      (b.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer' &&
        (b.assertion ?? '').split('.').length === 3);
    if (!ok)
      return {
        status: 400,
        body: { error: 'invalid_client', error_description: 'invalid client credentials' },
      };
    const token = `${ORG}!tok${this.#tokenN++}`;
    this.validTokens.add(token);
    return {
      status: 200,
      body: {
        access_token: token,
        signature: 'c2lnbmF0dXJl',
        token_format: 'opaque',
        instance_url: this.baseUrl,
        id: `${this.baseUrl}/id/${ORG}/005000000000009AAA`,
        token_type: 'Bearer',
        issued_at: String(this.#now()),
      },
    };
  }

  #ownerOk(ownerId: unknown): boolean {
    if (typeof ownerId !== 'string') return false;
    if (ownerId.startsWith('00G')) return true; // queues
    return this.users.get(ownerId)?.IsActive === true;
  }

  #badOwner(ownerId: unknown): Out {
    return this.users.has(String(ownerId))
      ? err(400, 'INACTIVE_OWNER_OR_USER', 'operation performed with inactive user', ['OwnerId'])
      : err(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['OwnerId']);
  }

  #updateLead(id: string, fields: Record<string, unknown>, autoAssign: unknown): Out {
    const lead = this.leads.get(id);
    if (!lead) return err(404, 'NOT_FOUND', 'The requested resource does not exist');
    if ('OwnerId' in fields && !this.#ownerOk(fields.OwnerId))
      return this.#badOwner(fields.OwnerId);
    Object.assign(lead, fields);
    if (this.assignmentRuleOwner && String(autoAssign ?? 'TRUE').toUpperCase() !== 'FALSE')
      lead.OwnerId = this.assignmentRuleOwner;
    return { status: 204, body: null };
  }

  #upsertTask(extKey: string, fields: Record<string, unknown>): Out & { body: unknown } {
    if ('OwnerId' in fields && !this.#ownerOk(fields.OwnerId))
      return this.#badOwner(fields.OwnerId);
    if (typeof fields.WhoId === 'string' && !this.leads.has(fields.WhoId)) {
      return err(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['WhoId']);
    }
    const matches = [...this.tasks.values()].filter((t) => t[this.keyField] === extKey);
    if (matches.length > 1)
      return {
        status: 300,
        body: matches.map((m) => `/services/data/v62.0/sobjects/Task/${m.Id}`),
      };
    if (matches[0]) {
      Object.assign(matches[0], fields, { LastModifiedDate: new Date(this.#now()).toISOString() });
      return {
        status: 200,
        body: { id: matches[0].Id, success: true, errors: [], created: false },
      };
    }
    const id = this.id('00T');
    const now = new Date(this.#now()).toISOString();
    this.tasks.set(id, {
      Id: id,
      ...fields,
      [this.keyField]: extKey,
      CreatedDate: now,
      LastModifiedDate: now,
    });
    return { status: 201, body: { id, success: true, errors: [], created: true } };
  }

  #route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
    headers: Record<string, unknown>,
  ): Out {
    let g: RegExpExecArray | null;
    const b = (body ?? {}) as Record<string, unknown>;
    if (method === 'GET' && (g = /^\/sobjects\/Lead\/(\w+)$/.exec(path))) {
      const lead = this.leads.get(g[1]!);
      if (!lead) return err(404, 'NOT_FOUND', 'The requested resource does not exist');
      const fields = (query.fields ?? '').split(',').filter(Boolean);
      const out: Record<string, unknown> = {
        attributes: { type: 'Lead', url: `/services/data/v62.0/sobjects/Lead/${lead.Id}` },
      };
      for (const f of fields.length ? fields : Object.keys(lead)) out[f] = lead[f] ?? null;
      return { status: 200, body: out };
    }
    if (method === 'PATCH' && (g = /^\/sobjects\/Lead\/(\w+)$/.exec(path))) {
      return this.#updateLead(g[1]!, b, headers['sforce-auto-assign']);
    }
    if (method === 'PATCH' && (g = /^\/sobjects\/Task\/(\w+__c)\/([^/]+)$/.exec(path))) {
      if (g[1] !== this.keyField)
        return err(
          404,
          'NOT_FOUND',
          `Provided external ID field does not exist or is not accessible: ${g[1]}`,
        );
      return this.#upsertTask(decodeURIComponent(g[2]!), b);
    }
    if (method === 'GET' && path === '/query') return this.#soql(query.q ?? '');
    if (method === 'POST' && path === '/composite') return this.#composite(b);
    if (method === 'PATCH' && path === '/composite/sobjects') {
      const records = (b.records ?? []) as Array<Record<string, unknown>>;
      return {
        status: 200,
        body: records.map((r) => {
          const { attributes: _a, id, ...fields } = r;
          const o = this.#updateLead(String(id), fields, headers['sforce-auto-assign']);
          return o.status < 300
            ? { id, success: true, errors: [] }
            : {
                success: false,
                errors: (o.body as object[]).map((e) => ({
                  ...e,
                  statusCode: (e as { errorCode: string }).errorCode,
                })),
              };
        }),
      };
    }
    if (method === 'PATCH' && (g = /^\/composite\/sobjects\/Task\/(\w+__c)$/.exec(path))) {
      const records = (b.records ?? []) as Array<Record<string, unknown>>;
      return {
        status: 200,
        body: records.map((r) => {
          const { attributes: _a, [g![1]!]: key, ...fields } = r;
          const o = this.#upsertTask(String(key), fields);
          return o.status < 300
            ? o.body
            : {
                success: false,
                errors: (o.body as object[]).map((e) => ({
                  ...e,
                  statusCode: (e as { errorCode: string }).errorCode,
                })),
              };
        }),
      };
    }
    return err(404, 'NOT_FOUND', `The requested resource does not exist: ${method} ${path}`);
  }

  #composite(b: Record<string, unknown>): Out {
    const subs = (b.compositeRequest ?? []) as Array<{
      method: string;
      url: string;
      referenceId: string;
      body?: unknown;
      httpHeaders?: Record<string, string>;
    }>;
    const allOrNone = b.allOrNone === true;
    const snapshot = allOrNone
      ? { leads: structuredClone([...this.leads]), tasks: structuredClone([...this.tasks]) }
      : undefined;
    const responses: Array<{
      body: unknown;
      httpHeaders: Record<string, string>;
      httpStatusCode: number;
      referenceId: string;
    }> = [];
    let failed = false;
    for (const s of subs) {
      if (failed) {
        responses.push({
          body: [
            {
              errorCode: 'PROCESSING_HALTED',
              message:
                'The transaction was rolled back since another operation in the same transaction failed.',
            },
          ],
          httpHeaders: {},
          httpStatusCode: 400,
          referenceId: s.referenceId,
        });
        continue;
      }
      const u = new URL(s.url, 'http://x');
      const headers = Object.fromEntries(
        Object.entries(s.httpHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      );
      const o = this.#route(
        s.method,
        u.pathname.replace('/services/data/v62.0', ''),
        Object.fromEntries(u.searchParams),
        s.body,
        headers,
      );
      responses.push({
        body: o.status === 204 ? null : o.body,
        httpHeaders:
          o.status === 201
            ? { Location: `/services/data/v62.0/sobjects/Task/${(o.body as { id?: string }).id}` }
            : {},
        httpStatusCode: o.status,
        referenceId: s.referenceId,
      });
      if (allOrNone && o.status >= 400) {
        failed = true;
        // Earlier subrequests are rolled back and report PROCESSING_HALTED too.
        for (const r of responses.slice(0, -1)) {
          r.httpStatusCode = 400;
          r.body = [
            {
              errorCode: 'PROCESSING_HALTED',
              message:
                'The transaction was rolled back since another operation in the same transaction failed.',
            },
          ];
        }
      }
    }
    if (failed && snapshot) {
      this.leads.clear();
      for (const [k, v] of snapshot.leads) this.leads.set(k, v);
      this.tasks.clear();
      for (const [k, v] of snapshot.tasks) this.tasks.set(k, v);
    }
    return { status: 200, body: { compositeResponse: responses } };
  }

  /** The SOQL shapes the adapter sends, and nothing more. */
  #soql(q: string): Out {
    const m =
      /^SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (.+?))?(?: LIMIT (\d+))?$/.exec(
        q.trim(),
      );
    if (!m) return err(400, 'MALFORMED_QUERY', `unexpected token: ${q}`);
    const fields = m[1]!.split(',').map((f) => f.trim());
    const object = m[2]!;
    const where = m[3] ?? '';
    const store: Record<string, Map<string, Rec>> = {
      Lead: this.leads,
      Account: this.accounts,
      User: this.users,
      Task: this.tasks,
      Event: this.events,
      EmailMessage: this.emails,
    };
    const s = store[object];
    if (!s) return err(400, 'INVALID_TYPE', `sObject type '${object}' is not supported.`);
    let rows = [...s.values()];
    const str = (re: RegExp) => re.exec(where)?.[1];
    const inList = /(?:^|\s)Id IN \(('[^)]*)\)/.exec(where)?.[1];
    if (inList) {
      const ids = inList.split(',').map((x) => x.trim().replace(/^'|'$/g, ''));
      rows = rows.filter((r) => ids.includes(r.Id));
    }
    const idEq = str(/(?:^|\s)Id = '(\w+)'/);
    if (idEq) rows = rows.filter((r) => r.Id === idEq);
    const who = str(/WhoId = '(\w+)'/);
    if (who) rows = rows.filter((r) => r.WhoId === who);
    const like = str(/Website LIKE '%(.+?)%'/);
    if (like)
      rows = rows.filter((r) =>
        String(r.Website ?? '')
          .toLowerCase()
          .includes(like.replace(/\\/g, '')),
      );
    const key = new RegExp(`${this.keyField} = '([^']+)'`).exec(where)?.[1];
    if (key) rows = rows.filter((r) => r[this.keyField] === key);
    const rel = str(/RelationId = '(\w+)'/);
    if (rel)
      rows = rows.filter((r) => (r as { relationIds?: string[] }).relationIds?.includes(rel));
    for (const [, field, at] of where.matchAll(/(\w+Date) >= (\S+?)(?:\s|\)|$)/g)) {
      rows = rows.filter(
        (r) => Date.parse(String(r[field!]).replace('+0000', 'Z')) >= Date.parse(at!),
      );
    }
    if (m[4]?.startsWith('CreatedDate DESC') || m[4]?.startsWith('LastModifiedDate DESC')) {
      const f = m[4].split(' ')[0]!;
      rows.sort(
        (a, c) =>
          Date.parse(String(c[f]).replace('+0000', 'Z')) -
          Date.parse(String(a[f]).replace('+0000', 'Z')),
      );
    }
    if (m[5]) rows = rows.slice(0, Number(m[5]));
    const records = rows.map((r) => {
      const out: Record<string, unknown> = {
        attributes: { type: object, url: `/services/data/v62.0/sobjects/${object}/${r.Id}` },
      };
      for (const f of fields) out[f] = r[f] ?? null;
      return out;
    });
    return { status: 200, body: { totalSize: records.length, done: true, records } };
  }
}
