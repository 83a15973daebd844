/**
 * Business-time arithmetic on a compiled calendar. All zone and DST work is luxon's; this file
 * only walks local days and their working windows.
 *
 * Exports
 * - `addBusinessTime(cal, from: Date, duration: Duration | string, opts?): Date`
 * - `addBusinessMs(cal, from: Date, ms: number, opts?): Date`
 * - `isOpen(cal, at: Date, opts?): boolean`
 * - `nextOpening(cal, at: Date, opts?): Date` (= `at` when open)
 * - `businessMsBetween(cal, a: Date, b: Date, opts?): number` (0 when b ≤ a)
 * - `localDate(cal, at: Date): string`, `formatLocal(cal, at: Date): string` (for traces),
 *   `isoLocal(cal, at: Date): string` (ISO 8601 with the zone's offset)
 * - The same on epoch ms for the per-decision hot path (no Date allocated):
 *   `addBusinessTimeMs`, `addBusinessMsAt`, `nextOpeningMs`, `formatLocalMs`, `isoLocalMs`
 * - `BusinessTimeError`
 * `opts.ignoreHolidays` counts holidays as ordinary weekdays (used to find the SLA window a person
 * would have had, to decide whether a holiday makes them unavailable).
 *
 * Semantics (docs/business-time.md has the long form):
 * - `s`/`m`/`h` are business seconds/minutes/hours: real elapsed time while the calendar is open.
 *   On the night clocks go back, a window 00:00-06:00 holds 7 real hours; on the night they go
 *   forward it holds 5. A lead arriving while closed starts counting at the next opening.
 * - `d` is working days: N working days later at the same business-time offset into the day
 *   (10:30 on a 08:00-18:00 day is offset 2h30; `2d` later is 10:30 two working days on). A start
 *   while closed counts from the next opening (offset 0). If the landing day is shorter than the
 *   offset, the due is that day's close. A fraction (`1.5d`) adds that share of the landing day's
 *   business time. Working day = a day with at least one window that is not a holiday.
 * - `w` is `d` times the calendar's working days per week (5 for mon-fri, 7 for mon-sun), so `1w`
 *   lands on the same weekday and time a week on, later only when a holiday intervenes.
 */
import { DateTime } from 'luxon';
import { parseDuration, type Duration } from './duration.ts';
import type { CompiledCalendar, DayWindows } from './calendar.ts';
import { isoWall } from './iso-time.ts';

export class BusinessTimeError extends Error {
  override name = 'BusinessTimeError';
}

export interface BusinessTimeOptions {
  /** Treat holidays as ordinary days. */
  ignoreHolidays?: boolean;
}

/** A calendar with a holiday on every working day for this long is a config mistake, not a wait. */
const MAX_DAYS_SEARCHED = 1_000;
/** Bound on the per-calendar day memo: ~3 years of distinct days; cleared, not evicted, when full. */
const DAY_CACHE_LIMIT = 1_100;
const BUCKET_MS = 15 * 60_000;
const BUCKET_LIMIT = DAY_CACHE_LIMIT * 96;

function buildDay(cal: CompiledCalendar, start: DateTime): DayWindows {
  const date = start.toISODate()!;
  const next = start.plus({ days: 1 }).startOf('day');
  const nextMs = next.toMillis();
  const windows: Array<[number, number]> = [];
  for (const [s, e] of cal.weekly[start.weekday - 1]!) {
    // A local time that does not exist (02:30 when clocks spring forward) is moved forward by
    // luxon; an ambiguous one (01:30 when they fall back) takes the first occurrence.
    const sMs = start.set({ hour: Math.floor(s / 60), minute: s % 60 }).toMillis();
    const eMs =
      e === 1440 ? nextMs : start.set({ hour: Math.floor(e / 60), minute: e % 60 }).toMillis();
    if (eMs > sMs) windows.push([sMs, eMs]);
  }
  return {
    date,
    startMs: start.toMillis(),
    nextMs,
    holiday: cal.holidays.get(date) ?? null,
    windows,
    offsetStart: start.offset,
    offsetEnd: DateTime.fromMillis(nextMs - 1, { zone: cal.zone }).offset,
    week: start.toFormat("kkkk-'W'WW"),
  };
}

