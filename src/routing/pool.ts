/**
 * Picking a pool member: deterministic, from a snapshot of counts, returning the increment the
 * server stores atomically with the decision.
 *
 * Exports
 * - `compilePool(id, config): CompiledPool`
 * - `pickFromPool(pool, handlers, at, counts, excluded): PoolPick`
 *   `excluded(handler)` returns a reason (away, holiday, previous holder…) or null.
 * - `applyPoolIncrement(counts, inc): void` — the one definition of how an increment updates the
 *   stored counts (the server's SQL must do the same; tests use this to simulate a run).
 * - `memberDayKey(cal, at)` / `memberWeekKey(cal, at)` — `2026-11-28` / `2026-W48`, member-local.
 *
 * Policy (docs/business-time.md "Pools"):
 * - round_robin: the eligible member with the lowest total; ties go to roster order.
 * - weighted: the lowest total/weight (largest deficit against their share); ties to roster order.
 *   Over n picks each member gets n·w/Σw within one pick: no randomness to average out.
 * - caps: `daily_cap` / `weekly_cap` count picks on the member's own local day / ISO week; a member
 *   at a cap is skipped for the next.
 * - fairness `skip` (default): a member whose level (total/weight) is more than one step below
 *   the least-served eligible colleague is lifted to one step below it — they take the next lead,
 *   then rotate normally; missed turns are forfeited. The increment's `rebase` carries the lifted
 *   total. A step is the largest 1/weight in the pool (1 for round robin).
 *   `catch_up`: counts are kept, so a returner takes every lead until level (caps still apply).
 */
import type { PoolIncrement, RoutingState, TraceStep } from './decision.ts';
import type { CompiledCalendar } from './calendar.ts';
import type { CompiledHandler } from './handler-schema.ts';
import type { PoolConfig } from './pool-schema.ts';
import { dayAt, localDate } from './business-time.ts';

export interface CompiledPool {
  id: string;
  members: string[];
  strategy: 'round_robin' | 'weighted';
  /** Parallel to members. */
  weights: number[];
  dailyCap?: number;
  weeklyCap?: number;
  fairness: 'skip' | 'catch_up';
}

export type PoolCounts = RoutingState['poolCounts'][string];

export function compilePool(id: string, p: PoolConfig): CompiledPool {
  return {
    id,
    members: [...p.members],
    strategy: p.strategy,
    weights: p.members.map((m) => (p.strategy === 'weighted' ? (p.weights?.[m] ?? 1) : 1)),
    ...(p.daily_cap !== undefined ? { dailyCap: p.daily_cap } : {}),
    ...(p.weekly_cap !== undefined ? { weeklyCap: p.weekly_cap } : {}),
    fairness: p.fairness ?? 'skip',
  };
}

export const memberDayKey = (cal: CompiledCalendar, at: Date): string => localDate(cal, at);
export const memberWeekKey = (cal: CompiledCalendar, at: Date): string =>
  dayAt(cal, at.getTime()).week;

export interface PoolPick {
  member: CompiledHandler | null;
  increment: PoolIncrement | null;
  trace: TraceStep[];
}

interface Candidate {
  handler: CompiledHandler;
  weight: number;
  total: number;
  index: number;
  day: string;
  week: string;
}

