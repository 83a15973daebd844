import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRoutingConfigFile } from '../../../src/config-file.ts';
import {
  classifyLeads,
  outcomeFromFields,
  type Outcome,
  type TaxonomyLead,
} from '../../../src/revops/taxonomy.ts';
import { formatTaxonomyMarkdown, formatTaxonomyText } from '../../../src/revops/taxonomy-format.ts';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { runCli } from './run-cli.ts';

const { config } = await loadRoutingConfigFile('config/routing.yaml');
const AT = '2026-12-01T18:00:00Z';
let n = 0;
const lead = (raw: Record<string, unknown>, outcome: Outcome = 'unknown'): TaxonomyLead => {
  n += 1;
  return {
    id: String(n),
    label: String(raw.company ?? n),
    raw: { created_at: AT, ...raw },
    at: null,
    outcome,
  };
};
const web = { channel: 'web', form: 'contact' };

/** Ten leads: five named types carry leads, the catch-all takes two (20 %). */
const TEN: TaxonomyLead[] = [
  lead({ company: 'Big A', employees: 400, source: web }, 'converted'),
  lead({ company: 'Big B', employees: 900, source: web }, 'meeting booked'),
  lead({ company: 'Eval', employees: 150, source: { channel: 'web', form: 'demo-request' } }),
  lead({ company: 'Mid', employees: 80, message: 'we need to scale', source: web }, 'open'),
  lead({ company: 'P1', source: { channel: 'partner' } }, 'converted'),
  lead({ company: 'P2', source: { channel: 'partner' } }, 'converted'),
  lead({ company: 'Small 1', employees: 10, source: web }),
  lead({ company: 'Small 2', employees: 12, source: { channel: 'paid' } }, 'open'),
  lead({ company: 'Who 1', source: { channel: 'paid' }, message: 'pricing?' }),
  lead({ company: 'Who 2', source: web }),
];

describe('taxonomy exercise', () => {
  it('counts per type by source and outcome, catch-all share, samples, verdict', () => {
    const r = classifyLeads(config, TEN);
    expect(r.classified).toBe(10);
    const t = Object.fromEntries(r.types.map((x) => [x.id, x]));
    expect(r.types.map((x) => [x.id, x.leads])).toEqual([
      ['strategic', 2],
      ['enterprise_evaluation', 1],
      ['midmarket_problem', 1],
      ['partner_referral', 2],
      ['small_business', 2],
      ['everyone_else', 2],
    ]);
    expect(t.small_business!.bySource).toEqual({ web: 1, paid: 1 });
    expect(t.partner_referral!.byOutcome).toEqual({
      converted: 2,
      'meeting booked': 0,
      open: 0,
      unknown: 0,
    });
    expect(t.strategic!.byOutcome.converted).toBe(1);
    expect(r.catchAll).toEqual({ id: 'everyone_else', leads: 2, share: 0.2 });
    expect(t.everyone_else!.samples.map((s) => [s.label, s.source, s.message])).toEqual([
      ['Who 1', 'paid', 'pricing?'],
      ['Who 2', 'web', null],
    ]);
    expect(r.sources).toEqual(['paid', 'partner', 'web']);
    expect(r.verdict.fits).toBe(true);
    expect(r.verdict.lines).toEqual([
      'Verdict: the taxonomy fits these leads.',
      '6 types carry leads, inside the healthy 5–7.',
      'The catch-all takes 20% of leads.',
    ]);
    expect(formatTaxonomyText(r)).toMatch(/^strategic +2 +20% +0 +0 +2 +1 +1 +0 +0$/m);
    expect(formatTaxonomyMarkdown(r)).toContain(
      '| everyone_else | 2 | 20% | 1 | 0 | 1 | 0 | 0 | 0 | 2 |',
    );
  });

  it('a catch-all that swallows leads and a dominant type fail the verdict', () => {
    const many = [
      ...Array.from({ length: 6 }, (_, i) => lead({ company: `U${i}`, source: web })),
      ...Array.from({ length: 3 }, (_, i) => lead({ company: `S${i}`, employees: 5, source: web })),
      lead({ company: 'bad', employees: 'lots' }),
    ];
    const r = classifyLeads(config, many);
    expect(r.unclassifiable).toEqual([
      { id: many[9]!.id, label: 'bad', reason: expect.stringContaining('employees') },
    ]);
    expect(r.catchAll.share).toBeCloseTo(6 / 9);
    expect(r.verdict.fits).toBe(false);
    expect(r.verdict.lines[0]).toBe('Verdict: the taxonomy does not fit these leads yet.');
    expect(r.verdict.lines.join('\n')).toContain('Only 1 named type(s) carry leads');
    expect(r.verdict.lines.join('\n')).toContain(
      '67% of leads fall to the catch-all "everyone_else"',
    );
  });

  it('outcomes from CRM fields', () => {
    expect(outcomeFromFields({ lifecyclestage: 'customer' })).toBe('converted');
    expect(outcomeFromFields({ IsConverted: true })).toBe('converted');
    expect(outcomeFromFields({ hs_latest_meeting_activity: '2026-12-01' })).toBe('meeting booked');
    expect(outcomeFromFields({ Status: 'Working - Contacted' })).toBe('open');
    expect(outcomeFromFields({})).toBe('unknown');
    expect(outcomeFromFields(undefined)).toBe('unknown');
  });
});

describe('switchboard taxonomy --source crm (HubSpot double)', () => {
  let hs: HubSpotDouble;
  const saved = { ...process.env };
  beforeAll(async () => {
    hs = await new HubSpotDouble().start();
    hs.addContact('101', {
      email: 'a@p.example',
      company: 'P One',
      hs_analytics_source: 'Partner',
      createdate: '2026-12-01T10:00:00Z',
    });
    hs.addContact('102', {
      email: 'b@p.example',
      company: 'P Two',
      hs_analytics_source: 'Partner Referral',
      createdate: '2026-12-01T11:00:00Z',
    });
    hs.addContact('103', {
      email: 'c@x.example',
      company: 'Ads Co',
      hs_analytics_source: 'PAID_SEARCH',
      createdate: '2026-12-01T12:00:00Z',
    });
    Object.assign(process.env, {
      CRM: 'hubspot',
      HUBSPOT_ACCESS_TOKEN: 'test-token',
      HUBSPOT_BASE_URL: hs.baseUrl,
    });
  });
  afterAll(async () => {
    for (const k of ['CRM', 'HUBSPOT_ACCESS_TOKEN', 'HUBSPOT_BASE_URL'])
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    await hs.stop();
  });

  it('pulls the last N contacts through the adapter and classifies them', async () => {
    const r = await runCli(['taxonomy', '--source', 'crm', '--last', '3', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      leads: number;
      types: Array<{ id: string; leads: number; bySource: Record<string, number> }>;
    };
    expect(j.leads).toBe(3);
    const byId = Object.fromEntries(j.types.map((t) => [t.id, t]));
    expect(byId.partner_referral!.leads).toBe(2);
    expect(byId.everyone_else!.leads).toBe(1);
    expect(byId.everyone_else!.bySource).toEqual({ paid_search: 1 });
    expect(hs.calls('POST', '/crm/v3/objects/contacts/search')).toHaveLength(1);
  });
});
