import { describe, expect, it } from 'vitest';
import { loadRoutingConfigFile } from '../../../src/config-file.ts';
import { computeReview, percentile } from '../../../src/revops/review.ts';
import type { ReviewData, ReviewLead } from '../../../src/revops/review-data.ts';
import { formatReviewMarkdown, formatReviewText } from '../../../src/revops/review-format.ts';
import { formatReviewHtml } from '../../../src/revops/review-html.ts';

const { config } = await loadRoutingConfigFile('config/routing.yaml');
const T = (iso: string) => new Date(iso);
const min = (iso: string, m: number) => new Date(Date.parse(iso) + m * 60_000);

const DECIDED = '2026-12-01T18:00:00Z'; // Tue 10:00 Pacific: weekend_cover is open (07:00-21:00)

function strategic(
  id: string,
  touchAfterMin: number | null,
  extra: Partial<ReviewLead> = {},
): ReviewLead {
  return {
    leadId: id,
    label: `Company ${id}`,
    source: 'web',
    leadType: 'strategic',
    handler: 'dana',
    decidedAt: T(DECIDED),
    slaDue: min(DECIDED, 10),
    slaCalendar: 'weekend_cover',
    firstTouchAt: touchAfterMin === null ? null : min(DECIDED, touchAfterMin),
    touchedNoTime: false,
    meetingBooked: false,
    converted: false,
    reassignments: 0,
    cameBack: false,
    ...extra,
  };
}

/** A data set whose every figure is worked out by hand in the comments below. */
export const DATA: ReviewData = {
  since: T('2026-09-06T00:00:00Z'),
  until: T('2026-12-05T00:00:00Z'),
  leads: [
    strategic('1', 5, { meetingBooked: true }), // 5 business min, hit
    strategic('2', 20, { reassignments: 1 }), // 20, miss
    strategic('3', 30), // 30, miss
    strategic('4', null, { source: 'paid', cameBack: true }), // no touch, due passed: miss
    {
      leadId: '5',
      label: 'Partner Co',
      source: 'partner',
      leadType: 'partner_referral',
      handler: 'theo',
      // Tue 17:00 New York; theo's calendar closes at 17:30 and opens Wed 08:30.
      decidedAt: T('2026-12-01T22:00:00Z'),
      slaDue: T('2026-12-02T15:00:00Z'), // 2h of business time: Wed 10:00 New York
      slaCalendar: 'weekdays_eastern',
      firstTouchAt: T('2026-12-02T14:00:00Z'), // Wed 09:00: 30 + 30 = 60 business minutes, hit
      touchedNoTime: false,
      meetingBooked: true,
      converted: true,
      reassignments: 0,
      cameBack: false,
    },
  ],
  fired: [
    { leadType: 'strategic', checkpoint: 'sla', branch: 1 },
    { leadType: 'strategic', checkpoint: 'sla', branch: 1 },
    { leadType: 'strategic', checkpoint: 'day2', branch: null },
  ],
  poolDays: [
    { pool: 'commercial', member: 'sam', day: '2026-12-01', count: 25 }, // at the cap of 25
    { pool: 'commercial', member: 'lee', day: '2026-12-01', count: 20 }, // 80%: near
    { pool: 'commercial', member: 'ava', day: '2026-12-01', count: 19 }, // 76%: not near
  ],
  assignedHandlers: ['dana', 'theo'],
};

const NOW = T('2026-12-05T00:00:00Z');

describe('review figures on a data set known in advance', () => {
  const r = computeReview(DATA, config, NOW);

  it('per type: volume, first touch p50/p90 in business minutes, SLA hit rate, outcomes', () => {
    expect(r.byType.map((g) => g.id)).toEqual(['strategic', 'partner_referral']);
    const s = r.byType[0]!;
    expect(s).toMatchObject({
      leads: 4,
      touched: 3,
      p50Minutes: 20,
      p90Minutes: 30,
      slaHit: 1,
      slaMissed: 3,
      slaHitRate: 0.25,
      reassignments: 1,
      meetingsBooked: 1,
      converted: 0,
      cameBack: 1,
    });
    expect(r.byType[1]).toMatchObject({ leads: 1, p50Minutes: 60, p90Minutes: 60, slaHitRate: 1 });
    expect(r.totals).toMatchObject({
      leads: 5,
      p50Minutes: 20,
      p90Minutes: 60,
      slaHit: 2,
      slaMissed: 3,
    });
  });

  it('by source, and the seed’s warning sign: referrals close, paid channels don’t', () => {
    expect(r.bySource.map((g) => [g.id, g.leads, g.converted])).toEqual([
      ['web', 3, 0],
      ['paid', 1, 0],
      ['partner', 1, 1],
    ]);
    expect(r.findings).toContain(
      "Referrals convert at 100%, paid channels at 0%: the seed's warning sign — check the routing of paid leads (handler, SLA, first touch), not the channel.",
    );
    expect(r.findings.some((f) => f.startsWith('1 lead(s) came back'))).toBe(true);
  });

  it('fallbacks per branch, never-matched types and handlers, caps, staleness', () => {
    expect(r.fallbacks).toEqual([
      { leadType: 'strategic', checkpoint: 'day2', branch: 'no branch matched', fired: 1 },
      { leadType: 'strategic', checkpoint: 'sla', branch: 'branch 1', fired: 2 },
    ]);
    expect(r.typesNeverMatched).toEqual([
      'enterprise_evaluation',
      'midmarket_problem',
      'small_business',
      'everyone_else',
    ]);
    expect(r.handlersNeverMatched).not.toContain('dana');
    expect(r.handlersNeverMatched).toContain('marcus');
    expect(r.handlersNeverMatched).toHaveLength(Object.keys(config.data.handlers).length - 2);
    expect(r.nearCaps).toEqual([
      { pool: 'commercial', member: 'sam', cap: 25, peakDay: 25, daysAtCap: 1, daysNearCap: 1 },
      { pool: 'commercial', member: 'lee', cap: 25, peakDay: 20, daysAtCap: 0, daysNearCap: 1 },
    ]);
    expect(r.staleness).toEqual({
      reviewedOn: '2026-11-24',
      reviewEvery: '90d',
      daysSinceReview: 11,
      dueOn: '2027-02-22',
      overdue: false,
    });
    const late = computeReview(DATA, config, T('2027-03-01T00:00:00Z'));
    expect(late.staleness.overdue).toBe(true);
    expect(late.findings.some((f) => f.includes('the review is overdue'))).toBe(true);
  });

  it('a lead touched only per a checkpoint (time unknown) is neither hit nor missed', () => {
    const d = { ...DATA, leads: [strategic('9', null, { touchedNoTime: true })] };
    expect(computeReview(d, config, NOW).totals).toMatchObject({
      slaHit: 0,
      slaMissed: 0,
      slaHitRate: null,
    });
  });

  it('nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });

  it('text, markdown and html carry the same figures', () => {
    const text = formatReviewText(r);
    expect(text).toMatch(/^strategic +4 +20 +30 +25% \(1\/4\)/m);
    const md = formatReviewMarkdown(r);
    expect(md).toContain('| strategic | 4 | 20 | 30 | 25% (1/4) | 1 | 1 | 0 (0%) | 1 |');
    expect(md).toContain('| strategic | sla | branch 1 | 2 |');
    const html = formatReviewHtml(r);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http/); // self-contained
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).toContain('<td class="n">25% (1/4)</td>');
  });
});
