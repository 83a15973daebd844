/**
 * LISTEN `timers` wake-ups for the poller. On pg a dedicated client (not one from the pool, which
 * would be handed back and lose the LISTEN) that reconnects with exponential backoff; on PGlite
 * its own listen(). Losing the connection only costs latency: the poller still wakes at the next
 * due time or after maxIdleMs, and every reconnect nudges once in case a NOTIFY was missed.
 */
import pg from 'pg';
import type { TimerListener } from './poller.ts';
import { TIMERS_CHANNEL } from './timer-store.ts';

export function pgTimerListener(
  connectionString: string,
  opts: { onError?: (err: unknown) => void; maxBackoffMs?: number } = {},
): TimerListener {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;
  let failures = 0;

  async function connect(onNotify: () => void): Promise<void> {
    if (stopped) return;
    const c = new pg.Client({ connectionString });
    client = c;
    const reconnect = (err?: unknown) => {
      if (err) opts.onError?.(err);
      if (stopped || client !== c) return;
      client = null;
      c.removeAllListeners();
      c.end().catch(() => undefined);
      // 1 s, 2 s, 4 s … capped (default 30 s).
      const delay = Math.min(opts.maxBackoffMs ?? 30_000, 1_000 * 2 ** Math.min(failures++, 10));
      retry = setTimeout(() => {
        retry = null;
        void connect(onNotify).catch(reconnect);
      }, delay);
      retry.unref();
    };
    c.on('error', reconnect);
    c.on('end', () => reconnect());
    c.on('notification', (msg) => {
      if (msg.channel === TIMERS_CHANNEL) onNotify();
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${TIMERS_CHANNEL}"`);
      failures = 0;
      onNotify(); // we may have missed notifications while disconnected
    } catch (err) {
      reconnect(err);
    }
  }

  return {
    async start(onNotify) {
      stopped = false;
      await connect(onNotify);
    },
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}

/** The PGlite subset we need; PGlite delivers NOTIFY from its own single connection. */
export interface PgliteListen {
  listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>>;
}

export function pgliteTimerListener(pglite: PgliteListen): TimerListener {
  let unsubscribe: (() => Promise<void>) | null = null;
  return {
    async start(onNotify) {
      unsubscribe = await pglite.listen(TIMERS_CHANNEL, () => onNotify());
    },
    async stop() {
      await unsubscribe?.();
      unsubscribe = null;
    },
  };
}
