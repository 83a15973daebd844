/**
 * Working calendars: `calendars:` and `holiday_lists:` in routing.yaml, and their compiled,
 * runtime form.
 *
 * Exports
 * - `HolidayListsSchema`: `holiday_lists: { us_2026: [2026-12-25, { date: 2027-01-01, name: New Year }] }`.
 * - `CalendarSchema` (strict): `{ timezone, weekly, holidays? }`. Structural checks (bad time,
 *   inverted or overlapping windows, unknown zone, bad day key) are zod issues with paths relative
 *   to the calendar, so the config parser positions them like any other schema error.
 * - `checkCalendars(calendars, holidayLists): ConfigIssue[]`: cross-references (a `holidays` entry
 *   that is neither an ISO date nor a `holiday_lists` name), with did-you-mean.
 * - `compileCalendar(name, cal, holidayLists): CompiledCalendar` / `compileCalendars(...)`:
 *   normalised once at load; business-time.ts works only on the compiled form.
 *
 * Weekend cover is not a separate key: a calendar whose `weekly` includes `sat`/`sun` *is* weekend
 * cover (PRODUCT.md's sketch: `weekend_cover: { weekly: { mon-sun: "07:00-21:00" } }`). One
 * concept, one place to read the hours a person is reachable.
 */
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { error, type ConfigIssue } from './config-issue.ts';
import { didYouMean } from './suggest.ts';

