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
  if (!(settings.max >= 1) || !(settings.intervalMs > 0)) {
    throw new Error(
      `rate limit must allow at least 1 call per positive interval, got ${JSON.stringify(settings)}`,
    );
  }
  const starts: number[] = [];
  let pausedUntil = 0;
  // One waiter at a time keeps admissions in arrival order.
  let queue: Promise<void> = Promise.resolve();

  const prune = (now: number) => {
    while (starts.length > 0 && (starts[0] as number) <= now - settings.intervalMs) starts.shift();
  };

  const admit = async () => {
    for (;;) {
      const now = clock.now().getTime();
      prune(now);
      if (now < pausedUntil) {
        await sleep(pausedUntil - now);
        continue;
      }
      if (starts.length < settings.max) {
        starts.push(now);
        return;
      }
      await sleep(Math.max(1, (starts[0] as number) + settings.intervalMs - now));
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
    inWindow() {
      prune(clock.now().getTime());
      return starts.length;
    },
  };
}
