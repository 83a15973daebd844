/**
 * A claimed batch of new-lead events → routed, in two statements. It does what
 * processInboxEvent does for one `route` event (store the lead, decide, bump the pool, queue the
 * CRM write, schedule the timers, complete the event) for every fresh lead of the batch at once:
 * one statement reads the snapshot while the CRM reads run, one writes everything decided, the
 * leads included (each atomic on its own; src/intake/batch-store.ts), instead of about eleven
 * statements per event. Decisions are made in claim order on one snapshot of the pool counters,
 * each pick applied to the snapshot before the next (applyPoolIncrement), so a batch deals a pool
 * exactly as one-by-one routing would.
 *
 * What it does not take, it hands back in `rest` for the single-event path, in claim order:
 * re-routes and engagement events, a second event for a lead already in the batch, and leads
 * routed before (a redelivered creation: the single path records it as a duplicate). If the
 * batch's write fails as a whole (a lead stored or routed by another worker meanwhile, a lost
 * lock), every event it took goes back to `rest` too, so one bad event costs its neighbours a
 * slower path, never their routing. Shadow decisions (SHADOW_CONFIG) are recorded after the live ones commit.
 */
import type { CrmWriteRow, InboxRow } from '../db/schema.ts';
import type { Decision, RoutingState } from '../routing/decision.ts';
import type { Lead } from '../routing/lead.ts';
import { applyPoolIncrement } from '../routing/pool.ts';
import { recordShadowDecision } from '../revops/shadow-store.ts';
import type { LeadEventPayload } from './inbox-payload.ts';
import { buildRoutingWrite } from './decision-store.ts';
import {
  readBatchSnapshot,
  writeBatch,
  type BatchSnapshot,
  type BatchWrite,
} from './batch-store.ts';
import {
  decisionLabels,
  enrich,
  leadRefKey,
  type Prefetched,
  type ProcessDeps,
  type ProcessOutcome,
} from './process-event.ts';

export interface BatchResult {
  /** Events this batch finished (committed), with what happened to each. */
  done: Array<{ row: InboxRow; out: ProcessOutcome }>;
  /** Events whose lead could not be read or routed; the caller records the failure. */
  failed: Array<{ row: InboxRow; err: unknown }>;
  /** Events for the single-event path, in claim order. */
  rest: InboxRow[];
  /** The batch's write failed as a whole (its events are in `rest`). */
  batchError?: unknown;
  /** CRM writes inserted already claimed by `adoptBy` (committed), for that runner to perform. */
  adopted: CrmWriteRow[];
  /** Shadow decisions (SHADOW_CONFIG) that could not be stored; the live ones stand. */
  shadowErrors?: unknown[];
}

interface Fresh {
  row: InboxRow;
  payload: LeadEventPayload;
  lead: Lead | null;
  /** Position of its ref in the batch snapshot. */
  ord: number;
}

export async function processBatch(
  deps: ProcessDeps,
  rows: InboxRow[],
  /** The batch's CRM reads, in flight (or done); the snapshot is read meanwhile. */
  prefetched?: Prefetched | Promise<Prefetched>,
  /** An idle in-process outbox runner's id: its CRM writes are inserted claimed by it. */
  adoptBy?: string,
): Promise<BatchResult> {
  const result: BatchResult = { done: [], failed: [], rest: [], adopted: [] };
  const candidates: Array<{ row: InboxRow; payload: LeadEventPayload }> = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const payload = row.payload as LeadEventPayload;
    const key = row.kind === 'route' ? leadRefKey(payload.ref) : null;
    if (key === null || seen.has(key)) {
      result.rest.push(row);
      continue;
    }
    seen.add(key);
    candidates.push({ row, payload });
  }
  if (candidates.length === 0) return result;
  // Needs the refs only: read while the CRM reads run, not after them (one statement less on
  // the lead's path). Awaited in routeFresh; until then a failure must not count as unhandled.
  const snapshot = readBatchSnapshot(
    deps.db,
    candidates.map((c) => c.payload.ref),
  );
  snapshot.catch(() => undefined);
  const pre = await prefetched;
  const fresh: Fresh[] = [];
  for (const [ord, c] of candidates.entries()) {
    try {
      fresh.push({ ...c, ord, lead: await enrich(deps.crm, c.payload, pre) });
    } catch (err) {
      result.failed.push({ row: c.row, err });
    }
  }
  if (fresh.length === 0) return result;

  const now = deps.clock.now();
  let routed: Awaited<ReturnType<typeof routeFresh>>;
  try {
    routed = await routeFresh(deps, fresh, snapshot, now, adoptBy);
  } catch (err) {
    result.batchError = err;
    result.rest = mergeInClaimOrder(
      result.rest,
      fresh.map((f) => f.row),
    );
    return result;
  }
  result.adopted = routed.adopted;
  result.done.push(...routed.done);
  result.failed.push(...routed.failed);
  result.rest = mergeInClaimOrder(result.rest, routed.routedBefore);
  result.shadowErrors = await recordShadows(deps, now, routed.shadows);
  return result;
}

