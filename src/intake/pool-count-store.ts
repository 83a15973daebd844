/**
 * The one SQL definition of a pool pick's counter bump, shared by the inbox worker (a routing
 * decision) and the fallback firer (a reassignment). It mirrors applyPoolIncrement in
 * src/routing/pool.ts: total = max(total, rebase ?? 0) + 1, day/week + 1 (a new key starts at 1).
 *
 * One upsert statement, so concurrent instances never lose a count: each row is locked by the
 * conflict update and the new value is computed from the row as committed, not from the snapshot
 * the decision was made on.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { PoolIncrement } from '../routing/decision.ts';

export async function incrementPool(db: Kysely<Database>, inc: PoolIncrement): Promise<void> {
  // The inserted value is what a row that did not exist yet must hold: rebase + 1 for the total
  // (fairness `skip`: a returner forfeits missed turns), 1 for the day and week rows. On conflict
  // `excluded.count - 1` recovers the rebase (0 for day/week), so one expression serves all rows.
  const rows: Array<[string, string, number]> = [
    ['total', '', (inc.rebase ?? 0) + 1],
    ['day', inc.day, 1],
    ['week', inc.week, 1],
  ];
  await sql`
    insert into pool_counts (pool, member, period, period_key, count)
    values ${sql.join(rows.map(([p, k, c]) => sql`(${inc.pool}, ${inc.member}, ${p}, ${k}, ${c}::int)`))}
    on conflict (pool, member, period, period_key)
    do update set count = greatest(pool_counts.count, excluded.count - 1) + 1, updated_at = now()`.execute(
    db,
  );
}
