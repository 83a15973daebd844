// Two pollers on one REAL Postgres, 10,000 timers: every checkpoint fires exactly once, also when
// one poller is stopped mid-run and another dies holding claimed work. PGlite has one connection,
// so SKIP LOCKED proves nothing there: this file runs only when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { manualClock } from '../../../src/clock.ts';
import { createPoller, type FireTimer } from '../../../src/fallback/poller.ts';
import {
  claimTimers,
  completeTimer,
  resetStaleLocks,
  scheduleTimers,
  type AnyDb,
} from '../../../src/fallback/timer-store.ts';
import type { PlannedCheckpoint } from '../../../src/routing/decision.ts';
import { createTestDb, openSecondHandle, type TestDb } from '../../helpers/test-db.ts';
import type { DatabaseHandle } from '../../../src/db/database.ts';
import { seedLeadWithDecision } from './seed.ts';

const LEADS = 100;
const PER_LEAD = 100; // 10,000 timers
const T0 = Date.parse('2026-11-30T16:00:00.000Z');

let t: TestDb;
let other: DatabaseHandle;
const leads: Array<{ leadId: string; decisionId: string }> = [];
beforeAll(async () => {
  if (!process.env.DATABASE_URL) return;
  t = await createTestDb();
  other = await openSecondHandle(t);
  await sql`create table firings (timer_id bigint not null, worker text not null)`.execute(t.db);
  for (let lead = 0; lead < LEADS; lead++)
    leads.push(await seedLeadWithDecision(t.db, `once-${lead}`));
});
afterAll(async () => {
  await other?.close();
  await t?.close();
});

async function scheduleAll(db: AnyDb) {
  await sql`truncate timers, firings cascade`.execute(db);
  for (let lead = 0; lead < LEADS; lead++) {
    const plan: PlannedCheckpoint[] = Array.from({ length: PER_LEAD }, (_, i) => ({
      id: `cp${i}`,
      after: '1m',
      dueUtc: new Date(T0 + (lead * PER_LEAD + i) * 10).toISOString(),
      branches: [{ then: [{ nurture: true }] }],
    }));
    await db
      .transaction()
      .execute((trx) => scheduleTimers(trx, { ...leads[lead]!, plan, configHash: 'h' }));
  }
}

/** Records the firing and completes the timer in one transaction, as the real firing does. */
const recordingFire =
  (db: AnyDb, calls: Map<string, number>): FireTimer =>
  async (timer, ctx) => {
    calls.set(timer.id, (calls.get(timer.id) ?? 0) + 1);
    await db.transaction().execute(async (trx) => {
      await sql`insert into firings (timer_id, worker) values (${timer.id}, ${ctx.workerId})`.execute(
        trx,
      );
      const ok = await completeTimer(trx, {
        id: timer.id,
        workerId: ctx.workerId,
        now: ctx.clock.now(),
        outcome: { fired: true },
      });
      if (!ok) throw new Error(`lost the lock on ${timer.id}`); // rolls the firing back
    });
  };

async function assertExactlyOnce(db: AnyDb) {
  const { rows } = await sql<{ total: string; distinct_ids: string; fired: string }>`
    select (select count(*) from firings)::text as total,
           (select count(distinct timer_id) from firings)::text as distinct_ids,
           (select count(*) from timers where status = 'fired')::text as fired`.execute(db);
  expect(rows[0]).toEqual({ total: '10000', distinct_ids: '10000', fired: '10000' });
}

describe.skipIf(!process.env.DATABASE_URL)('two pollers on one real Postgres', () => {
  // 10,000 firings of one transaction each take ~20 s on this 2-core VM; leave room for a busy CI.
  it(
    'fire each of 10,000 timers exactly once, sharing the work',
    { timeout: 180_000 },
    async () => {
      await scheduleAll(t.db);
      const clock = manualClock(new Date(T0 + LEADS * PER_LEAD * 10));
      const calls = new Map<string, number>();
      const dbA = t.db;
      const dbB = other.db;
      const a = createPoller({
        db: dbA,
        clock,
        fire: recordingFire(dbA, calls),
        workerId: 'A',
        batchSize: 50,
      });
      const b = createPoller({
        db: dbB,
        clock,
        fire: recordingFire(dbB, calls),
        workerId: 'B',
        batchSize: 50,
      });
      const [na, nb] = await Promise.all([a.drain(), b.drain()]);
      expect(na + nb).toBe(10_000);
      // Both did real work (SKIP LOCKED let them claim side by side instead of queueing).
      expect(na).toBeGreaterThan(1_000);
      expect(nb).toBeGreaterThan(1_000);
      expect([...calls.values()].every((n) => n === 1)).toBe(true);
      expect(calls.size).toBe(10_000);
      await assertExactlyOnce(t.db);
    },
  );

  it(
    'restart mid-run: a stopped poller and a crashed one lose nothing and double nothing',
    {
      timeout: 180_000,
    },
    async () => {
      await scheduleAll(t.db);
      const clock = manualClock(new Date(T0 + LEADS * PER_LEAD * 10));
      const calls = new Map<string, number>();
      // A poller that "crashed" after claiming 500 timers: locks held, never completed.
      const crashed = await claimTimers(t.db, {
        workerId: 'crashed',
        now: clock.now(),
        limit: 500,
      });
      expect(crashed).toHaveLength(500);

      const dbA = t.db;
      const dbB = other.db;
      let firedByA = 0;
      const a = createPoller({
        db: dbA,
        clock,
        workerId: 'A',
        batchSize: 50,
        fire: recordingFire(dbA, calls),
        onEvent: (e) => {
          // Stop A part-way through, with a batch claimed and firings in flight.
          if (e.type === 'fired' && ++firedByA === 2_000) void a.stop();
        },
      });
      const b = createPoller({
        db: dbB,
        clock,
        workerId: 'B',
        batchSize: 50,
        fire: recordingFire(dbB, calls),
      });
      await Promise.all([a.drain(), b.drain()]);
      const { rows: left } = await sql<{ n: string }>`
      select count(*)::text as n from timers where status = 'pending'`.execute(t.db);
      expect(left[0]!.n).toBe('500'); // only the crashed poller's claims remain

      // Five minutes later the sweep reclaims them; a restarted A finishes the job.
      clock.advance(5 * 60_000 + 1);
      expect(await resetStaleLocks(t.db, { now: clock.now(), olderThanMs: 5 * 60_000 })).toBe(500);
      const a2 = createPoller({ db: dbA, clock, workerId: 'A2', fire: recordingFire(dbA, calls) });
      expect(await a2.drain()).toBe(500);
      // The crashed poller waking up cannot complete what it no longer holds.
      expect(
        await completeTimer(t.db, {
          id: crashed[0]!.id,
          workerId: 'crashed',
          now: clock.now(),
          outcome: {},
        }),
      ).toBe(false);

      expect(calls.size).toBe(10_000);
      expect([...calls.values()].every((n) => n === 1)).toBe(true);
      await assertExactlyOnce(t.db);
    },
  );
});
