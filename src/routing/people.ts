/**
 * The people side of routing.yaml compiled once at load: calendars, handlers, pools, the owner
 * index and the catch-all owner. route() passes this to chooseAssignee / SLA / fallback code.
 *
 * Exports
 * - `PeopleConfig`: the slice of the parsed config this needs (`calendars`, `holiday_lists?`,
 *   `handlers`, `pools?`, `catch_all`).
 * - `checkPeople(cfg): ConfigIssue[]`: every cross-reference among those keys (calendar holiday
 *   lists, handler calendar/manager/senior, pool members, catch_all).
 * - `compilePeople(cfg): People` (throws PeopleConfigError on a config checkPeople would reject).
 */
import { error, type ConfigIssue } from './config-issue.ts';
import { didYouMean } from './suggest.ts';
import {
  checkCalendars,
  compileCalendars,
  type CalendarConfig,
  type CompiledCalendar,
  type HolidayLists,
} from './calendar.ts';
import {
  checkHandlers,
  compileHandlers,
  ownerIndex,
  type CompiledHandler,
  type HandlerConfig,
} from './handler-schema.ts';
import { checkPools, type PoolConfig } from './pool-schema.ts';
import { compilePool, type CompiledPool } from './pool.ts';

export interface PeopleConfig {
  calendars: Record<string, CalendarConfig>;
  holiday_lists?: HolidayLists;
  handlers: Record<string, HandlerConfig>;
  pools?: Record<string, PoolConfig>;
  /** Handler id: owner of last resort. */
  catch_all: string;
}

export interface People {
  calendars: Map<string, CompiledCalendar>;
  handlers: Map<string, CompiledHandler>;
  pools: Map<string, CompiledPool>;
  /** `hubspot:<owner id>` / `salesforce:<user id>` → handler id. */
  owners: Map<string, string>;
  catchAll: string;
}

export class PeopleConfigError extends Error {
  override name = 'PeopleConfigError';
}

export function checkPeople(cfg: PeopleConfig): ConfigIssue[] {
  const handlerIds = Object.keys(cfg.handlers);
  const issues = [
    ...checkCalendars(cfg.calendars, cfg.holiday_lists ?? {}),
    ...checkHandlers(cfg.handlers, Object.keys(cfg.calendars)),
    ...checkPools(cfg.pools ?? {}, handlerIds),
  ];
  if (!(cfg.catch_all in cfg.handlers))
    issues.push(
      error(
        ['catch_all'],
        `unknown handler "${cfg.catch_all}"${didYouMean(cfg.catch_all, handlerIds)}: the catch-all owner must be a handler`,
      ),
    );
  return issues;
}

export function compilePeople(cfg: PeopleConfig): People {
  const errors = checkPeople(cfg).filter((i) => i.severity === 'error');
  if (errors.length > 0)
    throw new PeopleConfigError(
      `routing config has ${errors.length} error(s) in calendars/handlers/pools; run switchboard validate: ${errors[0]!.message}`,
    );
  const calendars = compileCalendars(cfg.calendars, cfg.holiday_lists ?? {});
  const handlers = compileHandlers(cfg.handlers, calendars);
  const pools = new Map(
    Object.entries(cfg.pools ?? {}).map(([id, p]) => [id, compilePool(id, p)] as const),
  );
  return { calendars, handlers, pools, owners: ownerIndex(handlers), catchAll: cfg.catch_all };
}
