/**
 * The fallback plan of a decision: each configured checkpoint resolved to a due instant on the
 * assignee's calendar. Executing checkpoints (reading engagement, running actions) is
 * src/fallback's job; this file only validates and schedules.
 *
 * Exports
 * - `checkFallback(checkpoints, path, ctx): ConfigIssue[]` — references and templates:
 *   `reassign: backup` on a type without a backup, `reassign: senior|manager` when the type's
 *   handler has none (warning), unknown pool / handler / escalation target (did-you-mean; `to:`
 *   may also be `manager`, `senior` or `backup`, relative to the lead's holder), task
 *   templates (same variables as the first touch), duplicate checkpoint ids, checkpoints out of
 *   order. `path` is the `fallback` node, e.g. `['lead_types', 0, 'fallback']`.
 * - `resolveFallbackPlan(checkpoints, calendar, decidedAt): { plan, trace }` —
 *   `PlannedCheckpoint[]` (decision.ts) counted in business time from the decision instant; a
 *   checkpoint without an id gets `cp<n>` (1-based, its position in the list), so ids are stable
 *   while the list is unchanged.
 */
import type { FallbackAction, FallbackBranch, PlannedCheckpoint, TraceStep } from './decision.ts';
import { error, warning, type ConfigIssue, type ConfigPath } from './config-issue.ts';
import { didYouMean } from './suggest.ts';
import type { CompiledCalendar } from './calendar.ts';
import type { HandlerConfig } from './handler-schema.ts';
import type { FallbackActionConfig, FallbackCheckpointConfig } from './fallback-schema.ts';
import { parseDuration } from './duration.ts';
import { addBusinessTimeMs, formatLocalMs } from './business-time.ts';
import { isoUtc } from './iso-time.ts';
import { compileTemplate } from './first-touch.ts';

export interface FallbackCheckContext {
  leadType: { id: string; handler?: string; backup?: string; pool?: string };
  handlers: Record<string, HandlerConfig>;
  poolIds: Iterable<string>;
}

/** Rough business length for ordering checks only: a working day taken as 8 hours. */
function roughMs(text: string): number | null {
  const d = parseDuration(text);
  if (!d) return null;
  if (d.unit === 'd') return d.value * 8 * 3_600_000;
  if (d.unit === 'w') return d.value * 5 * 8 * 3_600_000;
  return d.ms;
}

function checkAction(
  a: FallbackActionConfig,
  path: ConfigPath,
  ctx: FallbackCheckContext,
  issues: ConfigIssue[],
): void {
  const handlerIds = Object.keys(ctx.handlers);
  const t = ctx.leadType;
  const refHandler = (id: string, p: ConfigPath) => {
    if (!(id in ctx.handlers))
      issues.push(error(p, `unknown handler "${id}"${didYouMean(id, handlerIds)}`));
  };
  if ('reassign' in a) {
    const r = a.reassign;
    const p = [...path, 'reassign'];
    if (r === 'backup') {
      if (!t.backup)
        issues.push(
          error(
            p,
            `reassign: backup, but lead type ${t.id} has no backup: add \`backup:\` to the type`,
          ),
        );
    } else if (r === 'senior' || r === 'manager') {
      const h = t.handler ? ctx.handlers[t.handler] : undefined;
      if (t.handler && h && h[r] === undefined)
        issues.push(
          warning(
            p,
            `reassign: ${r}, but ${t.handler} has no ${r}: the lead would stay put when the handler holds it (set \`${r}:\` on handler ${t.handler})`,
          ),
        );
    } else if ('pool' in r) {
      const pools = [...ctx.poolIds];
      if (!pools.includes(r.pool))
        issues.push(error([...p, 'pool'], `unknown pool "${r.pool}"${didYouMean(r.pool, pools)}`));
    } else refHandler(r.handler, [...p, 'handler']);
  } else if ('escalate' in a) {
    const e = a.escalate;
    const to = typeof e === 'string' ? e : e.to;
    const p = typeof e === 'string' ? [...path, 'escalate'] : [...path, 'escalate', 'to'];
    if (to === undefined || to in ctx.handlers) return;
    // `manager` / `senior` / `backup` name a relation of whoever holds the lead, not a person.
    if (to === 'manager' || to === 'senior') {
      const h = t.handler ? ctx.handlers[t.handler] : undefined;
      if (t.handler && h && h[to] === undefined)
        issues.push(
          warning(
            p,
            `escalate to ${to}, but ${t.handler} has no ${to} (set \`${to}:\` on handler ${t.handler})`,
          ),
        );
    } else if (to === 'backup') {
      if (!t.backup)
        issues.push(error(p, `escalate to backup, but lead type ${t.id} has no backup`));
    } else refHandler(to, p);
  } else if ('task' in a) {
    for (const part of ['subject', 'body'] as const) {
      const text = a.task[part];
      if (text !== undefined) issues.push(...compileTemplate(text, [...path, 'task', part]).issues);
    }
  }
}

