import { describe, expect, it } from 'vitest';
import {
  compileCondition,
  describeNode,
  parseCondition,
  type KeyedIssue,
} from '../../../src/routing/conditions.ts';
import type { Lead } from '../../../src/routing/lead.ts';

function compile(input: unknown) {
  const issues: KeyedIssue[] = [];
  const node = parseCondition(input, ['when'], issues);
  expect(issues).toEqual([]);
  return compileCondition(node!);
}

/** The failure reason, or 'match'. */
function check(input: unknown, lead: Lead, problem: string | null = null): string {
  return compile(input)({ lead, problem })?.reason ?? 'match';
}

function issuesOf(input: unknown): KeyedIssue[] {
  const issues: KeyedIssue[] = [];
  parseCondition(input, ['when'], issues);
  return issues;
}

describe('condition operators', () => {
  const lead: Lead = {
    employees: 180,
    industry: 'Logistics',
    title: 'Director of Operations',
    message: 'We’re thinking through some operational rebuild work.',
    account: { target: true, tier: 'A' },
    source: { channel: 'web', utm: { source: 'google' } },
    behaviour: { pages_viewed: 7, trial_user: true },
    fields: { hs_lead_status: 'NEW', seats: '40' },
  };

  it('always matches', () => {
    expect(check('always', {})).toBe('match');
  });

  it('eq: shorthand and explicit, strings case-insensitive, booleans', () => {
    expect(check({ industry: 'logistics' }, lead)).toBe('match');
    expect(check({ industry: { eq: 'Retail' } }, lead)).toBe(
      'industry: "Logistics" is not "Retail"',
    );
    expect(check({ 'account.target': true }, lead)).toBe('match');
    expect(check({ 'account.target': false }, lead)).toBe('account.target: true is not false');
    expect(check({ employees: 180 }, lead)).toBe('match');
  });

  it('ne', () => {
    expect(check({ industry: { ne: 'Retail' } }, lead)).toBe('match');
    expect(check({ industry: { ne: 'logistics' } }, lead)).toBe(
      'industry: is "Logistics" (must not be)',
    );
  });

  it('in / not_in, and a list as shorthand for in', () => {
    expect(check({ industry: { in: ['Retail', 'Logistics'] } }, lead)).toBe('match');
    expect(check({ industry: ['Retail', 'Banking'] }, lead)).toBe(
      'industry: "Logistics" not in ["Retail", "Banking"]',
    );
    expect(check({ industry: { not_in: ['Retail'] } }, lead)).toBe('match');
    expect(check({ industry: { not_in: ['Logistics'] } }, lead)).toBe(
      'industry: "Logistics" is in ["Logistics"]',
    );
  });

  it('gt / gte / lt / lte / between with actual vs expected', () => {
    expect(check({ employees: { gte: 250 } }, lead)).toBe('employees: 180 < 250');
    expect(check({ employees: { gte: 180 } }, lead)).toBe('match');
    expect(check({ employees: { gt: 180 } }, lead)).toBe('employees: 180 <= 180');
    expect(check({ employees: { lt: 100 } }, lead)).toBe('employees: 180 >= 100');
    expect(check({ employees: { lte: 179 } }, lead)).toBe('employees: 180 > 179');
    expect(check({ employees: { between: [100, 249] } }, lead)).toBe('match');
    expect(check({ employees: { between: [200, 249] } }, lead)).toBe(
      'employees: 180 not between 200 and 249',
    );
  });

  it('numeric operators accept numeric strings and reject other text', () => {
    expect(check({ 'fields.seats': { gte: 40 } }, lead)).toBe('match');
    expect(check({ 'fields.hs_lead_status': { gte: 1 } }, lead)).toBe(
      'fields.hs_lead_status: "NEW" is not a number',
    );
  });

  it('contains (case-insensitive, curly quotes folded)', () => {
    expect(check({ message: { contains: "we're thinking" } }, lead)).toBe('match');
    expect(check({ title: { contains: 'vp' } }, lead)).toBe('title: does not contain "vp"');
  });

  it('contains_any_word: whole words and simple plurals', () => {
    expect(check({ message: { contains_any_word: ['rebuild', 'overhaul'] } }, lead)).toBe('match');
    expect(check({ message: { contains_any_word: ['build'] } }, lead)).toBe(
      'message: none of the words ["build"]',
    );
    expect(check({ message: { contains_any_word: ['operational rebuild'] } }, lead)).toBe('match');
    expect(check({ message: { contains_any_word: 'work' } }, lead)).toBe('match');
  });

  it('matches: case-insensitive regex', () => {
    expect(check({ title: { matches: '^(vp|director)\\b' } }, lead)).toBe('match');
    expect(check({ title: { matches: '^chief' } }, lead)).toBe(
      'title: "Director of Operations" does not match /^chief/i',
    );
  });

  it('exists', () => {
    expect(check({ 'account.tier': { exists: true } }, lead)).toBe('match');
    expect(check({ 'account.owner': { exists: true } }, lead)).toBe('account.owner: missing');
    expect(check({ 'account.owner': { exists: false } }, lead)).toBe('match');
    expect(check({ 'account.tier': { exists: false } }, lead)).toBe(
      'account.tier: "A" is present (expected missing)',
    );
  });

  it('problem is a field', () => {
    expect(check({ problem: 'operational rebuild' }, lead, 'operational rebuild')).toBe('match');
    expect(check({ problem: { exists: true } }, lead, null)).toBe('problem: missing');
  });

  it('behaviour.* and fields.* reach arbitrary signals', () => {
    expect(check({ 'behaviour.trial_user': true }, lead)).toBe('match');
    expect(check({ 'behaviour.pages_viewed': { gte: 8 } }, lead)).toBe(
      'behaviour.pages_viewed: 7 < 8',
    );
    expect(check({ 'fields.hs_lead_status': 'new' }, lead)).toBe('match');
  });

  it('missing values never throw: they fail and say "missing"', () => {
    for (const op of [
      { eq: 1 },
      { ne: 1 },
      { in: [1] },
      { not_in: [1] },
      { gt: 1 },
      { gte: 1 },
      { lt: 1 },
      { lte: 1 },
      { between: [1, 2] },
      { contains: 'x' },
      { contains_any_word: ['x'] },
      { matches: 'x' },
      { exists: true },
    ]) {
      expect(check({ 'account.target': op }, {})).toBe('account.target: missing');
      expect(check({ 'source.utm.campaign': op }, { source: {} })).toBe(
        'source.utm.campaign: missing',
      );
    }
    expect(check({ employees: { gte: 250 } }, { employees: undefined })).toBe('employees: missing');
  });

  it('failures carry field, actual and expected', () => {
    const f = compile({ employees: { gte: 250 } })({ lead: { employees: 180 }, problem: null });
    expect(f).toMatchObject({ field: 'employees', actual: 180, expected: 250, missing: false });
  });
});

