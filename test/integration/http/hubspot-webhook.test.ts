import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, usingRealPostgres, type TestDb } from '../../helpers/test-db.ts';
import {
  buildTestApp,
  crmDouble,
  HUBSPOT_TEST_SECRET,
  type TestApp,
} from '../../helpers/build-test-app.ts';
import { manualClock } from '../../../src/clock.ts';
import { signV3 } from '../../../src/intake/hubspot-signature.ts';

// Opening PGlite takes 1.3–4 s idle, far longer on a loaded machine (vitest's hook default is 60 s).
const PGLITE_OPEN_TIMEOUT = 180_000;

const dir = new URL('../../fixtures/hubspot/', import.meta.url);
const body = fs.readFileSync(new URL('contact-batch.body.json', dir));
const request = JSON.parse(fs.readFileSync(new URL('contact-batch.request.json', dir), 'utf8')) as {
  headers: Record<string, string>;
};
const ts = Number(request.headers['x-hubspot-request-timestamp']);
const URI = 'https://switchboard.example.com/webhooks/hubspot';

const count = async (
  tdb: TestDb,
  table: 'inbox' | 'leads' | 'decisions' | 'crm_writes' | 'lead_events',
) =>
  Number(
    (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(tdb.db))
      .rows[0]!.n,
  );

function signed(payload: string, at = ts) {
  return {
    'content-type': 'application/json',
    'x-hubspot-request-timestamp': String(at),
    'x-hubspot-signature-v3': signV3(HUBSPOT_TEST_SECRET, 'POST', URI, payload, String(at)),
  };
}

/** A `contact.creation` event of the test portal, as HubSpot sends it. */
const creation = (eventId: number, objectId: number) => ({
  eventId,
  subscriptionId: 22,
  portalId: 62515,
  appId: 54321,
  occurredAt: ts,
  subscriptionType: 'contact.creation',
  attemptNumber: 0,
  objectId,
});

