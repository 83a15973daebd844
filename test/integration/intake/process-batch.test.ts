/**
 * The batched path of the inbox worker (src/intake/process-batch.ts): a claimed batch's new leads
 * routed in one transaction must come out exactly as one-by-one routing would — same assignees in
 * claim order, same pool counters — and whatever it cannot take (a second event for a lead, a
 * lead routed before, an unreadable lead, a batch whose transaction fails) must still end right.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { crmDouble, exampleRouter } from '../../helpers/build-test-app.ts';
import { claimInbox, insertInboxEvents } from '../../../src/intake/inbox-store.ts';
import { incrementPool, incrementPools } from '../../../src/intake/pool-count-store.ts';
import { InboxLockLostError, LeadStoredMeanwhileError } from '../../../src/intake/batch-store.ts';
import { processBatch } from '../../../src/intake/process-batch.ts';
import { createInboxWorker } from '../../../src/intake/inbox-worker.ts';
import { readRoutingState } from '../../../src/intake/decision-store.ts';
import { applyPoolIncrement } from '../../../src/routing/pool.ts';
import type { RoutingState } from '../../../src/routing/decision.ts';
import type { Lead } from '../../../src/routing/lead.ts';
import type { PoolIncrement } from '../../../src/routing/decision.ts';
import type { NewInboxEvent } from '../../../src/intake/inbox-payload.ts';
import { manualClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/logger.ts';

const PGLITE_OPEN_TIMEOUT = 180_000;
const clock = manualClock('2026-11-30T15:00:00Z'); // a Monday afternoon in New York

/** Small US companies: the example config deals these from the commercial pool. */
const smallLead = (i: number): Lead => ({
  email: `buyer${i}@small${i}.example`,
  company: `Small ${i}`,
  employees: 10 + (i % 30),
  country: 'US',
  first_name: 'Pat',
  last_name: `Lee${i}`,
});

const routeEvent = (id: string, dedupe: string): NewInboxEvent => ({
  source: 'hubspot',
  dedupeKey: dedupe,
  kind: 'route',
  payload: { ref: { system: 'hubspot', object: 'contact', id, tenant: '42' } },
});

