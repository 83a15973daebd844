import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import {
  createTestDb,
  usingRealPostgres,
  openSecondHandle,
  type TestDb,
} from '../../helpers/test-db.ts';
import {
  buildTestApp,
  crmDouble,
  exampleRouter,
  TEST_TOKENS,
} from '../../helpers/build-test-app.ts';
import { openDatabase, type DatabaseHandle } from '../../../src/db/database.ts';
import { migrate } from '../../../src/db/migrate.ts';
import { createInboxWorker } from '../../../src/intake/inbox-worker.ts';
import { claimInbox, insertInboxEvents } from '../../../src/intake/inbox-store.ts';
import { createLogger } from '../../../src/logger.ts';
import { manualClock } from '../../../src/clock.ts';

// Opening PGlite takes 1.3–4 s idle, far longer on a loaded machine (vitest's hook default is 60 s).
const PGLITE_OPEN_TIMEOUT = 180_000;

const lead = (email: string) => ({
  email,
  company: 'Cascadia Freight Co',
  employees: 300,
  industry: 'Logistics',
});
const log = createLogger('silent');
const clock = manualClock('2026-11-28T10:43:00Z');

/**
 * A database that survives a "process restart": a PGlite data directory reopened from disk, or
 * (with DATABASE_URL) a second pool on the same test database.
 */
async function restartableDb(): Promise<{
  open(): Promise<DatabaseHandle>;
  cleanup(): Promise<void>;
}> {
  if (usingRealPostgres()) {
    const tdb = await createTestDb();
    return { open: () => openSecondHandle(tdb), cleanup: () => tdb.close() };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-crash-'));
  return {
    async open() {
      const h = await openDatabase({ dataDir: path.join(dir, 'pglite') });
      await migrate(h);
      return h;
    },
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('crash between insert and routing', () => {
  it('routes, after a restart, a lead that was acknowledged but never processed', async () => {
    const db = await restartableDb();
    try {
      let handle = await db.open();
      const t = await buildTestApp(handle);
      const res = await t.app.inject({
        method: 'POST',
        url: '/leads',
        headers: { authorization: `Bearer ${TEST_TOKENS.intake}` },
        payload: lead('crash@example.test'),
      });
      expect(res.statusCode).toBe(202);
      const { leadId } = res.json();
      // The process dies here: the worker never ran.
      await t.app.close();
      await handle.close();

      handle = await db.open();
      try {
        const worker = createInboxWorker({
          handle,
          log,
          router: await exampleRouter(),
          crm: crmDouble(),
          clock,
        });
        expect(await worker.drain()).toBe(1);
        const d = await handle.db.selectFrom('decisions').select(['lead_id']).execute();
        expect(d).toEqual([{ lead_id: leadId }]);
      } finally {
        await handle.close();
      }
    } finally {
      await db.cleanup();
    }
  }, 180_000); // opens PGlite from disk twice: 2-4 s each on an idle machine, far more on a busy one

  it(
    'reclaims an event whose worker died mid-processing once its lock is stale, and routes it once',
    async () => {
      const tdb = await createTestDb();
      try {
        await insertInboxEvents(tdb.db, [
          {
            source: 'json',
            dedupeKey: 'dead-worker',
            kind: 'route',
            payload: {
              ref: { system: 'json', object: 'lead', id: 'dead-worker' },
              lead: lead('dead@example.test'),
            },
          },
        ]);
        const claimed = await claimInbox(tdb.db, 'dead-host:1:abc', 10);
        expect(claimed).toHaveLength(1);

        const worker = createInboxWorker({
          handle: tdb,
          log,
          router: await exampleRouter(),
          crm: crmDouble(),
          clock,
        });
        expect(await worker.drain()).toBe(0); // the lock is fresh: someone may still be working on it

        await sql`update inbox set locked_at = now() - interval '10 minutes'`.execute(tdb.db);
        await worker.start(); // start() sweeps stale locks first
        await worker.stop(0);
        expect(await worker.drain()).toBe(1);
        const ev = await tdb.db
          .selectFrom('inbox')
          .select(['status', 'outcome', 'attempts'])
          .executeTakeFirstOrThrow();
        expect(ev).toEqual({ status: 'done', outcome: 'routed', attempts: 2 });
        expect(await tdb.db.selectFrom('decisions').select('id').execute()).toHaveLength(1);
      } finally {
        await tdb.close();
      }
    },
    PGLITE_OPEN_TIMEOUT,
  );
});

describe('failures', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await tdb.close();
  });

  it('retries with backoff computed in SQL, parks after max attempts, and routes once retried by an admin', async () => {
    let crmDown = true;
    const crm = {
      system: 'hubspot' as const,
      readLead: async () => {
        if (crmDown) throw new Error('HubSpot answered 502');
        return lead('back@example.test');
      },
    };
    const t = await buildTestApp(tdb, { crm, env: { WORKER_MAX_ATTEMPTS: '2' } });
    try {
      await insertInboxEvents(
        tdb.db,
        [
          {
            source: 'hubspot',
            dedupeKey: 'flaky',
            kind: 'route',
            payload: { ref: { system: 'hubspot', object: 'contact', id: '42', tenant: '1' } },
          },
        ],
        2,
      );
      expect(await t.worker.drain()).toBe(1);
      let ev = await tdb.db
        .selectFrom('inbox')
        .select([
          'status',
          'attempts',
          'last_error',
          sql<boolean>`run_at > now() + interval '2 seconds'`.as('backed_off'),
        ])
        .executeTakeFirstOrThrow();
      expect(ev).toEqual({
        status: 'pending',
        attempts: 1,
        last_error: 'HubSpot answered 502',
        backed_off: true,
      });
      expect(await t.worker.drain()).toBe(0); // not due yet

      await sql`update inbox set run_at = now() - interval '1 second'`.execute(tdb.db);
      expect(await t.worker.drain()).toBe(1);
      ev = (await tdb.db
        .selectFrom('inbox')
        .select(['status', 'attempts', 'last_error'])
        .executeTakeFirstOrThrow()) as typeof ev;
      expect(ev).toMatchObject({
        status: 'parked',
        attempts: 2,
        last_error: 'HubSpot answered 502',
      });

      const parked = await t.app.inject({
        method: 'GET',
        url: '/admin/inbox?status=parked',
        headers: t.auth.admin,
      });
      expect(parked.json().events).toEqual([
        expect.objectContaining({ status: 'parked', last_error: 'HubSpot answered 502' }),
      ]);

      crmDown = false;
      const retry = await t.app.inject({
        method: 'POST',
        url: '/admin/inbox/parked/retry',
        headers: t.auth.admin,
      });
      expect(retry.json()).toEqual({ requeued: 1 });
      expect(await t.worker.drain()).toBe(1);
      const done = await tdb.db
        .selectFrom('inbox')
        .select(['status', 'outcome'])
        .executeTakeFirstOrThrow();
      expect(done).toEqual({ status: 'done', outcome: 'routed' });
    } finally {
      await t.close();
    }
  });
});