describe('combinators', () => {
  it('several fields in one map must all hold; the first failure is reported', () => {
    const c = { employees: { gte: 100 }, industry: 'Logistics' };
    expect(check(c, { employees: 300, industry: 'Logistics' })).toBe('match');
    expect(check(c, { employees: 300, industry: 'Retail' })).toBe(
      'industry: "Retail" is not "Logistics"',
    );
    expect(check({ employees: { gte: 100, lt: 250 } }, { employees: 300 })).toBe(
      'employees: 300 >= 250',
    );
  });

  it('all / any / not', () => {
    const any = { any: [{ 'account.target': true }, { employees: { gte: 250 } }] };
    expect(check(any, { employees: 300 })).toBe('match');
    expect(check(any, { employees: 180 })).toBe(
      'none of: account.target: missing; employees: 180 < 250',
    );
    expect(check({ all: [{ employees: { gte: 1 } }, { industry: 'x' }] }, { employees: 5 })).toBe(
      'industry: missing',
    );
    expect(check({ not: { industry: 'Retail' } }, { industry: 'Logistics' })).toBe('match');
    expect(check({ not: { industry: 'Retail' } }, { industry: 'Retail' })).toBe(
      'not (industry = "Retail"): it holds',
    );
  });

  it('describes a condition in one line', () => {
    const issues: KeyedIssue[] = [];
    const node = parseCondition(
      { any: [{ 'account.target': true }, { employees: { gte: 250 } }] },
      [],
      issues,
    )!;
    expect(describeNode(node)).toBe('account.target = true or employees >= 250');
  });
});

describe('condition errors at load', () => {
  it('unknown field with a did-you-mean, pointing at the key', () => {
    expect(issuesOf({ employes: { gte: 1 } })).toEqual([
      {
        severity: 'error',
        path: ['when', 'employes'],
        message: 'unknown field "employes" (did you mean "employees"?)',
        atKey: true,
      },
    ]);
    expect(issuesOf({ 'account.targt': true })[0]!.message).toBe(
      'unknown field "account.targt" (did you mean "account.target"?)',
    );
  });

  it('unknown operator with a did-you-mean', () => {
    expect(issuesOf({ employees: { gtee: 1 } })[0]!.message).toMatch(
      /^unknown operator "gtee" \(did you mean "gte"\?\)/,
    );
  });

  it('bad regex is an error at load', () => {
    expect(issuesOf({ title: { matches: 'a[' } })[0]).toMatchObject({
      path: ['when', 'title', 'matches'],
      message: expect.stringMatching(/^title matches: invalid regular expression/),
    });
  });

  it('bad operand types and inverted ranges', () => {
    expect(issuesOf({ employees: { gte: 'many' } })[0]!.message).toBe(
      'employees gte: expected a number, got string "many"',
    );
    expect(issuesOf({ employees: { between: [10, 5] } })[0]!.message).toBe(
      'employees between: low 10 is above high 5',
    );
    expect(issuesOf({ industry: { in: [] } })[0]!.message).toMatch(/non-empty list/);
    expect(issuesOf({ 'account.target': { exists: 'yes' } })[0]!.message).toMatch(/true or false/);
    expect(issuesOf({ any: [] })[0]!.message).toBe('`any` takes a non-empty list of conditions');
    expect(issuesOf({})[0]!.message).toMatch(/empty condition/);
    expect(issuesOf('sometimes')[0]!.message).toMatch(/`always` or a map/);
  });

  it('collects every error, not only the first', () => {
    expect(issuesOf({ any: [{ employes: 1 }, { industry: { in: [] } }] })).toHaveLength(2);
  });
});