async function routeFresh(
  deps: ProcessDeps,
  fresh: Fresh[],
  snapshot: Promise<BatchSnapshot>,
  now: Date,
  adoptBy: string | undefined,
) {
  const done: BatchResult['done'] = [];
  const failed: BatchResult['failed'] = [];
  const routedBefore: InboxRow[] = [];
  const shadows: Array<{ leadId: string; decisionId: string; lead: Lead; before: RoutingState }> =
    [];
  const batch: BatchWrite = {
    workerId: deps.workerId,
    leads: [],
    crm: deps.crm.system,
    decisions: [],
    writes: [],
    now,
    done: [],
    ...(adoptBy ? { adoptBy } : {}),
  };

  const present = fresh.filter((f): f is Fresh & { lead: Lead } => f.lead !== null);
  for (const f of fresh)
    if (f.lead === null) {
      batch.done.push({ inboxId: f.row.id, outcome: 'gone', leadId: null, decisionId: null });
      done.push({ row: f.row, out: { outcome: 'gone' } });
    }

  if (present.length > 0) {
    const snap = await snapshot;
    const state = snap.state;
    let nextId = 0;
    for (const f of present) {
      const leadId = snap.leadIds[f.ord]!;
      if (snap.routedBefore.has(leadId)) {
        routedBefore.push(f.row);
        continue;
      }
      const before = deps.router.shadow ? structuredClone(state) : null;
      let decision: Decision;
      try {
        decision = deps.router.route({ ...f.lead, id: leadId }, now, state);
      } catch (err) {
        failed.push({ row: f.row, err });
        continue;
      }
      if (decision.poolIncrement) applyPoolIncrement(state.poolCounts, decision.poolIncrement);
      const decisionId = snap.decisionIds[nextId++]!;
      batch.leads.push({ id: leadId, ref: f.payload.ref, lead: f.lead });
      batch.decisions.push({ id: decisionId, leadId, inboxId: f.row.id, decision });
      const step = 'route';
      batch.writes.push({
        leadId,
        decisionId,
        step,
        write: buildRoutingWrite({
          leadId,
          decisionId,
          step,
          ref: f.payload.ref,
          lead: f.lead,
          decision,
          crm: deps.crm.system,
        }),
      });
      batch.done.push({ inboxId: f.row.id, outcome: 'routed', leadId, decisionId });
      done.push({
        row: f.row,
        out: { outcome: 'routed', leadId, decisionId, labels: decisionLabels(decision, 'route') },
      });
      if (deps.router.shadow) shadows.push({ leadId, decisionId, lead: f.lead, before: before! });
    }
  }
  const adopted = batch.done.length > 0 ? await writeBatch(deps.db, batch) : [];
  return { done, failed, routedBefore, adopted, shadows };
}

/**
 * Shadow decisions reference the live ones (foreign key), so they are stored after the batch
 * committed, each on its own. A failure here must not reach the live outcome: the batch is
 * done, and treating it as failed would send committed events down the single path.
 */
async function recordShadows(
  deps: ProcessDeps,
  now: Date,
  shadows: Array<{ leadId: string; decisionId: string; lead: Lead; before: RoutingState }>,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const s of shadows)
    await recordShadowDecision(deps.db, {
      leadId: s.leadId,
      decisionId: s.decisionId,
      lead: { ...s.lead, id: s.leadId },
      now,
      state: s.before,
      shadow: deps.router.shadow!,
    }).catch((err: unknown) => errors.push(err));
  return errors;
}

function mergeInClaimOrder(a: InboxRow[], b: InboxRow[]): InboxRow[] {
  return [...a, ...b].sort((x, y) => Number(x.id) - Number(y.id));
}
