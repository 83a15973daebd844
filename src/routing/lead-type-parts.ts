/**
 * The second to fourth decisions for one lead type, after the assignee is chosen: SLA due, first
 * touch, fallback plan. One call for route(), one check for parse-config.
 *
 * Exports
 * - `checkLeadTypeParts(data): ConfigIssue[]` — every type's `first_touch` (templates rendered
 *   against a sample lead and an empty one) and `fallback` (references, task templates). Pass the
 *   parsed routing.yaml (`lead_types`, `handlers`, `pools?`).
 * - `compiledFirstTouch(cfg): CompiledFirstTouch | null` — parsed once per config object (a
 *   WeakMap memo keyed by the parsed `first_touch` value, so a reloaded config parses afresh).
 * - `decideTimingAndTouch(input): { sla, firstTouch, fallbackPlan, trace }`.
 */
import type { FirstTouch, PlannedCheckpoint, SlaDue, TraceStep } from './decision.ts';
import type { ConfigIssue } from './config-issue.ts';
import type { Lead } from './lead.ts';
import type { HandlerConfig } from './handler-schema.ts';
import type { FirstTouchConfig } from './first-touch-schema.ts';
import type { FallbackCheckpointConfig } from './fallback-schema.ts';
import type { AssigneeChoice } from './choose-assignee.ts';
import {
  compileFirstTouch,
  renderFirstTouch,
  validateFirstTouch,
  type CatalogRef,
  type CompiledFirstTouch,
} from './first-touch.ts';
import { checkFallback, resolveFallbackPlan } from './fallback-plan.ts';
import { computeSla } from './sla.ts';

export interface LeadTypeParts {
  id: string;
  handler?: string;
  backup?: string;
  pool?: string;
  sla: string;
  first_touch?: FirstTouchConfig;
  fallback?: FallbackCheckpointConfig[];
}

export function checkLeadTypeParts(data: {
  lead_types: LeadTypeParts[];
  handlers: Record<string, HandlerConfig>;
  pools?: Record<string, unknown>;
}): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  data.lead_types.forEach((t, i) => {
    if (t.first_touch)
      issues.push(...validateFirstTouch(t.first_touch, ['lead_types', i, 'first_touch']));
    if (t.fallback)
      issues.push(
        ...checkFallback(t.fallback, ['lead_types', i, 'fallback'], {
          leadType: t,
          handlers: data.handlers,
          poolIds: Object.keys(data.pools ?? {}),
        }),
      );
  });
  return issues;
}

const compiled = new WeakMap<FirstTouchConfig, CompiledFirstTouch | null>();

export function compiledFirstTouch(cfg: FirstTouchConfig): CompiledFirstTouch | null {
  let c = compiled.get(cfg);
  if (c === undefined) {
    c = compileFirstTouch(cfg, []).firstTouch;
    compiled.set(cfg, c);
  }
  return c;
}

export interface TimingAndTouchInput {
  leadType: LeadTypeParts;
  choice: AssigneeChoice;
  lead: Lead;
  now: Date;
  problem: string | null;
  productLine?: CatalogRef | null;
  caseStudy?: CatalogRef | null;
  /** Render the first touch when the type has one (default true). */
  render?: boolean;
}

export function decideTimingAndTouch(input: TimingAndTouchInput): {
  sla: SlaDue;
  firstTouch: FirstTouch | null;
  fallbackPlan: PlannedCheckpoint[];
  trace: TraceStep[];
} {
  const { leadType: t, choice, now } = input;
  const sla = computeSla(t.sla, choice.slaCalendar, now);
  const trace: TraceStep[] = [sla.trace];
  let firstTouch: FirstTouch | null = null;
  const ft = t.first_touch && input.render !== false ? compiledFirstTouch(t.first_touch) : null;
  if (ft) {
    const r = renderFirstTouch(ft, {
      lead: input.lead,
      leadType: t.id,
      problem: input.problem,
      productLine: input.productLine ?? null,
      caseStudy: input.caseStudy ?? null,
      handler: choice.handler,
      sla: sla.due,
      slaCalendar: choice.slaCalendar,
    });
    firstTouch = r.firstTouch;
    trace.push(...r.trace);
  }
  const plan = resolveFallbackPlan(t.fallback, choice.slaCalendar, now);
  for (const step of plan.trace) trace.push(step);
  return { sla: sla.due, firstTouch, fallbackPlan: plan.plan, trace };
}
