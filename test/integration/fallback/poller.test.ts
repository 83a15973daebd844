import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { manualClock } from '../../../src/clock.ts';
import { createPoller, type FireTimer, type PollerEvent } from '../../../src/fallback/poller.ts';
import { timerListener } from '../../../src/fallback/timer-listeners.ts';
import {
  completeTimer,
  listTimersForLead,
  scheduleTimers,
  type AnyDb,
} from '../../../src/fallback/timer-store.ts';
import type { PlannedCheckpoint } from '../../../src/routing/decision.ts';
import { createTestDb, usingRealPostgres, type TestDb } from '../../helpers/test-db.ts';
import { seedLeadWithDecision } from './seed.ts';

const T0 = '2026-11-30T16:00:00.000Z';
const checkpoint = (id: string, dueUtc: string): PlannedCheckpoint => ({
  id,
  after: '10m',
  dueUtc,
  branches: [{ then: [{ nurture: true }] }],
});

/** A fire function that only completes the timer, recording what it fired. */
const completing =
  (db: AnyDb, fired: string[]): FireTimer =>
  async (timer, ctx) => {
    await db.transaction().execute(async (trx) => {
      const ok = await completeTimer(trx, {
        id: timer.id,
        workerId: ctx.workerId,
        now: ctx.clock.now(),
        outcome: { ok: true },
      });
      if (!ok) throw new Error(`lost the lock on timer ${timer.id}`);
    });
    fired.push(timer.key);
  };

/** Resolves on the first event that satisfies `pred` (tests wait on events, never on sleeps). */
function waitForEvent(
  subscribe: (fn: (e: PollerEvent) => void) => void,
  pred: (e: PollerEvent) => boolean,
): Promise<PollerEvent> {
  return new Promise((resolve) => subscribe((e) => pred(e) && resolve(e)));
}

