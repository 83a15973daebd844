/**
 * Replay: re-decide recorded leads under a base and a proposed config with the same clock and the
 * same starting pool snapshot, then compare. Each side keeps its own pool counts, applied in
 * arrival order, so a pool behaves as it would have under that config. A lead that cannot be
 * re-decided (invalid record, no clock, a routing error) is listed with the reason, never dropped.
 */
import { emptyRoutingState, type RoutingState } from '../routing/decision.ts';
import { LeadSchema, type Lead } from '../routing/lead.ts';
import { applyPoolIncrement } from '../routing/pool.ts';
import { route } from '../routing/route.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';
import { createHash } from 'node:crypto';
import {
  diffDecisions,
  summarize,
  type DecisionSummary,
  type FieldChange,
} from './decision-diff.ts';

/** A recorded lead as replay reads it (from our store or the CRM). */
export interface ReplayLead {
  /** Our lead id, or the CRM id. */
  id: string;
  /** Company, else e-mail, else id: what a reviewer recognises. */
  label: string;
  /** The stored record; checked against the Lead schema here, so a bad row is reported. */
  raw: unknown;
  /** When it was decided (the original clock); null falls back to the lead's created_at. */
  at: Date | null;
}

export interface ReplayRow {
  id: string;
  label: string;
  at: string;
  before: DecisionSummary;
  after: DecisionSummary;
  changes: FieldChange[];
  rotationOnly: boolean;
}

export interface Unreplayable {
  id: string;
  label: string;
  reason: string;
}

export interface CountChange {
  id: string;
  before: number;
  after: number;
}

export interface ReplayReport {
  base: { name: string; hash: string };
  proposed: { name: string; hash: string };
  leads: number;
  /** Leads whose type, handler, backup, SLA due or first touch changed (rotation only excluded). */
  changed: ReplayRow[];
  /** Leads where only the pool member differs. */
  rotationOnly: number;
  unchanged: number;
  unreplayable: Unreplayable[];
  perType: CountChange[];
  perHandler: CountChange[];
  /** Leads the proposed config sends to its catch-all that the base did not. */
  newlyCatchAll: ReplayRow[];
  /** Leads the proposed config takes out of the base's catch-all. */
  leftCatchAll: ReplayRow[];
  catchAll: { before: string; after: string };
}

