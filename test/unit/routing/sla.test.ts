import { describe, expect, it } from 'vitest';
import { checkTargetSla, computeSla } from '../../../src/routing/sla.ts';
import { people } from './people-fixture.ts';

const p = people();
const weekdays = p.calendars.get('weekdays')!;
const berlin = p.calendars.get('berlin')!;

describe('computeSla', () => {
  it('returns the due instant in UTC and in the calendar zone, with a trace a human can read', () => {
    const { due, trace } = computeSla('4h', weekdays, new Date('2026-12-01T16:30:00-08:00'));
    expect(due).toEqual({
      duration: '4h',
      calendar: 'weekdays',
      timezone: 'America/Los_Angeles',
      dueUtc: '2026-12-02T18:30:00.000Z',
      dueLocal: '2026-12-02T10:30:00.000-08:00',
    });
    expect(trace).toEqual({
      stage: 'sla',
      outcome: 'info',
      reason:
        'SLA 4h of business time on calendar weekdays: due Wed 2026-12-02 10:30 PST (2026-12-02T18:30:00.000Z); counting from now (open)',
    });
  });

  it('renders the local time in the zone of the calendar, with its offset across DST', () => {
    expect(computeSla('10m', berlin, new Date('2026-03-27T16:55:00+01:00')).due.dueLocal).toBe(
      '2026-03-30T09:05:00.000+02:00', // Berlin moved to CEST on Sunday 29 March
    );
  });

  it('skips Thanksgiving from a named holiday list', () => {
    expect(computeSla('1h', weekdays, new Date('2026-11-25T17:30:00-08:00')).due.dueLocal).toBe(
      '2026-11-27T08:30:00.000-08:00',
    );
  });
});

describe('checkTargetSla (the seed: more than thirty minutes is not yet a strategic function)', () => {
  it('warns for target types above 30 business minutes, including any d/w SLA', () => {
    const issues = checkTargetSla([
      { id: 'strategic', target: true, sla: '10m' },
      { id: 'abm', target: true, sla: '30m' },
      { id: 'slow_target', target: true, sla: '45m' },
      { id: 'day_target', target: true, sla: '1d' },
      { id: 'volume', sla: '4h' },
    ]);
    expect(issues.map((i) => [i.severity, i.path, i.message])).toEqual([
      [
        'warning',
        ['lead_types', 2, 'sla'],
        "slow_target is a target type with an SLA of 45m, above 30 business minutes: a target account's lead should be answered within half an hour of business time",
      ],
      [
        'warning',
        ['lead_types', 3, 'sla'],
        "day_target is a target type with an SLA of 1d, above 30 business minutes: a target account's lead should be answered within half an hour of business time",
      ],
    ]);
  });
});
