import { describe, expect, it } from 'vitest';
import { checkFallback, resolveFallbackPlan } from '../../../src/routing/fallback-plan.ts';
import { FallbackSchema } from '../../../src/routing/fallback-schema.ts';
import { peopleConfig, people } from './people-fixture.ts';

// PRODUCT.md's sketch: the SLA checkpoint and the seed's three branches.
const strategicFallback = FallbackSchema.parse([
  { id: 'sla', after: '10m', when: { touched: false }, then: [{ reassign: 'backup' }] },
  {
    after: '2d',
    branches: [
      {
        when: { opened: true, replied: false },
        then: [{ escalate: 'dana' }, { escalate: { to: 'manager', note: 'opened, no reply' } }],
      },
      {
        when: { opened: false },
        then: [{ task: { channel: 'call', subject: 'Call {{ lead.first_name }}' } }],
      },
      { when: { replied: true, meeting_booked: false }, then: [{ reassign: 'senior' }] },
    ],
  },
]);
const ctx = {
  leadType: { id: 'strategic', handler: 'marcus', backup: 'dana' },
  handlers: peopleConfig().handlers,
  poolIds: ['commercial'],
};
const PATH = ['lead_types', 0, 'fallback'];

describe('resolveFallbackPlan', () => {
  it("resolves each checkpoint to an instant on the assignee's calendar, counted from the decision", () => {
    const cal = people().calendars.get('weekdays')!;
    // Friday 17:55 (open): the SLA checkpoint is Monday 08:05; 2d is the same time two working days on.
    const { plan, trace } = resolveFallbackPlan(
      strategicFallback,
      cal,
      new Date('2026-11-27T17:55:00-08:00'),
    );
    expect(plan).toEqual([
      {
        id: 'sla',
        after: '10m',
        dueUtc: '2026-11-30T16:05:00.000Z',
        branches: [{ when: { touched: false }, then: [{ reassign: 'backup' }] }],
      },
      {
        id: 'cp2',
        after: '2d',
        dueUtc: '2026-12-02T01:55:00.000Z', // Tue 17:55 PST
        branches: [
          {
            when: { opened: true, replied: false },
            then: [{ escalate: 'dana' }, { escalate: { to: 'manager', note: 'opened, no reply' } }],
          },
          {
            when: { opened: false },
            then: [{ task: { channel: 'call', subject: 'Call {{ lead.first_name }}' } }],
          },
          { when: { replied: true, meeting_booked: false }, then: [{ reassign: 'senior' }] },
        ],
      },
    ]);
    expect(trace.map((s) => s.reason)).toEqual([
      'sla after 10m (Mon 2026-11-30 08:05 PST): if touched=false → reassign to backup',
      'cp2 after 2d (Tue 2026-12-01 17:55 PST): if opened=true and replied=false → escalate to dana, escalate to manager; if opened=false → call task; if replied=true and meeting_booked=false → reassign to senior',
    ]);
  });

  it('on a weekend-cover calendar the same plan runs through the weekend', () => {
    const cal = people().calendars.get('weekend_cover')!;
    const { plan } = resolveFallbackPlan(
      strategicFallback,
      cal,
      new Date('2026-11-28T02:43:00-08:00'),
    );
    expect(plan.map((c) => c.dueUtc)).toEqual([
      '2026-11-28T15:10:00.000Z',
      '2026-11-30T15:00:00.000Z',
    ]);
  });

  it('an absent plan is empty', () => {
    expect(
      resolveFallbackPlan(undefined, people().calendars.get('weekdays')!, new Date(0)).plan,
    ).toEqual([]);
  });
});

describe('checkFallback', () => {
  it('accepts the seed plan', () => {
    expect(checkFallback(strategicFallback, PATH, ctx)).toEqual([]);
  });

  it('flags unknown targets, a missing backup or senior, bad task templates, duplicate ids and order', () => {
    const cps = FallbackSchema.parse([
      { id: 'a', after: '2d', then: [{ reassign: 'backup' }, { reassign: { pool: 'comercial' } }] },
      {
        id: 'a',
        after: '1h',
        when: { replied: false },
        then: [
          { reassign: 'senior' },
          { escalate: { to: 'dnaa', notify: 'slack' } },
          { escalate: { to: 'senior' } },
        ],
      },
      {
        after: '3d',
        then: [
          { reassign: { handler: 'lea' } },
          { task: { channel: 'linkedin', body: '{{ lead.nmae }}' } },
          { nurture: true },
        ],
      },
    ]);
    const issues = checkFallback(cps, PATH, {
      ...ctx,
      leadType: { id: 'volume', handler: 'dana', pool: 'commercial' },
    });
    expect(issues.map((i) => `${i.severity} ${i.path.join('.')}: ${i.message}`)).toEqual([
      'error lead_types.0.fallback.0.then.0.reassign: reassign: backup, but lead type volume has no backup: add `backup:` to the type',
      'error lead_types.0.fallback.0.then.1.reassign.pool: unknown pool "comercial" (did you mean "commercial"?)',
      'error lead_types.0.fallback.1.id: checkpoint id "a" is already used by checkpoint 1',
      'warning lead_types.0.fallback.1.after: checkpoint after 1h comes before the previous one (2d); checkpoints read best in time order',
      'warning lead_types.0.fallback.1.then.0.reassign: reassign: senior, but dana has no senior: the lead would stay put when the handler holds it (set `senior:` on handler dana)',
      'error lead_types.0.fallback.1.then.1.escalate.to: unknown handler "dnaa" (did you mean "dana"?)',
      'warning lead_types.0.fallback.1.then.2.escalate.to: escalate to senior, but dana has no senior (set `senior:` on handler dana)',
      'error lead_types.0.fallback.2.then.0.reassign.handler: unknown handler "lea" (did you mean "lee"?)',
      'error lead_types.0.fallback.2.then.1.task.body: template line 1, col 4: unknown variable "lead.nmae"',
    ]);
  });

  it('the schema rejects a checkpoint with both then and branches, or neither, and unknown engagement keys', () => {
    const r = FallbackSchema.safeParse([
      { after: '1h', then: [{ nurture: true }], branches: [{ then: [{ nurture: true }] }] },
      { after: '1h' },
      { after: 'soon', when: { clicked: true }, then: [{ reenrich: true }] },
    ]);
    expect(r.success).toBe(false);
    const msgs = r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(msgs).toContain('0.branches: use either `when` + `then` or `branches`, not both');
    expect(msgs).toContain(
      '1: a checkpoint needs `then: [actions]` or `branches: [{ when, then }]`',
    );
    expect(msgs).toContain('2.after: expected a duration such as 10m, 4h, 2d or 1w');
    expect(msgs.some((m) => m.startsWith('2.when') && m.includes('clicked'))).toBe(true);
  });
});
