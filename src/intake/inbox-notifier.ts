/**
 * The cross-instance wake-up for new inbox rows: `NOTIFY inbox`, sent after the intake insert has
 * committed, in its own statement, coalesced, never on the ack path.
 *
 * Why not inside the insert: Postgres takes one database-wide lock at the commit of every
 * transaction that issued NOTIFY and holds it through the WAL flush, so notifying inserts commit
 * one after another and lose group commit. Measured on this machine's PostgreSQL 15 (50 clients,
 * pool of 10, the inbox insert): about 1,650-1,800 inserts/s without NOTIFY, 320-390/s with
 * `pg_notify` in the insert's CTE; the intake throughput stalled at that lock (issue 5).
 *
 * Why this is enough: the instance that stored the row nudges its own worker in-process at once
 * (and, when that worker was idle and claims the rows itself, sends no NOTIFY at all: src/app.ts);
 * other instances only need to learn that *something* arrived, and one NOTIFY after a burst says
 * that as well as one per row. At most one NOTIFY is in flight, and a burst of inserts during it
 * costs exactly one more, sent at least `minGapMs` after the previous one. Should the process die
 * between the commit and the NOTIFY, the row is durable and the other instances' workers find it
 * at their next poll (WORKER_POLL_MS).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { INBOX_CHANNEL } from './inbox-store.ts';

/**
 * Gap between two NOTIFYs of one process: caps them at 200/s under a flood of webhooks (each
 * one is a commit under Postgres's notify lock) while adding at most 5 ms to another instance's
 * wake-up; the storing instance's own worker is nudged without delay.
 */
export const DEFAULT_MIN_GAP_MS = 5;

export interface InboxNotifier {
  /** An insert committed new rows: make sure a NOTIFY follows (coalesced with others). */
  nudge(): void;
  /** Resolves once no NOTIFY is pending (shutdown, tests). */
  flush(): Promise<void>;
}

export function createInboxNotifier(
  db: Kysely<Database>,
  opts: { minGapMs?: number; onError?: (err: unknown) => void } = {},
): InboxNotifier {
  const minGapMs = opts.minGapMs ?? DEFAULT_MIN_GAP_MS;
  let running: Promise<void> | null = null;
  let pending = false;
  let lastSentAt = -Infinity;

  const loop = async (): Promise<void> => {
    // Bounded: each turn clears `pending`; a turn happens only if a nudge came in meanwhile.
    while (pending) {
      const wait = lastSentAt + minGapMs - Date.now();
      // Even without a gap to keep, yield once: the nudges of this event-loop turn share a NOTIFY.
      await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
      // Cleared only now: the NOTIFY below also covers the nudges that came in during the wait.
      pending = false;
      lastSentAt = Date.now();
      try {
        await sql`select pg_notify(${INBOX_CHANNEL}, '')`.execute(db);
      } catch (err) {
        // Costs latency only: other instances poll, and the local worker was nudged directly.
        opts.onError?.(err);
      }
    }
  };

  const start = () => {
    running = loop().finally(() => {
      running = null;
      // A nudge between the loop's last check and this callback must not be lost.
      if (pending) start();
    });
  };

  return {
    nudge() {
      pending = true;
      if (!running) start();
    },
    async flush() {
      while (running) await running;
    },
  };
}
