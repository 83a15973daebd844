/**
 * The 90-day review, computed: per lead type and per source the volume, time to first touch in
 * business minutes (p50/p90) on the SLA's calendar, SLA hit rate, reassignments, outcomes and
 * leads that came back unanswered; fallbacks fired per branch; types and handlers that never
 * matched; pool members near their daily caps; and how stale `reviewed_on` is. Pure: the same
 * data, config and clock always give the same report.
 */
import { businessMsBetween } from '../routing/business-time.ts';
import { parseDuration } from '../routing/duration.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';
import type { ReviewData, ReviewLead } from './review-data.ts';

export interface GroupStats {
  id: string;
  leads: number;
  /** Leads with a first touch whose time is known. */
  touched: number;
  p50Minutes: number | null;
  p90Minutes: number | null;
  /** SLA decided (touched, or due passed): hit / (hit + missed). */
  slaHit: number;
  slaMissed: number;
  slaHitRate: number | null;
  reassignments: number;
  meetingsBooked: number;
  converted: number;
  conversionRate: number | null;
  cameBack: number;
}

export interface BranchCount {
  leadType: string;
  checkpoint: string;
  branch: string;
  fired: number;
}

export interface CapStat {
  pool: string;
  member: string;
  cap: number;
  peakDay: number;
  daysAtCap: number;
  daysNearCap: number;
}

export interface ReviewReport {
  generatedAt: string;
  since: string;
  until: string;
  configHash: string;
  totals: GroupStats;
  byType: GroupStats[];
  bySource: GroupStats[];
  fallbacks: BranchCount[];
  typesNeverMatched: string[];
  handlersNeverMatched: string[];
  nearCaps: CapStat[];
  staleness: {
    reviewedOn: string | null;
    reviewEvery: string | null;
    daysSinceReview: number | null;
    dueOn: string | null;
    overdue: boolean;
  };
  /** Plain-words findings: the seed's warning signs when the data shows them. */
  findings: string[];
}

/** Share of a cap that counts as "near" it. */
export const NEAR_CAP = 0.8;
const PAID = /paid|cpc|ppc|ads?\b|adwords|display|social-paid|sponsored/;
const REFERRAL = /referr|partner/;

