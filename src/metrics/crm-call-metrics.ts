/**
 * `switchboard_crm_calls_total`: every HTTP attempt an adapter makes, reads and retries included,
 * from the adapters' `onCall` hook (src/adapters/crm-call.ts), so read traffic and a 429 storm show
 * even when the outbox's write finally succeeds. Wired in as `CrmDeps.onCall`.
 */
import type { CrmCallRecord } from '../adapters/crm-call.ts';
import type { Metrics } from './metrics.ts';

export function crmCallCounter(m: Metrics): (record: CrmCallRecord) => void {
  return (r) =>
    m.crmCalls.inc({ crm: r.crm, operation: r.operation, call: r.call, status: r.status });
}
