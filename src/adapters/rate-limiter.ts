/**
 * Client-side pacing per CRM. A sliding-window log rather than a refilling token bucket: HubSpot
 * counts "100 per rolling 10 s", and a bucket of 100 refilling at 10/s lets 200 calls through the
 * first 10 s (a full bucket plus refill). The log admits a call only when fewer than `max` calls
 * started in the last `intervalMs`, so no window ever holds more than `max`.
 *
 * Time comes from an injected clock and sleep, so tests run on virtual time without sleeping.
 */
import type { Clock } from '../clock.ts';

export interface RateLimitSettings {
  /** Calls allowed per window. */
  max: number;
  intervalMs: number;
}

export interface RateLimiter {
  /** Resolves when one call may start; records the start. */
  take(): Promise<void>;
  /** Hold every caller until `untilMs` (a 429's Retry-After, or a Remaining: 0 header). */
  pauseUntil(untilMs: number): void;
  /**
   * A second, stricter window on top of `settings` until lifted with `null` (Salesforce's usage
   * above its threshold paces calls to what the 24 h allowance refills). Both windows must admit.
   */
  throttle(limit: RateLimitSettings | null): void;
  /** The throttle in force, if any. */
  readonly throttled: RateLimitSettings | null;
  /** Start times in the current window (for metrics and tests). */
  inWindow(): number;
  readonly settings: RateLimitSettings;
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** HubSpot private app, Free/Starter: 100 per 10 s (PROTOCOLS §2.3); the lowest published tier. */
export const HUBSPOT_DEFAULT_RATE: RateLimitSettings = { max: 100, intervalMs: 10_000 };
/**
 * Salesforce has no per-second limit, only a 24 h allocation and 25 concurrent long calls; pace at
 * 25 per second so a burst never trips the concurrency cap.
 */
export const SALESFORCE_DEFAULT_RATE: RateLimitSettings = { max: 25, intervalMs: 1_000 };

export function createRateLimiter(
  settings: RateLimitSettings,
  clock: Clock,
  sleep: Sleep = realSleep,
): RateLimiter {
  const check = (s: RateLimitSettings) => {
    if (!(s.max >= 1) || !(s.intervalMs > 0)) {
      throw new Error(
        `rate limit must allow at least 1 call per positive interval, got ${JSON.stringify(s)}`,
      );
    }
  };
  check(settings);
  // Ascending start times, kept as long as the longer of the two windows.
  const starts: number[] = [];
  let pausedUntil = 0;
  let throttled: RateLimitSettings | null = null;
  // One waiter at a time keeps admissions in arrival order.
  let queue: Promise<void> = Promise.resolve();

  const prune = (now: number) => {
    const keep = Math.max(settings.intervalMs, throttled?.intervalMs ?? 0);
    while (starts.length > 0 && (starts[0] as number) <= now - keep) starts.shift();
  };
  const countSince = (since: number) => {
    let n = 0;
    for (let i = starts.length - 1; i >= 0 && (starts[i] as number) > since; i--) n++;
    return n;
  };
  /** 0 when `w` admits a call now, else how long until its oldest blocking start leaves it. */
  const waitFor = (w: RateLimitSettings, now: number) =>
    countSince(now - w.intervalMs) < w.max
      ? 0
      : Math.max(1, (starts[starts.length - w.max] as number) + w.intervalMs - now);

  const admit = async () => {
    for (;;) {
      const now = clock.now().getTime();
      prune(now);
      if (now < pausedUntil) {
        await sleep(pausedUntil - now);
        continue;
      }
      const wait = Math.max(waitFor(settings, now), throttled ? waitFor(throttled, now) : 0);
      if (wait === 0) {
        starts.push(now);
        return;
      }
      await sleep(wait);
    }
  };

  return {
    settings,
    take() {
      const next = queue.then(admit);
      queue = next.catch(() => undefined);
      return next;
    },
    pauseUntil(untilMs) {
      pausedUntil = Math.max(pausedUntil, untilMs);
    },
    throttle(limit) {
      if (limit) check(limit);
      throttled = limit;
    },
    get throttled() {
      return throttled;
    },
    inWindow() {
      const now = clock.now().getTime();
      prune(now);
      return countSince(now - settings.intervalMs);
    },
  };
}
