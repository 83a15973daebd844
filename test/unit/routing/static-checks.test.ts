import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCondition, type CondNode, type KeyedIssue } from '../../../src/routing/conditions.ts';
import { formatIssue } from '../../../src/routing/issue-format.ts';
import { parseRoutingConfig, type ParseOptions } from '../../../src/routing/parse-config.ts';
import { implies } from '../../../src/routing/static-checks.ts';

const minimal = readFileSync(
  join(import.meta.dirname, '../../fixtures/configs/minimal.yaml'),
  'utf8',
);

function findings(text: string, options: ParseOptions = {}): string[] {
  const r = parseRoutingConfig(text, 'routing.yaml', options);
  return (r.ok ? r.warnings : r.issues).map((i) => formatIssue('routing.yaml', i));
}

const node = (c: unknown): CondNode => {
  const issues: KeyedIssue[] = [];
  const n = parseCondition(c, [], issues);
  expect(issues).toEqual([]);
  return n!;
};

describe('static checks', () => {
  it('the minimal fixture is clean', () => {
    expect(findings(minimal)).toEqual([]);
  });

  it('duplicate lead type ids', () => {
    expect(findings(minimal.replace('- id: midsize', '- id: strategic'))).toContain(
      'routing.yaml:21:9 lead_types[1].id: duplicate id "strategic" (already used by lead_types[0])',
    );
  });

  it('unknown backup, pool, calendar and catch-all references, with did-you-mean', () => {
    const text = minimal
      .replace('backup: marcus\n    sla: 10m', 'backup: marcos\n    sla: 10m')
      .replace('catch_all: ops', 'catch_all: opps')
      .replace('handler: ops', 'pool: comercial\n    calendar: weekday');
    const f = findings(text);
    expect(f).toContain(
      'routing.yaml:19:13 lead_types[0].backup: unknown handler "marcos" (did you mean "marcus"?)',
    );
    expect(f).toContain(
      'routing.yaml:4:12 catch_all: unknown handler "opps" (did you mean "ops"?): the catch-all owner must be a handler',
    );
    expect(f).toContain('routing.yaml:38:11 lead_types[4].pool: unknown pool "comercial"');
    expect(f).toContain(
      'routing.yaml:39:15 lead_types[4].calendar: unknown calendar "weekday" (did you mean "weekdays"?)',
    );
  });

  it('unknown problem in a condition, with did-you-mean', () => {
    expect(
      findings(
        minimal.replace('{ problem: operational rebuild }', '{ problem: operational rebuilds }'),
      ),
    ).toEqual([
      'routing.yaml:27:22 lead_types[2].when.problem: unknown problem "operational rebuilds" (did you mean "operational rebuild"?)',
    ]);
  });

  it('the catch-all must be last', () => {
    const text = minimal.replace('    when: always\n', '    when: { industry: Retail }\n');
    expect(findings(text)).toContain(
      'routing.yaml:37:11 lead_types[4].when: the last lead type must be the catch-all (`when: always`), so every lead gets an owner; "everyone_else" is last',
    );
  });

  it('`always` before the end makes the later types unreachable', () => {
    const text = minimal.replace('when: { source.channel: partner }', 'when: always');
    expect(findings(text)).toContain(
      'routing.yaml:37:11 lead_types[4].when: unreachable: "referral" (lead_types[3]) matches every lead (`always`) and comes first; the catch-all must be last',
    );
  });

  it('identical conditions: the later type is unreachable', () => {
    const text = minimal.replace(
      'when: { source.channel: partner }',
      'when: { employees: { gte: 250 } }',
    );
    expect(findings(text)).toContain(
      'routing.yaml:32:11 lead_types[3].when: unreachable: every lead this matches is already taken by "strategic" (lead_types[0]), which comes first (identical conditions)',
    );
  });

  it('a numeric range covered by an earlier type is unreachable', () => {
    const text = minimal.replace(
      'when: { source.channel: partner }',
      'when: { employees: { between: [300, 900] } }',
    );
    expect(findings(text)).toContain(
      'routing.yaml:32:11 lead_types[3].when: unreachable: every lead this matches is already taken by "strategic" (lead_types[0]), which comes first (employees: 300..900 lies within >= 250)',
    );
  });

  it('a type without a backup is a warning, and the config still loads', () => {
    const text = minimal.replace('backup: marcus\n    sla: 10m', 'sla: 10m');
    const r = parseRoutingConfig(text, 'routing.yaml');
    expect(r.ok).toBe(true);
    expect(findings(text)).toEqual([
      'routing.yaml:18:14 warning: lead_types[0].handler: lead type "strategic" has no backup: when dana is away its leads go to the catch-all owner',
    ]);
  });

  it('a stale reviewed_on is a warning when a clock is given', () => {
    expect(findings(minimal, { at: new Date('2027-02-21T00:00:00Z') })).toEqual([]);
    expect(findings(minimal, { at: new Date('2027-02-23T00:00:00Z') })).toEqual([
      'routing.yaml:2:14 warning: reviewed_on: last reviewed 2026-11-24; review_every 90d made a review due 2027-02-22: review the routing rules and update reviewed_on',
    ]);
  });

  it('a note when the taxonomy leaves five to seven types', () => {
    const four = minimal.replace(/ {2}- id: referral[\s\S]*?sla: 2h\n/, '');
    expect(findings(four)).toEqual([
      'routing.yaml:16:3 note: lead_types: 4 lead types: five to seven is the healthy range (fewer hides real differences between leads, more is a taxonomy nobody can keep in their head)',
    ]);
  });
});

describe('implies (unreachable-type analysis)', () => {
  it('detects narrower ranges, subsets and identical conditions', () => {
    expect(
      implies(node({ employees: { gte: 500 } }), node({ employees: { gte: 250 } })),
    ).toBeTruthy();
    expect(
      implies(node({ employees: { gt: 250 } }), node({ employees: { gte: 250 } })),
    ).toBeTruthy();
    expect(
      implies(node({ employees: { gte: 200 } }), node({ employees: { gte: 250 } })),
    ).toBeNull();
    expect(
      implies(node({ employees: 300 }), node({ employees: { between: [250, 999] } })),
    ).toBeTruthy();
    expect(
      implies(node({ industry: 'Retail' }), node({ industry: { in: ['retail', 'Banking'] } })),
    ).toBeTruthy();
    expect(
      implies(
        node({ industry: { in: ['Retail', 'Oil'] } }),
        node({ industry: { in: ['Retail'] } }),
      ),
    ).toBeNull();
  });

  it('reasons through all / any', () => {
    const strategic = node({ any: [{ 'account.target': true }, { employees: { gte: 250 } }] });
    expect(implies(node({ employees: { gte: 1000 }, industry: 'Retail' }), strategic)).toBeTruthy();
    expect(
      implies(node({ any: [{ employees: { gte: 300 } }, { 'account.target': true }] }), strategic),
    ).toBeTruthy();
    expect(
      implies(node({ any: [{ employees: { gte: 300 } }, { industry: 'Retail' }] }), strategic),
    ).toBeNull();
    expect(
      implies(
        node({ employees: { gte: 300 } }),
        node({ employees: { gte: 250 }, industry: 'Retail' }),
      ),
    ).toBeNull();
  });
});
