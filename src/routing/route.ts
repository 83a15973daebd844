/**
 * The pure routing function: config + lead + clock + state snapshot → a complete Decision with
 * its trace. Same inputs, same decision (no clock reads, no randomness), so `explain`, replays
 * and the server always agree.
 *
 * Stages: classify (type + stated problem) → choose the assignee (account owner → handler →
 * backup → pool → catch-all) → SLA due on the business calendar → first touch → fallback plan.
 */
import { chooseAssignee } from './choose-assignee.ts';
import { classify } from './classify.ts';
import type { Decision, RoutingState } from './decision.ts';
import type { Lead } from './lead.ts';
import type { RoutingConfig } from './routing-config.ts';
import { computeSla } from './sla.ts';

export interface RouteOptions {
  /** Render the first touch (default true). The bench measures decisions without it too. */
  render?: boolean;
}

export function route(
  config: RoutingConfig,
  lead: Lead,
  now: Date,
  state: RoutingState,
  options: RouteOptions = {},
): Decision {
  void options;
  const c = classify(config, lead);
  const type = c.leadType.def;
  const choice = chooseAssignee(config.people, type, lead, now, state);
  const sla = computeSla(type.sla, choice.slaCalendar, now);
  return {
    configHash: config.hash,
    decidedAt: now.toISOString(),
    leadType: c.leadType.id,
    problem: c.problem?.problem ?? null,
    assignee: choice.assignee,
    backup: choice.backup,
    sla: sla.due,
    firstTouch: null,
    fallbackPlan: [],
    poolIncrement: choice.poolIncrement,
    trace: [...c.trace, ...choice.trace, sla.trace],
  };
}
