/**
 * A local HubSpot (CRM v3/v4) on 127.0.0.1 with an ephemeral port, for adapter tests through the
 * real `@hubspot/api-client`. It keeps contacts, companies, associations, tasks, notes and owners
 * in memory, records every request, and answers in HubSpot's shapes (PROTOCOLS §2, §9.11):
 * `Content-Type: application/json` on every response, 201 on create, 207-free batch reads,
 * the documented error and 429 bodies with `policyName`, `X-HubSpot-RateLimit-*` headers.
 *
 * Knobs: `fault` (answer a request with an error instead), `randomFaults` (seeded), `outage`,
 * `delayMs`, and `dropAfterAccept` (perform a write, then cut the socket: "HubSpot accepted but
 * we never heard").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Obj {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
}

interface Engagement extends Obj {
  contactIds: string[];
  associationTypeIds: number[];
}

export interface HubSpotDoubleOptions {
  /** Timestamps for recorded requests (virtual time in rate tests). */
  now?: () => number;
}

const correlationId = () => '7c9e6679-7425-40de-944b-e07fc1f90ae7';

export const RATE_LIMIT_429 = {
  status: 'error',
  message: 'You have reached your ten_secondly_rolling limit.',
  errorType: 'RATE_LIMIT',
  correlationId: correlationId(),
  policyName: 'TEN_SECONDLY_ROLLING',
  requestId: 'b3c7e1d2-0000-4000-8000-000000000000',
};

export class HubSpotDouble {
  readonly requests: RecordedRequest[] = [];
  readonly contacts = new Map<string, Obj & { companyIds: string[] }>();
  readonly companies = new Map<string, Obj>();
  readonly tasks = new Map<string, Engagement>();
  readonly notes = new Map<string, Engagement>();
  readonly owners: Array<{
    id: string;
    email: string;
    firstName: string;
    lastName: string;
    archived: boolean;
  }> = [];
  /** Return a fault to answer this request with one (after recording it). */
  fault: ((req: RecordedRequest) => Fault | undefined) | undefined;
  outage = false;
  delayMs = 0;
  /** Most requests ever in the double's hands at the same time (set `delayMs` to make them overlap). */
  peakInFlight = 0;
  #handling = 0;
  /** Number of upcoming writes (POST/PATCH that create or update) to perform and then drop. */
  dropAfterAccept = 0;
  #nextId = 1000;
  #server: Server | undefined;
  #now: () => number;
  baseUrl = '';

