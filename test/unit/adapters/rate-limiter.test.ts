import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../src/adapters/rate-limiter.ts';
import { parseRetryAfter } from '../../../src/adapters/crm-error.ts';
import { virtualTime } from './virtual-time.ts';

describe('rate limiter (sliding window)', () => {
  it('never starts more than max calls in any window, even from a cold start', async () => {
    const vt = virtualTime('2026-03-02T15:00:00.000Z');
    const limiter = createRateLimiter({ max: 100, intervalMs: 10_000 }, vt.clock, vt.sleep);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 350 }, async () => {
        await limiter.take();
        starts.push(vt.clock.now().getTime());
      }),
    );
    starts.sort((a, b) => a - b);
    for (const t of starts)
      expect(starts.filter((u) => u >= t && u < t + 10_000).length).toBeLessThanOrEqual(100);
    // A refilling bucket of 100 at 10/s would have let 200 through the first 10 s.
    const t0 = starts[0]!;
    expect(starts.filter((u) => u < t0 + 10_000)).toHaveLength(100);
    // And it does not idle: 350 calls need 3 full windows plus the start of a fourth.
    expect(starts.at(-1)! - t0).toBe(30_000);
  });

  it('pauseUntil holds every caller (a 429 Retry-After)', async () => {
    const vt = virtualTime('2026-03-02T15:00:00.000Z');
    const limiter = createRateLimiter({ max: 10, intervalMs: 1_000 }, vt.clock, vt.sleep);
    await limiter.take();
    const t0 = vt.clock.now().getTime();
    limiter.pauseUntil(t0 + 3_000);
    await limiter.take();
    expect(vt.clock.now().getTime()).toBe(t0 + 3_000);
  });

  it('a throttle adds a stricter window on top, and lifting it restores the base pace', async () => {
    const vt = virtualTime('2026-03-02T15:00:00.000Z');
    const limiter = createRateLimiter({ max: 25, intervalMs: 1_000 }, vt.clock, vt.sleep);
    const t0 = vt.clock.now().getTime();
    limiter.throttle({ max: 2, intervalMs: 60_000 });
    expect(limiter.throttled).toEqual({ max: 2, intervalMs: 60_000 });
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await limiter.take();
      starts.push(vt.clock.now().getTime() - t0);
    }
    expect(starts).toEqual([0, 0, 60_000, 60_000, 120_000]);
    limiter.throttle(null);
    const before = vt.clock.now().getTime();
    for (let i = 0; i < 20; i++) await limiter.take();
    expect(vt.clock.now().getTime()).toBe(before);
    expect(() => limiter.throttle({ max: 0, intervalMs: 1 })).toThrow(/at least 1 call/);
  });

  it('refuses a limit that admits nothing', () => {
    const vt = virtualTime('2026-03-02T15:00:00.000Z');
    expect(() => createRateLimiter({ max: 0, intervalMs: 1_000 }, vt.clock)).toThrow(
      /at least 1 call/,
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-02T15:00:00.000Z');
  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter('Mon, 02 Mar 2026 15:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
