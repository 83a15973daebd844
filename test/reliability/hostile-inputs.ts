/**
 * Hostile inputs for the three intake routes, generated with fast-check: malformed JSON and XML,
 * missing/wrong/stale signatures, wrong tokens and orgs, bodies over the limit, wrong types,
 * unicode edge cases, prototype-pollution keys, entity bombs, deep nesting. Every input is built
 * so that it must NOT store anything: the property is "no 5xx, no row, no crash" — a 2xx is fine
 * only for deliveries we acknowledge and ignore (a HubSpot event of another type, an empty batch,
 * a Salesforce message about another object), and even then nothing may be written.
 *
 * Used by test/reliability/hostile-inputs.test.ts (1,000 inputs in `npm test`) and by
 * scripts/reliability.ts (10,000 in-process plus a sample over real HTTP).
 */
import * as fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { signV3 } from '../../src/intake/hubspot-signature.ts';

export const HOSTILE_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
export const HOSTILE_PUBLIC_URL = 'https://switchboard.example.com';
export const HOSTILE_ORG = '00D000000000001EAA';
export const HOSTILE_INTAKE_TOKEN = 'test-intake-token';
/** Bodies over this are "huge"; the app under test must run with BODY_LIMIT_BYTES at this value. */
export const HOSTILE_BODY_LIMIT = 65_536;

/** The environment the app under test must run with for these inputs to mean what they say. */
export const HOSTILE_ENV: Record<string, string> = {
  HUBSPOT_CLIENT_SECRET: HOSTILE_SECRET,
  PUBLIC_URL: HOSTILE_PUBLIC_URL,
  SALESFORCE_ORG_ID: HOSTILE_ORG,
  INTAKE_TOKEN: HOSTILE_INTAKE_TOKEN,
  BODY_LIMIT_BYTES: String(HOSTILE_BODY_LIMIT),
};

export interface HostileRequest {
  category: string;
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface HostileAnswer {
  status: number;
  /** Set when the request could not complete (connection error over HTTP). */
  error?: string;
}

export type Send = (req: HostileRequest) => Promise<HostileAnswer>;

// ---------------------------------------------------------------- building blocks

let seq = 0;
const validEvent = (i: number, now: number) => ({
  eventId: 900_000 + i,
  subscriptionId: 25,
  portalId: 62515,
  appId: 54321,
  occurredAt: now - 1000,
  subscriptionType: 'contact.creation',
  attemptNumber: 0,
  objectId: 7_000_000 + i,
  changeSource: 'CRM',
  changeFlag: 'NEW',
});

function hubspotRequest(
  category: string,
  body: string,
  sign: { secret?: string; ts?: string; uri?: string } | null,
  contentType = 'application/json',
  extra: Record<string, string> = {},
): HostileRequest {
  const url = '/webhooks/hubspot';
  const headers: Record<string, string> = { 'content-type': contentType, ...extra };
  if (sign) {
    const ts = sign.ts ?? String(Date.now());
    headers['x-hubspot-request-timestamp'] = ts;
    headers['x-hubspot-signature-v3'] = signV3(
      sign.secret ?? HOSTILE_SECRET,
      'POST',
      sign.uri ?? HOSTILE_PUBLIC_URL + url,
      body,
      ts,
    );
  }
  return { category, method: 'POST', url, headers, body };
}

const salesforceRequest = (
  category: string,
  body: string,
  contentType = 'text/xml; charset=utf-8',
): HostileRequest => ({
  category,
  method: 'POST',
  url: '/webhooks/salesforce',
  headers: { 'content-type': contentType },
  body,
});

const leadRequest = (
  category: string,
  body: string,
  opts: { token?: string | null; contentType?: string; key?: string } = {},
): HostileRequest => {
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/json',
  };
  const token = opts.token === undefined ? HOSTILE_INTAKE_TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (opts.key !== undefined) headers['idempotency-key'] = opts.key;
  return { category, method: 'POST', url: '/leads', headers, body };
};

const xmlEscape = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

interface Note {
  id: string;
  type?: string;
  recordId?: string | null;
  fields?: Record<string, string>;
}