let t: TestDb;
let L1: { leadId: string; decisionId: string };
let L2: { leadId: string; decisionId: string };
let n = 0;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate timers cascade`.execute(t.db);
  L1 = await seedLeadWithDecision(t.db, `poller-${n++}`);
  L2 = await seedLeadWithDecision(t.db, `poller-${n++}`);
});

describe('poller', () => {
  it('fires due timers, sleeps until the next due time, and wakes on NOTIFY', async () => {
    const clock = manualClock(T0);
    const fired: string[] = [];
    const listeners: Array<(e: PollerEvent) => void> = [];
    const poller = createPoller({
      db: t.db,
      clock,
      fire: completing(t.db, fired),
      maxIdleMs: 60_000,
      listener: timerListener(t),
      onEvent: (e) => listeners.forEach((l) => l(e)),
    });
    const subscribe = (fn: (e: PollerEvent) => void) => listeners.push(fn);
    await t.db.transaction().execute((trx) =>
      scheduleTimers(trx, {
        ...L1,
        configHash: 'h',
        plan: [
          checkpoint('past', '2026-11-30T15:59:00.000Z'),
          checkpoint('soon', '2026-11-30T16:00:03.000Z'),
        ],
      }),
    );
    const idle = waitForEvent(subscribe, (e) => e.type === 'idle');
    await poller.start();
    // It fired the due one and chose to sleep exactly until the next (3 s), not a fixed interval.
    expect(await idle).toEqual({ type: 'idle', sleepMs: 3_000 });
    expect(fired).toEqual([`${L1.leadId}:${L1.decisionId}:past`]);

    // A timer scheduled elsewhere wakes it through LISTEN/NOTIFY, long before maxIdleMs (60 s).
    clock.advance(3_000);
    const firedSoon = waitForEvent(
      subscribe,
      (e) => e.type === 'fired' && e.timer.checkpointId === 'soon',
    );
    await t.db.transaction().execute((trx) =>
      scheduleTimers(trx, {
        ...L2,
        configHash: 'h',
        plan: [checkpoint('now', T0)],
      }),
    );
    await firedSoon;
    await poller.stop();
    const l2 = await listTimersForLead(t.db, L2.leadId);
    expect(l2[0]!.status).toBe('fired');
    expect(fired.sort()).toEqual(
      [
        `${L1.leadId}:${L1.decisionId}:past`,
        `${L1.leadId}:${L1.decisionId}:soon`,
        `${L2.leadId}:${L2.decisionId}:now`,
      ].sort(),
    );
    const [late] = (await listTimersForLead(t.db, L1.leadId)).filter(
      (x) => x.checkpointId === 'past',
    );
    expect(late!.latenessMs).toBe(60_000);
  });

  it('a nudge for timers due after its planned wake-up leaves it asleep; an earlier one wakes it by then', async () => {
    const clock = manualClock(T0);
    const idles: number[] = [];
    const listeners: Array<(e: PollerEvent) => void> = [];
    const poller = createPoller({
      db: t.db,
      clock,
      fire: completing(t.db, []),
      maxIdleMs: 60_000,
      onEvent: (e) => {
        if (e.type === 'idle') idles.push(e.sleepMs);
        listeners.forEach((l) => l(e));
      },
    });
    const subscribe = (fn: (e: PollerEvent) => void) => listeners.push(fn);
    const first = waitForEvent(subscribe, (e) => e.type === 'idle');
    await poller.start();
    await first; // nothing due: asleep for maxIdleMs
    const at = (ms: number) => Date.parse(T0) + ms;
    await t.db.transaction().execute((trx) =>
      scheduleTimers(trx, {
        ...L1,
        configHash: 'h',
        plan: [checkpoint('later', new Date(at(600_000)).toISOString())],
      }),
    );
    poller.nudge(at(600_000)); // due in 10 minutes, after the planned wake-up (60 s)
    // A round would have taken a few ms and slept 60 s again; give it ample time to show up.
    await new Promise((r) => setTimeout(r, 300));
    expect(idles).toEqual([60_000]);

    await t.db.transaction().execute((trx) =>
      scheduleTimers(trx, {
        ...L2,
        configHash: 'h',
        plan: [checkpoint('soon', new Date(at(200)).toISOString())],
      }),
    );
    const second = waitForEvent(subscribe, (e) => e.type === 'idle');
    poller.nudge(at(200)); // before the planned wake-up: a round at that time
    await second;
    await poller.stop();
    // The clock stands still, so the round found it not yet due and slept until it.
    expect(idles).toEqual([60_000, 200]);
  });

  it('the NOTIFY names the earliest due time of the timers it announces', async () => {
    const heard: Array<number | undefined> = [];
    const listener = timerListener(t);
    let connected!: () => void;
    let got!: () => void;
    const ready = new Promise<void>((r) => (connected = r));
    const announced = new Promise<void>((r) => (got = r));
    await listener.start((due) => {
      heard.push(due);
      if (due === undefined)
        connected(); // once LISTEN is in place (real Postgres)
      else got();
    });
    if (usingRealPostgres()) await ready;
    await t.db.transaction().execute((trx) =>
      scheduleTimers(trx, {
        ...L1,
        configHash: 'h',
        plan: [
          checkpoint('b', '2026-11-30T16:20:00.000Z'),
          checkpoint('a', '2026-11-30T16:10:00.000Z'),
        ],
      }),
    );
    await announced;
    await listener.stop();
    expect(heard.filter((d) => d !== undefined)).toEqual([Date.parse('2026-11-30T16:10:00.000Z')]);
  });

  it('a firing that throws is retried with backoff, never marked fired', async () => {
    const clock = manualClock(T0);
    const events: PollerEvent[] = [];
    const poller = createPoller({
      db: t.db,
      clock,
      fire: async () => {
        throw new Error('engagement read failed: HubSpot 503');
      },
      onEvent: (e) => events.push(e),
    });
    await t.db.transaction().execute((trx) =>
      scheduleTimers(trx, {
        ...L1,
        configHash: 'h',
        plan: [checkpoint('a', T0)],
      }),
    );
    expect(await poller.drain()).toBe(1);
    const [timer] = await listTimersForLead(t.db, L1.leadId);
    expect(timer).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'engagement read failed: HubSpot 503',
    });
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ status: 'pending' });
  });

  it('stop() lets the in-flight firing finish and hands back what had not started', async () => {
    const clock = manualClock(T0);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    const fired: string[] = [];
    const complete = completing(t.db, fired);
    const poller = createPoller({
      db: t.db,
      clock,
      concurrency: 1,
      fire: async (timer, ctx) => {
        started();
        await gate;
        await complete(timer, ctx);
      },
    });
    await t.db.transaction().execute((trx) =>
      scheduleTimers(trx, {
        ...L1,
        configHash: 'h',
        plan: [checkpoint('a', T0), checkpoint('b', T0), checkpoint('c', T0)],
      }),
    );
    await poller.start();
    await firstStarted;
    const stopped = poller.stop({ deadlineMs: 30_000 });
    release();
    await stopped;
    const timers = await listTimersForLead(t.db, L1.leadId);
    expect(fired).toHaveLength(1);
    expect(timers.filter((x) => x.status === 'fired')).toHaveLength(1);
    // The two that never started are unlocked, with their attempt given back.
    expect(
      timers.filter((x) => x.status === 'pending').map((x) => [x.lockedBy, x.attempts]),
    ).toEqual([
      [null, 0],
      [null, 0],
    ]);
  });

  it('completes firings that had nothing to write in one batch, with their history rows', async () => {
    const clock = manualClock(T0);
    const poller = createPoller({
      db: t.db,
      clock,
      fire: async (timer) => ({ complete: { saw: timer.checkpointId } }),
    });
    await t.db.transaction().execute((trx) =>
      scheduleTimers(trx, {
        ...L1,
        configHash: 'h',
        plan: [checkpoint('a', T0), checkpoint('b', T0)],
      }),
    );
    expect(await poller.drain()).toBe(2);
    const timers = await listTimersForLead(t.db, L1.leadId);
    expect(timers.map((x) => [x.checkpointId, x.status, x.outcome, x.lockedBy])).toEqual([
      ['a', 'fired', { saw: 'a' }, null],
      ['b', 'fired', { saw: 'b' }, null],
    ]);
    const { rows } = await sql<{ kind: string; data: unknown }>`
      select kind, data from fallback_events where lead_id = ${L1.leadId} order by timer_id`.execute(
      t.db,
    );
    expect(rows).toEqual([
      { kind: 'fired', data: { saw: 'a' } },
      { kind: 'fired', data: { saw: 'b' } },
    ]);
  });
});