export function pickFromPool(
  pool: CompiledPool,
  handlers: Map<string, CompiledHandler>,
  at: Date,
  counts: PoolCounts | undefined,
  excluded: (h: CompiledHandler) => string | null,
): PoolPick {
  // Plain loops instead of forEach/map/spread: a pool pick was ~8% of a full decision.
  const trace: TraceStep[] = [];
  const eligible: Candidate[] = [];
  const atMs = at.getTime();
  const members = pool.members;
  for (let index = 0; index < members.length; index++) {
    const id = members[index]!;
    const handler = handlers.get(id);
    if (!handler) continue;
    const why = excluded(handler);
    if (why) {
      trace.push({ stage: 'availability', ruleId: id, outcome: 'skipped', reason: why });
      continue;
    }
    const c = counts?.[id];
    const memberDay = dayAt(handler.calendar, atMs);
    const day = memberDay.date;
    const week = memberDay.week;
    const dayCount = c?.day?.key === day ? c.day.count : 0;
    const weekCount = c?.week?.key === week ? c.week.count : 0;
    if (pool.dailyCap !== undefined && dayCount >= pool.dailyCap) {
      trace.push({
        stage: 'pool',
        ruleId: id,
        outcome: 'skipped',
        reason: `${id} reached the daily cap of ${pool.dailyCap} on ${day}`,
      });
      continue;
    }
    if (pool.weeklyCap !== undefined && weekCount >= pool.weeklyCap) {
      trace.push({
        stage: 'pool',
        ruleId: id,
        outcome: 'skipped',
        reason: `${id} reached the weekly cap of ${pool.weeklyCap} in ${week}`,
      });
      continue;
    }
    eligible.push({
      handler,
      weight: pool.weights[index]!,
      total: c?.total ?? 0,
      index,
      day,
      week,
    });
  }
  if (eligible.length === 0) {
    trace.push({
      stage: 'pool',
      ruleId: pool.id,
      outcome: 'failed',
      reason: `no member of pool ${pool.id} is available`,
    });
    return { member: null, increment: null, trace };
  }

  // Effective total per candidate (after the skip policy's lift), then the lowest level wins.
  // S is the largest step one pick moves anyone's level (1/weight). In steady rotation every level
  // stays within S of the least-served colleague's, so the lift only fires after a real gap
  // (leave, a new joiner), never in normal turns.
  const n = eligible.length;
  let step = -Infinity;
  for (let i = 0; i < n; i++) step = Math.max(step, 1 / eligible[i]!.weight);
  const effective: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const c = eligible[i]!;
    if (pool.fairness !== 'skip' || n < 2) {
      effective[i] = c.total;
      continue;
    }
    let minOther = Infinity;
    for (let j = 0; j < n; j++) {
      const o = eligible[j]!;
      if (j !== i) minOther = Math.min(minOther, o.total / o.weight);
    }
    const floor = Math.ceil((minOther - step) * c.weight - 1e-9);
    effective[i] = Math.max(c.total, floor);
  }
  let best = 0;
  for (let i = 1; i < n; i++) {
    const li = effective[i]! / eligible[i]!.weight;
    const lb = effective[best]! / eligible[best]!.weight;
    if (li < lb) best = i; // ties keep the earlier roster position
  }
  const chosen = eligible[best]!;
  const lifted = effective[best]! > chosen.total;
  const how =
    pool.strategy === 'weighted'
      ? `weighted ${chosen.weight}: ${effective[best]} picks so far, the largest deficit`
      : `round robin: ${effective[best]} picks so far, the fewest`;
  trace.push({
    stage: 'pool',
    ruleId: pool.id,
    outcome: 'chosen',
    reason: `pool ${pool.id} → ${chosen.handler.id} (${how}${
      lifted ? `; back after a gap at ${chosen.total}, missed turns skipped` : ''
    })`,
  });
  return {
    member: chosen.handler,
    increment: {
      pool: pool.id,
      member: chosen.handler.id,
      day: chosen.day,
      week: chosen.week,
      ...(lifted ? { rebase: effective[best]! } : {}),
    },
    trace,
  };
}

/** How the server applies an increment to its stored counts (same semantics, in SQL). */
export function applyPoolIncrement(
  poolCounts: RoutingState['poolCounts'],
  inc: PoolIncrement,
): void {
  const pool = (poolCounts[inc.pool] ??= {});
  const c = (pool[inc.member] ??= { total: 0 });
  c.total = Math.max(c.total, inc.rebase ?? 0) + 1;
  c.day = { key: inc.day, count: c.day?.key === inc.day ? c.day.count + 1 : 1 };
  c.week = { key: inc.week, count: c.week?.key === inc.week ? c.week.count + 1 : 1 };
}