export function outboundMessage(org: string, notes: Note[]): string {
  const ns = notes
    .map((n) => {
      const fields = Object.entries(n.fields ?? { LastName: 'Doe', Company: 'Acme' })
        .map(([k, v]) => `<sf:${k}>${xmlEscape(v)}</sf:${k}>`)
        .join('');
      const rid =
        n.recordId === null ? '' : `<sf:Id>${xmlEscape(n.recordId ?? '00Q000000000001')}</sf:Id>`;
      return `<Notification><Id>${xmlEscape(n.id)}</Id><sObject xsi:type="sf:${n.type ?? 'Lead'}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">${rid}${fields}</sObject></Notification>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${xmlEscape(org)}</OrganizationId><ActionId>04k000000000001AAA</ActionId><SessionId xsi:nil="true"/><EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/62.0</EnterpriseUrl><PartnerUrl>https://example.my.salesforce.com/services/Soap/u/62.0</PartnerUrl>${ns}</notifications></soapenv:Body></soapenv:Envelope>`;
}

// ---------------------------------------------------------------- value arbitraries

/** Strings that stress decoders: lone surrogates, NUL, RTL marks, combining marks, emoji, BOM. */
const unicodeEdge = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '\uD800',
    '\uDFFF',
    'a\u0000b',
    '\u202Eevil',
    'e\u0301\u0301\u0301',
    '👩‍👩‍👧‍👦',
    '\uFEFF',
    '١٢٣٤',
    '１２３',
    '\u2028\u2029',
    '%00',
    '../../etc/passwd',
    "'; drop table inbox; --",
  ),
);

/** Not a HubSpot id: ids are non-negative integers or digit strings (ASCII only). */
const notAnId = fc
  .oneof(
    fc.double({ noNaN: false }),
    fc.integer({ max: -1 }),
    fc.boolean(),
    fc.constant(null),
    unicodeEdge,
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  )
  .filter(
    (v) =>
      !(typeof v === 'number' && Number.isInteger(v) && v >= 0) &&
      !(typeof v === 'string' && /^\d+$/.test(v)),
  );

/** Not epoch milliseconds for `occurredAt`. */
const notOccurredAt = fc
  .oneof(
    fc.double(),
    fc.integer({ max: -1 }),
    fc.string({ maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
  )
  .filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 0));

/** Not JSON at all (or cut short). */
const notJson = fc
  .oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      '[',
      '[{',
      '{"a":',
      '[{"eventId":1,}]',
      'NaN',
      'undefined',
      "{'a':1}",
      '\u0000',
    ),
    fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([v, n]) => {
      const s = JSON.stringify(v);
      return s.length > 1 ? s.slice(0, n % (s.length - 1)) + '\u0001' : '\u0001';
    }),
  )
  .filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  });

// ---------------------------------------------------------------- request arbitraries

const hubspotValidBatch = fc.integer({ min: 1, max: 5 }).map((n) => {
  const now = Date.now();
  return JSON.stringify(Array.from({ length: n }, () => validEvent(seq++, now)));
});

