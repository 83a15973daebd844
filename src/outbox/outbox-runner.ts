/**
 * The CRM outbox runner: claims `crm_writes` rows, performs them through the CrmPort, records the
 * answers, in the shared claim loop (src/db/claim-loop.ts: polling as the baseline, `nudge()` and
 * LISTEN `crm_writes` sooner, stale locks swept, a failed round's claims handed back before the
 * next). A round's successes are recorded in one statement.
 *
 * Kinds: `routing` (owner + task + note), `assign_owner`, `task`, `note` (fallback steps, via the
 * CrmPort) and `notify` (an escalation POSTed as `{ "text" }` to a Slack-style webhook URL).
 *
 * Routing rows of one claim go to `writeRoutings` together, so a 100-lead webhook batch costs
 * HubSpot 3 calls and Salesforce 2 (batch / collection APIs) instead of 300 and 100.
 *
 * Failures: retryable ones (429, 5xx, network, spent quota, auth) go back to pending with SQL
 * backoff; permanent ones (unknown owner, validation, deleted record, unreadable answer, bad
 * payload) park at once with the CRM's message. `onParked` lets the service react — for
 * CRM.UNKNOWN_OWNER, re-route to the backup handler.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { createClaimLoop, type ClaimLoopControl } from '../db/claim-loop.ts';
import { EventEmitter } from 'node:events';
import type { DatabaseHandle } from '../db/database.ts';
import type { CrmWriteRow } from '../db/schema.ts';
import type { CrmPort, RoutingWrite } from '../adapters/crm-port.ts';
import { CrmError } from '../adapters/crm-error.ts';
import { silentLog, type CrmLog } from '../adapters/crm-deps.ts';
import {
  claimCrmWrites,
  completeCrmWrites,
  CRM_WRITES_CHANNEL,
  failCrmWrite,
  releaseCrmWrites,
  resetStaleCrmWrites,
} from './outbox-store.ts';
import { parseOutboxPayload, type OutboxWrite } from './outbox-payload.ts';

/** The slice of pino the runner uses. */
export interface OutboxLog extends CrmLog {
  error?(obj: object, msg: string): void;
}

export interface OutboxRunnerOptions {
  handle: DatabaseHandle;
  crm: CrmPort;
  log?: OutboxLog;
  workerId?: string;
  batchSize?: number;
  pollIntervalMs?: number;
  /** A lock older than this is a dead runner's; CRM calls give up within ~10 s plus timeouts. */
  staleLockSeconds?: number;
  /** Called after a row parked (e.g. CRM.UNKNOWN_OWNER → re-route to the backup). */
  onParked?: (row: CrmWriteRow, error: Error) => Promise<void> | void;
}

/**
 * The in-process handoff from the inbox worker: when this runner has nothing in hand, the worker
 * inserts a batch's CRM writes already locked by it (in_flight, attempts 1 — exactly what a claim
 * would have made of them) and hands the committed rows over, so the lead's writes start without
 * a claim statement and its commit in between. A busy runner is not handed anything: the rows
 * are inserted pending and any instance may claim them. Rows handed to a runner that stopped, or
 * whose round failed, are handed back to pending like any claim of its own.
 */
export interface CrmWriteAdopter {
  readonly runnerId: string;
  /** True when the runner is running with nothing in hand or queued. */
  ready(): boolean;
  /** Committed rows locked by `runnerId`, to perform in its next round. */
  adopt(rows: CrmWriteRow[]): void;
}

export interface OutboxRunner extends CrmWriteAdopter {
  readonly workerId: string;
  /** `write:done` (row, result), `write:failed` (row, error, status), `idle`. */
  readonly events: EventEmitter;
  start(): Promise<void>;
  nudge(): void;
  /** Performs ready writes until none is left; returns how many rows were handled. */
  drain(): Promise<number>;
  stop(timeoutMs?: number): Promise<void>;
}

