import { describe, expect, it } from 'vitest';
import { slaWindowDates, unavailability } from '../../../src/routing/availability.ts';
import { people } from './people-fixture.ts';

const p = people({
  handlers: {
    kim: {
      name: 'Kim Park',
      owner: {},
      calendar: 'weekdays',
      away: [{ from: '2026-12-07', to: '2026-12-07' }],
    },
  },
});
const kim = p.handlers.get('kim')!;
const at = (iso: string) => new Date(iso);

describe('unavailability', () => {
  it('working hours alone never make someone unavailable', () => {
    expect(unavailability(kim, at('2026-11-28T02:43:00-08:00'), '10m')).toBeNull(); // Saturday night: due Monday 30th
    expect(slaWindowDates(kim, at('2026-11-28T02:43:00-08:00'), '10m')).toEqual({
      from: '2026-11-30',
      to: '2026-11-30',
    });
    // The next Saturday's window is Monday the 7th, which Kim has off.
    expect(unavailability(kim, at('2026-12-05T02:43:00-08:00'), '10m')).toBe(
      'kim away 2026-12-07..2026-12-07',
    );
  });

  it("a one-day away range is inclusive, in the handler's own zone", () => {
    // Friday 17:55 + 10m runs into Monday the 7th, which Kim has off.
    expect(unavailability(kim, at('2026-12-04T17:55:00-08:00'), '10m')).toBe(
      'kim away 2026-12-07..2026-12-07',
    );
    expect(unavailability(kim, at('2026-12-04T17:00:00-08:00'), '10m')).toBeNull();
    expect(unavailability(kim, at('2026-12-08T08:00:00-08:00'), '10m')).toBeNull();
  });

  it('a holiday on a working day inside the window counts; one outside it does not', () => {
    expect(unavailability(kim, at('2026-11-25T17:55:00-08:00'), '10m')).toBe(
      'kim off for Thanksgiving (2026-11-26)',
    );
    expect(unavailability(kim, at('2026-11-25T09:00:00-08:00'), '10m')).toBeNull();
  });

  it('a multi-day SLA window checks every day it spans', () => {
    expect(unavailability(kim, at('2026-12-03T10:00:00-08:00'), '3d')).toBe(
      'kim away 2026-12-07..2026-12-07',
    );
  });
});
