/**
 * The worker → outbox handoff (CrmWriteAdopter in src/outbox/outbox-runner.ts): an idle runner in
 * the same process gets a routed batch's CRM writes inserted already claimed by it and performs
 * them without claiming; a busy runner gets nothing (the rows stay pending for any runner); rows
 * handed to a runner that has stopped go back to pending at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { exampleRouter } from '../../helpers/build-test-app.ts';
import { DryRunCrm } from '../../../src/adapters/dryrun/dryrun-crm.ts';
import { dbDryRunSink } from '../../../src/adapters/dryrun/dryrun-sink.ts';
import { createOutboxRunner, type OutboxRunner } from '../../../src/outbox/outbox-runner.ts';
import { createInboxWorker } from '../../../src/intake/inbox-worker.ts';
import { insertInboxEvents } from '../../../src/intake/inbox-store.ts';
import { manualClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/logger.ts';
import type { NewInboxEvent } from '../../../src/intake/inbox-payload.ts';

const PGLITE_OPEN_TIMEOUT = 180_000;
const clock = manualClock('2026-11-30T15:00:00Z');

const jsonLead = (id: string): NewInboxEvent => ({
  source: 'json',
  dedupeKey: `handoff-${id}`,
  kind: 'route',
  payload: {
    ref: { system: 'json', object: 'lead', id },
    lead: { email: `${id}@bigco.example`, company: 'Bigco', employees: 20, country: 'US' },
  },
});

async function writesOf(tdb: TestDb, ids: string[]) {
  const r = await sql<{
    crm_id: string;
    status: string;
    attempts: number;
    locked_by: string | null;
  }>`
    select l.crm_id, w.status, w.attempts, w.locked_by from crm_writes w
    join leads l on l.id = w.lead_id where l.crm_id in (${sql.join(ids)}) order by l.crm_id`.execute(
    tdb.db,
  );
  return r.rows;
}

describe('worker → outbox handoff', () => {
  let tdb: TestDb;
  let crm: DryRunCrm;
  beforeAll(async () => {
    tdb = await createTestDb();
    crm = new DryRunCrm(dbDryRunSink(tdb.db as never));
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await tdb?.close();
  });

  const worker = async (outbox: OutboxRunner) =>
    createInboxWorker({
      handle: tdb,
      log: createLogger('silent'),
      router: await exampleRouter(),
      crm,
      clock,
      outbox,
    });

  it('an idle runner performs the handed writes without a claim or a poll', async () => {
    // A poll interval no test waits for, no nudge, and no LISTEN (as behind a pooler that does
    // not pass it on): only the handoff can get these written.
    const deaf = { ...tdb, listen: async () => async () => undefined };
    const outbox = createOutboxRunner({ handle: deaf, crm, pollIntervalMs: 600_000 });
    await outbox.start();
    try {
      await new Promise((r) => setTimeout(r, 50)); // let the start-up round finish
      expect(outbox.ready()).toBe(true);
      await insertInboxEvents(tdb.db, [jsonLead('h1'), jsonLead('h2')]);
      const done = new Promise<number>((resolve) => {
        let n = 0;
        outbox.events.on('write:done', () => ++n === 2 && resolve(n));
      });
      const w = await worker(outbox);
      expect(await w.drain()).toBe(2);
      expect(await done).toBe(2);
      expect(await writesOf(tdb, ['h1', 'h2'])).toEqual([
        { crm_id: 'h1', status: 'done', attempts: 1, locked_by: null },
        { crm_id: 'h2', status: 'done', attempts: 1, locked_by: null },
      ]);
    } finally {
      await outbox.stop();
    }
  });

  it('a runner that is not running is handed nothing: the writes stay pending for any runner', async () => {
    const outbox = createOutboxRunner({ handle: tdb, crm });
    expect(outbox.ready()).toBe(false);
    await insertInboxEvents(tdb.db, [jsonLead('h3')]);
    await (await worker(outbox)).drain();
    expect(await writesOf(tdb, ['h3'])).toEqual([
      { crm_id: 'h3', status: 'pending', attempts: 0, locked_by: null },
    ]);
    expect(await outbox.drain()).toBe(1);
    expect(await writesOf(tdb, ['h3'])).toEqual([
      { crm_id: 'h3', status: 'done', attempts: 1, locked_by: null },
    ]);
  });

  it('rows handed to a runner that stopped meanwhile go back to pending at once', async () => {
    const outbox = createOutboxRunner({ handle: tdb, crm, pollIntervalMs: 600_000 });
    await outbox.start();
    await outbox.stop();
    // The race: the worker saw ready() before the stop, and hands the rows over after it.
    const w = createInboxWorker({
      handle: tdb,
      log: createLogger('silent'),
      router: await exampleRouter(),
      crm,
      clock,
      outbox: { runnerId: outbox.runnerId, ready: () => true, adopt: (r) => outbox.adopt(r) },
    });
    await insertInboxEvents(tdb.db, [jsonLead('h4')]);
    await w.drain();
    let rows = await writesOf(tdb, ['h4']);
    for (let i = 0; i < 100 && rows[0]?.status !== 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 50)); // the hand-back runs in the background
      rows = await writesOf(tdb, ['h4']);
    }
    // Pending for any runner; the attempt stays counted, so the next one looks before writing.
    expect(rows).toEqual([{ crm_id: 'h4', status: 'pending', attempts: 1, locked_by: null }]);
  });
});
