/**
 * Pools for volume lead types (`pools:` in routing.yaml). The pick itself is in pool.ts.
 *
 * Exports
 * - `PoolSchema` (strict): `{ members: [handler ids], strategy: round_robin | weighted,
 *   weights?: { member: number }, daily_cap?, weekly_cap?, fairness?: skip | catch_up }`
 *   (fairness defaults to `skip`; see docs/business-time.md "Pool fairness").
 * - `PoolsSchema`: `z.record(id, PoolSchema)`.
 * - `checkPools(pools, handlerIds): ConfigIssue[]`: unknown members (did-you-mean).
 */
import { z } from 'zod';
import { error, type ConfigIssue } from './config-issue.ts';
import { didYouMean } from './suggest.ts';

export const PoolSchema = z
  .object({
    members: z.array(z.string()).min(1, 'a pool needs at least one member'),
    strategy: z.enum(['round_robin', 'weighted']),
    /** Relative share per member for `weighted` (missing members weigh 1). */
    weights: z.record(z.string(), z.number().positive()).optional(),
    /** Most leads one member takes per day, counted in the member's own time zone. */
    daily_cap: z.number().int().positive().optional(),
    /** Most leads per ISO week (Monday to Sunday in the member's zone). */
    weekly_cap: z.number().int().positive().optional(),
    /**
     * A member who returns from leave or joins the roster: `skip` (default) re-enters level with
     * the least-served colleague, forfeiting the turns missed; `catch_up` keeps the count, so the
     * member takes the next leads until level (bounded by the caps).
     */
    fairness: z.enum(['skip', 'catch_up']).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.members.forEach((m, i) => {
      if (seen.has(m))
        ctx.addIssue({
          code: 'custom',
          path: ['members', i],
          message: `"${m}" is listed twice`,
        });
      seen.add(m);
    });
    for (const k of Object.keys(p.weights ?? {})) {
      if (!seen.has(k))
        ctx.addIssue({
          code: 'custom',
          path: ['weights', k],
          message: `weight for "${k}", who is not a member of this pool${didYouMean(k, p.members)}`,
        });
    }
    if (p.weights && p.strategy !== 'weighted')
      ctx.addIssue({
        code: 'custom',
        path: ['weights'],
        message: 'weights only apply with strategy: weighted',
      });
    if (p.daily_cap !== undefined && p.weekly_cap !== undefined && p.weekly_cap < p.daily_cap)
      ctx.addIssue({
        code: 'custom',
        path: ['weekly_cap'],
        message: `weekly_cap ${p.weekly_cap} is below daily_cap ${p.daily_cap}`,
      });
  });
export type PoolConfig = z.infer<typeof PoolSchema>;

export const PoolsSchema = z.record(z.string(), PoolSchema);

export function checkPools(
  pools: Record<string, PoolConfig>,
  handlerIds: Iterable<string>,
): ConfigIssue[] {
  const ids = [...handlerIds];
  const issues: ConfigIssue[] = [];
  for (const [id, p] of Object.entries(pools)) {
    p.members.forEach((m, i) => {
      if (!ids.includes(m))
        issues.push(
          error(['pools', id, 'members', i], `unknown handler "${m}"${didYouMean(m, ids)}`),
        );
    });
  }
  return issues;
}