const hubspot: Array<fc.WeightedArbitrary<() => HostileRequest>> = [
  // A genuine-looking batch with no signature at all.
  {
    weight: 4,
    arbitrary: hubspotValidBatch.map((b) => () => hubspotRequest('hubspot/unsigned', b, null)),
  },
  // Signed with the wrong secret.
  {
    weight: 4,
    arbitrary: fc
      .tuple(hubspotValidBatch, fc.string({ minLength: 1, maxLength: 40 }))
      .filter(([, s]) => s !== HOSTILE_SECRET)
      .map(
        ([b, secret]) =>
          () =>
            hubspotRequest('hubspot/wrong-secret', b, { secret }),
      ),
  },
  // A signature header that is not a signature.
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        hubspotValidBatch,
        unicodeEdge.filter((s) => /^[\x20-\x7e]*$/.test(s)),
      )
      .map(([b, junk]) => () => {
        const r = hubspotRequest('hubspot/garbage-signature', b, {});
        r.headers['x-hubspot-signature-v3'] = junk;
        return r;
      }),
  },
  // Correctly signed, but over a different URI (tampered path/query or host).
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        hubspotValidBatch,
        fc.constantFrom('?x=1', '/', 'https://evil.example.com/webhooks/hubspot'),
      )
      .map(
        ([b, tamper]) =>
          () =>
            hubspotRequest('hubspot/other-uri', b, {
              uri: tamper.startsWith('https')
                ? tamper
                : HOSTILE_PUBLIC_URL + '/webhooks/hubspot' + tamper,
            }),
      ),
  },
  // Stale or far-future timestamp, correctly signed (a replay).
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        hubspotValidBatch,
        fc.integer({ min: 5 * 60_000 + 5_000, max: 365 * 86_400_000 }),
        fc.boolean(),
      )
      .map(
        ([b, skew, future]) =>
          () =>
            hubspotRequest('hubspot/stale', b, {
              ts: String(Date.now() + (future ? skew : -skew)),
            }),
      ),
  },
  // Timestamp header that is not epoch ms.
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        hubspotValidBatch,
        fc.oneof(
          fc.string({ maxLength: 12 }),
          fc.constantFrom('-1', '1e12', '0x1', ' 1700000000000'),
        ),
      )
      .filter(([, ts]) => !/^\d{10,16}$/.test(ts) && /^[\x20-\x7e]*$/.test(ts))
      .map(
        ([b, ts]) =>
          () =>
            hubspotRequest('hubspot/bad-timestamp', b, { ts }),
      ),
  },
  // Legacy v1 signature while only v3 is accepted.
  {
    weight: 1,
    arbitrary: hubspotValidBatch.map(
      (b) => () =>
        hubspotRequest('hubspot/v1-not-accepted', b, null, 'application/json', {
          'x-hubspot-signature': 'a'.repeat(64),
          'x-hubspot-signature-version': 'v1',
        }),
    ),
  },
  // Correctly signed, not JSON.
  {
    weight: 5,
    arbitrary: notJson.map((b) => () => hubspotRequest('hubspot/malformed-json', b, {})),
  },
  // Correctly signed JSON that is not an array of events (object, number, string, nested junk).
  {
    weight: 4,
    arbitrary: fc
      .oneof(
        fc.jsonValue({ maxDepth: 3 }).filter((v) => !Array.isArray(v)),
        fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer())), {
          minLength: 1,
          maxLength: 5,
        }),
      )
      .map((v) => () => hubspotRequest('hubspot/not-event-array', JSON.stringify(v), {})),
  },
  // Correctly signed events with one required field of the wrong type.
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom('eventId', 'subscriptionId', 'portalId', 'objectId', 'occurredAt', 'appId'),
        fc.oneof(notAnId, notOccurredAt),
        fc.integer({ min: 0, max: 3 }),
      )
      .filter(([field, v]) =>
        field === 'occurredAt'
          ? !(typeof v === 'number' && Number.isInteger(v) && v >= 0)
          : !(typeof v === 'number' && Number.isInteger(v) && v >= 0) &&
            !(typeof v === 'string' && /^\d+$/.test(v)),
      )
      .map(([field, v, extra]) => () => {
        const now = Date.now();
        const events: Array<Record<string, unknown>> = Array.from({ length: extra + 1 }, () =>
          validEvent(seq++, now),
        );
        events[events.length - 1]![field] = v;
        return hubspotRequest('hubspot/wrong-types', JSON.stringify(events), {});
      }),
  },
  // Correctly signed events missing the subscription type entirely.
  {
    weight: 2,
    arbitrary: fc.constant(() => {
      const e: Record<string, unknown> = validEvent(seq++, Date.now());
      delete e.subscriptionType;
      return hubspotRequest('hubspot/no-subscription-type', JSON.stringify([e]), {});
    }),
  },
  // Correctly signed events with unicode subscription types / property names: acknowledged, ignored.
  {
    weight: 5,
    arbitrary: fc
      .tuple(unicodeEdge, fc.constantFrom('prefix', 'action', 'property'))
      .map(([u, where]) => () => {
        const e: Record<string, unknown> = validEvent(seq++, Date.now());
        if (where === 'prefix') e.subscriptionType = `x${u}.creation`;
        else if (where === 'action') e.subscriptionType = `contact.creation${u}x`;
        else {
          e.subscriptionType = 'contact.propertyChange';
          e.propertyName = `zz_${u}`;
          e.propertyValue = u;
        }
        return hubspotRequest('hubspot/unicode-ignored', JSON.stringify([e]), {});
      }),
  },
  // Unicode (non-ASCII digits, surrogates) in id fields: must be refused.
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('objectId', 'portalId', 'eventId'),
        unicodeEdge.filter((s) => !/^\d+$/.test(s)),
      )
      .map(([field, u]) => () => {
        const e: Record<string, unknown> = validEvent(seq++, Date.now());
        e[field] = u;
        return hubspotRequest('hubspot/unicode-ids', JSON.stringify([e]), {});
      }),
  },
  // Prototype-pollution keys, correctly signed.
  {
    weight: 2,
    arbitrary: fc.constantFrom('__proto__', 'constructor').map((k) => () => {
      const e = JSON.stringify(validEvent(seq++, Date.now()));
      const body = `[${e.slice(0, -1)},"${k}":{"prototype":{"polluted":true},"polluted":true}}]`;
      return hubspotRequest('hubspot/proto-pollution', body, {});
    }),
  },
  // 101 events: over HubSpot's batch size.
  {
    weight: 1,
    arbitrary: fc.constant(() => {
      const now = Date.now();
      const b = JSON.stringify(Array.from({ length: 101 }, () => validEvent(seq++, now)));
      return hubspotRequest('hubspot/batch-too-large', b, {});
    }),
  },
  // Over the body limit (signed).
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 4 }).map((k) => () => {
      const pad = 'x'.repeat(HOSTILE_BODY_LIMIT * k);
      const e = { ...validEvent(seq++, Date.now()), pad };
      return hubspotRequest('hubspot/huge', JSON.stringify([e]), {});
    }),
  },
  // Wrong content type.
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        hubspotValidBatch,
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'text/xml',
          'application/octet-stream',
        ),
      )
      .map(
        ([b, ct]) =>
          () =>
            hubspotRequest('hubspot/content-type', b, {}, ct),
      ),
  },
];

