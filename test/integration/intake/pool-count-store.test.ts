/**
 * The stored pool counters follow applyPoolIncrement (src/routing/pool.ts): a member returning
 * from leave under fairness `skip` is rebased (missed turns forfeited), under `catch_up` counts on
 * from where they left. The pick is the routing core's own, made on the snapshot read back from
 * Postgres, so the test covers the read, the pick and the upsert together.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { incrementPool, readRoutingState } from '../../../src/intake/decision-store.ts';
import { applyPoolIncrement, compilePool, pickFromPool } from '../../../src/routing/pool.ts';
import { PoolSchema } from '../../../src/routing/pool-schema.ts';
import type { RoutingState } from '../../../src/routing/decision.ts';
import { people } from '../../unit/routing/people-fixture.ts';

let tdb: TestDb;
beforeAll(async () => {
  tdb = await createTestDb();
}, 120_000);
afterAll(async () => {
  await tdb?.close();
});

const kim = { name: 'Kim Park', owner: { hubspot: '51234573' }, calendar: 'weekdays' };
const at = new Date('2026-12-14T09:00:00-08:00'); // Monday: sam, lee, kim all working

/** sam and lee have 40 picks each; kim (back from leave) has 10, with day/week rows of a past week. */
async function seed(pool: string): Promise<void> {
  const rows: Array<[string, string, string, number]> = [
    ['sam', 'total', '', 40],
    ['lee', 'total', '', 40],
    ['kim', 'total', '', 10],
    ['kim', 'day', '2026-12-01', 3],
    ['kim', 'week', '2026-W49', 10],
  ];
  for (const [member, period, key, count] of rows)
    await sql`insert into pool_counts (pool, member, period, period_key, count)
              values (${pool}, ${member}, ${period}, ${key}, ${count})`.execute(tdb.db);
}

async function stored(pool: string): Promise<RoutingState['poolCounts'][string]> {
  return (await tdb.db.transaction().execute((trx) => readRoutingState(trx))).poolCounts[pool]!;
}

/** Picks with the routing core from the stored snapshot, stores the increment, returns it. */
async function pickAndStore(pool: string, fairness: 'skip' | 'catch_up') {
  const cp = compilePool(
    pool,
    PoolSchema.parse({ members: ['sam', 'lee', 'kim'], strategy: 'round_robin', fairness }),
  );
  const before = await stored(pool);
  const pick = pickFromPool(cp, people({ handlers: { kim } }).handlers, at, before, () => null);
  expect(pick.member?.id).toBe('kim');
  const inc = pick.increment!;
  await tdb.db.transaction().execute((trx) => incrementPool(trx, inc));
  const expected: RoutingState['poolCounts'] = { [pool]: structuredClone(before) };
  applyPoolIncrement(expected, inc);
  return { inc, expected: expected[pool]!, after: await stored(pool) };
}

describe('incrementPool (SQL) honours the skip rebase like applyPoolIncrement', () => {
  it('skip: a returning member is lifted to one below the least-served colleague, then +1', async () => {
    await seed('p_skip');
    const { inc, expected, after } = await pickAndStore('p_skip', 'skip');
    expect(inc.rebase).toBe(39);
    expect(after.kim).toEqual({
      total: 40,
      day: { key: '2026-12-14', count: 1 },
      week: { key: '2026-W51', count: 1 },
    });
    expect(after).toEqual(expected);
  });

  it('catch_up: the same returner keeps their count and gets +1', async () => {
    await seed('p_catch');
    const { inc, expected, after } = await pickAndStore('p_catch', 'catch_up');
    expect(inc.rebase).toBeUndefined();
    expect(after.kim!.total).toBe(11);
    expect(after).toEqual(expected);
  });

  it('a rebase never lowers a count another instance raised meanwhile, and day/week still add 1', async () => {
    const inc = { pool: 'p_race', member: 'kim', day: '2026-12-14', week: '2026-W51' };
    await tdb.db.transaction().execute((trx) => incrementPool(trx, inc));
    await tdb.db.transaction().execute((trx) => incrementPool(trx, inc)); // total 2, day 2
    // A decision made on an older snapshot rebases to 1: the stored 2 wins, + 1.
    await tdb.db.transaction().execute((trx) => incrementPool(trx, { ...inc, rebase: 1 }));
    // A new member rebased on first pick: inserted as rebase + 1.
    await tdb.db
      .transaction()
      .execute((trx) => incrementPool(trx, { ...inc, member: 'sam', rebase: 7 }));
    const after = await stored('p_race');
    expect(after.kim).toEqual({
      total: 3,
      day: { key: '2026-12-14', count: 3 },
      week: { key: '2026-W51', count: 3 },
    });
    expect(after.sam).toEqual({
      total: 8,
      day: { key: '2026-12-14', count: 1 },
      week: { key: '2026-W51', count: 1 },
    });
  });
});
