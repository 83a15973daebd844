/**
 * Issue 6, Salesforce's 24 h API allowance through the outbox: when Salesforce answers
 * REQUEST_LIMIT_EXCEEDED, the routing rows go back to pending with the adapter's hold as their
 * backoff (not the outbox's seconds), carry a readable last_error, and the next drain sends nothing.
 * Real app, inbox worker, outbox runner, jsforce and the local Salesforce double.
 */
import fs from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.ts';
import { SalesforceDouble } from '../../helpers/salesforce-double.ts';
import { SalesforceCrm } from '../../../src/adapters/salesforce/salesforce-crm.ts';
import { createOutboxRunner } from '../../../src/outbox/outbox-runner.ts';
import { manualClock } from '../../../src/clock.ts';

const message = fs.readFileSync(
  new URL('../../fixtures/salesforce/outbound-message.xml', import.meta.url),
);
const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };

describe('Salesforce allowance spent: the outbox backs off for the hold', () => {
  let tdb: TestDb;
  let t: TestApp;
  let sf: SalesforceDouble;
  let crm: SalesforceCrm;
  const clock = manualClock('2026-11-28T10:43:00Z');

  beforeAll(async () => {
    sf = await new SalesforceDouble().start();
    for (let i = 1; i <= 10; i++)
      sf.addUser(`0050000000000${String(i).padStart(2, '0')}AAA`, `owner${i}@example.com`);
    sf.addLead({ LastName: 'Reyes', Company: 'Cascadia Freight Co' }, '00Q000000000001EAA');
    sf.addLead({ LastName: 'Okafor', Company: 'Okafor & Daughters Bakery' }, '00Q000000000002EAA');
    crm = new SalesforceCrm(
      {
        instanceUrl: sf.baseUrl,
        auth: { kind: 'token', accessToken: 'test-token' },
        retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
        quotaHoldMs: 600_000,
      },
      { clock },
    );
    tdb = await createTestDb();
    t = await buildTestApp(tdb, { clock, crm });
  });
  afterAll(async () => {
    await t.close();
    await tdb.close();
    await sf.stop();
  });

  it('parks nothing, retries nothing in-process, and waits out the hold', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/salesforce',
      headers,
      payload: message,
    });
    expect(res.statusCode).toBe(200);
    await t.worker.drain();
    // The org is now over its allowance.
    sf.apiUsed = sf.apiLimit;
    sf.enforceApiLimit = true;
    sf.requests.length = 0;

    await createOutboxRunner({ handle: tdb, crm }).drain();
    // At most one composite per lead (both are sent together), each refused once: no retry loop.
    const composites = sf.calls('POST', '/services/data/v62.0/composite');
    expect(composites.length).toBeGreaterThanOrEqual(1);
    expect(composites.length).toBeLessThanOrEqual(2);
    expect(sf.requests).toHaveLength(composites.length);
    expect(crm.apiAllowanceState).toBe('held');

    const rows = await tdb.db
      .selectFrom('crm_writes')
      .select([
        'status',
        'attempts',
        'last_error',
        sql<boolean>`run_at > now() + interval '590 seconds'`.as('waits_for_hold'),
      ])
      .execute();
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r).toMatchObject({ status: 'pending', attempts: 1, waits_for_hold: true });
      expect(r.last_error).toMatch(/^CRM\.QUOTA_EXHAUSTED/);
      expect(r.last_error).toMatch(/allowance|allocation/);
    }

    // Nothing is due: another drain sends no request.
    await createOutboxRunner({ handle: tdb, crm }).drain();
    expect(sf.requests).toHaveLength(composites.length);
  });
});