/** Errors worth another attempt later; everything else parks at once. */
const isRetryable = (e: Error) => {
  if (e instanceof CrmError) {
    return e.retryable || e.code === 'CRM.QUOTA_EXHAUSTED' || e.code === 'CRM.AUTH';
  }
  if (e instanceof NotifyError) return e.retryable;
  return !(e instanceof BadPayload);
};

class BadPayload extends Error {
  readonly code = 'OUTBOX.BAD_PAYLOAD';
}

class NotifyError extends Error {
  readonly code = 'OUTBOX.NOTIFY_FAILED';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** POSTs `{ text }` (Slack incoming-webhook shape); 429/5xx/network retry, other 4xx park. */
async function notify(url: string, text: string, timeoutMs: number) {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new NotifyError(
      `notify ${new URL(url).host} did not answer: ${(e as Error).message}`,
      true,
    );
  }
  const body = (await res.text().catch(() => '')).slice(0, 300);
  if (res.ok) return { notified: true, status: res.status };
  const retry = res.status === 429 || res.status >= 500;
  throw new NotifyError(`notify ${new URL(url).host} answered ${res.status}: ${body}`, retry);
}

const errorLine = (e: Error) =>
  e instanceof CrmError ? e.toLine() : `${(e as { code?: string }).code ?? e.name}: ${e.message}`;