export function checkFallback(
  checkpoints: FallbackCheckpointConfig[],
  path: ConfigPath,
  ctx: FallbackCheckContext,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const ids = new Map<string, number>();
  let prev: { ms: number; text: string } | null = null;
  checkpoints.forEach((cp, i) => {
    const id = cp.id ?? `cp${i + 1}`;
    if (ids.has(id))
      issues.push(
        error(
          [...path, i, 'id'],
          `checkpoint id "${id}" is already used by checkpoint ${ids.get(id)! + 1}`,
        ),
      );
    ids.set(id, i);
    const ms = roughMs(cp.after);
    if (ms !== null && prev && ms < prev.ms)
      issues.push(
        warning(
          [...path, i, 'after'],
          `checkpoint after ${cp.after} comes before the previous one (${prev.text}); checkpoints read best in time order`,
        ),
      );
    if (ms !== null) prev = { ms, text: cp.after };
    (cp.then ?? []).forEach((a, j) => checkAction(a, [...path, i, 'then', j], ctx, issues));
    (cp.branches ?? []).forEach((b, k) =>
      b.then.forEach((a, j) => checkAction(a, [...path, i, 'branches', k, 'then', j], ctx, issues)),
    );
  });
  return issues;
}

const describeWhen = (when: Record<string, boolean> | undefined): string =>
  when && Object.keys(when).length > 0
    ? Object.entries(when)
        .map(([k, v]) => `${k}=${v}`)
        .join(' and ')
    : 'always';

function describeAction(a: FallbackAction): string {
  if ('reassign' in a)
    return typeof a.reassign === 'string'
      ? `reassign to ${a.reassign}`
      : 'pool' in a.reassign
        ? `reassign to pool ${a.reassign.pool}`
        : `reassign to ${a.reassign.handler}`;
  if ('task' in a) return `${a.task.channel} task`;
  if ('escalate' in a)
    return typeof a.escalate === 'string'
      ? `escalate to ${a.escalate}`
      : `escalate to ${a.escalate.to ?? 'manager'}`;
  if ('reenrich' in a) return 're-enrich and re-route';
  return 'nurture';
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Branches and their description depend only on the config: built once per checkpoint object. */
const prepared = new WeakMap<
  FallbackCheckpointConfig,
  { branches: FallbackBranch[]; text: string }
>();

function prepare(cp: FallbackCheckpointConfig): { branches: FallbackBranch[]; text: string } {
  let p = prepared.get(cp);
  if (!p) {
    const branches: FallbackBranch[] = cp.branches
      ? cp.branches.map((b) => ({
          ...(b.when ? { when: { ...b.when } as Record<string, boolean> } : {}),
          then: b.then as FallbackAction[],
        }))
      : [
          {
            ...(cp.when ? { when: { ...cp.when } as Record<string, boolean> } : {}),
            then: (cp.then ?? []) as FallbackAction[],
          },
        ];
    const text = branches
      .map((b) => `if ${describeWhen(b.when)} → ${b.then.map(describeAction).join(', ')}`)
      .join('; ');
    // Shared by every decision of this type, so frozen: a consumer that mutated a plan would
    // otherwise change every later decision's plan.
    p = { branches: deepFreeze(structuredClone(branches)), text };
    prepared.set(cp, p);
  }
  return p;
}

export function resolveFallbackPlan(
  checkpoints: FallbackCheckpointConfig[] | undefined,
  calendar: CompiledCalendar,
  decidedAt: Date,
): { plan: PlannedCheckpoint[]; trace: TraceStep[] } {
  const plan: PlannedCheckpoint[] = [];
  const trace: TraceStep[] = [];
  if (!checkpoints) return { plan, trace };
  const at = decidedAt.getTime();
  for (let i = 0; i < checkpoints.length; i++) {
    const cp = checkpoints[i]!;
    // Epoch ms and integer ISO formatting (iso-time.ts): Date#toISOString alone was ~6% of a
    // full decision here.
    const due = addBusinessTimeMs(calendar, at, cp.after);
    const { branches, text } = prepare(cp);
    const id = cp.id ?? `cp${i + 1}`;
    plan.push({ id, after: cp.after, dueUtc: isoUtc(due), branches });
    trace.push({
      stage: 'fallback',
      ruleId: id,
      outcome: 'info',
      reason: `${id} after ${cp.after} (${formatLocalMs(calendar, due)}): ${text}`,
    });
  }
  return { plan, trace };
}
