import { describe, expect, it } from 'vitest';
import {
  applyPoolIncrement,
  compilePool,
  pickFromPool,
  type CompiledPool,
} from '../../../src/routing/pool.ts';
import { PoolSchema } from '../../../src/routing/pool-schema.ts';
import type { RoutingState } from '../../../src/routing/decision.ts';
import { unavailability } from '../../../src/routing/availability.ts';
import type { People } from '../../../src/routing/people.ts';
import { people } from './people-fixture.ts';

const MIN = 60_000;
const kim = {
  name: 'Kim Park',
  owner: { hubspot: '51234573' },
  calendar: 'weekdays',
  away: [{ from: '2026-12-07', to: '2026-12-11', reason: 'parental leave' }],
};
const pool = (cfg: object): CompiledPool => compilePool('p', PoolSchema.parse(cfg));

/** Routes `n` leads `stepMin` minutes apart from `start`, applying each increment like the server. */
function run(
  p: People,
  cp: CompiledPool,
  state: RoutingState,
  start: string,
  n: number,
  stepMin = 5,
) {
  const picks: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = new Date(new Date(start).getTime() + i * stepMin * MIN);
    const pick = pickFromPool(cp, p.handlers, at, state.poolCounts[cp.id], (h) =>
      unavailability(h, at, '10m', { state }),
    );
    if (!pick.increment) {
      picks.push('-');
      continue;
    }
    applyPoolIncrement(state.poolCounts, pick.increment);
    picks.push(pick.increment.member);
  }
  return picks;
}
const tally = (picks: string[]) =>
  picks.reduce<Record<string, number>>((t, m) => ({ ...t, [m]: (t[m] ?? 0) + 1 }), {});

