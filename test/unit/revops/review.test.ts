import { describe, expect, it } from 'vitest';
import { loadRoutingConfigFile } from '../../../src/config-file.ts';
import { computeReview, percentile } from '../../../src/revops/review.ts';
import { DATA, NOW, strategic, T } from '../../fixtures/revops/review-data.ts';
import { formatReviewMarkdown, formatReviewText } from '../../../src/revops/review-format.ts';
import { formatReviewHtml } from '../../../src/revops/review-html.ts';

const { config } = await loadRoutingConfigFile('config/routing.yaml');

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