export function createOutboxRunner(opts: OutboxRunnerOptions): OutboxRunner {
  const workerId =
    opts.workerId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  const log: OutboxLog = opts.log ?? silentLog;
  const db = opts.handle.db;
  const batchSize = opts.batchSize ?? 100;
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const staleLockSeconds = opts.staleLockSeconds ?? 300;
  const events = new EventEmitter();
  /** Rows handed over by the worker (CrmWriteAdopter), performed by the next round. */
  const adopted: CrmWriteRow[] = [];
  /** Records a round's successes in one statement, then logs and announces each. */
  async function succeedAll(
    ok: Array<{ row: CrmWriteRow; result: unknown }>,
    loop: ClaimLoopControl,
  ) {
    if (ok.length === 0) return;
    let lost: Set<string>;
    try {
      lost = new Set(
        await completeCrmWrites(
          db,
          workerId,
          ok.map(({ row, result }) => ({ id: row.id, result })),
        ),
      );
    } catch (e) {
      // The CRM has these writes; we could not say so. They go back to pending (attempts kept),
      // and the next attempt looks for its earlier write before creating (exactly once).
      loop.markDirty();
      log.warn(
        { crmWriteIds: ok.map((o) => o.row.id), err: String(e) },
        'CRM writes done but not recorded; their next attempt will find them',
      );
      return;
    }
    for (const { row, result } of ok) {
      if (lost.has(row.id))
        log.warn(
          { crmWriteId: row.id, key: row.key },
          'CRM write done but our lock was lost; another runner took it',
        );
      log.info(
        {
          crmWriteId: row.id,
          key: row.key,
          kind: row.kind,
          crm: row.crm,
          attempt: row.attempts,
          result,
        },
        'CRM write done',
      );
      events.emit('write:done', row, result);
    }
  }

  async function failed(row: CrmWriteRow, err: Error, loop: ClaimLoopControl) {
    const permanent = !isRetryable(err);
    const retryAfterMs = err instanceof CrmError ? err.retryAfterMs : undefined;
    let status: 'pending' | 'parked' | null = null;
    try {
      status = await failCrmWrite(db, row.id, workerId, errorLine(err), {
        permanent,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        quotaWait: err instanceof CrmError && err.code === 'CRM.QUOTA_EXHAUSTED',
      });
    } catch (e) {
      loop.markDirty(); // handed back before the next claim
      log.warn(
        { crmWriteId: row.id, err: String(e) },
        'could not record CRM write failure; it goes back to pending before the next claim',
      );
    }
    const fields = {
      crmWriteId: row.id,
      key: row.key,
      kind: row.kind,
      attempt: row.attempts,
      status,
      error: errorLine(err),
    };
    if (status === 'parked') {
      (log.error ?? log.warn).call(log, fields, `CRM write parked: ${errorLine(err)}`);
      try {
        await opts.onParked?.(row, err);
      } catch (e) {
        log.warn({ crmWriteId: row.id, err: String(e) }, 'onParked handler failed');
      }
    } else {
      log.warn(fields, 'CRM write failed; will retry');
    }
    events.emit('write:failed', row, err, status);
  }

  async function perform(
    row: CrmWriteRow,
    w: Exclude<OutboxWrite, { kind: 'routing' }>,
  ): Promise<unknown> {
    const attempt = { attempt: row.attempts };
    switch (w.kind) {
      case 'assign_owner':
        await opts.crm.assignOwner(row.key, w.lead, w.ownerId);
        return { ownerSet: true };
      case 'task':
        return { taskId: (await opts.crm.createTask(row.key, w.lead, w.task, attempt)).id };
      case 'note':
        return { noteId: (await opts.crm.addNote(row.key, w.lead, w.body, w.ownerId, attempt)).id };
      case 'notify':
        return notify(w.url, w.text, 10_000);
    }
  }

  async function round(loop: ClaimLoopControl): Promise<number> {
    const handed = adopted.splice(0);
    const rows = handed.length
      ? handed
      : await claimCrmWrites(db, workerId, opts.crm.system, batchSize);
    const ok: Array<{ row: CrmWriteRow; result: unknown }> = [];
    const routing: Array<{ row: CrmWriteRow; write: RoutingWrite }> = [];
    for (const row of rows) {
      const parsed = parseOutboxPayload(row.kind, row.payload);
      if (parsed instanceof Error) {
        await failed(row, new BadPayload(parsed.message), loop);
        continue;
      }
      if (parsed.kind === 'routing') {
        // The row's key is the idempotency key; the attempt tells the adapter to look first.
        routing.push({ row, write: { ...parsed.write, key: row.key, attempt: row.attempts } });
        continue;
      }
      if (loop.stopping) continue; // released by stop()
      try {
        ok.push({ row, result: await perform(row, parsed) });
      } catch (e) {
        await failed(row, e instanceof Error ? e : new Error(String(e)), loop);
      }
    }
    if (routing.length > 0 && !loop.stopping) {
      let results: Array<unknown>;
      try {
        results = await opts.crm.writeRoutings(routing.map((r) => r.write));
      } catch (e) {
        // The whole batch failed (e.g. the CRM is down): every row gets the same error.
        const err = e instanceof Error ? e : new Error(String(e));
        results = routing.map(() => err);
      }
      for (const [i, r] of routing.entries()) {
        const res = results[i];
        if (res instanceof Error) await failed(r.row, res, loop);
        else ok.push({ row: r.row, result: res });
      }
    }
    await succeedAll(ok, loop);
    return rows.length;
  }

  const loop = createClaimLoop({
    what: 'CRM writes',
    log,
    batchSize,
    pollIntervalMs,
    round,
    releaseMine: () => {
      adopted.length = 0; // they are among the rows handed back
      return releaseCrmWrites(db, workerId);
    },
    resetStale: () => resetStaleCrmWrites(db, staleLockSeconds),
    listen: (onNotify) => opts.handle.listen(CRM_WRITES_CHANNEL, onNotify),
    onIdle: () => events.emit('idle'),
  });

  return {
    workerId,
    runnerId: workerId,
    events,
    ...loop,
    ready: () => loop.idle() && adopted.length === 0,
    adopt(rows) {
      if (rows.length === 0) return;
      if (!loop.running()) {
        // Stopped between the worker's check and its commit: hand them back at once.
        releaseCrmWrites(db, workerId).catch((err: unknown) =>
          log.warn({ err: String(err) }, 'could not hand back CRM writes; the sweep will'),
        );
        return;
      }
      adopted.push(...rows);
      loop.nudge();
    },
  };
}