const salesforce: Array<fc.WeightedArbitrary<() => HostileRequest>> = [
  // Not XML at all, or random text.
  {
    weight: 5,
    arbitrary: fc
      .oneof(
        fc.string({ maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom('<', '<a>', '</a>', '<?xml?>', '<a><b></a></b>'),
      )
      .map((b) => () => salesforceRequest('salesforce/malformed-xml', b)),
  },
  // A right-org message cut short before </notifications>.
  {
    weight: 5,
    arbitrary: fc.nat().map((n) => () => {
      const full = outboundMessage(HOSTILE_ORG, [{ id: `04l${seq++}` }]);
      const end = full.indexOf('</notifications>');
      return salesforceRequest('salesforce/truncated', full.slice(0, n % end));
    }),
  },
  // Another organisation (including unicode and near-miss ids).
  {
    weight: 6,
    arbitrary: fc
      .oneof(
        fc.stringMatching(/^00D[0-9A-Za-z]{12,15}$/),
        unicodeEdge,
        fc.constantFrom('00D000000000002EAA', '00d000000000001EAA', '00D00000000000'),
      )
      .filter((o) => o.trim() !== '' && o.trim().slice(0, 15) !== HOSTILE_ORG.slice(0, 15))
      .map(
        (org) => () =>
          salesforceRequest('salesforce/wrong-org', outboundMessage(org, [{ id: `04l${seq++}` }])),
      ),
  },
  // DOCTYPE / entity expansion (billion laughs, external entity).
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>',
        '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!doctype x>',
      )
      .map((dtd) => () => {
        const m = outboundMessage(HOSTILE_ORG, [
          { id: `04l${seq++}`, fields: { LastName: '&lol2;' } },
        ]);
        return salesforceRequest('salesforce/entities', m.replace('?>', `?>${dtd}`));
      }),
  },
  // Deeply nested elements inside the body.
  {
    weight: 2,
    arbitrary: fc.integer({ min: 100, max: 20_000 }).map((depth) => () => {
      const nest = '<a>'.repeat(depth) + '</a>'.repeat(depth);
      const m = outboundMessage(HOSTILE_ORG, [{ id: `04l${seq++}` }]);
      return salesforceRequest(
        'salesforce/deep-nesting',
        m
          .replace('<soapenv:Body>', `<soapenv:Body>${nest}`)
          .replace('<notifications', '<x')
          .replace('</notifications>', '</x>'),
      );
    }),
  },
  // Right org, structurally wrong: no Notification, no Id, no sObject Id, no OrganizationId.
  {
    weight: 5,
    arbitrary: fc
      .constantFrom('no-notification', 'no-id', 'no-record-id', 'no-org')
      .map((kind) => () => {
        let m: string;
        if (kind === 'no-notification') m = outboundMessage(HOSTILE_ORG, []);
        else if (kind === 'no-id') m = outboundMessage(HOSTILE_ORG, [{ id: '' }]);
        else if (kind === 'no-record-id')
          m = outboundMessage(HOSTILE_ORG, [{ id: `04l${seq++}`, recordId: null }]);
        else
          m = outboundMessage(HOSTILE_ORG, [{ id: `04l${seq++}` }]).replace(
            /<OrganizationId>.*<\/OrganizationId>/,
            '',
          );
        return salesforceRequest(`salesforce/missing-${kind}`, m);
      }),
  },
  // A message about another object: acknowledged, nothing stored.
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.constantFrom('Contact', 'Account', 'Opportunity', 'lead', 'LEAD'),
        unicodeEdge.filter((s) => /^[\w\u00C0-\uFFFF]+$/u.test(s) && s !== 'Lead'),
      )
      .map(
        (type) => () =>
          salesforceRequest(
            'salesforce/other-object',
            outboundMessage(HOSTILE_ORG, [{ id: `04l${seq++}`, type: xmlEscape(type) }]),
          ),
      ),
  },
  // 101 notifications.
  {
    weight: 1,
    arbitrary: fc.constant(() =>
      salesforceRequest(
        'salesforce/too-many',
        outboundMessage(
          HOSTILE_ORG,
          Array.from({ length: 101 }, () => ({ id: `04l${seq++}` })),
        ),
      ),
    ),
  },
  // Over the body limit.
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 4 })
      .map(
        (k) => () =>
          salesforceRequest(
            'salesforce/huge',
            outboundMessage(HOSTILE_ORG, [
              { id: `04l${seq++}`, fields: { LastName: 'x'.repeat(HOSTILE_BODY_LIMIT * k) } },
            ]),
          ),
      ),
  },
  // Wrong content type for a right-org message.
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('application/json', 'text/plain', 'application/octet-stream')
      .map(
        (ct) => () =>
          salesforceRequest(
            'salesforce/content-type',
            outboundMessage(HOSTILE_ORG, [{ id: `04l${seq++}` }]),
            ct,
          ),
      ),
  },
];

