/**
 * The seed's first exercise, as a command: classify the last N leads with the current taxonomy and
 * show whether five to seven natural groups carry them — counts per type by source and by outcome,
 * the catch-all's share, a few sample leads per type, and a verdict in plain words.
 */
import { HEALTHY_TYPE_COUNT } from '../routing/static-checks.ts';
import { emptyRoutingState } from '../routing/decision.ts';
import { LeadSchema } from '../routing/lead.ts';
import { route } from '../routing/route.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';
import type { ReplayLead } from './replay.ts';
import { sourceOf } from './review-data.ts';

export type Outcome = 'converted' | 'meeting booked' | 'open' | 'unknown';
export const OUTCOMES: readonly Outcome[] = ['converted', 'meeting booked', 'open', 'unknown'];

export interface TaxonomyLead extends ReplayLead {
  outcome: Outcome;
}

export interface TypeRow {
  id: string;
  leads: number;
  share: number;
  bySource: Record<string, number>;
  byOutcome: Record<Outcome, number>;
  samples: Array<{ id: string; label: string; source: string; message: string | null }>;
}

export interface TaxonomyReport {
  leads: number;
  classified: number;
  types: TypeRow[];
  sources: string[];
  catchAll: { id: string; leads: number; share: number };
  typesWithLeads: number;
  unclassifiable: Array<{ id: string; label: string; reason: string }>;
  verdict: { fits: boolean; lines: string[] };
}

const SAMPLES = 3;

/** Outcome from CRM fields as the adapters map them (HubSpot and Salesforce names). */
export function outcomeFromFields(fields: Record<string, unknown> | undefined): Outcome {
  if (!fields) return 'unknown';
  const f = (k: string) =>
    typeof fields[k] === 'string' ? (fields[k] as string).toLowerCase() : '';
  if (['opportunity', 'customer'].includes(f('lifecyclestage')) || fields.IsConverted === true)
    return 'converted';
  if (f('hs_lead_status').includes('convert') || f('Status').includes('convert'))
    return 'converted';
  if (f('hs_latest_meeting_activity') || f('meeting_booked')) return 'meeting booked';
  if (f('lifecyclestage') || f('hs_lead_status') || f('Status')) return 'open';
  return 'unknown';
}

export function classifyLeads(
  config: RoutingConfig,
  leads: readonly TaxonomyLead[],
): TaxonomyReport {
  const rows = new Map<string, TypeRow>(
    config.leadTypes.map((t) => [
      t.id,
      {
        id: t.id,
        leads: 0,
        share: 0,
        bySource: {},
        byOutcome: { converted: 0, 'meeting booked': 0, open: 0, unknown: 0 },
        samples: [],
      },
    ]),
  );
  const sources = new Set<string>();
  const unclassifiable: TaxonomyReport['unclassifiable'] = [];
  for (const l of leads) {
    const parsed = LeadSchema.safeParse(l.raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      unclassifiable.push({
        id: l.id,
        label: l.label,
        reason: `${i.path.join('.') || 'lead'}: ${i.message}`,
      });
      continue;
    }
    const lead = parsed.data;
    const at = l.at ?? (lead.created_at ? new Date(lead.created_at) : new Date(0));
    let type: string;
    try {
      type = route(config, lead, at, emptyRoutingState()).leadType;
    } catch (err) {
      unclassifiable.push({ id: l.id, label: l.label, reason: (err as Error).message });
      continue;
    }
    const row = rows.get(type)!;
    const source = sourceOf(lead);
    sources.add(source);
    row.leads++;
    row.bySource[source] = (row.bySource[source] ?? 0) + 1;
    row.byOutcome[l.outcome]++;
    if (row.samples.length < SAMPLES)
      row.samples.push({ id: l.id, label: l.label, source, message: lead.message ?? null });
  }
  const classified = leads.length - unclassifiable.length;
  const types = [...rows.values()];
  for (const t of types) t.share = classified ? t.leads / classified : 0;
  const catchAllRow = types.at(-1)!;
  const typesWithLeads = types.filter((t) => t.leads > 0 && t !== catchAllRow).length;
  const report: TaxonomyReport = {
    leads: leads.length,
    classified,
    types,
    sources: [...sources].sort(),
    catchAll: { id: catchAllRow.id, leads: catchAllRow.leads, share: catchAllRow.share },
    typesWithLeads,
    unclassifiable,
    verdict: { fits: true, lines: [] },
  };
  report.verdict = verdict(report);
  return report;
}

/** Catch-all share above which a natural group is probably missing. */
export const CATCH_ALL_LIMIT = 0.2;
/** Share above which one type is probably two. */
export const DOMINANT_LIMIT = 0.5;

function verdict(r: TaxonomyReport): { fits: boolean; lines: string[] } {
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const lines: string[] = [];
  let fits = true;
  const { min, max } = HEALTHY_TYPE_COUNT;
  if (r.classified === 0) return { fits: false, lines: ['No leads to classify.'] };
  // The catch-all is a safety net, not a group: count the named types that carry leads.
  const named = r.typesWithLeads;
  if (named + 1 < min) {
    fits = false;
    lines.push(
      `Only ${named} named type(s) carry leads (healthy: ${min}–${max} types including the catch-all): the taxonomy is coarser than the leads, or some types never match.`,
    );
  } else if (named + 1 > max) {
    fits = false;
    lines.push(
      `${named} named types carry leads: more than ${max} types is hard to staff and review; merge the smallest.`,
    );
  } else lines.push(`${named + 1} types carry leads, inside the healthy ${min}–${max}.`);
  if (r.catchAll.share > CATCH_ALL_LIMIT) {
    fits = false;
    lines.push(
      `${pct(r.catchAll.share)} of leads fall to the catch-all "${r.catchAll.id}" (above ${pct(CATCH_ALL_LIMIT)}): read its samples — a natural group is missing.`,
    );
  } else lines.push(`The catch-all takes ${pct(r.catchAll.share)} of leads.`);
  for (const t of r.types)
    if (t.id !== r.catchAll.id && t.share > DOMINANT_LIMIT) {
      fits = false;
      lines.push(
        `"${t.id}" takes ${pct(t.share)} of leads: consider splitting it by source or signal.`,
      );
    }
  const empty = r.types.filter((t) => t.leads === 0 && t.id !== r.catchAll.id).map((t) => t.id);
  if (empty.length) lines.push(`No lead matched: ${empty.join(', ')}.`);
  lines.unshift(
    fits
      ? 'Verdict: the taxonomy fits these leads.'
      : 'Verdict: the taxonomy does not fit these leads yet.',
  );
  return { fits, lines };
}
