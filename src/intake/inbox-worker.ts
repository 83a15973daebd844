/**
 * The inbox worker: claims stored events and processes them. Polling is the baseline (a
 * setTimeout chain, never setInterval); `nudge()` (in-process, after an intake insert) and
 * LISTEN/NOTIFY (inserts by other instances) only make it sooner. A full batch re-polls at once.
 * Stale locks (a worker that died mid-event) are swept on a jittered interval.
 */
import os from 'node:os';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DatabaseHandle } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { InboxRow } from '../db/schema.ts';
import {
  claimInbox,
  failInbox,
  INBOX_CHANNEL,
  releaseInbox,
  resetStaleInbox,
} from './inbox-store.ts';
import {
  prefetchLeads,
  processInboxEvent,
  type Prefetched,
  type ProcessDeps,
  type ProcessOutcome,
} from './process-event.ts';

export interface InboxWorkerOptions extends Omit<ProcessDeps, 'db' | 'workerId'> {
  handle: DatabaseHandle;
  log: Logger;
  workerId?: string;
  batchSize?: number;
  pollIntervalMs?: number;
  /** A lock older than this is considered abandoned by a dead worker. CRM reads time out well before. */
  staleLockSeconds?: number;
  /** Called after a transaction queued CRM writes (wire it to the outbox runner's nudge). */
  onCrmWritesQueued?: () => void;
}

export interface InboxWorker {
  readonly workerId: string;
  /** Typed events for tests and metrics: `event:done` (row, outcome), `event:failed` (row, error, status), `idle`. */
  readonly events: EventEmitter;
  start(): Promise<void>;
  /** Wake the loop now (an insert happened). */
  nudge(): void;
  /** Processes ready events until none is left; returns how many were processed. For tests and the CLI. */
  drain(): Promise<number>;
  /** Stops claiming, waits for the batch in hand (up to `timeoutMs`), releases what is left. */
  stop(timeoutMs?: number): Promise<void>;
}

export const newWorkerId = (): string =>
  `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;

export function createInboxWorker(opts: InboxWorkerOptions): InboxWorker {
  const workerId = opts.workerId ?? newWorkerId();
  const log = opts.log.child({ component: 'inbox-worker', workerId });
  const batchSize = opts.batchSize ?? 20;
  const pollIntervalMs = opts.pollIntervalMs ?? 2000;
  const staleLockSeconds = opts.staleLockSeconds ?? 300;
  const events = new EventEmitter();
  const deps: ProcessDeps = {
    db: opts.handle.db,
    router: opts.router,
    crm: opts.crm,
    clock: opts.clock,
    workerId,
  };

  let running = false;
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  let unlisten: (() => Promise<void>) | null = null;
  let active: Promise<number> | null = null;
  let wakeRequested = false;

  async function processRow(row: InboxRow, prefetched: Prefetched): Promise<void> {
    try {
      const out: ProcessOutcome = await processInboxEvent(deps, row, prefetched);
      if (out.outcome === 'routed') opts.onCrmWritesQueued?.();
      log.info(
        { inboxId: row.id, source: row.source, kind: row.kind, ...out },
        `inbox event ${out.outcome}`,
      );
      events.emit('event:done', row, out);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      let status: string | null = null;
      try {
        status = await failInbox(opts.handle.db, row, workerId, message);
      } catch (failErr) {
        // The sweep will hand the row back once its lock is stale.
        log.error({ err: failErr, inboxId: row.id }, 'could not record inbox failure');
      }
      log[status === 'parked' ? 'error' : 'warn'](
        { inboxId: row.id, attempts: row.attempts, err, status },
        status === 'parked'
          ? `inbox event parked after ${row.attempts} attempts`
          : 'inbox event failed; will retry',
      );
      events.emit('event:failed', row, err, status);
    }
  }

  /** One claim + process round; returns the number of rows claimed. */
  async function round(honourStop = true): Promise<number> {
    const rows = await claimInbox(opts.handle.db, workerId, batchSize);
    const prefetched = await prefetchLeads(opts.crm, rows);
    for (const row of rows) {
      if (honourStop && stopping) break; // the rest is released by stop()
      await processRow(row, prefetched);
    }
    return rows.length;
  }

  function schedule(delayMs: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void loop(), delayMs);
  }

  async function loop(): Promise<void> {
    timer = null;
    if (!running || active) {
      wakeRequested = true;
      return;
    }
    wakeRequested = false;
    let n = 0;
    try {
      active = round();
      n = await active;
    } catch (err) {
      log.error({ err }, 'inbox claim failed; retrying after the poll interval');
    } finally {
      active = null;
    }
    if (n === 0) events.emit('idle');
    schedule(n >= batchSize || wakeRequested ? 0 : pollIntervalMs);
  }

  function sweepSoon(): void {
    if (!running) return;
    // Jittered 30–90 s so a fleet of instances does not sweep in lockstep.
    sweepTimer = setTimeout(
      () => {
        resetStaleInbox(opts.handle.db, staleLockSeconds)
          .then((n) => {
            if (n > 0) {
              log.warn({ count: n }, 'reclaimed inbox events from a dead worker');
              worker.nudge();
            }
          })
          .catch((err: unknown) => log.error({ err }, 'stale-lock sweep failed'))
          .finally(sweepSoon);
      },
      30_000 + crypto.randomInt(60_000),
    );
    sweepTimer.unref();
  }

  const worker: InboxWorker = {
    workerId,
    events,
    async start() {
      if (running) return;
      running = true;
      stopping = false;
      const reclaimed = await resetStaleInbox(opts.handle.db, staleLockSeconds);
      if (reclaimed > 0)
        log.warn({ count: reclaimed }, 'reclaimed inbox events from a dead worker');
      try {
        unlisten = await opts.handle.listen(INBOX_CHANNEL, () => worker.nudge());
      } catch (err) {
        log.warn({ err }, 'LISTEN inbox failed; relying on polling');
      }
      sweepSoon();
      schedule(0);
    },
    nudge() {
      if (!running) return;
      if (active) wakeRequested = true;
      else schedule(0);
    },
    async drain() {
      let total = 0;
      for (;;) {
        if (active) await active.catch(() => 0);
        const p = round(false);
        active = p;
        let n: number;
        try {
          n = await p;
        } finally {
          active = null;
        }
        total += n;
        if (n === 0) return total;
      }
    },
    async stop(timeoutMs = 10_000) {
      running = false;
      stopping = true;
      if (timer) clearTimeout(timer);
      if (sweepTimer) clearTimeout(sweepTimer);
      timer = sweepTimer = null;
      if (unlisten) await unlisten().catch(() => {});
      unlisten = null;
      if (active) {
        let t: NodeJS.Timeout | undefined;
        await Promise.race([
          active.catch(() => 0),
          new Promise((r) => {
            t = setTimeout(r, timeoutMs);
          }),
        ]);
        clearTimeout(t);
      }
      const released = await releaseInbox(opts.handle.db, workerId).catch(() => 0);
      if (released > 0) log.info({ count: released }, 'released unfinished inbox events');
    },
  };
  return worker;
}
