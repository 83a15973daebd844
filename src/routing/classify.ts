/**
 * The taxonomy: lead types in file order, first match wins, the catch-all last. Besides the
 * matched type, the trace records the lead's stated problem and, for every type tried before
 * the match, the first condition that failed with actual vs expected (`employees: 180 < 250`).
 */
import type { TraceStep } from './decision.ts';
import type { EvalContext } from './conditions.ts';
import type { Lead } from './lead.ts';
import type { ProblemMatch } from './problems.ts';
import type { CompiledLeadType, RoutingConfig } from './routing-config.ts';

export interface Classification {
  leadType: CompiledLeadType;
  problem: ProblemMatch | null;
  /** The context conditions were evaluated against (reused by catalog picks and templates). */
  ctx: EvalContext;
  trace: TraceStep[];
}

export function classify(config: RoutingConfig, lead: Lead): Classification {
  const problem = config.problems.find(lead.message);
  const ctx: EvalContext = { lead, problem: problem?.problem ?? null };
  const trace: TraceStep[] = [
    problem
      ? {
          stage: 'problem',
          outcome: 'matched',
          ruleId: problem.problem,
          reason: `stated problem "${problem.problem}" (message says "${problem.matched}")`,
        }
      : {
          stage: 'problem',
          outcome: lead.message ? 'info' : 'missing',
          reason: lead.message
            ? 'no stated problem: the message matches none of the problems'
            : 'no stated problem: the lead has no message',
        },
  ];
  const types = config.leadTypes;
  for (const t of types) {
    const failure = t.test(ctx);
    if (!failure) {
      trace.push({
        stage: 'classify',
        ruleId: t.id,
        configLine: t.line,
        outcome: 'matched',
        reason: `${t.id}: matched (${t.explainMatch(ctx)})`,
      });
      return { leadType: t, problem, ctx, trace };
    }
    const step: TraceStep = {
      stage: 'classify',
      ruleId: t.id,
      configLine: t.line,
      outcome: failure.missing ? 'missing' : 'failed',
      reason: `not ${t.id}: ${failure.reason}`,
    };
    if (failure.field !== undefined) {
      step.field = failure.field;
      step.actual = failure.actual ?? null;
      step.expected = failure.expected;
    }
    trace.push(step);
  }
  // Unreachable for a validated config (the last type is `when: always`); kept total anyway.
  const last = types[types.length - 1]!;
  trace.push({
    stage: 'classify',
    ruleId: last.id,
    configLine: last.line,
    outcome: 'matched',
    reason: `${last.id}: no type matched, using the last type`,
  });
  return { leadType: last, problem, ctx, trace };
}
