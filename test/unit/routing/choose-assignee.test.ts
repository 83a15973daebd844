import { describe, expect, it } from 'vitest';
import { chooseAssignee, type AssignmentRule } from '../../../src/routing/choose-assignee.ts';
import { emptyRoutingState } from '../../../src/routing/decision.ts';
import { checkPeople } from '../../../src/routing/people.ts';
import { people, peopleConfig } from './people-fixture.ts';

const strategic: AssignmentRule = {
  id: 'strategic',
  handler: 'marcus',
  backup: 'dana',
  sla: '10m',
};
const lead = { company: 'Acme', first_name: 'Jo' };
const at = (iso: string) => new Date(iso);
const reasons = (trace: Array<{ reason: string }>) => trace.map((s) => s.reason);

describe('chooseAssignee: handler → backup → pool → catch-all', () => {
  it('gives the lead to the handler when available, and names the backup', () => {
    const c = chooseAssignee(
      people(),
      strategic,
      lead,
      at('2026-12-01T10:00:00-08:00'),
      emptyRoutingState(),
    );
    expect(c.assignee).toMatchObject({
      via: 'handler',
      handlerId: 'marcus',
      name: 'Marcus Reed',
      ownerIds: { hubspot: '51234568' },
    });
    expect(c.backup).toEqual({ handlerId: 'dana', name: 'Dana Whitfield' });
    expect(c.slaCalendar.name).toBe('weekdays');
    expect(c.poolIncrement).toBeNull();
    expect(reasons(c.trace)).toEqual(['handler marcus (Marcus Reed) for strategic']);
  });

  it('an away handler falls to the backup, and the trace says who and why', () => {
    const c = chooseAssignee(
      people(),
      strategic,
      lead,
      at('2026-12-23T10:00:00-08:00'),
      emptyRoutingState(),
    );
    expect(c.assignee).toMatchObject({ via: 'backup', handlerId: 'dana' });
    expect(c.backup).toBeNull();
    expect(c.slaCalendar.name).toBe('weekend_cover');
    expect(c.trace[0]).toMatchObject({
      stage: 'availability',
      ruleId: 'marcus',
      outcome: 'skipped',
    });
    expect(reasons(c.trace)).toEqual([
      'marcus away 2026-12-22..2027-01-02 (holiday leave) → backup dana',
      'backup dana (Dana Whitfield) for strategic',
    ]);
  });

  it('an away range that starts inside the SLA window counts: Monday 21 Dec 17:55 + 10m lands on the 22nd', () => {
    const c = chooseAssignee(
      people(),
      strategic,
      lead,
      at('2026-12-21T17:55:00-08:00'),
      emptyRoutingState(),
    );
    expect(c.assignee.handlerId).toBe('dana');
    const early = chooseAssignee(
      people(),
      strategic,
      lead,
      at('2026-12-21T17:00:00-08:00'),
      emptyRoutingState(),
    );
    expect(early.assignee.handlerId).toBe('marcus');
  });

  it('a holiday in the SLA window skips the handler', () => {
    const rule: AssignmentRule = { id: 'mid', handler: 'sam', backup: 'dana', sla: '10m' };
    const xmas = chooseAssignee(
      people(),
      rule,
      lead,
      at('2026-12-24T17:55:00-08:00'),
      emptyRoutingState(),
    );
    expect(reasons(xmas.trace)[0]).toBe('sam off for Christmas (2026-12-25) → backup dana');
    expect(xmas.assignee.handlerId).toBe('dana');
    const before = chooseAssignee(
      people(),
      rule,
      lead,
      at('2026-12-24T10:00:00-08:00'),
      emptyRoutingState(),
    );
    expect(before.assignee.handlerId).toBe('sam');
  });

  it('handler and backup both away → pool', () => {
    const p = people({
      handlers: {
        dana: {
          name: 'Dana Whitfield',
          owner: { hubspot: '51234567' },
          calendar: 'weekend_cover',
          away: [{ from: '2026-12-20', to: '2026-12-27' }],
        },
      },
    });
    const rule: AssignmentRule = { ...strategic, pool: 'commercial' };
    const c = chooseAssignee(p, rule, lead, at('2026-12-23T10:00:00-08:00'), emptyRoutingState());
    expect(c.assignee).toMatchObject({ via: 'pool', pool: 'commercial', handlerId: 'sam' });
    expect(c.poolIncrement).toEqual({
      pool: 'commercial',
      member: 'sam',
      day: '2026-12-23',
      week: '2026-W52',
    });
    expect(reasons(c.trace)).toEqual([
      'marcus away 2026-12-22..2027-01-02 (holiday leave) → backup dana',
      'dana away 2026-12-20..2026-12-27 → pool commercial',
      'pool commercial → sam (round robin: 0 picks so far, the fewest)',
    ]);
    expect(c.backup).toBeNull(); // the backup was skipped as away: naming them would mislead the fallback
  });

  it('everyone away → the catch-all owner, who takes it even when away', () => {
    const away = [{ from: '2026-12-01', to: '2026-12-31' }];
    const p = people({
      handlers: Object.fromEntries(
        Object.entries(peopleConfig().handlers).map(([id, h]) => [id, { ...h, away }]),
      ),
    });
    const rule: AssignmentRule = { ...strategic, pool: 'commercial' };
    const c = chooseAssignee(p, rule, lead, at('2026-12-09T10:00:00-08:00'), emptyRoutingState());
    expect(c.assignee).toMatchObject({ via: 'catch_all', handlerId: 'ava' });
    expect(reasons(c.trace)).toEqual([
      'marcus away 2026-12-01..2026-12-31 → backup dana',
      'dana away 2026-12-01..2026-12-31 → pool commercial',
      'sam away 2026-12-01..2026-12-31',
      'lee away 2026-12-01..2026-12-31',
      'priya away 2026-12-01..2026-12-31',
      'no member of pool commercial is available → catch-all owner ava',
      'catch-all owner ava (Ava Stone) takes the lead although ava away 2026-12-01..2026-12-31: nobody else was available',
    ]);
  });

  it('never goes back to a previous holder or a CRM-rejected owner', () => {
    const c = chooseAssignee(people(), strategic, lead, at('2026-12-01T10:00:00-08:00'), {
      poolCounts: {},
      previousHolders: ['marcus'],
    });
    expect(c.assignee.handlerId).toBe('dana');
    expect(reasons(c.trace)[0]).toBe('marcus already held this lead → backup dana');
    const u = chooseAssignee(people(), strategic, lead, at('2026-12-01T10:00:00-08:00'), {
      poolCounts: {},
      unusableHandlers: ['marcus', 'dana'],
    });
    expect(u.assignee).toMatchObject({ via: 'catch_all', handlerId: 'ava' });
  });

  it('counts the SLA window on the type calendar when one is named', () => {
    // On Saturday with weekend cover as the type calendar, marcus's window is Saturday itself.
    const rule: AssignmentRule = { ...strategic, calendar: 'weekend_cover' };
    const c = chooseAssignee(
      people(),
      rule,
      lead,
      at('2026-11-28T02:43:00-08:00'),
      emptyRoutingState(),
    );
    expect(c.assignee.handlerId).toBe('marcus');
    expect(c.slaCalendar.name).toBe('weekend_cover');
  });
});