  constructor(opts: HubSpotDoubleOptions = {}) {
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

  /** Seeded 30 %-style faults: `rate` of requests get 429 or 503 with Retry-After. */
  randomFaults(rate: number, seed = 42, retryAfterSeconds = '1'): void {
    let s = seed >>> 0;
    const rnd = () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    this.fault = () => {
      if (rnd() >= rate) return undefined;
      return rnd() < 0.5
        ? { status: 429, headers: { 'Retry-After': retryAfterSeconds }, body: RATE_LIMIT_429 }
        : {
            status: 503,
            headers: { 'Retry-After': retryAfterSeconds },
            body: {
              status: 'error',
              message: 'Service Unavailable',
              correlationId: correlationId(),
              category: 'SERVICE_UNAVAILABLE',
            },
          };
    };
  }

  addOwner(id: string, email: string, archived = false): void {
    const [first, last] = email.split('@')[0]!.split('.');
    this.owners.push({ id, email, firstName: first ?? '', lastName: last ?? '', archived });
  }

  addContact(id: string, properties: Record<string, string>, companyIds: string[] = []): void {
    this.contacts.set(id, {
      id,
      properties: { ...properties },
      companyIds,
      createdAt: properties.createdate ?? new Date(this.#now()).toISOString(),
    });
  }

  addCompany(id: string, properties: Record<string, string>): void {
    this.companies.set(id, {
      id,
      properties: { ...properties },
      createdAt: new Date(this.#now()).toISOString(),
    });
  }

  /** Requests whose path matches, for assertions. */
  calls(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (query[k] ??= []).push(...v.split(','));
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
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
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'Content-Type': 'application/json;charset=utf-8',
        'X-HubSpot-RateLimit-Max': '100',
        'X-HubSpot-RateLimit-Remaining': '99',
        'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
        ...headers,
      });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (
      req.headers.authorization !== 'Bearer test-token' &&
      !String(req.headers.authorization).startsWith('Bearer ')
    ) {
      return send(401, {
        status: 'error',
        message: 'Authentication credentials not found.',
        correlationId: correlationId(),
        category: 'INVALID_AUTHENTICATION',
      });
    }
    if (this.outage)
      return send(503, {
        status: 'error',
        message: 'Service Unavailable',
        correlationId: correlationId(),
        category: 'SERVICE_UNAVAILABLE',
      });
    const f = this.fault?.(rec);
    if (f)
      return send(
        f.status,
        f.body ?? { status: 'error', message: 'fault', correlationId: correlationId() },
        f.headers,
      );
    const isWrite =
      rec.method !== 'GET' && !rec.path.endsWith('/search') && !rec.path.endsWith('/batch/read');
    let out: { status: number; body: unknown };
    try {
      out = this.#route(rec);
    } catch (e) {
      out = {
        status: 500,
        body: {
          status: 'error',
          message: String(e),
          correlationId: correlationId(),
          category: 'INTERNAL_ERROR',
        },
      };
    }
    if (isWrite && out.status < 300 && this.dropAfterAccept > 0) {
      this.dropAfterAccept--;
      res.socket?.destroy();
      return;
    }
    send(out.status, out.body);
  }

  #obj(o: Obj, props?: string[]) {
    const properties: Record<string, string | null> = { hs_object_id: o.id };
    for (const p of props ?? Object.keys(o.properties))
      if (p in o.properties) properties[p] = o.properties[p] ?? null;
    // HubSpot's read-only primary-company property of a contact (the first company here).
    const companies = (o as { companyIds?: string[] }).companyIds;
    if (companies && props?.includes('associatedcompanyid'))
      properties.associatedcompanyid = companies[0] ?? null;
    return {
      id: o.id,
      properties,
      createdAt: o.createdAt,
      updatedAt: o.createdAt,
      archived: false,
    };
  }

