/**
 * The pure routing function: config + lead + clock + state snapshot → a complete Decision with
 * its trace. Same inputs, same decision (no clock reads, no randomness), so `explain`, replays
 * and the server always agree.
 *
 * Stages: classify (type + stated problem) → choose the assignee (account owner → handler →
 * backup → pool → catch-all) → SLA due on the business calendar → first touch (product line and
 * case study picked from their tables) → fallback plan.
 */
import { pickCatalogEntry, type CatalogEntry } from './catalog.ts';
import { chooseAssignee } from './choose-assignee.ts';
import { classify } from './classify.ts';
import type { Decision, RoutingState, TraceStep } from './decision.ts';
import type { CatalogRef } from './first-touch.ts';
import type { Lead } from './lead.ts';
import { decideTimingAndTouch } from './lead-type-parts.ts';
import type { RoutingConfig } from './routing-config.ts';
import { isoUtc } from './iso-time.ts';

export interface RouteOptions {
  /** Render the first touch (default true). The bench measures decisions without it too. */
  render?: boolean;
}

/** A catalog entry as a decision carries it (also used by fallback reassignments). */
export const catalogRef = (e: CatalogEntry | null): CatalogRef | null =>
  e
    ? {
        id: e.id,
        title: e.title,
        ...(e.url !== undefined ? { url: e.url } : {}),
        ...(e.summary !== undefined ? { summary: e.summary } : {}),
      }
    : null;

export function route(
  config: RoutingConfig,
  lead: Lead,
  now: Date,
  state: RoutingState,
  options: RouteOptions = {},
): Decision {
  const c = classify(config, lead);
  const type = c.leadType.def;
  const choice = chooseAssignee(config.people, type, lead, now, state);
  const render = options.render !== false && type.first_touch !== undefined;

  const catalogTrace: TraceStep[] = [];
  let productLine: CatalogRef | null = null;
  let caseStudy: CatalogRef | null = null;
  if (render) {
    const pl = pickCatalogEntry(config.productLines, c.ctx, 'product line');
    const cs = pickCatalogEntry(config.caseStudies, c.ctx, 'case study');
    productLine = catalogRef(pl.entry);
    caseStudy = catalogRef(cs.entry);
    for (const [pick, table] of [
      [pl, config.productLines],
      [cs, config.caseStudies],
    ] as const) {
      if (table.length > 0)
        catalogTrace.push({
          stage: 'render',
          ...(pick.entry ? { ruleId: pick.entry.id } : {}),
          outcome: pick.entry ? 'chosen' : 'missing',
          reason: pick.reason,
        });
    }
  }

  const parts = decideTimingAndTouch({
    // A flag rather than a copy of the type without first_touch: the spread cost ~1% per decision.
    leadType: type,
    render,
    choice,
    lead,
    now,
    problem: c.problem?.problem ?? null,
    productLine,
    caseStudy,
  });
  // One array, filled in order (classify, assignee, SLA, catalog picks, rendering and fallback),
  // instead of spreading five arrays into a new one.
  const trace: TraceStep[] = c.trace;
  for (const step of choice.trace) trace.push(step);
  const partsTrace = parts.trace;
  if (partsTrace.length > 0) trace.push(partsTrace[0]!);
  for (const step of catalogTrace) trace.push(step);
  for (let i = 1; i < partsTrace.length; i++) trace.push(partsTrace[i]!);
  return {
    configHash: config.hash,
    // Integer ISO formatting (iso-time.ts): Date#toISOString here was ~10% of a decision.
    decidedAt: isoUtc(now.getTime()),
    leadType: c.leadType.id,
    problem: c.problem?.problem ?? null,
    assignee: choice.assignee,
    backup: choice.backup,
    sla: parts.sla,
    firstTouch: parts.firstTouch,
    fallbackPlan: parts.fallbackPlan,
    poolIncrement: choice.poolIncrement,
    trace,
  };
}
