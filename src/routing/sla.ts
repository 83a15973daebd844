/**
 * The "how fast" decision: an SLA per lead type in business time.
 *
 * Exports
 * - `computeSla(duration, calendar, at): { due: SlaDue; trace: TraceStep }` — the due instant on the
 *   given calendar (the assignee's, or the type's `calendar`), in UTC and in the calendar's zone.
 * - `checkTargetSla(leadTypes): ConfigIssue[]` — warns when a type marked `target: true` has an SLA
 *   above 30 business minutes (the seed: "if the answer is more than thirty minutes during business
 *   hours, your routing system is not yet a strategic function"). `d`/`w` SLAs are always above.
 */
import type { SlaDue, TraceStep } from './decision.ts';
import { warning, type ConfigIssue } from './config-issue.ts';
import { parseDuration } from './duration.ts';
import type { CompiledCalendar } from './calendar.ts';
import { addBusinessTimeMs, formatLocalMs, isoLocalMs, nextOpeningMs } from './business-time.ts';
import { isoUtc } from './iso-time.ts';

export const TARGET_SLA_LIMIT_MS = 30 * 60_000;

export function computeSla(
  duration: string,
  calendar: CompiledCalendar,
  at: Date,
): { due: SlaDue; trace: TraceStep } {
  // All on epoch ms with integer ISO formatting: the SLA step was ~20% of a full decision, most
  // of it in Date#toISOString (twice) and Date allocations.
  const atMs = at.getTime();
  const dueMs = addBusinessTimeMs(calendar, atMs, duration);
  const openingMs = nextOpeningMs(calendar, atMs);
  const from =
    openingMs === atMs
      ? 'counting from now (open)'
      : `closed at arrival, counting from the opening ${formatLocalMs(calendar, openingMs)}`;
  const dueUtc = isoUtc(dueMs);
  return {
    due: {
      duration,
      calendar: calendar.name,
      timezone: calendar.zone,
      dueUtc,
      dueLocal: isoLocalMs(calendar, dueMs),
    },
    trace: {
      stage: 'sla',
      outcome: 'info',
      reason: `SLA ${duration} of business time on calendar ${calendar.name}: due ${formatLocalMs(calendar, dueMs)} (${dueUtc}); ${from}`,
    },
  };
}

export function checkTargetSla(
  leadTypes: ReadonlyArray<{ id: string; target?: boolean; sla: string }>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  leadTypes.forEach((t, i) => {
    if (!t.target) return;
    const d = parseDuration(t.sla);
    if (!d) return; // the schema reports a malformed duration
    const above = d.unit === 'd' || d.unit === 'w' || d.ms > TARGET_SLA_LIMIT_MS;
    if (above)
      issues.push(
        warning(
          ['lead_types', i, 'sla'],
          `${t.id} is a target type with an SLA of ${t.sla}, above 30 business minutes: a target account's lead should be answered within half an hour of business time`,
        ),
      );
  });
  return issues;
}