export const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type DayName = (typeof DAY_NAMES)[number];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const WINDOW = /^([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$/;
const DAY_KEY = /^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?$/;

export const isIsoDate = (s: string): boolean =>
  ISO_DATE.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid;

/** An ISO date, `2026-12-25`. The yaml package's core schema reads unquoted dates as strings. */
export const IsoDateSchema = z
  .string()
  .refine(isIsoDate, { message: 'expected a date as YYYY-MM-DD, e.g. 2026-12-25' });

export const HolidayListsSchema = z.record(
  z.string(),
  z.array(
    z.union([
      IsoDateSchema,
      z.object({ date: IsoDateSchema, name: z.string().optional() }).strict(),
    ]),
  ),
);
export type HolidayLists = z.infer<typeof HolidayListsSchema>;

/** `"08:00-18:00"` → minutes of the day [480, 1080]; null when malformed. `24:00` ends a day. */
export function parseWindow(text: string): [number, number] | null {
  const m = WINDOW.exec(text.trim());
  if (!m) return null;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (end > 24 * 60) return null;
  return [start, end];
}

/** `mon-fri` → [0..4] (0 = Monday); null when the key is not a day or a forward range. */
export function parseDayKey(key: string): number[] | null {
  const m = DAY_KEY.exec(key.trim());
  if (!m) return null;
  const a = DAY_NAMES.indexOf(m[1] as DayName);
  const b = m[2] ? DAY_NAMES.indexOf(m[2] as DayName) : a;
  if (b < a) return null;
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

const fmt = (min: number): string =>
  `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

export const CalendarSchema = z
  .object({
    /** IANA zone, e.g. America/Los_Angeles. */
    timezone: z.string(),
    /** `mon`..`sun` or a forward range (`mon-fri`, `mon-sun`) → `"08:00-18:00"` or a list of such. */
    weekly: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    /** ISO dates and/or names of `holiday_lists` entries. */
    holidays: z.array(z.string()).optional(),
  })
  .strict()
  .superRefine((cal, ctx) => {
    if (!IANAZone.isValidZone(cal.timezone)) {
      ctx.addIssue({
        code: 'custom',
        path: ['timezone'],
        message: `unknown time zone "${cal.timezone}" (use an IANA name such as America/Los_Angeles or Europe/Berlin)`,
      });
    }
    const perDay: Array<Array<{ start: number; end: number; key: string }>> = DAY_NAMES.map(
      () => [],
    );
    let windows = 0;
    let bad = false;
    for (const [key, value] of Object.entries(cal.weekly)) {
      const days = parseDayKey(key);
      if (!days) {
        bad = true;
        ctx.addIssue({
          code: 'custom',
          path: ['weekly', key],
          message: `"${key}" is not a day: use mon..sun or a forward range such as mon-fri (a range that wraps, like fri-mon, must be written as two keys)`,
        });
        continue;
      }
      const list = Array.isArray(value) ? value : [value];
      list.forEach((text, i) => {
        const path = Array.isArray(value) ? ['weekly', key, i] : ['weekly', key];
        const w = parseWindow(text);
        if (!w) {
          bad = true;
          ctx.addIssue({
            code: 'custom',
            path: [...path],
            message: `"${text}" is not a working window: write "HH:MM-HH:MM" in 24-hour time, e.g. "08:00-18:00"`,
          });
          return;
        }
        if (w[1] <= w[0]) {
          bad = true;
          ctx.addIssue({
            code: 'custom',
            path: [...path],
            message: `window "${text}" ends before it starts: split overnight cover into two days (e.g. "22:00-24:00" and "00:00-06:00")`,
          });
          return;
        }
        windows++;
        // One issue per overlapping pair, naming every day it happens on (not one per day).
        const clashes = new Map<string, { other: string; days: string[] }>();
        for (const d of days) {
          for (const other of perDay[d]!) {
            if (w[0] < other.end && other.start < w[1]) {
              const label = `"${fmt(other.start)}-${fmt(other.end)}" (from ${other.key})`;
              const c = clashes.get(label) ?? { other: label, days: [] };
              c.days.push(DAY_NAMES[d]!);
              clashes.set(label, c);
            }
          }
          perDay[d]!.push({ start: w[0], end: w[1], key });
        }
        for (const c of clashes.values()) {
          ctx.addIssue({
            code: 'custom',
            path: [...path],
            message: `window "${text}" overlaps ${c.other} on ${c.days.join(', ')}`,
          });
        }
      });
    }
    if (windows === 0 && !bad) {
      ctx.addIssue({
        code: 'custom',
        path: ['weekly'],
        message: 'a calendar needs at least one working window, e.g. { mon-fri: "08:00-18:00" }',
      });
    }
  });
export type CalendarConfig = z.infer<typeof CalendarSchema>;

export const CalendarsSchema = z.record(z.string(), CalendarSchema);

/** Cross-references of `calendars:`: holiday entries that are neither a date nor a known list. */
export function checkCalendars(
  calendars: Record<string, CalendarConfig>,
  holidayLists: HolidayLists = {},
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const lists = Object.keys(holidayLists);
  for (const [name, cal] of Object.entries(calendars)) {
    (cal.holidays ?? []).forEach((h, i) => {
      if (isIsoDate(h) || h in holidayLists) return;
      const hint = ISO_DATE.test(h) ? ' (not a real date)' : didYouMean(h, lists);
      issues.push(
        error(
          ['calendars', name, 'holidays', i],
          `unknown holiday list "${h}"${hint}: use a YYYY-MM-DD date or a name under holiday_lists`,
        ),
      );
    });
  }
  return issues;
}

/** A calendar ready for arithmetic. Treat as immutable; `dayCache` is a private memo. */
export interface CompiledCalendar {
  name: string;
  zone: string;
  /** Index 0 = Monday … 6 = Sunday: sorted, non-overlapping [startMin, endMin) windows. */
  weekly: Array<Array<[number, number]>>;
  /** ISO date → holiday name (or the date itself when unnamed). */
  holidays: Map<string, string>;
  /** Working days in a plain week (days with at least one window): `1w` = this many working days. */
  workingDaysPerWeek: number;
  /** Memo of per-day UTC windows, keyed by ISO date. Pure: same inputs, same entries. */
  dayCache: Map<string, DayWindows>;
  /** The day looked up last: most lookups land on it again, and it saves a zone conversion. */
  recent: DayWindows | null;
  /**
   * 15-minute UTC bucket → day. Every zone offset and DST switch in use is a multiple of 15
   * minutes, so a bucket never straddles two local days; a lookup here skips luxon (a zone
   * conversion costs ~30 µs through Intl, a Map hit well under 1 µs).
   */
  buckets: Map<number, DayWindows>;
}

/** One local day of a calendar: its UTC windows (ms), and where the next day starts. */
export interface DayWindows {
  date: string;
  /** ms of local 00:00 of this day. */
  startMs: number;
  /** ms of local 00:00 of the next day (23, 24 or 25 hours later). */
  nextMs: number;
  holiday: string | null;
  /** Windows as [startMs, endMs), holiday or not (availability needs the weekly shape). */
  windows: Array<[number, number]>;
  /** UTC offset in minutes at the start and at the end of the day (differ on a DST switch day). */
  offsetStart: number;
  offsetEnd: number;
  /** ISO week of this local day, e.g. `2026-W48` (pool weekly caps). */
  week: string;
  /** The following local day, linked once looked up (walking forward is then pointer chasing). */
  next?: DayWindows;
}

/** Normalises one calendar. Assumes the config passed CalendarSchema and checkCalendars. */
export function compileCalendar(
  name: string,
  cal: CalendarConfig,
  holidayLists: HolidayLists = {},
): CompiledCalendar {
  const weekly: Array<Array<[number, number]>> = DAY_NAMES.map(() => []);
  for (const [key, value] of Object.entries(cal.weekly)) {
    const days = parseDayKey(key) ?? [];
    for (const text of Array.isArray(value) ? value : [value]) {
      const w = parseWindow(text);
      if (!w || w[1] <= w[0]) continue;
      for (const d of days) weekly[d]!.push(w);
    }
  }
  for (const day of weekly) day.sort((a, b) => a[0] - b[0]);
  const holidays = new Map<string, string>();
  for (const h of cal.holidays ?? []) {
    if (isIsoDate(h)) {
      holidays.set(h, holidays.get(h) ?? h);
      continue;
    }
    for (const entry of holidayLists[h] ?? []) {
      if (typeof entry === 'string') holidays.set(entry, holidays.get(entry) ?? `${h} ${entry}`);
      else holidays.set(entry.date, entry.name ?? `${h} ${entry.date}`);
    }
  }
  return {
    name,
    zone: cal.timezone,
    weekly,
    holidays,
    workingDaysPerWeek: weekly.filter((d) => d.length > 0).length,
    dayCache: new Map(),
    recent: null,
    buckets: new Map(),
  };
}

export function compileCalendars(
  calendars: Record<string, CalendarConfig>,
  holidayLists: HolidayLists = {},
): Map<string, CompiledCalendar> {
  return new Map(
    Object.entries(calendars).map(([name, cal]) => [
      name,
      compileCalendar(name, cal, holidayLists),
    ]),
  );
}
