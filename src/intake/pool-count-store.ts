/**
 * The one SQL definition of a pool pick's counter bump, shared by the inbox worker (a routing
 * decision, or a whole routed batch) and the fallback firer (a reassignment). It mirrors
 * applyPoolIncrement in src/routing/pool.ts: total = max(total, rebase ?? 0) + 1, day/week + 1
 * (a new key starts at 1).
 *
 * One upsert statement per pool member, so concurrent instances never lose a count: each row is
 * locked by the conflict update and the new value is computed from the row as committed, not
 * from the snapshot the decision was made on.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { PoolIncrement } from '../routing/decision.ts';

/**
 * The upserts for increments applied in order, one per pool member (a statement may not touch a
 * row twice). Applying f(x) = max(x, rebase) + 1 n times composes to max(x + n, c) with
 * c = max over the i-th of n increments of (rebase_i + n − i + 1); a row that does not exist yet
 * is x = 0. Day and week rows add up per key. For one increment this is the plain bump.
 */
export function poolUpserts(incs: PoolIncrement[]): RawBuilder<unknown>[] {
  const byMember = new Map<string, PoolIncrement[]>();
  for (const inc of incs) {
    const k = JSON.stringify([inc.pool, inc.member]);
    byMember.set(k, [...(byMember.get(k) ?? []), inc]);
  }
  return [...byMember.values()].map((group) => {
    const n = group.length;
    let c = 0;
    group.forEach((inc, i) => (c = Math.max(c, (inc.rebase ?? 0) + n - i)));
    const { pool, member } = group[0]!;
    const rows = [
      sql`(${pool}, ${member}, 'total', '', ${Math.max(n, c)}::int)`,
      ...[...countBy(group.map((g) => g.day))].map(
        ([k, v]) => sql`(${pool}, ${member}, 'day', ${k}, ${v}::int)`,
      ),
      ...[...countBy(group.map((g) => g.week))].map(
        ([k, v]) => sql`(${pool}, ${member}, 'week', ${k}, ${v}::int)`,
      ),
    ];
    return sql`
      insert into pool_counts (pool, member, period, period_key, count)
      values ${sql.join(rows)}
      on conflict (pool, member, period, period_key)
      do update set updated_at = now(), count = case
        when pool_counts.period = 'total' then greatest(pool_counts.count + ${n}::int, ${c}::int)
        else pool_counts.count + excluded.count end`;
  });
}

/** Applies increments in order, one statement per pool member. */
export async function incrementPools(db: Kysely<Database>, incs: PoolIncrement[]): Promise<void> {
  for (const upsert of poolUpserts(incs)) await upsert.execute(db);
}

export async function incrementPool(db: Kysely<Database>, inc: PoolIncrement): Promise<void> {
  await incrementPools(db, [inc]);
}

function countBy(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}