describe('routing a claimed batch in one transaction', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await tdb?.close();
  });

  it('deals a pool in claim order exactly as routing the leads one by one would', async () => {
    const router = await exampleRouter();
    const n = 40;
    const records: Record<string, Lead> = {};
    for (let i = 0; i < n; i++) records[`hubspot:p${i}`] = smallLead(i);
    await insertInboxEvents(
      tdb.db,
      Array.from({ length: n }, (_, i) => routeEvent(`p${i}`, `pool-${i}`)),
    );

    // The expectation, from the pure core: one lead after another on a snapshot that counts
    // each pick before the next decision (what the single-event path does through SQL).
    const state: RoutingState = await tdb.db.transaction().execute((trx) => readRoutingState(trx));
    const expected: string[] = [];
    let pooled = 0;
    for (let i = 0; i < n; i++) {
      const d = router.route({ ...records[`hubspot:p${i}`]!, id: `x${i}` }, clock.now(), state);
      if (d.poolIncrement) {
        pooled++;
        applyPoolIncrement(state.poolCounts, d.poolIncrement);
      }
      expected.push(d.assignee.handlerId);
    }
    expect(pooled).toBe(n); // the test is about pool dealing: every lead must come from the pool

    const rows = await claimInbox(tdb.db, 'w-batch', n);
    expect(rows).toHaveLength(n);
    const crm = crmDouble(records, 'hubspot');
    const result = await processBatch(
      { db: tdb.db, router, crm, clock, workerId: 'w-batch' },
      rows,
    );
    expect(result.batchError).toBeUndefined();
    expect(result.rest).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.done.map((d) => d.out.outcome)).toEqual(Array(n).fill('routed'));

    const stored = await sql<{ crm_id: string; handler_id: string }>`
      select l.crm_id, d.handler_id from decisions d join leads l on l.id = d.lead_id
      where l.crm_id like 'p%' order by d.inbox_id`.execute(tdb.db);
    expect(stored.rows.map((r) => r.handler_id)).toEqual(expected);

    // Counters in the database = the expectation's snapshot (totals and today's counts).
    const after = await tdb.db.transaction().execute((trx) => readRoutingState(trx));
    expect(after.poolCounts).toEqual(state.poolCounts);

    // One outbox row and the timers per lead, every event done.
    const counts = await sql<{ writes: string; timers: string; open: string }>`
      select (select count(*) from crm_writes w join leads l on l.id = w.lead_id where l.crm_id like 'p%') as writes,
             (select count(distinct t.lead_id) from timers t join leads l on l.id = t.lead_id where l.crm_id like 'p%') as timers,
             (select count(*) from inbox where dedupe_key like 'pool-%' and status <> 'done') as open`.execute(
      tdb.db,
    );
    expect(counts.rows[0]).toEqual({ writes: String(n), timers: String(n), open: '0' });
  });

  it('hands a second event for a lead, and a lead routed before, to the single path as duplicates', async () => {
    const router = await exampleRouter();
    const records = { 'hubspot:d1': smallLead(101), 'hubspot:d2': smallLead(102) };
    const crm = crmDouble(records, 'hubspot');
    const worker = createInboxWorker({
      handle: tdb,
      log: createLogger('silent'),
      router,
      crm,
      clock,
    });
    await insertInboxEvents(tdb.db, [routeEvent('d1', 'dup-a')]);
    expect(await worker.drain()).toBe(1);
    // Next batch: d1 again (routed before), d2 twice (twice in one batch).
    await insertInboxEvents(tdb.db, [
      routeEvent('d1', 'dup-b'),
      routeEvent('d2', 'dup-c'),
      routeEvent('d2', 'dup-d'),
    ]);
    expect(await worker.drain()).toBe(3);
    const r = await sql<{ dedupe_key: string; outcome: string; status: string }>`
      select dedupe_key, outcome, status from inbox where dedupe_key like 'dup-%' order by dedupe_key`.execute(
      tdb.db,
    );
    expect(r.rows).toEqual([
      { dedupe_key: 'dup-a', outcome: 'routed', status: 'done' },
      { dedupe_key: 'dup-b', outcome: 'duplicate', status: 'done' },
      { dedupe_key: 'dup-c', outcome: 'routed', status: 'done' },
      { dedupe_key: 'dup-d', outcome: 'duplicate', status: 'done' },
    ]);
    const decisions = await sql<{ crm_id: string; n: string }>`
      select l.crm_id, count(*) as n from decisions d join leads l on l.id = d.lead_id
      where l.crm_id in ('d1', 'd2') group by l.crm_id order by l.crm_id`.execute(tdb.db);
    expect(decisions.rows).toEqual([
      { crm_id: 'd1', n: '1' },
      { crm_id: 'd2', n: '1' },
    ]);
  });

  it('an unreadable lead fails alone; a gone lead is done as gone; the rest of the batch routes', async () => {
    const router = await exampleRouter();
    const records: Record<string, Lead> = { 'hubspot:g1': smallLead(201) };
    // The CRM's far side: the batch read fails, then one contact's read keeps failing.
    const crm = {
      ...crmDouble(records, 'hubspot'),
      readLeads: async () => {
        throw new Error('batch read: 502 from the CRM');
      },
      readLead: async (ref: { id: string }) => {
        if (ref.id === 'g2') throw new Error('HubSpot answered 500 for contact g2');
        return records[`hubspot:${ref.id}`] ?? null;
      },
    };
    await insertInboxEvents(tdb.db, [
      routeEvent('g1', 'fail-a'),
      routeEvent('g2', 'fail-b'),
      routeEvent('g3', 'fail-c'),
    ]);
    const worker = createInboxWorker({
      handle: tdb,
      log: createLogger('silent'),
      router,
      crm,
      clock,
      workerId: 'w-fail',
    });
    const failed: string[] = [];
    worker.events.on('event:failed', (row: { dedupe_key: string }) => failed.push(row.dedupe_key));
    await worker.drain();
    expect(failed).toEqual(['fail-b']);
    const r = await sql<{ dedupe_key: string; outcome: string | null; status: string }>`
      select dedupe_key, outcome, status from inbox where dedupe_key like 'fail-%' order by dedupe_key`.execute(
      tdb.db,
    );
    expect(r.rows).toEqual([
      { dedupe_key: 'fail-a', outcome: 'routed', status: 'done' },
      { dedupe_key: 'fail-b', outcome: null, status: 'pending' },
      { dedupe_key: 'fail-c', outcome: 'gone', status: 'done' },
    ]);
  });

  it('a batch whose transaction fails commits nothing and hands every event to the single path', async () => {
    const router = await exampleRouter();
    const records = { 'hubspot:t1': smallLead(301), 'hubspot:t2': smallLead(302) };
    await insertInboxEvents(tdb.db, [routeEvent('t1', 'txn-a'), routeEvent('t2', 'txn-b')]);
    const rows = await claimInbox(tdb.db, 'w-txn', 10);
    expect(rows).toHaveLength(2);
    // Another worker reclaimed one event (a stale-lock sweep while this one was slow).
    await sql`update inbox set locked_by = 'someone-else' where dedupe_key = 'txn-b'`.execute(
      tdb.db,
    );
    const result = await processBatch(
      { db: tdb.db, router, crm: crmDouble(records, 'hubspot'), clock, workerId: 'w-txn' },
      rows,
    );
    expect(result.batchError).toBeInstanceOf(InboxLockLostError);
    expect(result.done).toEqual([]);
    expect(result.rest.map((r) => r.dedupe_key)).toEqual(['txn-a', 'txn-b']);
    const decisions = await sql<{ n: string }>`
      select count(*) as n from decisions d join leads l on l.id = d.lead_id
      where l.crm_id in ('t1', 't2')`.execute(tdb.db);
    expect(decisions.rows[0]!.n).toBe('0');
  });

  it('a new lead stored by another worker after the snapshot fails the batch as a whole', async () => {
    const router = await exampleRouter();
    const records = { 'hubspot:s1': smallLead(311), 'hubspot:s2': smallLead(312) };
    await insertInboxEvents(tdb.db, [routeEvent('s1', 'snap-a'), routeEvent('s2', 'snap-b')]);
    const rows = await claimInbox(tdb.db, 'w-snap', 10);
    expect(rows).toHaveLength(2);
    // Once the snapshot has been read (it found s2 new and drew an id for it), another worker
    // stores lead s2; the batch's CRM reads finish only after that.
    let snapshotRead!: () => void;
    const read = new Promise<void>((r) => (snapshotRead = r));
    const watched = tdb.db.withPlugin({
      transformQuery: (a) => a.node,
      transformResult: async (a) => {
        snapshotRead();
        return a.result;
      },
    });
    const prefetched = read
      .then(() =>
        sql`insert into leads (crm_system, crm_object, crm_id, tenant, lead)
          values ('hubspot', 'contact', 's2', '42', '{}')`.execute(tdb.db),
      )
      .then(() => new Map<string, Lead | null>());
    const result = await processBatch(
      { db: watched, router, crm: crmDouble(records, 'hubspot'), clock, workerId: 'w-snap' },
      rows,
      prefetched,
    );
    expect(result.batchError).toBeInstanceOf(LeadStoredMeanwhileError);
    expect(result.done).toEqual([]);
    expect(result.rest.map((r) => r.dedupe_key)).toEqual(['snap-a', 'snap-b']);
    const stored = await sql<{ crm_id: string; decisions: string }>`
      select l.crm_id, (select count(*) from decisions d where d.lead_id = l.id)::text as decisions
      from leads l where l.crm_id in ('s1', 's2') order by l.crm_id`.execute(tdb.db);
    // Nothing of the batch: s1 not stored, s2 only as the other worker stored it.
    expect(stored.rows).toEqual([{ crm_id: 's2', decisions: '0' }]);
  });

  it('the database itself refuses a second route decision for a lead (two workers racing)', async () => {
    const lead = await sql<{ id: string }>`
      insert into leads (crm_system, crm_object, crm_id, tenant, lead)
      values ('hubspot', 'contact', 'race-1', '42', '{}') returning id::text as id`.execute(tdb.db);
    const leadId = lead.rows[0]!.id;
    const decide = (reason: string) =>
      sql`
      insert into decisions (lead_id, reason, config_hash, lead_type, handler_id, decided_at, decision)
      values (${leadId}::bigint, ${reason}, 'h', 't', 'dana', now(), '{}')`.execute(tdb.db);
    await decide('route');
    await expect(decide('route')).rejects.toThrow(/decisions_one_route_per_lead/);
    await decide('reroute'); // a fallback's reassignment is a decision of another kind
    await decide('reroute');
  });

  it('applies many increments in one statement per member exactly as one by one', async () => {
    const seq: PoolIncrement[] = [
      { pool: 'pa', member: 'm1', day: '2026-11-30', week: '2026-W49' },
      { pool: 'pa', member: 'm1', day: '2026-11-30', week: '2026-W49', rebase: 7 },
      { pool: 'pa', member: 'm2', day: '2026-11-30', week: '2026-W49' },
      { pool: 'pa', member: 'm1', day: '2026-12-01', week: '2026-W49' },
      { pool: 'pa', member: 'm1', day: '2026-12-01', week: '2026-W49', rebase: 3 },
      { pool: 'pa', member: 'm2', day: '2026-12-01', week: '2026-W49', rebase: 12 },
    ];
    // Start both from the same existing counters.
    for (const pool of ['pa', 'pb'])
      await incrementPool(tdb.db, { pool, member: 'm1', day: '2026-11-29', week: '2026-W48' });
    const renamed = seq.map((s) => ({ ...s, pool: 'pb' }));
    await tdb.db.transaction().execute((trx) => incrementPools(trx, seq));
    for (const inc of renamed) await incrementPool(tdb.db, inc);
    const rows = await sql<{
      pool: string;
      member: string;
      period: string;
      key: string;
      count: number;
    }>`
      select pool, member, period, period_key as key, count from pool_counts
      where pool in ('pa', 'pb') order by member, period, period_key, pool`.execute(tdb.db);
    const of = (pool: string) =>
      rows.rows.filter((r) => r.pool === pool).map(({ pool: _p, ...rest }) => rest);
    expect(of('pa')).toEqual(of('pb'));
    // And the numbers themselves: m1 total = max(max(1+1, 7)+1 ... ) → see applyPoolIncrement.
    expect(of('pa').find((r) => r.member === 'm1' && r.period === 'total')!.count).toBe(10);
    expect(of('pa').find((r) => r.member === 'm2' && r.period === 'total')!.count).toBe(13);
  });
});
