import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.ts';

// Opening PGlite takes 1.3–4 s idle, far longer on a loaded machine (vitest's hook default is 60 s).
const PGLITE_OPEN_TIMEOUT = 180_000;

const dir = new URL('../../fixtures/salesforce/', import.meta.url);
const message = fs.readFileSync(new URL('outbound-message.xml', dir));
const ack = fs.readFileSync(new URL('ack.xml', dir), 'utf8');
const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };

const count = async (tdb: TestDb, table: 'inbox' | 'decisions') =>
  Number(
    (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(tdb.db))
      .rows[0]!.n,
  );

describe('POST /webhooks/salesforce', () => {
  let tdb: TestDb;
  let t: TestApp;
  beforeAll(async () => {
    tdb = await createTestDb();
    t = await buildTestApp(tdb);
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  it('acks only after both notifications are stored, then routes each lead from its fields', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/salesforce',
      headers,
      payload: message,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toBe(ack);
    expect(await count(tdb, 'inbox')).toBe(2);

    expect(await t.worker.drain()).toBe(2);
    const routed = await tdb.db
      .selectFrom('decisions')
      .innerJoin('leads', 'leads.id', 'decisions.lead_id')
      .select(['leads.crm_id', 'leads.tenant', 'decisions.lead_type', 'decisions.handler_id'])
      .orderBy('leads.crm_id')
      .execute();
    expect(routed.map((r) => [r.crm_id, r.tenant])).toEqual([
      ['00Q000000000001EAA', '00D000000000001EAA'],
      ['00Q000000000002EAA', '00D000000000001EAA'],
    ]);
    expect(routed[0]?.lead_type).toBe('strategic'); // 300 employees
    expect(routed[1]?.lead_type).not.toBe('strategic'); // a 12-person bakery
  });

  it('acks the same message delivered twice without storing or routing anything new', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/salesforce',
      headers,
      payload: message,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(ack);
    expect(await t.worker.drain()).toBe(0);
    expect([await count(tdb, 'inbox'), await count(tdb, 'decisions')]).toEqual([2, 2]);
  });

  it('answers SOAP faults with 4xx for another org, malformed XML and a wrong media type, storing nothing', async () => {
    const otherOrg = message.toString().replace('00D000000000001EAA', '00D000000000009EAA');
    const cases: Array<[string | Buffer, Record<string, string>, number]> = [
      [otherOrg, headers, 403],
      ['<soapenv:Envelope>', headers, 400],
      [message, { 'content-type': 'application/json' }, 415],
    ];
    for (const [payload, h, status] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/salesforce',
        headers: h,
        payload,
      });
      expect(res.statusCode).toBe(status);
      expect(res.body).toContain('<soapenv:Fault>');
      expect(res.body).toContain('<faultcode>soapenv:Client</faultcode>');
    }
    expect(await count(tdb, 'inbox')).toBe(2);
  });

  it('requires ?token= when SALESFORCE_WEBHOOK_TOKEN is set', async () => {
    const t2 = await buildTestApp(tdb, { env: { SALESFORCE_WEBHOOK_TOKEN: 's3cret' } });
    try {
      const no = await t2.app.inject({
        method: 'POST',
        url: '/webhooks/salesforce',
        headers,
        payload: message,
      });
      expect(no.statusCode).toBe(401);
      const yes = await t2.app.inject({
        method: 'POST',
        url: '/webhooks/salesforce?token=s3cret',
        headers,
        payload: message,
      });
      expect(yes.statusCode).toBe(200);
    } finally {
      await t2.app.close();
    }
  });
});
