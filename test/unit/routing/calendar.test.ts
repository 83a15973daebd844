import { describe, expect, it } from 'vitest';
import {
  CalendarSchema,
  CalendarsSchema,
  checkCalendars,
  compileCalendar,
  parseDayKey,
  parseWindow,
} from '../../../src/routing/calendar.ts';

const messages = (input: unknown): string[] => {
  const r = CalendarSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('CalendarSchema', () => {
  it('accepts the PRODUCT.md calendars', () => {
    expect(
      messages({
        timezone: 'America/Los_Angeles',
        weekly: { 'mon-fri': '08:00-18:00' },
        holidays: ['2026-12-25'],
      }),
    ).toEqual([]);
    expect(
      messages({ timezone: 'America/Los_Angeles', weekly: { 'mon-sun': '07:00-21:00' } }),
    ).toEqual([]);
    expect(
      messages({ timezone: 'Europe/Berlin', weekly: { mon: ['08:00-12:00', '13:00-17:00'] } }),
    ).toEqual([]);
  });

  it('rejects an unknown time zone with an actionable message', () => {
    expect(messages({ timezone: 'America/Los_Angles', weekly: { mon: '08:00-18:00' } })).toEqual([
      'timezone: unknown time zone "America/Los_Angles" (use an IANA name such as America/Los_Angeles or Europe/Berlin)',
    ]);
  });

  it('rejects inverted, malformed and overlapping windows, and bad day keys', () => {
    const m = messages({
      timezone: 'UTC',
      weekly: {
        'mon-fri': '08:00-18:00',
        wed: '17:00-19:00',
        thu: '18:00-08:00',
        fri: '8am-5pm',
        'fri-mon': '10:00-11:00',
        funday: '10:00-11:00',
      },
    });
    expect(m).toEqual([
      'weekly.wed: window "17:00-19:00" overlaps "08:00-18:00" (from mon-fri) on wed',
      'weekly.thu: window "18:00-08:00" ends before it starts: split overnight cover into two days (e.g. "22:00-24:00" and "00:00-06:00")',
      'weekly.fri: "8am-5pm" is not a working window: write "HH:MM-HH:MM" in 24-hour time, e.g. "08:00-18:00"',
      'weekly.fri-mon: "fri-mon" is not a day: use mon..sun or a forward range such as mon-fri (a range that wraps, like fri-mon, must be written as two keys)',
      'weekly.funday: "funday" is not a day: use mon..sun or a forward range such as mon-fri (a range that wraps, like fri-mon, must be written as two keys)',
    ]);
  });

  it('points at the list element of a bad window', () => {
    expect(messages({ timezone: 'UTC', weekly: { mon: ['08:00-12:00', '11:00-13:00'] } })).toEqual([
      'weekly.mon.1: window "11:00-13:00" overlaps "08:00-12:00" (from mon) on mon',
    ]);
  });

  it('rejects an unknown key and an empty week', () => {
    expect(messages({ timezone: 'UTC', weekly: {}, weekend_cover: true })).toHaveLength(2);
  });
});

describe('parse helpers', () => {
  it('reads windows and day ranges', () => {
    expect(parseWindow('08:00-18:00')).toEqual([480, 1080]);
    expect(parseWindow('22:00-24:00')).toEqual([1320, 1440]);
    expect(parseWindow('24:30-25:00')).toBeNull();
    expect(parseDayKey('mon-fri')).toEqual([0, 1, 2, 3, 4]);
    expect(parseDayKey('sun')).toEqual([6]);
    expect(parseDayKey('sun-mon')).toBeNull();
  });
});

describe('checkCalendars', () => {
  it('flags an unknown holiday list with a suggestion, and accepts dates and known lists', () => {
    const cal = CalendarSchema.parse({
      timezone: 'UTC',
      weekly: { 'mon-fri': '09:00-17:00' },
      holidays: ['2026-12-25', 'us_2026', 'us_2062', '2026-02-30'],
    });
    expect(
      checkCalendars({ weekdays: cal }, { us_2026: ['2026-11-26'] }).map(
        (i) => `${i.path.join('.')}: ${i.message}`,
      ),
    ).toEqual([
      'calendars.weekdays.holidays.2: unknown holiday list "us_2062" (did you mean "us_2026"?): use a YYYY-MM-DD date or a name under holiday_lists',
      'calendars.weekdays.holidays.3: unknown holiday list "2026-02-30" (not a real date): use a YYYY-MM-DD date or a name under holiday_lists',
    ]);
  });

  it('compiles holidays from dates and named lists, with names', () => {
    const cal = compileCalendar(
      'weekdays',
      CalendarSchema.parse({
        timezone: 'America/Los_Angeles',
        weekly: { 'mon-fri': '08:00-18:00', sat: ['10:00-12:00', '09:00-10:00'] },
        holidays: ['2026-12-25', 'us'],
      }),
      { us: [{ date: '2026-11-26', name: 'Thanksgiving' }, '2027-01-01'] },
    );
    expect(cal.holidays.get('2026-11-26')).toBe('Thanksgiving');
    expect(cal.holidays.get('2027-01-01')).toBe('us 2027-01-01');
    expect(cal.holidays.get('2026-12-25')).toBe('2026-12-25');
    expect(cal.weekly[5]).toEqual([
      [540, 600],
      [600, 720],
    ]);
    expect(cal.workingDaysPerWeek).toBe(6);
  });
});

describe('overlaps over a day range', () => {
  it('are one issue naming every day, with a clean path under calendars', () => {
    const r = CalendarsSchema.safeParse({
      cover: { timezone: 'UTC', weekly: { 'mon-sun': ['07:00-21:00', '20:00-22:00'] } },
    });
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(
      [
        'cover.weekly.mon-sun.1: window "20:00-22:00" overlaps "07:00-21:00" (from mon-sun) on mon, tue, wed, thu, fri, sat, sun',
      ],
    );
  });
});
