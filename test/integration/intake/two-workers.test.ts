/**
 * Two service instances on one real Postgres route 1,000 leads, each exactly once. Every lead also
 * gets a second creation event (as HubSpot and Salesforce redeliver with new ids), so the workers
 * race on the same lead as well as on the same rows. Skipped on PGlite: one connection makes
 * SKIP LOCKED meaningless there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import {
  createTestDb,
  openSecondHandle,
  usingRealPostgres,
  type TestDb,
} from '../../helpers/test-db.ts';
import { crmDouble, exampleRouter } from '../../helpers/build-test-app.ts';
import type { DatabaseHandle } from '../../../src/db/database.ts';
import { createInboxWorker, type InboxWorker } from '../../../src/intake/inbox-worker.ts';
import { insertInboxEvents } from '../../../src/intake/inbox-store.ts';
import type { NewInboxEvent } from '../../../src/intake/inbox-payload.ts';
import { createLogger } from '../../../src/logger.ts';
import { manualClock } from '../../../src/clock.ts';

// Opening PGlite takes 1.3–4 s idle, far longer on a loaded machine (vitest's hook default is 60 s).
const PGLITE_OPEN_TIMEOUT = 180_000;

const LEADS = 1000;

describe.skipIf(!usingRealPostgres())('two workers on one Postgres', () => {
  let tdb: TestDb;
  let second: DatabaseHandle;
  beforeAll(async () => {
    tdb = await createTestDb();
    second = await openSecondHandle(tdb);
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await second?.close();
    await tdb?.close();
  });

  it('route 1,000 leads with no lead routed twice and no event processed twice', async () => {
    const events: NewInboxEvent[] = [];
    for (let i = 0; i < LEADS; i++) {
      const ref = {
        system: 'salesforce' as const,
        object: 'lead' as const,
        id: `00Q${String(i).padStart(12, '0')}`,
        tenant: '00D1',
      };
      const lead = { email: `l${i}@example.test`, company: `Co ${i}`, employees: (i * 37) % 900 };
      for (const n of [1, 2])
        events.push({
          source: 'salesforce',
          dedupeKey: `00D1:n${n}-${i}`,
          kind: 'route',
          payload: { ref, lead },
        });
    }
    for (let i = 0; i < events.length; i += 500)
      await insertInboxEvents(tdb.db, events.slice(i, i + 500));

    const router = await exampleRouter();
    const log = createLogger('silent');
    const clock = manualClock('2026-11-28T10:43:00Z');
    const processed = new Map<string, string[]>();
    const make = (handle: DatabaseHandle, id: string): InboxWorker => {
      const w = createInboxWorker({
        handle,
        log,
        router,
        crm: crmDouble(),
        clock,
        workerId: id,
        batchSize: 25,
      });
      w.events.on('event:done', (row: { id: string }) =>
        processed.set(row.id, [...(processed.get(row.id) ?? []), id]),
      );
      w.events.on('event:failed', (_row: unknown, err: unknown) => {
        throw err;
      });
      return w;
    };
    const [a, b] = await Promise.all([
      make(tdb, 'worker-a').drain(),
      make(second, 'worker-b').drain(),
    ]);

    expect(a + b).toBe(2 * LEADS);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(processed.size).toBe(2 * LEADS);
    expect([...processed.values()].every((by) => by.length === 1)).toBe(true);

    const stats = (
      await sql<{
        decisions: string;
        leads: string;
        per_lead_max: string;
        writes: string;
        routed: string;
        dup: string;
      }>`
        select (select count(*) from decisions) as decisions,
               (select count(distinct lead_id) from decisions) as leads,
               (select max(n) from (select count(*) n from decisions group by lead_id) x) as per_lead_max,
               (select count(*) from crm_writes) as writes,
               (select count(*) from inbox where outcome = 'routed') as routed,
               (select count(*) from inbox where outcome = 'duplicate') as dup`.execute(tdb.db)
    ).rows[0]!;
    expect(stats).toEqual({
      decisions: String(LEADS),
      leads: String(LEADS),
      per_lead_max: '1',
      writes: String(LEADS),
      routed: String(LEADS),
      dup: String(LEADS),
    });
  }, 300_000);
});
