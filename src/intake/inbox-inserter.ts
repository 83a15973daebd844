/**
 * The intake's inbox writes, coalesced: deliveries that arrive while earlier inserts are in flight
 * are stored together, in one multi-row INSERT, as soon as one of those finishes. Nothing waits
 * for a batch to fill: with no insert in flight a delivery is stored at once, exactly as alone,
 * so a quiet service's ack is as fast as before; under load the batches grow by themselves.
 *
 * Every delivery is still acknowledged only after the statement holding its events committed:
 * `insert` resolves after the commit, and the route answers after `insert`.
 *
 * Why: each webhook was one statement, and a statement costs Postgres a parse-free but otherwise
 * full round (bind, execute, commit, WAL flush) and the service a pg client round trip (~55 µs of
 * CPU here). Under load the intake-only service went from ~2,400 to ~6,500 signed webhooks/s on
 * two cores, its CPU per ack from ~280 to ~115 µs (intake bench, docs/performance.md).
 *
 * A multi-delivery statement that fails is retried delivery by delivery, so one delivery whose row
 * Postgres refuses (a `\u0000` inside a JSON string, say) fails alone, and a database outage fails
 * each with StorageUnavailableError (503: the CRM retries).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { NewInboxEvent } from './inbox-payload.ts';
import { inboxKey, insertInboxEvents, insertInboxEventsKeyed } from './inbox-store.ts';

export interface InboxInserter {
  /** Stores `events` (redeliveries skipped); resolves after the commit with how many are new. */
  insert(events: NewInboxEvent[]): Promise<{ inserted: number }>;
}

export interface InboxInserterOptions {
  maxAttempts?: number;
  /**
   * Statements in flight at once. Measured (intake-only and with the worker, saturated and at
   * 1,000 webhooks/s): 1 and 2 give the same throughput and latency; 4 makes smaller batches and
   * cost Postgres ~60 % more CPU per webhook at 1,000/s, with a worse p99. Two, not one, so that a
   * statement waiting on a row lock (the same event being inserted by another instance) does not
   * hold up every delivery behind it.
   */
  maxInFlight?: number;
  /** Events per statement (5 parameters each; Postgres allows 65,535). */
  maxEvents?: number;
}

interface Pending {
  events: NewInboxEvent[];
  resolve: (r: { inserted: number }) => void;
  reject: (err: unknown) => void;
}

export function createInboxInserter(
  db: Kysely<Database>,
  opts: InboxInserterOptions = {},
): InboxInserter {
  const maxAttempts = opts.maxAttempts ?? 10;
  const maxInFlight = opts.maxInFlight ?? 2;
  const maxEvents = opts.maxEvents ?? 1000;
  const queue: Pending[] = [];
  let inFlight = 0;

  const alone = (p: Pending) =>
    insertInboxEvents(db, p.events, maxAttempts).then(p.resolve, p.reject);

  async function together(batch: Pending[]): Promise<void> {
    const all = batch.flatMap((p) => p.events);
    let keys: Set<string>;
    try {
      keys = await insertInboxEventsKeyed(db, all, maxAttempts);
    } catch {
      // Each delivery on its own: a row Postgres refuses fails only its own delivery.
      await Promise.all(batch.map(alone));
      return;
    }
    // A new key counts for the first delivery carrying it, as if they had been stored in turn.
    for (const p of batch) {
      let inserted = 0;
      for (const e of p.events) if (keys.delete(inboxKey(e.source, e.dedupeKey))) inserted++;
      p.resolve({ inserted });
    }
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch: Pending[] = [queue.shift()!];
      let events = batch[0]!.events.length;
      while (queue.length > 0 && events + queue[0]!.events.length <= maxEvents) {
        events += queue[0]!.events.length;
        batch.push(queue.shift()!);
      }
      inFlight++;
      void (batch.length === 1 ? alone(batch[0]!) : together(batch)).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return {
    insert(events) {
      if (events.length === 0) return Promise.resolve({ inserted: 0 });
      return new Promise((resolve, reject) => {
        queue.push({ events, resolve, reject });
        pump();
      });
    },
  };
}
