import { describe, expect, it } from 'vitest';
import { CalendarSchema, compileCalendar } from '../../../src/routing/calendar.ts';
import {
  addBusinessTime,
  businessMsBetween,
  formatLocal,
  isOpen,
  nextOpening,
} from '../../../src/routing/business-time.ts';

const LA = 'America/Los_Angeles';
const cal = (weekly: Record<string, string | string[]>, holidays?: string[], zone = LA) =>
  compileCalendar(
    'test',
    CalendarSchema.parse({ timezone: zone, weekly, ...(holidays ? { holidays } : {}) }),
  );
const weekdays = () => cal({ 'mon-fri': '08:00-18:00' }, ['2026-12-25']);
const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();
const H = 3_600_000;

describe('business minutes and hours', () => {
  it('counts from the next opening when closed: Saturday 02:43 + 10m on weekdays is Monday 08:10', () => {
    const due = addBusinessTime(weekdays(), at('2026-11-28T02:43:00-08:00'), '10m');
    expect(formatLocal(weekdays(), due)).toBe('Mon 2026-11-30 08:10 PST');
    expect(iso(due)).toBe('2026-11-30T16:10:00.000Z');
  });

  it('counts inside an open window and carries over the close', () => {
    const c = weekdays();
    expect(iso(addBusinessTime(c, at('2026-11-30T09:00:00-08:00'), '4h'))).toBe(
      '2026-11-30T21:00:00.000Z',
    );
    // Friday 17:30 + 1h = 30 min on Friday and 30 min on Monday.
    expect(iso(addBusinessTime(c, at('2026-11-27T17:30:00-08:00'), '1h'))).toBe(
      '2026-11-30T16:30:00.000Z',
    );
  });

  it('crosses midnight between an evening and an early-morning window', () => {
    const c = cal({ 'mon-sun': ['00:00-06:00', '22:00-24:00'] });
    const due = addBusinessTime(c, at('2026-11-30T23:55:00-08:00'), '10m');
    expect(formatLocal(c, due)).toBe('Tue 2026-12-01 00:05 PST');
  });

  it('skips a holiday: Christmas Eve 17:55 + 10m is Monday 28 December 08:05', () => {
    const due = addBusinessTime(weekdays(), at('2026-12-24T17:55:00-08:00'), '10m');
    expect(formatLocal(weekdays(), due)).toBe('Mon 2026-12-28 08:05 PST');
    // …and ignoring holidays lands on the 25th.
    const plain = addBusinessTime(weekdays(), at('2026-12-24T17:55:00-08:00'), '10m', {
      ignoreHolidays: true,
    });
    expect(formatLocal(weekdays(), plain)).toBe('Fri 2026-12-25 08:05 PST');
  });
});

describe('DST in America/Los_Angeles', () => {
  it('spring forward (2026-03-08): business time is real elapsed time, not wall-clock time', () => {
    const allDay = cal({ 'mon-sun': '00:00-24:00' });
    const due = addBusinessTime(allDay, at('2026-03-08T00:30:00-08:00'), '4h');
    expect(iso(due)).toBe('2026-03-08T12:30:00.000Z');
    expect(formatLocal(allDay, due)).toBe('Sun 2026-03-08 05:30 PDT'); // the wall clock skipped 02:00-03:00
    // A 01:00-04:00 window holds only 2 real hours that night.
    const night = cal({ 'mon-sun': '01:00-04:00' });
    expect(
      businessMsBetween(night, at('2026-03-08T00:00:00-08:00'), at('2026-03-09T00:00:00-07:00')),
    ).toBe(2 * H);
    expect(formatLocal(night, addBusinessTime(night, at('2026-03-08T01:00:00-08:00'), '3h'))).toBe(
      'Mon 2026-03-09 02:00 PDT',
    );
  });

  it('spring forward across a weekend on a weekday calendar keeps local opening hours', () => {
    const due = addBusinessTime(weekdays(), at('2026-03-06T17:00:00-08:00'), '2h');
    expect(iso(due)).toBe('2026-03-09T16:00:00.000Z'); // 09:00 PDT
    expect(formatLocal(weekdays(), due)).toBe('Mon 2026-03-09 09:00 PDT');
  });

  it('fall back (2026-11-01): the repeated hour is worked twice', () => {
    const night = cal({ 'mon-sun': '01:00-04:00' });
    expect(
      businessMsBetween(night, at('2026-11-01T00:00:00-07:00'), at('2026-11-02T00:00:00-08:00')),
    ).toBe(4 * H);
    const due = addBusinessTime(night, at('2026-11-01T01:00:00-07:00'), '3h');
    expect(iso(due)).toBe('2026-11-01T11:00:00.000Z'); // 01:00 PDT + 3 real hours = 03:00 PST
    expect(formatLocal(night, due)).toBe('Sun 2026-11-01 03:00 PST');
    const weekday = addBusinessTime(weekdays(), at('2026-10-30T17:30:00-07:00'), '1h');
    expect(formatLocal(weekdays(), weekday)).toBe('Mon 2026-11-02 08:30 PST');
    expect(iso(weekday)).toBe('2026-11-02T16:30:00.000Z');
  });
});