function remember(cal: CompiledCalendar, day: DayWindows): void {
  if (cal.buckets.size >= BUCKET_LIMIT) cal.buckets.clear();
  for (let b = Math.floor(day.startMs / BUCKET_MS); b * BUCKET_MS < day.nextMs; b++) {
    if (b * BUCKET_MS >= day.startMs && (b + 1) * BUCKET_MS <= day.nextMs) cal.buckets.set(b, day);
  }
}

/** The local day of `cal` that contains instant `ms`. */
export function dayAt(cal: CompiledCalendar, ms: number): DayWindows {
  const r = cal.recent;
  if (r && ms >= r.startMs && ms < r.nextMs) return r;
  const hit = cal.buckets.get(Math.floor(ms / BUCKET_MS));
  if (hit && ms >= hit.startMs && ms < hit.nextMs) return (cal.recent = hit);
  const local = DateTime.fromMillis(ms, { zone: cal.zone });
  const date = local.toISODate()!;
  let day = cal.dayCache.get(date);
  if (!day) {
    if (cal.dayCache.size >= DAY_CACHE_LIMIT) cal.dayCache.clear();
    day = buildDay(cal, local.startOf('day'));
    cal.dayCache.set(date, day);
    remember(cal, day);
  }
  cal.recent = day;
  return day;
}

/** The local day after `day`. */
export function nextDay(cal: CompiledCalendar, day: DayWindows): DayWindows {
  if (day.next && cal.dayCache.get(day.next.date) === day.next) return day.next;
  const n = dayAt(cal, day.nextMs);
  day.next = n;
  return n;
}

const isClosedDay = (day: DayWindows, opts?: BusinessTimeOptions): boolean =>
  day.windows.length === 0 || (day.holiday !== null && !opts?.ignoreHolidays);

/** Calls `visit(start, end, day)` for each open span from `fromMs` on, until it returns true. */
function walkOpen(
  cal: CompiledCalendar,
  fromMs: number,
  opts: BusinessTimeOptions | undefined,
  visit: (start: number, end: number, day: DayWindows) => boolean,
): void {
  let day = dayAt(cal, fromMs);
  for (let i = 0; i < MAX_DAYS_SEARCHED; i++) {
    if (!isClosedDay(day, opts)) {
      for (const [s, e] of day.windows) {
        if (e <= fromMs) continue;
        if (visit(Math.max(s, fromMs), e, day)) return;
      }
    }
    day = nextDay(cal, day);
  }
  throw new BusinessTimeError(
    `calendar ${cal.name} has no working time in the ${MAX_DAYS_SEARCHED} days after ${new Date(fromMs).toISOString()}: check its weekly windows and holidays`,
  );
}

export function isOpen(cal: CompiledCalendar, at: Date, opts?: BusinessTimeOptions): boolean {
  const ms = at.getTime();
  const day = dayAt(cal, ms);
  if (isClosedDay(day, opts)) return false;
  return day.windows.some(([s, e]) => ms >= s && ms < e);
}

// nextOpeningMs / addBusinessMsAt are walkOpen unrolled into plain loops on epoch ms: no visitor
// closure and no Date per call (the SLA, availability and fallback code call them several times
// per decision).

/** `nextOpening` on epoch ms. */
export function nextOpeningMs(
  cal: CompiledCalendar,
  fromMs: number,
  opts?: BusinessTimeOptions,
): number {
  let day = dayAt(cal, fromMs);
  for (let i = 0; i < MAX_DAYS_SEARCHED; i++) {
    if (!isClosedDay(day, opts)) {
      const ws = day.windows;
      for (let k = 0; k < ws.length; k++) {
        const w = ws[k]!;
        if (w[1] > fromMs) return w[0] > fromMs ? w[0] : fromMs;
      }
    }
    day = nextDay(cal, day);
  }
  return noWorkingTime(cal, fromMs);
}