export interface ReplayOptions {
  /** One clock for every lead (`--at`); default each lead's own decision time. */
  at?: Date;
  /** Starting pool snapshot; default empty. */
  state?: RoutingState;
  /** Called after each lead (progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/** Summaries, not whole decisions: 10,000 leads × two decisions with traces is mostly garbage. */
export type DecisionPair =
  | { lead: ReplayLead; at: Date; before: DecisionSummary; after: DecisionSummary }
  | { lead: ReplayLead; error: string };

/** Routes every lead under both configs (oldest first, so pool turns follow arrival order). */
export function replayLeads(
  base: RoutingConfig,
  proposed: RoutingConfig,
  leads: readonly ReplayLead[],
  opts: ReplayOptions = {},
): ReplayReport {
  const start = opts.state ?? emptyRoutingState();
  const stateA = cloneState(start);
  const stateB = cloneState(start);
  const ordered = [...leads].sort((x, y) => (x.at?.getTime() ?? 0) - (y.at?.getTime() ?? 0));
  const pairs: DecisionPair[] = [];
  ordered.forEach((l, i) => {
    pairs.push(decidePair(base, proposed, l, stateA, stateB, opts.at));
    opts.onProgress?.(i + 1, ordered.length);
  });
  return compareDecisionPairs(
    { name: base.fileName, hash: base.hash },
    { name: proposed.fileName, hash: proposed.hash },
    pairs,
    { before: catchAllOf(base), after: catchAllOf(proposed) },
  );
}

function decidePair(
  base: RoutingConfig,
  proposed: RoutingConfig,
  l: ReplayLead,
  stateA: RoutingState,
  stateB: RoutingState,
  at: Date | undefined,
): DecisionPair {
  const parsed = LeadSchema.safeParse(l.raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    return {
      lead: l,
      error: `stored lead is not valid: ${first.path.join('.') || 'lead'}: ${first.message}`,
    };
  }
  const lead: Lead = parsed.data;
  const clock = at ?? l.at ?? (lead.created_at ? new Date(lead.created_at) : null);
  if (!clock || Number.isNaN(clock.getTime()))
    return { lead: l, error: 'no decision time and no created_at: pass --at to replay it' };
  try {
    // Templates are compared as written, not rendered: rendering is most of a decision's cost
    // and a rendered text differs for every lead anyway.
    const before = route(base, lead, clock, stateA, { render: false });
    const after = route(proposed, lead, clock, stateB, { render: false });
    if (before.poolIncrement) applyPoolIncrement(stateA.poolCounts, before.poolIncrement);
    if (after.poolIncrement) applyPoolIncrement(stateB.poolCounts, after.poolIncrement);
    return {
      lead: l,
      at: clock,
      before: summarize(before, templateId(base, before.leadType)),
      after: summarize(after, templateId(proposed, after.leadType)),
    };
  } catch (err) {
    return { lead: l, error: `routing failed: ${(err as Error).message}` };
  }
}

/** The comparison shared by replay and the shadow report. */
export function compareDecisionPairs(
  base: { name: string; hash: string },
  proposed: { name: string; hash: string },
  pairs: readonly DecisionPair[],
  catchAll: { before: string; after: string },
): ReplayReport {
  const changed: ReplayRow[] = [];
  const newlyCatchAll: ReplayRow[] = [];
  const leftCatchAll: ReplayRow[] = [];
  const unreplayable: Unreplayable[] = [];
  const types = new Map<string, CountChange>();
  const handlers = new Map<string, CountChange>();
  const bump = (m: Map<string, CountChange>, id: string, side: 'before' | 'after') => {
    const c = m.get(id) ?? { id, before: 0, after: 0 };
    c[side]++;
    m.set(id, c);
  };
  let rotationOnly = 0;
  let unchanged = 0;
  for (const p of pairs) {
    if ('error' in p) {
      unreplayable.push({ id: p.lead.id, label: p.lead.label, reason: p.error });
      continue;
    }
    const { before, after } = p;
    bump(types, before.type, 'before');
    bump(types, after.type, 'after');
    bump(handlers, before.handler, 'before');
    bump(handlers, after.handler, 'after');
    const d = diffDecisions(before, after);
    const row: ReplayRow = {
      id: p.lead.id,
      label: p.lead.label,
      at: p.at.toISOString(),
      before,
      after,
      changes: d.changes,
      rotationOnly: d.rotationOnly,
    };
    if (d.changes.length === 0) unchanged++;
    else if (d.rotationOnly) rotationOnly++;
    else changed.push(row);
    const wasCatchAll = before.type === catchAll.before;
    const isCatchAll = after.type === catchAll.after;
    if (isCatchAll && !wasCatchAll) newlyCatchAll.push(row);
    if (wasCatchAll && !isCatchAll) leftCatchAll.push(row);
  }
  const byDelta = (a: CountChange, b: CountChange) =>
    Math.abs(b.after - b.before) - Math.abs(a.after - a.before) || a.id.localeCompare(b.id);
  return {
    base,
    proposed,
    leads: pairs.length,
    changed,
    rotationOnly,
    unchanged,
    unreplayable,
    perType: [...types.values()].sort(byDelta),
    perHandler: [...handlers.values()].sort(byDelta),
    newlyCatchAll,
    leftCatchAll,
    catchAll,
  };
}

const templateCache = new WeakMap<RoutingConfig, Map<string, string | null>>();

/** `email: {{ lead.company }}: {{ problem }} #1a2b3c`: the type's first touch as configured. */
export function templateId(config: RoutingConfig, leadType: string): string | null {
  let m = templateCache.get(config);
  if (!m) templateCache.set(config, (m = new Map()));
  if (m.has(leadType)) return m.get(leadType)!;
  const ft = config.leadTypes.find((t) => t.id === leadType)?.def.first_touch;
  const id = ft
    ? `${ft.channel ?? 'email'}: ${ft.subject} #${createHash('sha256').update(ft.body).digest('hex').slice(0, 6)}`
    : null;
  m.set(leadType, id);
  return id;
}

export const catchAllOf = (c: RoutingConfig): string => c.leadTypes.at(-1)?.id ?? '';

function cloneState(s: RoutingState): RoutingState {
  return structuredClone(s);
}
