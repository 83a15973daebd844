/**
 * Handlers: the named people leads go to (`handlers:` in routing.yaml).
 *
 * Exports
 * - `HandlerSchema` (strict): `{ name, title?, email?, owner: { hubspot?, salesforce? }, calendar,
 *   away?: [{ from, to, reason? }], manager?, senior? }`. An inverted away range is a schema issue
 *   at `away[i].to`.
 * - `HandlersSchema`: `z.record(id, HandlerSchema)`.
 * - `checkHandlers(handlers, calendarNames): ConfigIssue[]`: unknown calendar / manager / senior
 *   with did-you-mean; a handler who is their own manager or senior.
 * - `compileHandlers(handlers, calendars): Map<id, CompiledHandler>` and `ownerIndex(...)`.
 *
 * Away ranges are inclusive local dates in the handler's calendar zone: `{ from: 2026-12-22,
 * to: 2027-01-02 }` means away from the first minute of the 22nd to the last of 2 January, as the
 * handler's own wall clock reads them.
 */
import { z } from 'zod';
import { error, warning, type ConfigIssue } from './config-issue.ts';
import { didYouMean } from './suggest.ts';
import { IsoDateSchema, type CompiledCalendar } from './calendar.ts';

export const AwaySchema = z
  .object({ from: IsoDateSchema, to: IsoDateSchema, reason: z.string().optional() })
  .strict();

export const HandlerSchema = z
  .object({
    /** Real name, used in first touches: "Dana Whitfield". */
    name: z.string().min(1),
    title: z.string().optional(),
    email: z.string().optional(),
    /** Owner id per CRM: HubSpot owner id, Salesforce user id (005…). */
    owner: z.object({ hubspot: z.string().optional(), salesforce: z.string().optional() }).strict(),
    /** Name of an entry under `calendars:`. */
    calendar: z.string(),
    away: z.array(AwaySchema).optional(),
    /** Handler id: escalation target (`escalate` / `reassign: manager`). */
    manager: z.string().optional(),
    /** Handler id: re-route target (`reassign: senior`). */
    senior: z.string().optional(),
  })
  .strict()
  .superRefine((h, ctx) => {
    (h.away ?? []).forEach((a, i) => {
      if (a.to < a.from) {
        ctx.addIssue({
          code: 'custom',
          path: ['away', i, 'to'],
          message: `away range ends (${a.to}) before it starts (${a.from}); dates are inclusive, so a single day is { from: ${a.from}, to: ${a.from} }`,
        });
      }
    });
  });
export type HandlerConfig = z.infer<typeof HandlerSchema>;

export const HandlersSchema = z.record(z.string(), HandlerSchema);

export function checkHandlers(
  handlers: Record<string, HandlerConfig>,
  calendarNames: Iterable<string>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const cals = [...calendarNames];
  const ids = Object.keys(handlers);
  for (const [id, h] of Object.entries(handlers)) {
    if (!cals.includes(h.calendar)) {
      issues.push(
        error(
          ['handlers', id, 'calendar'],
          `unknown calendar "${h.calendar}"${didYouMean(h.calendar, cals)}`,
        ),
      );
    }
    for (const key of ['manager', 'senior'] as const) {
      const ref = h[key];
      if (ref === undefined) continue;
      if (!(ref in handlers)) {
        issues.push(
          error(['handlers', id, key], `unknown handler "${ref}"${didYouMean(ref, ids)}`),
        );
      } else if (ref === id) {
        issues.push(
          warning(
            ['handlers', id, key],
            `${id} is their own ${key}: an escalation or re-route would go nowhere`,
          ),
        );
      }
    }
  }
  return issues;
}

export interface CompiledHandler {
  id: string;
  name: string;
  title?: string;
  email?: string;
  owner: { hubspot?: string; salesforce?: string };
  calendar: CompiledCalendar;
  away: Array<{ from: string; to: string; reason?: string }>;
  manager?: string;
  senior?: string;
}

/** Binds each handler to its compiled calendar. Assumes checkHandlers found no errors. */
export function compileHandlers(
  handlers: Record<string, HandlerConfig>,
  calendars: Map<string, CompiledCalendar>,
): Map<string, CompiledHandler> {
  const out = new Map<string, CompiledHandler>();
  for (const [id, h] of Object.entries(handlers)) {
    const calendar = calendars.get(h.calendar);
    if (!calendar) throw new Error(`handler ${id}: calendar "${h.calendar}" is not defined`);
    out.set(id, {
      id,
      name: h.name,
      ...(h.title !== undefined ? { title: h.title } : {}),
      ...(h.email !== undefined ? { email: h.email } : {}),
      owner: { ...h.owner },
      calendar,
      away: [...(h.away ?? [])].sort((a, b) => a.from.localeCompare(b.from)),
      ...(h.manager !== undefined ? { manager: h.manager } : {}),
      ...(h.senior !== undefined ? { senior: h.senior } : {}),
    });
  }
  return out;
}

/** `hubspot:51234567` → handler id, for "existing account owner wins". */
export function ownerIndex(handlers: Map<string, CompiledHandler>): Map<string, string> {
  const idx = new Map<string, string>();
  for (const h of handlers.values()) {
    if (h.owner.hubspot) idx.set(`hubspot:${h.owner.hubspot}`, h.id);
    if (h.owner.salesforce) idx.set(`salesforce:${h.owner.salesforce}`, h.id);
  }
  return idx;
}
