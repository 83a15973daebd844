/**
 * Pure: the decision for handing a lead to someone else at a checkpoint (`reassign: backup |
 * senior | manager | { pool } | { handler }`). Uses the routing core's own chain and availability
 * rules, with every previous holder marked unavailable, so a lead is never handed back to someone
 * who already held it; the new holder gets a fresh SLA on their calendar, the type's first touch
 * rendered for them (the routing core's decideTimingAndTouch, so the draft is signed by and due
 * for the new holder) and the type's fallback plan again.
 */
import {
  AssignmentError,
  chooseAssignee,
  type AssignmentRule,
} from '../routing/choose-assignee.ts';
import type { CompiledCalendar } from '../routing/calendar.ts';
import type {
  Decision,
  FallbackAction,
  FirstTouch,
  PlannedCheckpoint,
  RoutingState,
  SlaDue,
  TraceStep,
} from '../routing/decision.ts';
import type { Lead } from '../routing/lead.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';
import type { LeadTypeData } from '../routing/config-schema.ts';
import { computeSla } from '../routing/sla.ts';
import { resolveFallbackPlan } from '../routing/fallback-plan.ts';
import { decideTimingAndTouch } from '../routing/lead-type-parts.ts';
import { pickCatalogEntry } from '../routing/catalog.ts';
import { catalogRef } from '../routing/route.ts';
import type { CatalogRef } from '../routing/first-touch.ts';

export type ReassignTarget = Extract<FallbackAction, { reassign: unknown }>['reassign'];

/** Resolves a lead type's fallback plan on a calendar from an instant (the routing core's planner). */
export type FallbackPlanner = (
  leadType: LeadTypeData,
  calendar: CompiledCalendar,
  from: Date,
) => PlannedCheckpoint[];

export interface ReassignInput {
  config: RoutingConfig;
  lead: Lead;
  /** The decision the checkpoint belongs to (the current holder). */
  current: Decision;
  target: ReassignTarget;
  now: Date;
  /** Every handler who held this lead so far, the current one included. */
  previousHolders: string[];
  /** Pool counters, for `{ pool }` and a backup chain that ends in the type's pool. */
  state?: RoutingState;
  /** Checkpoint id, for the trace. */
  checkpointId: string;
  /** Default: the routing core's plan over the type's `fallback` (as decideTimingAndTouch resolves it). */
  planFallback?: FallbackPlanner;
}

/** The type's checkpoints again, on the new holder's calendar, counted from the handover. */
export const defaultPlanner: FallbackPlanner = (type, calendar, from) =>
  resolveFallbackPlan(type.fallback, calendar, from).plan;

export type ReassignResult =
  { ok: true; decision: Decision; line: string } | { ok: false; reason: string };

export const describeTarget = (t: ReassignTarget): string =>
  typeof t === 'string' ? t : 'pool' in t ? `pool ${t.pool}` : `handler ${t.handler}`;

export function planReassignment(input: ReassignInput): ReassignResult {
  const { config, current, target } = input;
  const type = config.leadTypes.find((t) => t.id === current.leadType)?.def;
  const holder = config.people.handlers.get(current.assignee.handlerId);
  const sla = type?.sla ?? current.sla?.duration;
  if (!sla)
    return {
      ok: false,
      reason: `lead type ${current.leadType} is no longer in the config and the decision has no SLA`,
    };
  const rule: AssignmentRule = {
    id: current.leadType,
    sla,
    ...(type?.calendar ? { calendar: type.calendar } : {}),
  };
  const what = describeTarget(target);
  if (target === 'backup') {
    const backup = current.backup?.handlerId ?? type?.backup;
    // The backup first; if they are away or already held the lead, the type's pool.
    if (backup) rule.handler = backup;
    if (type?.pool) rule.pool = type.pool;
    if (!backup && !type?.pool)
      return { ok: false, reason: `lead type ${current.leadType} has no backup and no pool` };
  } else if (target === 'senior' || target === 'manager') {
    const id = holder?.[target];
    if (!id)
      return {
        ok: false,
        reason: `${current.assignee.handlerId} has no ${target} configured (handlers.${current.assignee.handlerId}.${target})`,
      };
    rule.handler = id;
  } else if ('pool' in target) rule.pool = target.pool;
  else rule.handler = target.handler;

  const holders = [...new Set([...input.previousHolders, current.assignee.handlerId])];
  const state: RoutingState = {
    ...(input.state ?? { poolCounts: {} }),
    previousHolders: holders,
  };
  let choice;
  try {
    choice = chooseAssignee(config.people, rule, input.lead, input.now, state);
  } catch (err) {
    if (err instanceof AssignmentError) return { ok: false, reason: err.message };
    throw err;
  }
  // The chain ends at the catch-all owner even when unavailable; never if they held it already.
  if (holders.includes(choice.assignee.handlerId))
    return {
      ok: false,
      reason: `reassign ${what}: nobody eligible (${choice.assignee.handlerId}, the only one left, already held this lead; previous holders: ${holders.join(', ')})`,
    };
  // With the type still configured: SLA, first touch and plan exactly as route() decides them, for
  // the new holder (same catalog picks, since those depend only on the lead and its problem).
  // Without it (a type removed since): the old SLA duration, no first touch, no plan.
  let timing: { sla: SlaDue; firstTouch: FirstTouch | null; plan: PlannedCheckpoint[] };
  let timingTrace: TraceStep[];
  if (type) {
    const parts = decideTimingAndTouch({
      leadType: type,
      choice,
      lead: input.lead,
      now: input.now,
      problem: current.problem,
      ...catalogPicks(config, input.lead, current.problem, type.first_touch !== undefined),
    });
    const plan = input.planFallback
      ? input.planFallback(type, choice.slaCalendar, input.now)
      : parts.fallbackPlan;
    timing = { sla: parts.sla, firstTouch: parts.firstTouch, plan };
    timingTrace = parts.trace;
  } else {
    const due = computeSla(sla, choice.slaCalendar, input.now);
    timing = { sla: due.due, firstTouch: null, plan: [] };
    timingTrace = [due.trace];
  }
  const assignee =
    target === 'backup' && choice.assignee.handlerId === rule.handler
      ? { ...choice.assignee, via: 'backup' as const }
      : choice.assignee;
  const line = `reassign ${what} → ${assignee.handlerId} (${assignee.name}), SLA due ${timing.sla.dueUtc}`;
  return {
    ok: true,
    line,
    decision: {
      configHash: config.hash,
      decidedAt: input.now.toISOString(),
      leadType: current.leadType,
      problem: current.problem,
      assignee,
      backup: choice.backup,
      sla: timing.sla,
      firstTouch: timing.firstTouch,
      fallbackPlan: timing.plan,
      poolIncrement: choice.poolIncrement,
      trace: [
        {
          stage: 'fallback',
          ruleId: input.checkpointId,
          outcome: 'chosen',
          reason: `checkpoint ${input.checkpointId}: ${line}; never back to ${holders.join(', ')}`,
        },
        ...choice.trace,
        ...timingTrace,
      ],
    },
  };
}

/** The product line and case study route() would pick for this lead (they feed the first touch). */
function catalogPicks(
  config: RoutingConfig,
  lead: Lead,
  problem: string | null,
  render: boolean,
): { productLine: CatalogRef | null; caseStudy: CatalogRef | null } {
  if (!render) return { productLine: null, caseStudy: null };
  const ctx = { lead, problem };
  return {
    productLine: catalogRef(pickCatalogEntry(config.productLines, ctx, 'product line').entry),
    caseStudy: catalogRef(pickCatalogEntry(config.caseStudies, ctx, 'case study').entry),
  };
}