  #badOwner(ownerId: string | null | undefined): { status: number; body: unknown } | undefined {
    if (ownerId === undefined || ownerId === null || ownerId === '') return undefined;
    if (this.owners.some((o) => o.id === ownerId && !o.archived)) return undefined;
    return {
      status: 400,
      body: {
        status: 'error',
        message: `Property values were not valid: [{"isValid":false,"message":"${ownerId} is not a valid owner id","error":"INVALID_OWNER_ID","name":"hubspot_owner_id"}]`,
        correlationId: correlationId(),
        category: 'VALIDATION_ERROR',
      },
    };
  }

  #notFound() {
    return {
      status: 404,
      body: {
        status: 'error',
        message: 'resource not found',
        correlationId: correlationId(),
        category: 'OBJECT_NOT_FOUND',
      },
    };
  }

  #createEngagement(
    kind: 'tasks' | 'notes',
    input: {
      properties: Record<string, string>;
      associations?: Array<{ to: { id: string }; types: Array<{ associationTypeId: number }> }>;
    },
  ) {
    const bad = this.#badOwner(input.properties.hubspot_owner_id);
    if (bad) return bad;
    if (kind === 'tasks' && !input.properties.hs_timestamp) {
      return {
        status: 400,
        body: {
          status: 'error',
          message: 'Property hs_timestamp is required',
          correlationId: correlationId(),
          category: 'VALIDATION_ERROR',
        },
      };
    }
    const id = String(this.#nextId++);
    const e: Engagement = {
      id,
      properties: { ...input.properties, hs_createdate: new Date(this.#now()).toISOString() },
      createdAt: new Date(this.#now()).toISOString(),
      contactIds: (input.associations ?? []).map((a) => a.to.id),
      associationTypeIds: (input.associations ?? []).flatMap((a) =>
        a.types.map((t) => t.associationTypeId),
      ),
    };
    for (const c of e.contactIds) if (!this.contacts.has(c)) return this.#notFound();
    (kind === 'tasks' ? this.tasks : this.notes).set(id, e);
    return { status: 201, body: this.#obj(e) };
  }

  #route(r: RecordedRequest): { status: number; body: unknown } {
    const m = (re: RegExp) => re.exec(r.path);
    const b = (r.body ?? {}) as Record<string, unknown>;
    let g: RegExpExecArray | null;
    if (r.method === 'GET' && (g = m(/^\/crm\/v3\/objects\/(contacts|companies)\/([^/]+)$/))) {
      const store = g[1] === 'contacts' ? this.contacts : this.companies;
      const o = store.get(decodeURIComponent(g[2]!));
      if (!o) return this.#notFound();
      const out: Record<string, unknown> = this.#obj(o, r.query.properties);
      if (g[1] === 'contacts' && r.query.associations?.includes('companies')) {
        const ids = (o as Obj & { companyIds: string[] }).companyIds;
        out.associations = {
          companies: {
            results: ids.map((id, i) => ({
              id,
              type: i === 0 ? 'contact_to_company' : 'contact_to_company_unlabeled',
            })),
          },
        };
      }
      return { status: 200, body: out };
    }
    if (r.method === 'PATCH' && (g = m(/^\/crm\/v3\/objects\/contacts\/([^/]+)$/))) {
      const c = this.contacts.get(decodeURIComponent(g[1]!));
      if (!c) return this.#notFound();
      const props = (b.properties ?? {}) as Record<string, string>;
      const bad = this.#badOwner(props.hubspot_owner_id);
      if (bad) return bad;
      Object.assign(c.properties, props);
      return { status: 200, body: this.#obj(c) };
    }
    if (r.method === 'POST' && (g = m(/^\/crm\/v3\/objects\/(contacts|companies)\/batch\/read$/))) {
      const store = g[1] === 'contacts' ? this.contacts : this.companies;
      const inputs = (b.inputs ?? []) as Array<{ id: string }>;
      const found = inputs
        .map((i) => store.get(i.id))
        .filter((o): o is Obj & { companyIds: string[] } => Boolean(o));
      const missing = inputs.filter((i) => !store.has(i.id)).map((i) => i.id);
      const body: Record<string, unknown> = {
        status: 'COMPLETE',
        results: found.map((o) => this.#obj(o, b.properties as string[])),
        startedAt: new Date(this.#now()).toISOString(),
        completedAt: new Date(this.#now()).toISOString(),
      };
      if (missing.length) {
        body.numErrors = 1;
        body.errors = [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'Could not get some objects, they may be deleted or not exist.',
            context: { ids: missing },
          },
        ];
      }
      return { status: missing.length ? 207 : 200, body };
    }
    if (r.method === 'POST' && m(/^\/crm\/v3\/objects\/contacts\/batch\/update$/)) {
      const inputs = (b.inputs ?? []) as Array<{ id: string; properties: Record<string, string> }>;
      for (const i of inputs) {
        if (!this.contacts.has(i.id)) return this.#notFound();
        const bad = this.#badOwner(i.properties.hubspot_owner_id);
        if (bad) return bad;
      }
      for (const i of inputs) Object.assign(this.contacts.get(i.id)!.properties, i.properties);
      return {
        status: 200,
        body: {
          status: 'COMPLETE',
          results: inputs.map((i) => this.#obj(this.contacts.get(i.id)!)),
        },
      };
    }
    if (r.method === 'POST' && m(/^\/crm\/v4\/associations\/contacts\/companies\/batch\/read$/)) {
      const inputs = (b.inputs ?? []) as Array<{ id: string }>;
      return {
        status: 200,
        body: {
          status: 'COMPLETE',
          results: inputs
            .filter((i) => (this.contacts.get(i.id)?.companyIds.length ?? 0) > 0)
            .map((i) => ({
              from: { id: i.id },
              to: this.contacts.get(i.id)!.companyIds.map((cid, n) => ({
                toObjectId: Number(cid),
                associationTypes:
                  n === 0
                    ? [
                        { category: 'HUBSPOT_DEFINED', typeId: 1, label: 'Primary' },
                        { category: 'HUBSPOT_DEFINED', typeId: 279, label: null },
                      ]
                    : [{ category: 'HUBSPOT_DEFINED', typeId: 279, label: null }],
              })),
            })),
        },
      };
    }
    if (r.method === 'POST' && (g = m(/^\/crm\/v3\/objects\/(tasks|notes)$/))) {
      return this.#createEngagement(g[1] as 'tasks' | 'notes', b as never);
    }
    if (r.method === 'POST' && (g = m(/^\/crm\/v3\/objects\/(tasks|notes)\/batch\/create$/))) {
      const kind = g[1] as 'tasks' | 'notes';
      const inputs = (b.inputs ?? []) as Array<{ properties: Record<string, string> }>;
      // HubSpot validates the whole batch first: one bad input fails all of them.
      for (const i of inputs) {
        const bad = this.#badOwner(i.properties.hubspot_owner_id);
        if (bad) return bad;
      }
      const created = inputs.map((i) => this.#createEngagement(kind, i as never));
      // HubSpot does not promise result order; reverse so callers cannot rely on it.
      return {
        status: 201,
        body: { status: 'COMPLETE', results: created.map((c) => c.body).reverse() },
      };
    }
    if (
      r.method === 'POST' &&
      (g = m(/^\/crm\/v3\/objects\/(tasks|notes|contacts|companies)\/search$/))
    ) {
      const kind = g[1]!;
      const filters = (
        (b.filterGroups ?? []) as Array<{
          filters: Array<{ propertyName: string; operator: string; value: string }>;
        }>
      ).flatMap((fg) => fg.filters);
      let rows: Obj[] =
        kind === 'tasks'
          ? [...this.tasks.values()]
          : kind === 'notes'
            ? [...this.notes.values()]
            : kind === 'contacts'
              ? [...this.contacts.values()]
              : [...this.companies.values()];
      for (const f of filters) {
        rows = rows.filter((o) => {
          if (f.propertyName === 'associations.contact')
            return (o as Engagement).contactIds?.includes(f.value);
          const v = f.propertyName === 'createdate' ? o.createdAt : o.properties[f.propertyName];
          if (f.operator === 'EQ')
            return String(v ?? '').toLowerCase() === String(f.value).toLowerCase();
          if (f.operator === 'GTE') return Date.parse(String(v)) >= Number(f.value);
          return true;
        });
      }
      if (kind === 'contacts')
        rows.sort((x, y) => Date.parse(y.createdAt) - Date.parse(x.createdAt));
      const limit = Number(b.limit ?? 10);
      const start = Number(b.after ?? 0);
      const page = rows.slice(start, start + limit);
      return {
        status: 200,
        body: {
          total: rows.length,
          results: page.map((o) => this.#obj(o, b.properties as string[])),
          ...(start + limit < rows.length
            ? { paging: { next: { after: String(start + limit) } } }
            : {}),
        },
      };
    }
    if (r.method === 'GET' && r.path === '/crm/v3/owners') {
      const archived = r.query.archived?.[0] === 'true';
      return {
        status: 200,
        body: {
          results: this.owners
            .filter((o) => o.archived === archived)
            .map((o) => ({
              id: o.id,
              email: o.email,
              firstName: o.firstName,
              lastName: o.lastName,
              userId: archived ? null : Number(o.id) + 1,
              createdAt: '2025-01-01T00:00:00Z',
              updatedAt: '2025-01-01T00:00:00Z',
              archived: o.archived,
            })),
        },
      };
    }
    return {
      status: 404,
      body: {
        status: 'error',
        message: `Unknown route ${r.method} ${r.path}`,
        correlationId: correlationId(),
        category: 'OBJECT_NOT_FOUND',
      },
    };
  }
}
