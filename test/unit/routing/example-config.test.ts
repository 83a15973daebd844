// The shipped config/routing.yaml and examples/leads/*.json tell the seed's story: every example
// lead lands on the type its name says, and the config validates clean.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyRoutingState } from '../../../src/routing/decision.ts';
import { LeadSchema, type Lead } from '../../../src/routing/lead.ts';
import { parseRoutingConfig } from '../../../src/routing/parse-config.ts';
import type { RoutingConfig } from '../../../src/routing/routing-config.ts';
import { route } from '../../../src/routing/route.ts';
import { classify } from '../../../src/routing/classify.ts';

const root = join(import.meta.dirname, '../../..');
const text = readFileSync(join(root, 'config/routing.yaml'), 'utf8');
const leadsDir = join(root, 'examples/leads');
const loadLead = (name: string): Lead =>
  LeadSchema.parse(JSON.parse(readFileSync(join(leadsDir, name), 'utf8')));

function load(): RoutingConfig {
  const r = parseRoutingConfig(text, 'config/routing.yaml', {
    at: new Date('2026-11-28T00:00:00Z'),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 2));
  return r.config;
}

describe('example config', () => {
  it('validates with no errors, warnings or notes', () => {
    const r = parseRoutingConfig(text, 'config/routing.yaml', {
      at: new Date('2026-11-28T00:00:00Z'),
    });
    expect(r.ok ? r.warnings : r.issues).toEqual([]);
  });

  it('has six types with the catch-all last', () => {
    expect(load().leadTypes.map((t) => t.id)).toEqual([
      'strategic',
      'enterprise_evaluation',
      'midmarket_problem',
      'partner_referral',
      'small_business',
      'everyone_else',
    ]);
  });

  it.each([
    ['saturday-0243-cascadia.json', 'strategic', 'operational rebuild'],
    ['target-account-small.json', 'strategic', 'operational rebuild'],
    ['target-account-owner-away.json', 'strategic', 'operational rebuild'],
    ['enterprise-evaluation-demo.json', 'enterprise_evaluation', 'data migration'],
    ['midmarket-problem.json', 'midmarket_problem', 'scaling'],
    ['partner-referral.json', 'partner_referral', null],
    ['small-business.json', 'small_business', null],
    ['catch-all-unknown-size.json', 'everyone_else', null],
  ])('%s → %s', (file, type, problem) => {
    const c = classify(load(), loadLead(file));
    expect(c.leadType.id).toBe(type);
    expect(c.problem?.problem ?? null).toBe(problem);
  });

  it('every example lead gets the four decisions: who, how fast, first touch, fallback', () => {
    const config = load();
    for (const file of readdirSync(leadsDir).filter((f) => f.endsWith('.json'))) {
      const lead = loadLead(file);
      const d = route(config, lead, new Date(lead.created_at!), emptyRoutingState());
      expect(d.assignee.name, file).toBeTruthy();
      expect(d.sla?.dueUtc, file).toMatch(/Z$/);
      expect(d.firstTouch?.subject, file).toBeTruthy();
      expect(d.firstTouch?.body, file).not.toMatch(/\{\{|\}\}/);
      if (d.leadType !== 'everyone_else') expect(d.fallbackPlan.length, file).toBeGreaterThan(0);
    }
  });

  it('an account owner on leave is skipped with the reason in the trace', () => {
    const lead = loadLead('target-account-owner-away.json');
    const d = route(load(), lead, new Date(lead.created_at!), emptyRoutingState());
    expect(d.assignee).toMatchObject({ handlerId: 'dana', via: 'handler' });
    expect(d.trace).toContainEqual(
      expect.objectContaining({
        outcome: 'skipped',
        reason: 'marcus away 2026-12-22..2027-01-02 (holiday leave) → handler dana',
      }),
    );
  });

  it('render: false leaves the first touch out (the bench measures both)', () => {
    const lead = loadLead('saturday-0243-cascadia.json');
    const d = route(load(), lead, new Date(lead.created_at!), emptyRoutingState(), {
      render: false,
    });
    expect(d.firstTouch).toBeNull();
    expect(d.sla).not.toBeNull();
  });

  it('every example lead file is covered above', () => {
    expect(readdirSync(leadsDir).filter((f) => f.endsWith('.json'))).toHaveLength(8);
  });

  it('the Saturday 02:43 lead: stated problem from the curly-apostrophe message, strategic on the first type', () => {
    const lead = loadLead('saturday-0243-cascadia.json');
    const d = route(load(), lead, new Date(lead.created_at!), emptyRoutingState());
    expect(d.leadType).toBe('strategic');
    expect(d.problem).toBe('operational rebuild');
    expect(d.trace.filter((s) => s.stage === 'classify')).toEqual([
      expect.objectContaining({
        ruleId: 'strategic',
        outcome: 'matched',
        reason: 'strategic: matched (employees: 300 >= 250)',
      }),
    ]);
    // Dana's weekend-cover calendar opens at 07:00 Saturday: due ten business minutes later.
    expect(d.assignee.handlerId).toBe('dana');
    expect(d.backup?.handlerId).toBe('marcus');
    expect(d.sla).toMatchObject({
      calendar: 'weekend_cover',
      dueUtc: '2026-11-28T15:10:00.000Z',
      dueLocal: '2026-11-28T07:10:00.000-08:00',
    });
  });

  it('the trace says why not the earlier types, with actual vs expected', () => {
    const c = classify(load(), loadLead('partner-referral.json'));
    const steps = c.trace.filter((s) => s.stage === 'classify');
    expect(steps.map((s) => [s.ruleId, s.outcome, s.reason])).toEqual([
      [
        'strategic',
        'failed',
        'not strategic: none of: account.target: missing; employees: 40 < 250',
      ],
      [
        'enterprise_evaluation',
        'failed',
        'not enterprise_evaluation: employees: 40 not between 100 and 249',
      ],
      [
        'midmarket_problem',
        'failed',
        'not midmarket_problem: employees: 40 not between 50 and 249',
      ],
      [
        'partner_referral',
        'matched',
        'partner_referral: matched (source.channel: "partner" = "partner")',
      ],
    ]);
    expect(steps[1]).toMatchObject({ field: 'employees', actual: 40, expected: [100, 249] });
    expect(steps[0]!.configLine).toBeGreaterThan(1);
  });

  it('a lead with no size reports "missing" in the trace', () => {
    const c = classify(load(), loadLead('catch-all-unknown-size.json'));
    expect(c.trace.find((s) => s.ruleId === 'small_business')).toMatchObject({
      outcome: 'missing',
      reason: 'not small_business: employees: missing',
    });
  });

  it('is deterministic: same config, lead and clock → same decision, carrying the config hash', () => {
    const config = load();
    const lead = loadLead('small-business.json');
    const at = new Date('2026-12-02T19:00:00Z');
    const a = route(config, lead, at, emptyRoutingState());
    const b = route(load(), lead, at, emptyRoutingState());
    expect(b).toEqual(a);
    expect(a.configHash).toBe(config.hash);
    expect(a.configHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
