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
import { DateTime } from 'luxon';
import type { RoutingState } from './decision.ts';
import type { Duration } from './duration.ts';
import type { CompiledCalendar } from './calendar.ts';
import type { CompiledHandler } from './handler-schema.ts';
import { addBusinessTime, localDate, nextOpening } from './business-time.ts';

export interface AvailabilityOptions {
  /** Calendar the SLA is counted on when the lead type names one; else the handler's own. */
  slaCalendar?: CompiledCalendar;
  state?: RoutingState;
}

export function slaWindowDates(
  handler: CompiledHandler,
  at: Date,
  sla: Duration | string,
  slaCalendar: CompiledCalendar = handler.calendar,
): { from: string; to: string } {
  const opts = { ignoreHolidays: true };
  const start = nextOpening(slaCalendar, at, opts);
  const due = addBusinessTime(slaCalendar, at, sla, opts);
  return { from: localDate(handler.calendar, start), to: localDate(handler.calendar, due) };
}

const plusDay = (date: string): string =>
  DateTime.fromISO(date, { zone: 'UTC' }).plus({ days: 1 }).toISODate()!;

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
  const { from, to } = slaWindowDates(handler, at, sla, opts.slaCalendar);
  for (const a of handler.away) {
    if (a.from <= to && a.to >= from)
      return `${handler.id} away ${a.from}..${a.to}${a.reason ? ` (${a.reason})` : ''}`;
  }
  const holidays = handler.calendar.holidays;
  if (holidays.size > 0) {
    // Usually one or two dates; a `1w` SLA spans about nine.
    for (let d = from, i = 0; d <= to && i < 400; d = plusDay(d), i++) {
      const name = holidays.get(d);
      if (name !== undefined)
        return `${handler.id} off for ${name === d ? `holiday ${d}` : `${name} (${d})`}`;
    }
  }
  return null;
}
