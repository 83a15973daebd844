/**
 * Recorded lead events that show no engagement (HubSpot's lead status set to "NEW", a Salesforce
 * status moving back to Open) are kept for the trace but do not count as the first touch: the
 * SLA stays open on the operator page / admin API until a real touch arrives (migration 0008).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { crmDouble, exampleRouter } from '../../helpers/build-test-app.ts';
import { createInboxWorker } from '../../../src/intake/inbox-worker.ts';
import { insertInboxEvents } from '../../../src/intake/inbox-store.ts';
import { listOpenSlas } from '../../../src/http/admin-api-queries.ts';
import { manualClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/logger.ts';

const clock = manualClock('2026-11-30T15:00:00Z'); // Monday, business hours in New York
const ref = { system: 'hubspot' as const, object: 'contact' as const, id: 'eng-1', tenant: '42' };

describe('engaged lead events and open SLAs', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
  }, 180_000);
  afterAll(async () => {
    await tdb?.close();
  });

  it('a status change leaves the SLA open; a reply closes it', async () => {
    const worker = createInboxWorker({
      handle: tdb,
      log: createLogger('silent'),
      router: await exampleRouter(),
      crm: crmDouble(
        {
          'hubspot:eng-1': {
            email: 'cfo@bigfreight.example',
            company: 'Big Freight',
            employees: 800,
            country: 'US',
          },
        },
        'hubspot',
      ),
      clock,
    });
    await insertInboxEvents(tdb.db, [
      { source: 'hubspot', dedupeKey: 'eng-route', kind: 'route', payload: { ref } },
    ]);
    await worker.drain();
    const open = async () =>
      (await listOpenSlas(tdb.db, clock.now(), 50)).filter((s) => s.company === 'Big Freight');
    expect(await open()).toHaveLength(1);

    const event = (key: string, property: string, value: string) => ({
      source: 'hubspot' as const,
      dedupeKey: key,
      kind: 'engagement' as const,
      payload: { ref, property, value, occurredAt: '2026-11-30T15:02:00.000Z' },
    });
    await insertInboxEvents(tdb.db, [event('eng-status', 'hs_lead_status', 'NEW')]);
    await worker.drain();
    expect(await open()).toHaveLength(1);

    await insertInboxEvents(tdb.db, [
      event('eng-reply', 'hs_sales_email_last_replied', '2026-11-30T15:03:00.000Z'),
    ]);
    await worker.drain();
    expect(await open()).toHaveLength(0);

    const events = await sql<{ property: string; engaged: boolean }>`
      select property, engaged from lead_events where crm_id = 'eng-1' order by id`.execute(tdb.db);
    expect(events.rows).toEqual([
      { property: 'hs_lead_status', engaged: false },
      { property: 'hs_sales_email_last_replied', engaged: true },
    ]);
  });
});