/** Nearest-rank percentile: an observed value, never interpolated (minutes people can check). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function computeReview(data: ReviewData, config: RoutingConfig, now: Date): ReviewReport {
  const minutes = (l: ReviewLead): number | null => {
    if (!l.firstTouchAt) return null;
    const cal = l.slaCalendar ? config.people.calendars.get(l.slaCalendar) : undefined;
    // A calendar renamed since the decision: fall back to wall-clock time rather than drop it.
    const ms = cal
      ? businessMsBetween(cal, l.decidedAt, l.firstTouchAt)
      : Math.max(0, l.firstTouchAt.getTime() - l.decidedAt.getTime());
    return Math.round(ms / 60_000);
  };
  const group = (id: string, leads: ReviewLead[]): GroupStats => {
    const mins = leads
      .map(minutes)
      .filter((m): m is number => m !== null)
      .sort((a, b) => a - b);
    let hit = 0;
    let missed = 0;
    for (const l of leads) {
      if (!l.slaDue) continue;
      if (l.firstTouchAt) {
        if (l.firstTouchAt <= l.slaDue) hit++;
        else missed++;
      } else if (!l.touchedNoTime && l.slaDue <= now) missed++;
    }
    const converted = leads.filter((l) => l.converted).length;
    return {
      id,
      leads: leads.length,
      touched: mins.length,
      p50Minutes: percentile(mins, 50),
      p90Minutes: percentile(mins, 90),
      slaHit: hit,
      slaMissed: missed,
      slaHitRate: hit + missed ? hit / (hit + missed) : null,
      reassignments: leads.reduce((n, l) => n + l.reassignments, 0),
      meetingsBooked: leads.filter((l) => l.meetingBooked).length,
      converted,
      conversionRate: leads.length ? converted / leads.length : null,
      cameBack: leads.filter((l) => l.cameBack).length,
    };
  };
  const groupBy = (key: (l: ReviewLead) => string, order: string[] = []) => {
    const m = new Map<string, ReviewLead[]>(order.map((k) => [k, []]));
    for (const l of data.leads) m.set(key(l), [...(m.get(key(l)) ?? []), l]);
    return [...m.entries()].filter(([, ls]) => ls.length > 0).map(([k, ls]) => group(k, ls));
  };

  const typeIds = config.leadTypes.map((t) => t.id);
  const byType = groupBy((l) => l.leadType, typeIds);
  const bySource = groupBy((l) => l.source).sort(
    (a, b) => b.leads - a.leads || a.id.localeCompare(b.id),
  );

  const fb = new Map<string, BranchCount>();
  for (const f of data.fired) {
    const branch = f.branch === null ? 'no branch matched' : `branch ${f.branch}`;
    const k = `${f.leadType}\u0000${f.checkpoint}\u0000${branch}`;
    const c = fb.get(k) ?? { leadType: f.leadType, checkpoint: f.checkpoint, branch, fired: 0 };
    c.fired++;
    fb.set(k, c);
  }

  const seenTypes = new Set(data.leads.map((l) => l.leadType));
  const assigned = new Set([...data.assignedHandlers, ...data.leads.map((l) => l.handler)]);

  const nearCaps: CapStat[] = [];
  for (const [poolId, pool] of config.people.pools) {
    if (!pool.dailyCap) continue;
    for (const member of pool.members) {
      const days = data.poolDays.filter((d) => d.pool === poolId && d.member === member);
      const peak = Math.max(0, ...days.map((d) => d.count));
      const stat: CapStat = {
        pool: poolId,
        member,
        cap: pool.dailyCap,
        peakDay: peak,
        daysAtCap: days.filter((d) => d.count >= pool.dailyCap!).length,
        daysNearCap: days.filter((d) => d.count >= NEAR_CAP * pool.dailyCap!).length,
      };
      if (stat.daysNearCap > 0) nearCaps.push(stat);
    }
  }

  const reviewedOn = config.data.reviewed_on ?? null;
  const reviewEvery = config.data.review_every ?? null;
  const reviewedMs = reviewedOn ? Date.parse(`${String(reviewedOn).slice(0, 10)}T00:00:00Z`) : NaN;
  const everyMs = reviewEvery ? (parseDuration(reviewEvery)?.ms ?? NaN) : NaN;
  const staleness = {
    reviewedOn: reviewedOn ? String(reviewedOn).slice(0, 10) : null,
    reviewEvery,
    daysSinceReview: Number.isFinite(reviewedMs)
      ? Math.floor((now.getTime() - reviewedMs) / 86_400_000)
      : null,
    dueOn: Number.isFinite(reviewedMs + everyMs)
      ? new Date(reviewedMs + everyMs).toISOString().slice(0, 10)
      : null,
    overdue: Number.isFinite(reviewedMs + everyMs) && now.getTime() > reviewedMs + everyMs,
  };

  const totals = group('all', data.leads);
  const report: ReviewReport = {
    generatedAt: now.toISOString(),
    since: data.since.toISOString(),
    until: data.until.toISOString(),
    configHash: config.hash,
    totals,
    byType,
    bySource,
    fallbacks: [...fb.values()].sort(
      (a, b) =>
        a.leadType.localeCompare(b.leadType) ||
        a.checkpoint.localeCompare(b.checkpoint) ||
        a.branch.localeCompare(b.branch),
    ),
    typesNeverMatched: typeIds.filter((t) => !seenTypes.has(t)),
    handlersNeverMatched: Object.keys(config.data.handlers).filter((h) => !assigned.has(h)),
    nearCaps,
    staleness,
    findings: [],
  };
  report.findings = findings(report, config.leadTypes.at(-1)?.id ?? '');
  return report;
}

function findings(r: ReviewReport, catchAllId: string): string[] {
  const out: string[] = [];
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const referral = r.bySource.filter((s) => REFERRAL.test(s.id));
  const paid = r.bySource.filter((s) => PAID.test(s.id));
  const rate = (gs: GroupStats[]) => {
    const n = gs.reduce((a, g) => a + g.leads, 0);
    return n ? gs.reduce((a, g) => a + g.converted, 0) / n : null;
  };
  const rr = rate(referral);
  const pr = rate(paid);
  if (rr !== null && pr !== null && rr >= 2 * pr && rr > 0)
    out.push(
      `Referrals convert at ${pct(rr)}, paid channels at ${pct(pr)}: the seed's warning sign — check the routing of paid leads (handler, SLA, first touch), not the channel.`,
    );
  if (r.totals.cameBack > 0)
    out.push(
      `${r.totals.cameBack} lead(s) came back after going unanswered ("I reached out a few weeks ago and never heard back").`,
    );
  const catchAll = r.byType.find((t) => t.id === catchAllId);
  if (catchAll && r.totals.leads > 0) {
    const share = catchAll.leads / r.totals.leads;
    if (share > 0.2)
      out.push(`${pct(share)} of leads fell to the catch-all "${catchAll.id}": a type is missing.`);
  }
  for (const t of r.byType)
    if (t.slaHitRate !== null && t.slaHitRate < 0.8)
      out.push(`${t.id}: SLA hit rate ${pct(t.slaHitRate)} (${t.slaMissed} missed).`);
  if (r.typesNeverMatched.length)
    out.push(`Types that never matched: ${r.typesNeverMatched.join(', ')}.`);
  if (r.staleness.overdue)
    out.push(
      `reviewed_on ${r.staleness.reviewedOn} is ${r.staleness.daysSinceReview} days old (review_every ${r.staleness.reviewEvery}): the review is overdue.`,
    );
  return out;
}
