/**
 * LISTEN `timers` wake-ups for the poller, over the database handle's own listen(): a dedicated
 * pg client that reconnects with backoff, or PGlite's listen() (src/db/database.ts). Losing the
 * connection only costs latency: the poller still wakes at the next due time or after maxIdleMs,
 * and every reconnect nudges once in case a NOTIFY was missed. A NOTIFY names the earliest due
 * time it announces (timersDuePayload), so a poller waking before then is left asleep.
 */
import type { DatabaseHandle } from '../db/database.ts';
import type { TimerListener } from './poller.ts';
import { parseTimersDue, TIMERS_CHANNEL } from './timer-store.ts';

export function timerListener(handle: Pick<DatabaseHandle, 'listen'>): TimerListener {
  let unsubscribe: (() => Promise<void>) | null = null;
  return {
    async start(onNotify) {
      unsubscribe = await handle.listen(TIMERS_CHANNEL, (payload) =>
        onNotify(parseTimersDue(payload)),
      );
    },
    async stop() {
      const u = unsubscribe;
      unsubscribe = null;
      await u?.();
    },
  };
}
