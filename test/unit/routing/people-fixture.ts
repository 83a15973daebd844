// A small hand-built people config (calendars, handlers, pools) for the routing unit tests.
import { HandlersSchema } from '../../../src/routing/handler-schema.ts';
import { CalendarsSchema, HolidayListsSchema } from '../../../src/routing/calendar.ts';
import { PoolsSchema } from '../../../src/routing/pool-schema.ts';
import { compilePeople, type PeopleConfig } from '../../../src/routing/people.ts';

export function peopleConfig(overrides: Partial<Record<string, unknown>> = {}): PeopleConfig {
  const handlers = {
    dana: {
      name: 'Dana Whitfield',
      title: 'Senior Partner',
      email: 'dana@example.com',
      owner: { hubspot: '51234567', salesforce: '005000000000001AAA' },
      calendar: 'weekend_cover',
      manager: 'ava',
    },
    marcus: {
      name: 'Marcus Reed',
      owner: { hubspot: '51234568' },
      calendar: 'weekdays',
      away: [{ from: '2026-12-22', to: '2027-01-02', reason: 'holiday leave' }],
      manager: 'ava',
      senior: 'dana',
    },
    sam: {
      name: 'Sam Ortiz',
      owner: { hubspot: '51234569' },
      calendar: 'weekdays',
      senior: 'dana',
    },
    lee: { name: 'Lee Chen', owner: { hubspot: '51234570' }, calendar: 'weekdays' },
    priya: { name: 'Priya Nair', owner: { hubspot: '51234571' }, calendar: 'berlin' },
    ava: {
      name: 'Ava Stone',
      title: 'VP Sales',
      owner: { hubspot: '51234572' },
      calendar: 'weekdays',
    },
    ...(overrides.handlers as object | undefined),
  };
  return {
    holiday_lists: HolidayListsSchema.parse({
      us: [
        { date: '2026-11-26', name: 'Thanksgiving' },
        { date: '2026-12-25', name: 'Christmas' },
      ],
    }),
    calendars: CalendarsSchema.parse({
      weekdays: {
        timezone: 'America/Los_Angeles',
        weekly: { 'mon-fri': '08:00-18:00' },
        holidays: ['us'],
      },
      weekend_cover: { timezone: 'America/Los_Angeles', weekly: { 'mon-sun': '07:00-21:00' } },
      berlin: { timezone: 'Europe/Berlin', weekly: { 'mon-fri': '09:00-17:00' } },
      ...(overrides.calendars as object | undefined),
    }),
    handlers: HandlersSchema.parse(handlers),
    pools: PoolsSchema.parse({
      commercial: { members: ['sam', 'lee', 'priya'], strategy: 'round_robin', daily_cap: 25 },
      ...(overrides.pools as object | undefined),
    }),
    catch_all: (overrides.catch_all as string | undefined) ?? 'ava',
  };
}

export const people = (overrides: Partial<Record<string, unknown>> = {}) =>
  compilePeople(peopleConfig(overrides));
