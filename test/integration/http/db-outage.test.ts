import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.ts';
import { openDatabase, type DatabaseHandle } from '../../../src/db/database.ts';
import { manualClock } from '../../../src/clock.ts';

// Opening PGlite takes 1.3–4 s idle, far longer on a loaded machine (vitest's hook default is 60 s).
const PGLITE_OPEN_TIMEOUT = 180_000;

// A database nobody listens on: every query fails to connect, as in an outage.
const DEAD_DB = 'postgres://postgres@127.0.0.1:1/none';
const hubspot = new URL('../../fixtures/hubspot/', import.meta.url);
const body = fs.readFileSync(new URL('contact-batch.body.json', hubspot));
const request = JSON.parse(
  fs.readFileSync(new URL('contact-batch.request.json', hubspot), 'utf8'),
) as {
  headers: Record<string, string>;
};

describe('database outage', () => {
  let handle: DatabaseHandle;
  let t: TestApp;
  beforeAll(async () => {
    handle = await openDatabase({ url: DEAD_DB, poolMax: 1 });
    t = await buildTestApp(handle, {
      clock: manualClock(new Date(Number(request.headers['x-hubspot-request-timestamp']))),
    });
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await t.app.close();
    await handle.close();
  });

  it('answers 503 to webhooks and intake so the sender retries, and /readyz says not ready', async () => {
    const hs = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: request.headers,
      payload: body,
    });
    expect(hs.statusCode).toBe(503);
    expect(hs.json().error.code).toBe('DB.UNAVAILABLE');

    const lead = await t.app.inject({
      method: 'POST',
      url: '/leads',
      headers: t.auth.intake,
      payload: { email: 'a@b.example' },
    });
    expect(lead.statusCode).toBe(503);

    const sf = await t.app.inject({
      method: 'POST',
      url: '/webhooks/salesforce',
      headers: { 'content-type': 'text/xml' },
      payload: fs.readFileSync(
        new URL('../../fixtures/salesforce/outbound-message.xml', import.meta.url),
      ),
    });
    expect(sf.statusCode).toBe(500); // SOAP 1.1 faults travel as 500; Salesforce retries any non-Ack
    expect(sf.body).toContain('<faultcode>soapenv:Server</faultcode>');
    expect(sf.body).not.toContain('<Ack>');

    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ db: 'unreachable' });
  });
});
