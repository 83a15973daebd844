import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import {
  cancelTimers,
  claimTimers,
  completeTimer,
  failTimer,
  listOverdueAndFailedTimers,
  listTimersForLead,
  nextDueAt,
  releaseTimers,
  resetStaleLocks,
  retryParkedTimer,
  scheduleTimers,
} from '../../../src/fallback/timer-store.ts';
import type { PlannedCheckpoint } from '../../../src/routing/decision.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { seedDecision, seedLeadWithDecision } from './seed.ts';

const T0 = new Date('2026-11-30T16:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const plan: PlannedCheckpoint[] = [
  {
    id: 'sla',
    after: '10m',
    dueUtc: at(10 * 60_000).toISOString(),
    branches: [{ when: { touched: false }, then: [{ reassign: 'backup' }] }],
  },
  {
    id: 'cp2',
    after: '2d',
    dueUtc: at(2 * 86_400_000).toISOString(),
    branches: [{ when: { opened: false }, then: [{ task: { channel: 'call' } }] }],
  },
];

let t: TestDb;
let lead: string;
let d1: string;
let d2: string;
let n = 0;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate timers cascade`.execute(t.db);
  ({ leadId: lead, decisionId: d1 } = await seedLeadWithDecision(t.db, `store-${n++}`));
  d2 = await seedDecision(
    t.db,
    lead,
    {
      configHash: 'h',
      leadType: 'strategic',
      decidedAt: T0.toISOString(),
      assignee: { via: 'backup', handlerId: 'marcus', name: 'Marcus', ownerIds: {} },
      // A second decision for a lead is a reassignment: one `route` decision per lead (0007).
    },
    'reroute',
  );
});

const schedule = (leadId = lead, decisionId = d1) =>
  t.db
    .transaction()
    .execute((trx) => scheduleTimers(trx, { leadId, decisionId, plan, configHash: 'h1', now: T0 }));

describe('timer store', () => {
  it('schedules one timer per checkpoint, once per lead:decision:checkpoint', async () => {
    expect(await schedule()).toBe(2);
    expect(await schedule()).toBe(0); // the same decision stored again: nothing new
    const timers = await listTimersForLead(t.db, lead);
    expect(timers.map((x) => [x.checkpointId, x.key, x.status, x.runAt.toISOString()])).toEqual([
      ['sla', `${lead}:${d1}:sla`, 'pending', '2026-11-30T16:10:00.000Z'],
      ['cp2', `${lead}:${d1}:cp2`, 'pending', '2026-12-02T16:00:00.000Z'],
    ]);
    expect(timers[0]!.plan).toEqual(plan[0]);
    expect(timers[0]!.configHash).toBe('h1');
    expect(timers[0]!.since.toISOString()).toBe(T0.toISOString());
    expect(typeof timers[0]!.id).toBe('string');
  });

  it('claims only what is due, and sleeps until the next due time', async () => {
    await schedule();
    expect(await claimTimers(t.db, { workerId: 'w1', now: at(60_000), limit: 10 })).toEqual([]);
    expect((await nextDueAt(t.db))?.toISOString()).toBe('2026-11-30T16:10:00.000Z');
    const claimed = await claimTimers(t.db, { workerId: 'w1', now: at(11 * 60_000), limit: 10 });
    expect(claimed.map((x) => [x.checkpointId, x.lockedBy, x.attempts])).toEqual([
      ['sla', 'w1', 1],
    ]);
    // A claimed timer is not claimable again and no longer counts as "next due".
    expect(await claimTimers(t.db, { workerId: 'w2', now: at(11 * 60_000), limit: 10 })).toEqual(
      [],
    );
    expect((await nextDueAt(t.db))?.toISOString()).toBe('2026-12-02T16:00:00.000Z');
  });

  it('completes with outcome and lateness, only for the lock holder', async () => {
    await schedule();
    const [timer] = await claimTimers(t.db, { workerId: 'w1', now: at(11 * 60_000), limit: 1 });
    const now = at(11 * 60_000 + 500);
    expect(await completeTimer(t.db, { id: timer!.id, workerId: 'w2', now, outcome: {} })).toBe(
      false,
    );
    expect(
      await completeTimer(t.db, { id: timer!.id, workerId: 'w1', now, outcome: { saw: 'x' } }),
    ).toBe(true);
    const [fired] = await listTimersForLead(t.db, lead);
    expect(fired).toMatchObject({ status: 'fired', latenessMs: 60_500, outcome: { saw: 'x' } });
    expect(fired!.lockedBy).toBeNull();
    // Completing twice is refused: it is no longer pending.
    expect(await completeTimer(t.db, { id: timer!.id, workerId: 'w1', now, outcome: {} })).toBe(
      false,
    );
  });

  it('a failed read backs off in SQL and parks at max_attempts with the reason', async () => {
    await t.db.transaction().execute((trx) =>
      scheduleTimers(trx, {
        leadId: lead,
        decisionId: d1,
        plan: [plan[0]!],
        configHash: 'h1',
        now: T0,
        maxAttempts: 2,
      }),
    );
    let now = at(10 * 60_000);
    const [first] = await claimTimers(t.db, { workerId: 'w1', now, limit: 1 });
    expect(
      await failTimer(t.db, { id: first!.id, workerId: 'w1', now, error: 'HubSpot 503' }),
    ).toBe('pending');
    const [retrying] = await listTimersForLead(t.db, lead);
    // e^1 s ≈ 2.718 s after now.
    expect(retrying!.runAt.getTime() - now.getTime()).toBeGreaterThan(2_700);
    expect(retrying!.runAt.getTime() - now.getTime()).toBeLessThan(2_750);
    expect(retrying!.lastError).toBe('HubSpot 503');
    expect(await claimTimers(t.db, { workerId: 'w1', now, limit: 1 })).toEqual([]);
    now = at(11 * 60_000);
    const [second] = await claimTimers(t.db, { workerId: 'w1', now, limit: 1 });
    expect(second!.attempts).toBe(2);
    expect(
      await failTimer(t.db, { id: second!.id, workerId: 'w1', now, error: 'HubSpot 503 again' }),
    ).toBe('parked');
    const overdue = await listOverdueAndFailedTimers(t.db, { now });
    expect(overdue.map((x) => [x.status, x.lastError])).toEqual([['parked', 'HubSpot 503 again']]);
    // Parked is visible and retryable.
    expect(await retryParkedTimer(t.db, second!.id, now)).toBe(true);
    const [again] = await claimTimers(t.db, { workerId: 'w1', now, limit: 1 });
    expect(again!.attempts).toBe(1);
  });

  it('lists pending timers that are past due by more than the grace period', async () => {
    await schedule();
    expect(await listOverdueAndFailedTimers(t.db, { now: at(10 * 60_000 + 30_000) })).toEqual([]);
    const late = await listOverdueAndFailedTimers(t.db, { now: at(12 * 60_000) });
    expect(late.map((x) => x.checkpointId)).toEqual(['sla']);
  });

  it('sweeps stale locks so another poller can claim, and the old holder cannot complete', async () => {
    await schedule();
    const now = at(11 * 60_000);
    const [timer] = await claimTimers(t.db, { workerId: 'dead', now, limit: 1 });
    expect(await resetStaleLocks(t.db, { now: at(12 * 60_000), olderThanMs: 5 * 60_000 })).toBe(0);
    expect(await resetStaleLocks(t.db, { now: at(17 * 60_000), olderThanMs: 5 * 60_000 })).toBe(1);
    const [reclaimed] = await claimTimers(t.db, { workerId: 'w2', now: at(17 * 60_000), limit: 1 });
    expect(reclaimed!.id).toBe(timer!.id);
    expect(reclaimed!.attempts).toBe(2);
    expect(
      await completeTimer(t.db, {
        id: timer!.id,
        workerId: 'dead',
        now: at(18 * 60_000),
        outcome: {},
      }),
    ).toBe(false);
  });

  it('releases claimed timers on shutdown without spending the attempt', async () => {
    await schedule();
    const claimed = await claimTimers(t.db, { workerId: 'w1', now: at(3 * 86_400_000), limit: 5 });
    expect(claimed).toHaveLength(2);
    expect(
      await releaseTimers(
        t.db,
        'w1',
        claimed.map((x) => x.id),
      ),
    ).toBe(2);
    const timers = await listTimersForLead(t.db, lead);
    expect(timers.map((x) => [x.lockedBy, x.attempts])).toEqual([
      [null, 0],
      [null, 0],
    ]);
  });

  it('cancels pending timers, optionally keeping one decision, and a cancelled timer cannot fire', async () => {
    await schedule(lead, d1);
    await schedule(lead, d2);
    const [claimed] = await claimTimers(t.db, { workerId: 'w1', now: at(11 * 60_000), limit: 1 });
    const cancelled = await cancelTimers(t.db, {
      leadId: lead,
      exceptDecisionId: d2,
      reason: 'reassigned',
      now: at(11 * 60_000),
    });
    expect(cancelled.map((x) => x.key).sort()).toEqual([`${lead}:${d1}:cp2`, `${lead}:${d1}:sla`]);
    expect(cancelled[0]!.outcome).toEqual({ cancelled: 'reassigned' });
    if (claimed!.decisionId === d1)
      expect(
        await completeTimer(t.db, {
          id: claimed!.id,
          workerId: 'w1',
          now: at(11 * 60_000),
          outcome: {},
        }),
      ).toBe(false);
    const left = (await listTimersForLead(t.db, lead)).filter((x) => x.status === 'pending');
    expect(left.every((x) => x.decisionId === d2)).toBe(true);
  });
});