const validLead = () => ({
  email: `hostile${seq++}@example.com`,
  first_name: 'Ada',
  company: 'Acme',
  employees: 50,
});

/** Lead fields with a value of the wrong type (the schema is strict). */
const wrongLeadField = fc.oneof(
  fc.tuple(
    fc.constantFrom('email', 'first_name', 'company', 'country', 'message'),
    fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.constant(null),
    ),
  ),
  fc.tuple(
    fc.constantFrom('employees', 'annual_revenue'),
    fc.oneof(fc.integer({ max: -1 }), fc.string(), fc.constant(null), fc.constant('1e400')),
  ),
  fc.tuple(
    fc.constant('created_at'),
    fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.constantFrom('2026-13-01T00:00:00Z', '2026-11-28 10:43'),
    ),
  ),
  fc.tuple(
    fc.constant('crm'),
    fc.oneof(
      fc.constant({ system: 'pipedrive', object: 'lead', id: '1' }),
      fc.string(),
      fc.constant({ system: 'hubspot' }),
    ),
  ),
  fc.tuple(
    unicodeEdge.map((k) => `unknown_${k}`),
    fc.jsonValue({ maxDepth: 1 }),
  ),
);

const leads: Array<fc.WeightedArbitrary<() => HostileRequest>> = [
  {
    weight: 3,
    arbitrary: fc.constant(() =>
      leadRequest('leads/no-token', JSON.stringify(validLead()), { token: null }),
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .string({ minLength: 1, maxLength: 60 })
      .filter((t) => t.trim() !== HOSTILE_INTAKE_TOKEN && /^[\x21-\x7e]+$/.test(t))
      .map(
        (t) => () => leadRequest('leads/wrong-token', JSON.stringify(validLead()), { token: t }),
      ),
  },
  { weight: 5, arbitrary: notJson.map((b) => () => leadRequest('leads/malformed-json', b)) },
  {
    weight: 4,
    arbitrary: fc
      .jsonValue({ maxDepth: 2 })
      .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
      .map((v) => () => leadRequest('leads/not-an-object', JSON.stringify(v))),
  },
  {
    weight: 8,
    arbitrary: wrongLeadField.map(([k, v]) => () => {
      const l: Record<string, unknown> = validLead();
      l[k] = v;
      // 1e400 must reach the parser as a number literal (JSON.parse gives Infinity).
      const body = JSON.stringify(l).replace('"1e400"', '1e400');
      return leadRequest('leads/wrong-types', body);
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('__proto__', 'constructor')
      .map(
        (k) => () =>
          leadRequest(
            'leads/proto-pollution',
            `{"email":"p${seq++}@example.com","${k}":{"prototype":{"polluted":true},"polluted":true}}`,
          ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constant(''),
        fc.string({ minLength: 201, maxLength: 400 }).filter((s) => /^[\x20-\x7e]+$/.test(s)),
      )
      .map(
        (key) => () =>
          leadRequest('leads/bad-idempotency-key', JSON.stringify(validLead()), { key }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 4 })
      .map(
        (k) => () =>
          leadRequest(
            'leads/huge',
            JSON.stringify({ ...validLead(), message: 'x'.repeat(HOSTILE_BODY_LIMIT * k) }),
          ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'text/xml',
        'multipart/form-data; boundary=x',
      )
      .map(
        (ct) => () =>
          leadRequest('leads/content-type', JSON.stringify(validLead()), { contentType: ct }),
      ),
  },
];

/** One hostile request (a thunk, so signatures carry the send-time timestamp). */
export const hostileRequest: fc.Arbitrary<() => HostileRequest> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(...hubspot) },
  { weight: 3, arbitrary: fc.oneof(...salesforce) },
  { weight: 3, arbitrary: fc.oneof(...leads) },
);

// ---------------------------------------------------------------- the run

export interface HostileResult {
  inputs: number;
  /** category → status → count */
  byCategory: Record<string, Record<string, number>>;
  /** Inputs answered 5xx or not answered at all. */
  serverErrors: Array<{ category: string; status: number; error?: string; body: string }>;
  /** Inputs after which a row appeared. */
  rowWriters: Array<{ category: string; status: number; body: string }>;
  /** Rows in intake tables after the run that were not there before. */
  rowsWritten: number;
  /** The first counterexample fast-check reported, if any. */
  failure: string | null;
}

/** Total rows in every table intake or the worker can write. */
export async function intakeRowCount(db: Kysely<never>): Promise<number> {
  const r = await sql<{ n: string | number }>`
    select (select count(*) from inbox) + (select count(*) from leads) +
           (select count(*) from decisions) + (select count(*) from crm_writes) +
           (select count(*) from lead_events) + (select count(*) from timers) as n`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Sends `count` generated inputs through `send`, checking after each that it was answered below
 * 500 and that no row appeared. Deterministic for a given seed.
 */
export async function runHostileInputs(opts: {
  count: number;
  seed: number;
  send: Send;
  db: Kysely<never>;
}): Promise<HostileResult> {
  const byCategory: HostileResult['byCategory'] = {};
  const serverErrors: HostileResult['serverErrors'] = [];
  const before = await intakeRowCount(opts.db);
  let inputs = 0;
  let failure: string | null = null;
  const rowWriters: HostileResult['rowWriters'] = [];
  try {
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (make) => {
        const req = make();
        inputs++;
        const ans = await opts.send(req);
        const cat = (byCategory[req.category] ??= {});
        const key = ans.error ? `error:${ans.error}` : String(ans.status);
        cat[key] = (cat[key] ?? 0) + 1;
        if (ans.error || ans.status >= 500) {
          serverErrors.push({
            category: req.category,
            status: ans.status,
            ...(ans.error ? { error: ans.error } : {}),
            body: req.body.slice(0, 300),
          });
          return false;
        }
        const now = await intakeRowCount(opts.db);
        if (now !== before) {
          rowWriters.push({
            category: req.category,
            status: ans.status,
            body: req.body.slice(0, 600),
          });
          return false;
        }
        return true;
      }),
      { numRuns: opts.count, seed: opts.seed, endOnFailure: true },
    );
  } catch (err) {
    failure = (err as Error).message.slice(0, 2000);
  }
  const after = await intakeRowCount(opts.db);
  return { inputs, byCategory, serverErrors, rowWriters, rowsWritten: after - before, failure };
}
