/**
 * The inbox worker: claims stored events and processes them in the shared claim loop
 * (src/db/claim-loop.ts: polling as the baseline, `nudge()` and LISTEN/NOTIFY sooner, stale locks
 * swept, a failed round's claims handed back before the next). A claimed batch is read from the
 * CRM in one call per 100 leads and its new leads are routed in one transaction
 * (src/intake/process-batch.ts); everything else, one event per transaction
 * (src/intake/process-event.ts). The outbox is nudged once per batch, after its commit, so it
 * finds the batch's CRM writes together and can use the CRMs' batch APIs.
 */
import os from 'node:os';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DatabaseHandle } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { InboxRow } from '../db/schema.ts';
import { createClaimLoop, type ClaimLoopControl } from '../db/claim-loop.ts';
import {
  claimInbox,
  failInbox,
  INBOX_CHANNEL,
  releaseInbox,
  resetStaleInbox,
} from './inbox-store.ts';
import { processBatch } from './process-batch.ts';
import type { CrmWriteAdopter } from '../outbox/outbox-runner.ts';
import {
  prefetchLeads,
  processInboxEvent,
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
  /** This process's outbox runner: when idle, a batch's CRM writes are handed to it directly. */
  outbox?: CrmWriteAdopter;
}

export interface InboxWorker {
  readonly workerId: string;
  /** Typed events for tests and metrics: `event:done` (row, outcome), `event:failed` (row, error, status), `idle`. */
  readonly events: EventEmitter;
  start(): Promise<void>;
  /** Wake the loop (an insert happened); true when it claims at once (it was idle). */
  nudge(): boolean;
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
  // The per-event line carries ids, the source and the decision's labels, never lead fields, so
  // it skips pino's redaction pass, which was most of the line's cost (see src/http/request-log.ts).
  const doneLog = log.child({}, { redact: [] });
  const batchSize = opts.batchSize ?? 100;
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

  function done(row: InboxRow, out: ProcessOutcome): void {
    doneLog.info(
      { inboxId: row.id, source: row.source, kind: row.kind, ...out },
      `inbox event ${out.outcome}`,
    );
    events.emit('event:done', row, out);
  }

  async function fail(row: InboxRow, err: unknown, loop: ClaimLoopControl): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    let status: string | null = null;
    try {
      status = await failInbox(opts.handle.db, row, workerId, message);
    } catch (failErr) {
      // Handed back before the next claim (or by the sweep if this process dies first).
      loop.markDirty();
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

  /** One claim + process round; returns the number of rows claimed. */
  async function round(loop: ClaimLoopControl): Promise<number> {
    const rows = await claimInbox(opts.handle.db, workerId, batchSize);
    if (rows.length === 0) return 0;
    // Read from the CRM while processBatch reads its snapshot from the database.
    const prefetching = prefetchLeads(opts.crm, rows);
    let queued = false;
    const adopter = opts.outbox?.ready() ? opts.outbox : undefined;
    const batch = await processBatch(deps, rows, prefetching, adopter?.runnerId);
    const prefetched = await prefetching;
    if (batch.batchError)
      log.warn(
        { err: batch.batchError, events: rows.length },
        'batch write failed as a whole; processing its events one by one',
      );
    for (const err of batch.shadowErrors ?? [])
      log.warn({ err }, 'could not store a shadow decision; the live decision stands');
    for (const d of batch.done) {
      if (d.out.outcome === 'routed') queued = true;
      done(d.row, d.out);
    }
    if (batch.adopted.length > 0) adopter!.adopt(batch.adopted);
    else if (queued) opts.onCrmWritesQueued?.();
    for (const f of batch.failed) await fail(f.row, f.err, loop);
    for (const row of batch.rest) {
      if (loop.stopping) break; // the rest is released by stop()
      try {
        const out = await processInboxEvent(deps, row, prefetched);
        done(row, out);
        if (out.outcome === 'routed') opts.onCrmWritesQueued?.();
      } catch (err) {
        await fail(row, err, loop);
      }
    }
    return rows.length;
  }

  const loop = createClaimLoop({
    what: 'inbox events',
    log,
    batchSize,
    pollIntervalMs,
    round,
    releaseMine: () => releaseInbox(opts.handle.db, workerId),
    resetStale: () => resetStaleInbox(opts.handle.db, staleLockSeconds),
    listen: (onNotify) => opts.handle.listen(INBOX_CHANNEL, onNotify),
    onIdle: () => events.emit('idle'),
  });

  return { workerId, events, ...loop };
}