/** `addBusinessMs` on epoch ms. */
export function addBusinessMsAt(
  cal: CompiledCalendar,
  fromMs: number,
  ms: number,
  opts?: BusinessTimeOptions,
): number {
  let remaining = Math.max(0, ms);
  let day = dayAt(cal, fromMs);
  for (let i = 0; i < MAX_DAYS_SEARCHED; i++) {
    if (!isClosedDay(day, opts)) {
      const ws = day.windows;
      for (let k = 0; k < ws.length; k++) {
        const w = ws[k]!;
        const e = w[1];
        if (e <= fromMs) continue;
        const s = w[0] > fromMs ? w[0] : fromMs;
        if (remaining <= e - s) return s + remaining;
        remaining -= e - s;
      }
    }
    day = nextDay(cal, day);
  }
  return noWorkingTime(cal, fromMs);
}

function noWorkingTime(cal: CompiledCalendar, fromMs: number): never {
  throw new BusinessTimeError(
    `calendar ${cal.name} has no working time in the ${MAX_DAYS_SEARCHED} days after ${new Date(fromMs).toISOString()}: check its weekly windows and holidays`,
  );
}

export function nextOpening(cal: CompiledCalendar, at: Date, opts?: BusinessTimeOptions): Date {
  return new Date(nextOpeningMs(cal, at.getTime(), opts));
}

export function addBusinessMs(
  cal: CompiledCalendar,
  from: Date,
  ms: number,
  opts?: BusinessTimeOptions,
): Date {
  return new Date(addBusinessMsAt(cal, from.getTime(), ms, opts));
}

const businessMsOfDay = (day: DayWindows): number =>
  day.windows.reduce((sum, [s, e]) => sum + (e - s), 0);

/** The instant `offset` business ms into `day` (its close when the day is shorter). */
function atOffset(day: DayWindows, offset: number): number {
  let left = offset;
  for (const [s, e] of day.windows) {
    if (left <= e - s) return s + left;
    left -= e - s;
  }
  return day.windows[day.windows.length - 1]![1];
}

function addWorkingDays(
  cal: CompiledCalendar,
  fromMs: number,
  days: number,
  opts?: BusinessTimeOptions,
): number {
  const start = nextOpeningMs(cal, fromMs, opts);
  let day = dayAt(cal, start);
  let offset = 0;
  for (const [s, e] of day.windows) if (s < start) offset += Math.min(e, start) - s;
  const whole = Math.floor(days);
  let counted = 0;
  for (let i = 0; counted < whole; i++) {
    if (i >= MAX_DAYS_SEARCHED)
      throw new BusinessTimeError(
        `calendar ${cal.name} has fewer than ${whole} working days in the ${MAX_DAYS_SEARCHED} days after ${day.date}`,
      );
    day = nextDay(cal, day);
    if (!isClosedDay(day, opts)) counted++;
  }
  const landed = atOffset(day, offset);
  const frac = days - whole;
  if (frac <= 0) return landed;
  return addBusinessMsAt(cal, landed, frac * businessMsOfDay(day), opts);
}

const parsedDurations = new Map<string, Duration | null>();
function durationOf(text: string): Duration | null {
  let d = parsedDurations.get(text);
  if (d === undefined) {
    d = parseDuration(text);
    if (parsedDurations.size < 1_000) parsedDurations.set(text, d);
  }
  return d;
}

/** `addBusinessTime` on epoch ms. */
export function addBusinessTimeMs(
  cal: CompiledCalendar,
  fromMs: number,
  duration: Duration | string,
  opts?: BusinessTimeOptions,
): number {
  const d = typeof duration === 'string' ? durationOf(duration) : duration;
  if (!d) throw new BusinessTimeError(`"${String(duration)}" is not a duration (10m, 4h, 2d, 1w)`);
  if (d.unit === 'd') return addWorkingDays(cal, fromMs, d.value, opts);
  if (d.unit === 'w') return addWorkingDays(cal, fromMs, d.value * cal.workingDaysPerWeek, opts);
  return addBusinessMsAt(cal, fromMs, d.ms, opts);
}

