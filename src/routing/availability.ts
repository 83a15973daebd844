/**
 * Is a handler able to act on this lead within its SLA?
 *
 * Exports
 * - `unavailability(handler, at, sla, opts?): string | null` — null when available, else the reason
 *   in plain words (`marcus away 2026-12-22..2027-01-02`).
 * - `slaWindowDates(handler, at, sla, slaCalendar?): { from, to }` — the handler-local dates the
 *   SLA window spans.
 *
 * Policy: working *hours* never make a person unavailable — a lead that arrives at night simply
 * falls due after the next opening (the seed's Monday 08:10). What does: an away range or a holiday
 * of the person's calendar on any local date of the SLA window, where the window runs from the
 * decision to the due instant computed on the weekly hours alone (holidays ignored; otherwise a
 * holiday would only push the due later and never hand the lead on). Also unavailable: handlers
 * who already held this lead and handlers whose CRM owner id was rejected (RoutingState).
 */
import type { RoutingState } from './decision.ts';
import type { Duration } from './duration.ts';
import type { CompiledCalendar } from './calendar.ts';
import type { CompiledHandler } from './handler-schema.ts';
import { addBusinessTimeMs, dayAt, nextDay, nextOpeningMs } from './business-time.ts';

const IGNORE_HOLIDAYS = { ignoreHolidays: true } as const;

export interface AvailabilityOptions {
  /** Calendar the SLA is counted on when the lead type names one; else the handler's own. */
  slaCalendar?: CompiledCalendar;
  state?: RoutingState;
}

/** The SLA window on weekly hours alone (holidays ignored): from the first working instant to the due. */
function slaWindow(
  handler: CompiledHandler,
  at: Date,
  sla: Duration | string,
  slaCalendar: CompiledCalendar,
): { start: number; due: number } {
  const ms = at.getTime();
  return {
    start: nextOpeningMs(slaCalendar, ms, IGNORE_HOLIDAYS),
    due: addBusinessTimeMs(slaCalendar, ms, sla, IGNORE_HOLIDAYS),
  };
}

export function slaWindowDates(
  handler: CompiledHandler,
  at: Date,
  sla: Duration | string,
  slaCalendar: CompiledCalendar = handler.calendar,
): { from: string; to: string } {
  const w = slaWindow(handler, at, sla, slaCalendar);
  return {
    from: dayAt(handler.calendar, w.start).date,
    to: dayAt(handler.calendar, w.due).date,
  };
}

export function unavailability(
  handler: CompiledHandler,
  at: Date,
  sla: Duration | string,
  opts: AvailabilityOptions = {},
): string | null {
  if (opts.state?.previousHolders?.includes(handler.id))
    return `${handler.id} already held this lead`;
  if (opts.state?.unusableHandlers?.includes(handler.id))
    return `${handler.id}'s CRM owner id was rejected by the CRM`;
  if (handler.away.length === 0 && handler.calendar.holidays.size === 0) return null;
  const cal = handler.calendar;
  const w = slaWindow(handler, at, sla, opts.slaCalendar ?? cal);
  const first = dayAt(cal, w.start);
  const from = first.date;
  const to = dayAt(cal, w.due).date;
  for (const a of handler.away) {
    if (a.from <= to && a.to >= from)
      return `${handler.id} away ${a.from}..${a.to}${a.reason ? ` (${a.reason})` : ''}`;
  }
  // Usually one or two days; a `1w` SLA spans about nine.
  for (let d = first, i = 0; i < 400; d = nextDay(cal, d), i++) {
    if (d.holiday !== null && d.windows.length > 0)
      return `${handler.id} off for ${d.holiday === d.date ? `holiday ${d.date}` : `${d.holiday} (${d.date})`}`;
    if (d.date >= to) break;
  }
  return null;
}