describe('POST /webhooks/hubspot', () => {
  let tdb: TestDb;
  let t: TestApp;
  const clock = manualClock(new Date(ts + 2000));
  const crm = crmDouble({
    'hubspot:1246978': {
      email: 'kira@cascadiafreight.example',
      first_name: 'Kira',
      company: 'Cascadia Freight Co',
      employees: 300,
      industry: 'Logistics',
    },
    'hubspot:1246979': {
      email: 'sam@okafor.example',
      first_name: 'Sam',
      company: 'Okafor Bakery',
      employees: 12,
    },
    'hubspot:1246965': {
      email: 'lee@north.example',
      first_name: 'Lee',
      company: 'North Co',
      employees: 80,
    },
  });
  beforeAll(async () => {
    tdb = await createTestDb();
    t = await buildTestApp(tdb, { clock, crm });
  }, PGLITE_OPEN_TIMEOUT);
  beforeEach(() => clock.set(new Date(ts + 2000)));
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  it('stores the recorded signed batch, acks 200, and routes each contact once after enrichment', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: request.headers,
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: 3, stored: 3, duplicates: 0, ignored: 0 });
    expect(await count(tdb, 'inbox')).toBe(3);

    expect(await t.worker.drain()).toBe(3);
    expect(crm.reads.sort()).toEqual(['hubspot:1246965', 'hubspot:1246978', 'hubspot:1246979']);
    expect(crm.batches).toEqual([3]); // one batch read for the whole delivery, not one call per event
    const decisions = await tdb.db
      .selectFrom('decisions')
      .innerJoin('leads', 'leads.id', 'decisions.lead_id')
      .select(['leads.crm_id', 'leads.tenant', 'decisions.lead_type', 'decisions.reason'])
      .orderBy('leads.crm_id')
      .execute();
    expect(decisions).toEqual([
      { crm_id: '1246965', tenant: '62515', lead_type: expect.any(String), reason: 'reroute' },
      { crm_id: '1246978', tenant: '62515', lead_type: 'strategic', reason: 'route' },
      { crm_id: '1246979', tenant: '62515', lead_type: expect.any(String), reason: 'route' },
    ]);
    expect(await count(tdb, 'crm_writes')).toBe(3);
  });

  it('treats a redelivered batch as a no-op that still answers 200', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: request.headers,
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ stored: 0, duplicates: 3 });
    expect(await t.worker.drain()).toBe(0);
    expect([
      await count(tdb, 'inbox'),
      await count(tdb, 'decisions'),
      await count(tdb, 'crm_writes'),
    ]).toEqual([3, 3, 3]);
  });

  it('does not route a contact twice when HubSpot sends a second creation event with a new eventId', async () => {
    const again = JSON.stringify([
      { ...JSON.parse(body.toString())[0], eventId: 999, occurredAt: ts },
    ]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: signed(again),
      payload: again,
    });
    expect(res.json()).toMatchObject({ stored: 1 });
    expect(await t.worker.drain()).toBe(1);
    const ev = await tdb.db
      .selectFrom('inbox')
      .select(['outcome'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(ev.outcome).toBe('duplicate');
    expect(await count(tdb, 'decisions')).toBe(3);
  });

  it('stores a 100-event batch in one delivery', async () => {
    const events = Array.from({ length: 100 }, (_, i) => creation(5000 + i, 7_000_000 + i));
    const payload = JSON.stringify(events);
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: signed(payload),
      payload,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: 100, stored: 100 });
    // The dry-run CRM double has no such contacts: each finishes as `gone`, none is routed.
    expect(await t.worker.drain()).toBe(100);
    const gone = await tdb.db
      .selectFrom('inbox')
      .select('id')
      .where('outcome', '=', 'gone')
      .execute();
    expect(gone).toHaveLength(100);
  });

  it('answers concurrent deliveries each with its own counts when they share one insert', async () => {
    const event = (i: number) => creation(9000 + i, 8_000_000 + i);
    // Twelve deliveries at once, of three events each; the last two repeat the first's events.
    const payloads = Array.from({ length: 12 }, (_, d) =>
      JSON.stringify(
        d >= 10 ? [event(0), event(1), event(2)] : [0, 1, 2].map((k) => event(d * 3 + k)),
      ),
    );
    const before = await count(tdb, 'inbox');
    const answers = await Promise.all(
      payloads.map((payload) =>
        t.app.inject({
          method: 'POST',
          url: '/webhooks/hubspot',
          headers: signed(payload),
          payload,
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(payloads.map(() => 200));
    const stored = answers.map((a) => (a.json() as { stored: number }).stored);
    const duplicates = answers.map((a) => (a.json() as { duplicates: number }).duplicates);
    expect(stored).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0]);
    expect(duplicates).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3]);
    expect((await count(tdb, 'inbox')) - before).toBe(30);
    // On Postgres they shared statements: fewer transactions than deliveries wrote the 30 rows.
    // PGlite answers in-process, so no insert is still in flight when the next delivery comes.
    const tx = await sql<{ rows: string; n: string }>`
      select count(*) as rows, count(distinct xmin::text) as n from inbox
      where (payload->'ref'->>'id')::bigint between 8000000 and 8000029`.execute(tdb.db);
    expect(Number(tx.rows[0]!.rows)).toBe(30);
    if (usingRealPostgres()) expect(Number(tx.rows[0]!.n)).toBeLessThan(10);
    await t.worker.drain();
  });

  it('acknowledges ignored events with 200 and stores nothing', async () => {
    const payload = JSON.stringify([
      { ...JSON.parse(body.toString())[0], subscriptionType: 'company.creation', eventId: 1 },
    ]);
    const before = await count(tdb, 'inbox');
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: signed(payload),
      payload,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ stored: 0, ignored: 1 });
    expect(await count(tdb, 'inbox')).toBe(before);
  });

  it('records a configured engagement property for the fallback checkpoints', async () => {
    const payload = JSON.stringify([
      {
        ...JSON.parse(body.toString())[2],
        eventId: 77,
        propertyName: 'hs_sales_email_last_replied',
        propertyValue: '1764326590000',
        objectId: 1246978,
      },
    ]);
    await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: signed(payload),
      payload,
    });
    await t.worker.drain();
    const ev = await tdb.db.selectFrom('lead_events').selectAll().executeTakeFirstOrThrow();
    expect(ev).toMatchObject({
      crm_id: '1246978',
      tenant: '62515',
      property: 'hs_sales_email_last_replied',
      value: '1764326590000',
    });
    expect(ev.lead_id).not.toBeNull();
  });

  it('refuses unsigned, tampered, stale, malformed, oversized and non-JSON requests and writes nothing', async () => {
    const before = await count(tdb, 'inbox');
    const tampered = Buffer.from(body.toString().replace('1246978', '1246970'));
    const notJson = '[{"eventId":';
    const big = JSON.stringify(
      Array.from({ length: 101 }, (_, i) => ({ ...JSON.parse(body.toString())[0], eventId: i })),
    );
    const cases: Array<[string, Record<string, string>, string | Buffer, number]> = [
      ['unsigned', { 'content-type': 'application/json' }, body, 401],
      ['tampered', request.headers, tampered, 401],
      ['malformed JSON', signed(notJson), notJson, 400],
      ['101 events', signed(big), big, 400],
      ['not an array', signed('{}'), '{}', 400],
      ['text/plain', { ...signed('[]'), 'content-type': 'text/plain' }, '[]', 415],
      ['over the body limit', signed('x'), `[${'"x",'.repeat(300_000)}"x"]`, 413],
    ];
    for (const [name, headers, payload, status] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/hubspot',
        headers,
        payload,
      });
      expect({ name, status: res.statusCode }).toEqual({ name, status });
    }
    clock.set(new Date(ts + 5 * 60 * 1000 + 1));
    const stale = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: request.headers,
      payload: body,
    });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.details).toEqual({ reason: 'stale' });
    expect(await count(tdb, 'inbox')).toBe(before);
  });

  it('verifies against the request’s own URL when PUBLIC_URL is unset', async () => {
    const t2 = await buildTestApp(tdb, { clock, crm, env: { PUBLIC_URL: '' } });
    try {
      const payload = '[]';
      const own = 'http://localhost:80/webhooks/hubspot';
      const headers = {
        'content-type': 'application/json',
        host: 'localhost:80',
        'x-hubspot-request-timestamp': String(ts),
        'x-hubspot-signature-v3': signV3(HUBSPOT_TEST_SECRET, 'POST', own, payload, String(ts)),
      };
      expect(
        (await t2.app.inject({ method: 'POST', url: '/webhooks/hubspot', headers, payload }))
          .statusCode,
      ).toBe(200);
      expect(
        (
          await t2.app.inject({
            method: 'POST',
            url: '/webhooks/hubspot',
            headers: request.headers,
            payload: body,
          })
        ).statusCode,
      ).toBe(401);
    } finally {
      await t2.app.close();
    }
  });
});