describe('existing account owner wins (account_owner_wins: true)', () => {
  const rule: AssignmentRule = { ...strategic, account_owner_wins: true };
  it('routes to the handler whose CRM owner id owns the account', () => {
    const c = chooseAssignee(
      people(),
      rule,
      { ...lead, account: { owner: { hubspot: '51234569' } } },
      at('2026-12-01T10:00:00-08:00'),
      emptyRoutingState(),
    );
    expect(c.assignee).toMatchObject({ via: 'account_owner', handlerId: 'sam' });
    expect(c.trace).toEqual([
      {
        stage: 'account',
        ruleId: 'sam',
        outcome: 'chosen',
        reason: 'account owner sam (Sam Ortiz) for strategic',
      },
    ]);
  });

  it('matches by Salesforce user id too, and falls back to the handler when the owner is away', () => {
    const sf = chooseAssignee(
      people(),
      rule,
      { account: { owner: { salesforce: '005000000000001AAA' } } },
      at('2026-12-01T10:00:00-08:00'),
      emptyRoutingState(),
    );
    expect(sf.assignee).toMatchObject({ via: 'account_owner', handlerId: 'dana' });
    const away = chooseAssignee(
      people(),
      { ...rule, handler: 'dana', backup: 'sam' },
      { account: { owner: { hubspot: '51234568' } } },
      at('2026-12-23T10:00:00-08:00'),
      emptyRoutingState(),
    );
    expect(reasons(away.trace)[0]).toBe(
      'marcus away 2026-12-22..2027-01-02 (holiday leave) → handler dana',
    );
    expect(away.assignee).toMatchObject({ via: 'handler', handlerId: 'dana' });
  });

  it('says so when the owner is unknown or missing, and routes on', () => {
    const unknown = chooseAssignee(
      people(),
      rule,
      { account: { owner: { hubspot: '999' } } },
      at('2026-12-01T10:00:00-08:00'),
      emptyRoutingState(),
    );
    expect(reasons(unknown.trace)[0]).toBe('account owner hubspot 999 is not a configured handler');
    expect(unknown.assignee.handlerId).toBe('marcus');
    const missing = chooseAssignee(
      people(),
      rule,
      {},
      at('2026-12-01T10:00:00-08:00'),
      emptyRoutingState(),
    );
    expect(missing.trace[0]).toMatchObject({ stage: 'account', outcome: 'missing' });
  });
});

describe('checkPeople', () => {
  it('reports unknown references with suggestions', () => {
    const cfg = peopleConfig({
      handlers: {
        zed: { name: 'Zed', owner: {}, calendar: 'weekday', manager: 'dna', senior: 'zed' },
      },
      pools: { p: { members: ['sam', 'lea'], strategy: 'round_robin' } },
      catch_all: 'avaa',
    });
    expect(checkPeople(cfg).map((i) => `${i.severity} ${i.path.join('.')}: ${i.message}`)).toEqual([
      'error handlers.zed.calendar: unknown calendar "weekday" (did you mean "weekdays"?)',
      'error handlers.zed.manager: unknown handler "dna" (did you mean "dana"?)',
      'warning handlers.zed.senior: zed is their own senior: an escalation or re-route would go nowhere',
      'error pools.p.members.1: unknown handler "lea" (did you mean "lee"?)',
      'error catch_all: unknown handler "avaa" (did you mean "ava"?): the catch-all owner must be a handler',
    ]);
  });
});
