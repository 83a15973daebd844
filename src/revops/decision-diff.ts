/**
 * Two decisions for the same lead → what differs, in the terms revops review: type, handler,
 * backup, SLA due and first touch. Used by replay (base vs proposed config) and by the shadow
 * report (live vs shadow). A different pool member with nothing else changed is flagged as
 * rotation only: which member is next depends on every earlier lead, so it is noise, not a change
 * of rule.
 */
import type { Decision } from '../routing/decision.ts';

export interface DecisionSummary {
  type: string;
  handler: string;
  via: string;
  pool: string | null;
  backup: string | null;
  slaDue: string | null;
  /**
   * Replay: the type's first-touch template (`channel: subject template #body-hash`), so a change
   * of template shows and a different lead name does not. Stored decisions (shadow): the rendered
   * `channel: subject`.
   */
  firstTouch: string | null;
}

export type DiffField = 'type' | 'handler' | 'backup' | 'slaDue' | 'firstTouch';
export const DIFF_FIELDS: readonly DiffField[] = [
  'type',
  'handler',
  'backup',
  'slaDue',
  'firstTouch',
];

export function summarize(d: Decision, firstTouch?: string | null): DecisionSummary {
  return {
    type: d.leadType,
    handler: d.assignee.handlerId,
    via: d.assignee.via,
    pool: d.assignee.pool ?? null,
    backup: d.backup?.handlerId ?? null,
    slaDue: d.sla?.dueUtc ? new Date(d.sla.dueUtc).toISOString() : null,
    firstTouch:
      firstTouch !== undefined
        ? firstTouch
        : d.firstTouch
          ? `${d.firstTouch.channel}: ${d.firstTouch.subject}`
          : null,
  };
}

export interface FieldChange {
  field: DiffField;
  before: string | null;
  after: string | null;
}

export interface DecisionDiff {
  changes: FieldChange[];
  /** Only the pool member differs (same type, same pool). */
  rotationOnly: boolean;
}

export function diffDecisions(a: DecisionSummary, b: DecisionSummary): DecisionDiff {
  const changes: FieldChange[] = [];
  for (const field of DIFF_FIELDS) {
    if (a[field] !== b[field]) changes.push({ field, before: a[field], after: b[field] });
  }
  const poolOnly =
    changes.length > 0 &&
    a.type === b.type &&
    a.via === 'pool' &&
    b.via === 'pool' &&
    a.pool === b.pool &&
    changes.every((c) => c.field === 'handler' || c.field === 'firstTouch' || c.field === 'slaDue');
  return { changes, rotationOnly: poolOnly };
}
