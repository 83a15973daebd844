/**
 * One routing write to HubSpot is three requests (owner PATCH, task POST, note POST) that are sent
 * together. When some succeed and one fails, the row still fails as a whole (the outbox retries or
 * parks it), but what was already done must not be lost from its record: the error that reaches
 * `crm_writes.last_error` names it, and the next attempt (attempt ≥ 2) finds the task / note by its
 * marker instead of creating another.
 */
import { CrmError } from '../crm-error.ts';
import type { RoutingWriteResult } from '../crm-port.ts';

export type Part = 'owner' | 'task' | 'note';

/** The outcome of each part that was attempted (a part with nothing to write is absent). */
export interface PartOutcomes {
  owner: PromiseSettledResult<void>;
  task?: PromiseSettledResult<{ id: string }>;
  note?: PromiseSettledResult<{ id: string }>;
}

/**
 * Errors a later attempt cannot fix. The outbox retries everything else (including
 * CRM.QUOTA_EXHAUSTED and CRM.AUTH), so a permanent failure of one part decides the row's fate:
 * reporting a neighbour's transient 503 instead would spend every attempt on a write that cannot
 * succeed.
 */
const isPermanent = (e: unknown): boolean =>
  e instanceof CrmError &&
  !e.retryable &&
  e.code !== 'CRM.QUOTA_EXHAUSTED' &&
  e.code !== 'CRM.AUTH';

/** The result when every part succeeded; otherwise throws the error that decides the row. */
export function settleRoutingParts(parts: PartOutcomes, calls: number): RoutingWriteResult {
  const order: Part[] = ['owner', 'task', 'note'];
  const failed: Array<{ part: Part; error: unknown }> = [];
  const done: string[] = [];
  for (const part of order) {
    const o = parts[part];
    if (!o) continue;
    if (o.status === 'rejected') failed.push({ part, error: o.reason });
    else done.push(part === 'owner' ? 'owner set' : `${part} ${(o.value as { id: string }).id}`);
  }
  if (failed.length === 0) {
    const task = parts.task?.status === 'fulfilled' ? parts.task.value : undefined;
    const note = parts.note?.status === 'fulfilled' ? parts.note.value : undefined;
    return {
      ownerSet: true,
      ...(task ? { taskId: task.id } : {}),
      ...(note ? { noteId: note.id } : {}),
      calls,
    };
  }
  // The owner's error comes first among equals: CRM.UNKNOWN_OWNER on it is what re-routes the lead.
  const decisive = (failed.find((f) => isPermanent(f.error)) ?? failed[0]!).error;
  if (done.length === 0 || !(decisive instanceof CrmError)) throw decisive;
  throw new CrmError(
    decisive.code,
    `${decisive.message}; already written: ${done.join(', ')} (the retry finds these by their marker instead of writing them twice)`,
    {
      crm: decisive.crm,
      ...(decisive.status === undefined ? {} : { status: decisive.status }),
      ...(decisive.crmMessage === undefined ? {} : { crmMessage: decisive.crmMessage }),
      ...(decisive.crmCode === undefined ? {} : { crmCode: decisive.crmCode }),
      ...(decisive.retryAfterMs === undefined ? {} : { retryAfterMs: decisive.retryAfterMs }),
      cause: decisive,
    },
  );
}