describe('round robin', () => {
  it('spreads 1,000 leads within ±1, in roster order', () => {
    const cp = pool({ members: ['sam', 'lee', 'priya'], strategy: 'round_robin' });
    const picks = run(people(), cp, { poolCounts: {} }, '2026-12-01T00:00:00Z', 1000, 7);
    expect(picks.slice(0, 4)).toEqual(['sam', 'lee', 'priya', 'sam']);
    const counts = Object.values(tally(picks));
    expect(counts.reduce((a, b) => a + b)).toBe(1000);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('is deterministic: the same snapshot and clock give the same pick', () => {
    const cp = pool({ members: ['sam', 'lee', 'priya'], strategy: 'round_robin' });
    const counts = { sam: { total: 4 }, lee: { total: 3 }, priya: { total: 3 } };
    const at = new Date('2026-12-01T18:00:00Z');
    const a = pickFromPool(cp, people().handlers, at, counts, () => null);
    const b = pickFromPool(cp, people().handlers, at, counts, () => null);
    expect(a).toEqual(b);
    expect(a.increment?.member).toBe('lee');
  });
});

describe('weighted', () => {
  it('2:1:1 over 1,000 leads is within 2 % of each share', () => {
    const cp = pool({
      members: ['sam', 'lee', 'priya'],
      strategy: 'weighted',
      weights: { sam: 2 },
    });
    const t = tally(run(people(), cp, { poolCounts: {} }, '2026-12-01T00:00:00Z', 1000, 7));
    for (const [m, share] of [
      ['sam', 0.5],
      ['lee', 0.25],
      ['priya', 0.25],
    ] as const)
      expect(Math.abs(t[m]! / 1000 - share) / share).toBeLessThanOrEqual(0.02);
  });
});

describe('caps (member-local day and ISO week)', () => {
  it('a member at the daily cap is skipped for the next', () => {
    const cp = pool({ members: ['sam', 'lee', 'priya'], strategy: 'round_robin', daily_cap: 2 });
    const at = new Date('2026-12-01T10:00:00-08:00');
    const pick = pickFromPool(
      cp,
      people().handlers,
      at,
      {
        sam: { total: 0, day: { key: '2026-12-01', count: 2 } },
        lee: { total: 5 },
        priya: { total: 6 },
      },
      () => null,
    );
    expect(pick.increment).toEqual({
      pool: 'p',
      member: 'lee',
      day: '2026-12-01',
      week: '2026-W49',
    });
    expect(pick.trace.map((s) => s.reason)).toEqual([
      'sam reached the daily cap of 2 on 2026-12-01',
      'pool p → lee (round robin: 5 picks so far, the fewest)',
    ]);
  });

  it("counts the day in the member's own zone: 23:30 in Los Angeles is the next morning in Berlin", () => {
    const cp = pool({ members: ['priya', 'sam'], strategy: 'round_robin', daily_cap: 25 });
    const at = new Date('2026-12-01T23:30:00-08:00');
    const pick = pickFromPool(
      cp,
      people().handlers,
      at,
      { priya: { total: 0, day: { key: '2026-12-01', count: 25 } }, sam: { total: 9 } },
      () => null,
    );
    expect(pick.increment).toMatchObject({ member: 'priya', day: '2026-12-02' });
  });

  it('weekly cap, and a pool with everyone capped reports it', () => {
    const cp = pool({
      members: ['sam', 'lee'],
      strategy: 'round_robin',
      daily_cap: 3,
      weekly_cap: 5,
    });
    const state: RoutingState = { poolCounts: {} };
    const p = people();
    const mon = run(p, cp, state, '2026-11-30T09:00:00-08:00', 7, 10);
    expect(mon).toEqual(['sam', 'lee', 'sam', 'lee', 'sam', 'lee', '-']);
    const tue = run(p, cp, state, '2026-12-01T09:00:00-08:00', 6, 10);
    expect(tue).toEqual(['sam', 'lee', 'sam', 'lee', '-', '-']);
    const nextWeek = run(p, cp, state, '2026-12-07T09:00:00-08:00', 2, 10);
    expect(nextWeek).toEqual(['sam', 'lee']);
    expect(state.poolCounts.p!.sam).toEqual({
      total: 6,
      day: { key: '2026-12-07', count: 1 },
      week: { key: '2026-W50', count: 1 },
    });
  });
});

describe('a member returning from leave', () => {
  const setup = (fairness: 'skip' | 'catch_up') => {
    const p = people({ handlers: { kim } });
    const cp = pool({ members: ['kim', 'sam', 'lee'], strategy: 'round_robin', fairness });
    const state: RoutingState = { poolCounts: {} };
    run(p, cp, state, '2026-12-01T09:00:00-08:00', 30); // before leave: 10 each
    const away = run(p, cp, state, '2026-12-08T09:00:00-08:00', 60); // kim on leave
    return { p, cp, state, away };
  };

  it('is skipped while away', () => {
    const { away, state } = setup('skip');
    expect(tally(away)).toEqual({ sam: 30, lee: 30 });
    expect(state.poolCounts.p!.kim!.total).toBe(10);
  });

  it('skip: re-enters level with the rotation, forfeiting the missed turns', () => {
    const { p, cp, state } = setup('skip');
    const back = run(p, cp, state, '2026-12-14T09:00:00-08:00', 30);
    expect(back.slice(0, 4)).toEqual(['kim', 'kim', 'sam', 'lee']);
    const t = tally(back);
    expect(t.kim! - 1).toBeLessThanOrEqual(10);
    expect(Math.max(...Object.values(t)) - Math.min(...Object.values(t))).toBeLessThanOrEqual(2);
    expect(state.poolCounts.p!.kim!.total).toBeGreaterThanOrEqual(49); // rebased, not 10 + its share
  });

  it('catch_up: takes every lead until level with colleagues', () => {
    const { p, cp, state } = setup('catch_up');
    const back = run(p, cp, state, '2026-12-14T09:00:00-08:00', 30);
    expect(back.every((m) => m === 'kim')).toBe(true);
    expect(state.poolCounts.p!.kim!.total).toBe(40);
  });

  it('skip also applies to a new joiner with no counts', () => {
    const p = people({ handlers: { kim: { ...kim, away: [] } } });
    const cp = pool({ members: ['sam', 'lee', 'kim'], strategy: 'round_robin', fairness: 'skip' });
    const at = new Date('2026-12-14T09:00:00-08:00');
    const pick = pickFromPool(
      cp,
      p.handlers,
      at,
      { sam: { total: 40 }, lee: { total: 41 } },
      () => null,
    );
    expect(pick.increment).toMatchObject({ member: 'kim', rebase: 39 });
    expect(pick.trace.at(-1)!.reason).toBe(
      'pool p → kim (round robin: 39 picks so far, the fewest; back after a gap at 0, missed turns skipped)',
    );
  });

  it('applyPoolIncrement: rebase then +1', () => {
    const counts: RoutingState['poolCounts'] = { p: { kim: { total: 3 } } };
    applyPoolIncrement(counts, {
      pool: 'p',
      member: 'kim',
      day: '2026-12-14',
      week: '2026-W51',
      rebase: 39,
    });
    expect(counts.p!.kim).toEqual({
      total: 40,
      day: { key: '2026-12-14', count: 1 },
      week: { key: '2026-W51', count: 1 },
    });
  });
});

describe('PoolSchema', () => {
  it('rejects duplicate members, stray weights and a weekly cap below the daily one', () => {
    const r = PoolSchema.safeParse({
      members: ['sam', 'sam'],
      strategy: 'round_robin',
      weights: { saam: 2 },
      daily_cap: 5,
      weekly_cap: 3,
    });
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(
      [
        'members.1: "sam" is listed twice',
        'weights.saam: weight for "saam", who is not a member of this pool (did you mean "sam"?)',
        'weights: weights only apply with strategy: weighted',
        'weekly_cap: weekly_cap 3 is below daily_cap 5',
      ],
    );
  });
});
