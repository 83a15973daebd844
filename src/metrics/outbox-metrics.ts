/**
 * Outbox write metrics (`switchboard_crm_writes_total`) from the outbox runner's events (`write:done`, `write:failed`), attached from
 * outside so the runner carries no metric code. Each event is one CRM write attempt (an owner +
 * task + note write is one attempt, retried inside the adapter for seconds before it counts as
 * failed); the `status` label is `ok`, the CRM's HTTP status, or our error code when there was
 * no answer (network, timeout). Every single HTTP request, reads included, is counted apart, in
 * `switchboard_crm_calls_total` (crm-call-metrics.ts).
 */
import type { EventEmitter } from 'node:events';
import type { CrmWriteRow } from '../db/schema.ts';
import type { Metrics } from './metrics.ts';

export function crmStatusLabel(err: unknown): string {
  const e = err as { status?: unknown; code?: unknown };
  if (typeof e?.status === 'number') return String(e.status);
  if (typeof e?.code === 'string') return e.code;
  return 'error';
}

/** Returns a function that detaches the listeners. */
export function attachOutboxMetrics(events: EventEmitter, m: Metrics): () => void {
  const onDone = (row: CrmWriteRow) => m.crmWrites.inc({ crm: row.crm, status: 'ok' });
  const onFailed = (row: CrmWriteRow, err: unknown) =>
    m.crmWrites.inc({ crm: row.crm, status: crmStatusLabel(err) });
  events.on('write:done', onDone);
  events.on('write:failed', onFailed);
  return () => {
    events.off('write:done', onDone);
    events.off('write:failed', onFailed);
  };
}