export function addBusinessTime(
  cal: CompiledCalendar,
  from: Date,
  duration: Duration | string,
  opts?: BusinessTimeOptions,
): Date {
  return new Date(addBusinessTimeMs(cal, from.getTime(), duration, opts));
}

export function businessMsBetween(
  cal: CompiledCalendar,
  a: Date,
  b: Date,
  opts?: BusinessTimeOptions,
): number {
  const end = b.getTime();
  if (end <= a.getTime()) return 0;
  let total = 0;
  walkOpen(cal, a.getTime(), opts, (s, e) => {
    if (s >= end) return true;
    total += Math.min(e, end) - s;
    return e >= end;
  });
  return total;
}

/** The local ISO date of an instant in the calendar's zone. */
export function localDate(cal: CompiledCalendar, at: Date): string {
  return dayAt(cal, at.getTime()).date;
}

/** UTC offset (minutes) at an instant: from the day memo unless the day has a DST switch. */
export function offsetAt(cal: CompiledCalendar, ms: number): number {
  const d = dayAt(cal, ms);
  return d.offsetStart === d.offsetEnd
    ? d.offsetStart
    : DateTime.fromMillis(ms, { zone: cal.zone }).offset;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** `zone|offset` → short zone name (PST, GMT+1). Intl naming costs ~400 µs; names never change. */
const zoneNames = new Map<string, string>();

function wall(cal: CompiledCalendar, ms: number): { w: Date; offset: number } {
  const offset = offsetAt(cal, ms);
  return { w: new Date(ms + offset * 60_000), offset };
}

/** Minute → formatted text, per zone: traces format the same few minutes over and over. */
const formatted = new Map<string, Map<number, string>>();
const FORMAT_CACHE_LIMIT = 20_000;

/** `Sat 2026-11-28 07:10 PST`: how traces show an instant to a human. */
export function formatLocal(cal: CompiledCalendar, at: Date): string {
  return formatLocalMs(cal, at.getTime());
}

/** `formatLocal` on epoch ms. */
export function formatLocalMs(cal: CompiledCalendar, ms: number): string {
  // Offsets change only on whole minutes, so one minute always formats the same way.
  const minute = Math.floor(ms / 60_000);
  let byMinute = formatted.get(cal.zone);
  if (!byMinute) formatted.set(cal.zone, (byMinute = new Map()));
  let text = byMinute.get(minute);
  if (text === undefined) {
    if (byMinute.size >= FORMAT_CACHE_LIMIT) byMinute.clear();
    text = formatMinute(cal, new Date(ms));
    byMinute.set(minute, text);
  }
  return text;
}

function formatMinute(cal: CompiledCalendar, at: Date): string {
  const { w, offset } = wall(cal, at.getTime());
  const key = `${cal.zone}|${offset}`;
  let name = zoneNames.get(key);
  if (name === undefined) {
    name = DateTime.fromJSDate(at, { zone: cal.zone }).offsetNameShort ?? cal.zone;
    zoneNames.set(key, name);
  }
  return `${WEEKDAYS[w.getUTCDay()]} ${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())} ${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())} ${name}`;
}

/** Offset in minutes → `-08:00` / `+05:30` (offsets are few; formatted once each). */
const offsetTexts = new Map<number, string>();
function offsetText(offset: number): string {
  let t = offsetTexts.get(offset);
  if (t === undefined) {
    const abs = Math.abs(offset);
    t = `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    if (offsetTexts.size < 1_000) offsetTexts.set(offset, t);
  }
  return t;
}

/** ISO 8601 with the calendar zone's offset, e.g. `2026-11-28T07:10:00.000-08:00`. */
export function isoLocal(cal: CompiledCalendar, at: Date): string {
  return isoLocalMs(cal, at.getTime());
}

/** `isoLocal` on epoch ms: integer formatting (iso-time.ts), no Date, no toISOString. */
export function isoLocalMs(cal: CompiledCalendar, ms: number): string {
  const offset = offsetAt(cal, ms);
  return `${isoWall(ms + offset * 60_000)}${offsetText(offset)}`;
}