describe('working days and weeks', () => {
  it('d = N working days later at the same business offset', () => {
    const c = weekdays();
    expect(formatLocal(c, addBusinessTime(c, at('2026-12-01T10:30:00-08:00'), '2d'))).toBe(
      'Thu 2026-12-03 10:30 PST',
    );
    // Friday evening: counting starts at Monday's opening, so 1d is Tuesday 08:00 (one full day of business time).
    expect(formatLocal(c, addBusinessTime(c, at('2026-11-27T20:00:00-08:00'), '1d'))).toBe(
      'Tue 2026-12-01 08:00 PST',
    );
    // Across Christmas: Thu 24th 10:00 + 1d skips the holiday and the weekend.
    expect(formatLocal(c, addBusinessTime(c, at('2026-12-24T10:00:00-08:00'), '1d'))).toBe(
      'Mon 2026-12-28 10:00 PST',
    );
    // Half a day on a 10-hour day is 5 business hours.
    expect(formatLocal(c, addBusinessTime(c, at('2026-12-01T08:00:00-08:00'), '0.5d'))).toBe(
      'Tue 2026-12-01 13:00 PST',
    );
  });

  it('a day offset beyond a shorter landing day lands on its close', () => {
    const c = cal({ 'mon-thu': '08:00-18:00', fri: '08:00-12:00' });
    expect(formatLocal(c, addBusinessTime(c, at('2026-12-03T16:00:00-08:00'), '1d'))).toBe(
      'Fri 2026-12-04 12:00 PST',
    );
  });

  it('w = a calendar week of working days', () => {
    const c = weekdays();
    expect(formatLocal(c, addBusinessTime(c, at('2026-12-02T10:00:00-08:00'), '1w'))).toBe(
      'Wed 2026-12-09 10:00 PST',
    );
    expect(formatLocal(c, addBusinessTime(c, at('2026-12-23T10:00:00-08:00'), '1w'))).toBe(
      'Thu 2026-12-31 10:00 PST',
    );
    const cover = cal({ 'mon-sun': '07:00-21:00' });
    expect(formatLocal(cover, addBusinessTime(cover, at('2026-12-02T10:00:00-08:00'), '1w'))).toBe(
      'Wed 2026-12-09 10:00 PST',
    );
  });
});

describe('isOpen, nextOpening, businessMsBetween', () => {
  it('answers for open, closed and holiday instants', () => {
    const c = weekdays();
    expect(isOpen(c, at('2026-11-30T08:00:00-08:00'))).toBe(true);
    expect(isOpen(c, at('2026-11-30T18:00:00-08:00'))).toBe(false); // windows are [start, end)
    expect(isOpen(c, at('2026-11-28T10:00:00-08:00'))).toBe(false);
    expect(isOpen(c, at('2026-12-25T10:00:00-08:00'))).toBe(false);
    expect(isOpen(c, at('2026-12-25T10:00:00-08:00'), { ignoreHolidays: true })).toBe(true);
    expect(iso(nextOpening(c, at('2026-11-30T09:00:00-08:00')))).toBe('2026-11-30T17:00:00.000Z');
    expect(formatLocal(c, nextOpening(c, at('2026-12-24T19:00:00-08:00')))).toBe(
      'Mon 2026-12-28 08:00 PST',
    );
  });

  it('measures business time between two instants', () => {
    const c = weekdays();
    expect(
      businessMsBetween(c, at('2026-11-27T17:00:00-08:00'), at('2026-11-30T09:00:00-08:00')),
    ).toBe(2 * H);
    expect(
      businessMsBetween(c, at('2026-11-30T09:00:00-08:00'), at('2026-11-27T17:00:00-08:00')),
    ).toBe(0);
    expect(
      businessMsBetween(c, at('2026-11-30T00:00:00-08:00'), at('2026-12-07T00:00:00-08:00')),
    ).toBe(50 * H);
  });

  it('agrees with addBusinessTime (round trip over many starts)', () => {
    const c = cal({ 'mon-fri': ['08:00-12:00', '13:00-18:00'] }, ['2026-03-09']);
    for (let i = 0; i < 200; i++) {
      const from = new Date(Date.UTC(2026, 2, 1) + i * 97 * 60_000 * 7);
      const due = addBusinessTime(c, from, '95m');
      expect(businessMsBetween(c, from, due)).toBe(95 * 60_000);
    }
  });
});
