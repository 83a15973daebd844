/**
 * Who owns the lead: (account owner →) handler → backup → pool → catch-all owner.
 *
 * Exports
 * - `AssignmentRule`: the lead-type keys this reads (`id, handler?, backup?, pool?,
 *   account_owner_wins?, calendar?, sla`), exactly as spelled in routing.yaml.
 * - `chooseAssignee(people, rule, lead, at, state): AssigneeChoice` — pure; never throws for a
 *   lead with missing fields.
 *
 * A candidate is skipped when unavailable for the SLA window (availability.ts: away, holiday,
 * previous holder, CRM-rejected owner id). Working hours alone never skip anyone. The catch-all
 * owner is chosen even when unavailable (someone must own the lead); the trace says so.
 * Every skip step names where the lead went next: `marcus away 2026-12-22..2027-01-02 → backup dana`.
 */
import type { Assignee, PoolIncrement, RoutingState, TraceStep } from './decision.ts';
import type { Lead } from './lead.ts';
import type { CompiledCalendar } from './calendar.ts';
import type { CompiledHandler } from './handler-schema.ts';
import type { People } from './people.ts';
import { unavailability, type AvailabilityOptions } from './availability.ts';
import { pickFromPool } from './pool.ts';

export interface AssignmentRule {
  id: string;
  handler?: string;
  backup?: string;
  pool?: string;
  account_owner_wins?: boolean;
  /** Calendar the SLA is counted on instead of the assignee's. */
  calendar?: string;
  sla: string;
}

export interface AssigneeChoice {
  assignee: Assignee;
  handler: CompiledHandler;
  /** Who takes over on an SLA breach: the type's backup, unless that is the assignee or was skipped as unavailable. */
  backup: { handlerId: string; name: string } | null;
  poolIncrement: PoolIncrement | null;
  /** The calendar SLA and fallback checkpoints are counted on. */
  slaCalendar: CompiledCalendar;
  trace: TraceStep[];
}

export class AssignmentError extends Error {
  override name = 'AssignmentError';
}

type Candidate =
  | { via: Exclude<Assignee['via'], 'pool'>; id: string; label: string }
  | { via: 'pool'; pool: string; label: string };

function toAssignee(h: CompiledHandler, via: Assignee['via'], pool?: string): Assignee {
  // Built key by key in the order the spread-built object had (decisions are stored as JSON and
  // replay compares them), without the intermediate objects of conditional spreads.
  const a = { via, handlerId: h.id, name: h.name } as Assignee;
  if (h.title !== undefined) a.title = h.title;
  if (h.email !== undefined) a.email = h.email;
  a.ownerIds = { ...h.owner };
  if (pool !== undefined) a.pool = pool;
  return a;
}

function accountOwner(people: People, lead: Lead, trace: TraceStep[]): string | null {
  const owner = lead.account?.owner;
  const keys = [
    owner?.hubspot ? `hubspot:${owner.hubspot}` : null,
    owner?.salesforce ? `salesforce:${owner.salesforce}` : null,
  ].filter((k): k is string => k !== null);
  if (keys.length === 0) {
    trace.push({
      stage: 'account',
      outcome: 'missing',
      reason: 'no existing account owner on the lead',
      field: 'account.owner',
    });
    return null;
  }
  for (const k of keys) {
    const id = people.owners.get(k);
    if (id) return id;
  }
  trace.push({
    stage: 'account',
    outcome: 'info',
    reason: `account owner ${keys.join(', ').replace(/:/g, ' ')} is not a configured handler`,
    field: 'account.owner',
    actual: owner,
  });
  return null;
}

/**
 * What chooseAssignee needs from a lead type that does not depend on the lead: the chain after the
 * account owner with its labels, and the type's calendar. Built once per (rule, people) and kept
 * in a WeakMap, so a reloaded config builds afresh. Lookups that fail are kept as `undefined` and
 * reported when the chain reaches them, exactly as before.
 */
interface RulePlan {
  people: People;
  typeCalendar: CompiledCalendar | undefined;
  chain: Candidate[];
}
const plans = new WeakMap<AssignmentRule, RulePlan>();

function planFor(people: People, rule: AssignmentRule): RulePlan {
  const known = plans.get(rule);
  if (known && known.people === people) return known;
  const chain: Candidate[] = [];
  if (rule.handler)
    chain.push({ via: 'handler', id: rule.handler, label: `handler ${rule.handler}` });
  if (rule.backup) chain.push({ via: 'backup', id: rule.backup, label: `backup ${rule.backup}` });
  if (rule.pool) chain.push({ via: 'pool', pool: rule.pool, label: `pool ${rule.pool}` });
  chain.push({
    via: 'catch_all',
    id: people.catchAll,
    label: `catch-all owner ${people.catchAll}`,
  });
  const plan: RulePlan = {
    people,
    typeCalendar: rule.calendar ? people.calendars.get(rule.calendar) : undefined,
    chain,
  };
  plans.set(rule, plan);
  return plan;
}

export function chooseAssignee(
  people: People,
  rule: AssignmentRule,
  lead: Lead,
  at: Date,
  state: RoutingState,
): AssigneeChoice {
  // Per-type parts come from planFor; the loop below avoids per-call closures and Sets (this
  // function and its pool pick were ~16% of a full decision).
  const trace: TraceStep[] = [];
  const plan = planFor(people, rule);
  const typeCalendar = plan.typeCalendar;
  if (rule.calendar && !typeCalendar)
    throw new AssignmentError(`lead type ${rule.id}: calendar "${rule.calendar}" is not defined`);
  const availOpts: AvailabilityOptions = typeCalendar
    ? { state, slaCalendar: typeCalendar }
    : { state };

  let candidates = plan.chain;
  if (rule.account_owner_wins) {
    const id = accountOwner(people, lead, trace);
    if (id)
      candidates = [{ via: 'account_owner', id, label: `account owner ${id}` }, ...candidates];
  }

  // Skip steps wait for the next candidate's label, so each reads "… → backup dana". They are
  // fresh objects made for this decision, so the label is appended in place.
  const pending: TraceStep[] = [];
  const tried: string[] = [];
  const skipped: string[] = [];
  let choice: { h: CompiledHandler; via: Assignee['via']; pool?: string } | null = null;
  let poolIncrement: PoolIncrement | null = null;

  for (const c of candidates) {
    if (pending.length > 0) {
      for (const s of pending) {
        s.reason = `${s.reason} → ${c.label}`;
        trace.push(s);
      }
      pending.length = 0;
    }
    if (c.via === 'pool') {
      const pool = people.pools.get(c.pool);
      if (!pool) throw new AssignmentError(`lead type ${rule.id}: pool "${c.pool}" is not defined`);
      const pick = pickFromPool(pool, people.handlers, at, state.poolCounts[c.pool], (h) =>
        unavailability(h, at, rule.sla, availOpts),
      );
      const steps = pick.trace;
      if (pick.member && pick.increment) {
        for (const s of steps) trace.push(s);
        choice = { h: pick.member, via: 'pool', pool: c.pool };
        poolIncrement = pick.increment;
        break;
      }
      for (let i = 0; i < steps.length - 1; i++) trace.push(steps[i]!);
      if (steps.length > 0) pending.push(steps[steps.length - 1]!);
      continue;
    }
    if (c.via !== 'catch_all' && tried.includes(c.id)) continue;
    tried.push(c.id);
    const h = people.handlers.get(c.id);
    if (!h) throw new AssignmentError(`lead type ${rule.id}: handler "${c.id}" is not defined`);
    const why = unavailability(h, at, rule.sla, availOpts);
    if (why === null || c.via === 'catch_all') {
      trace.push({
        stage: c.via === 'account_owner' ? 'account' : 'handler',
        ruleId: h.id,
        outcome: 'chosen',
        reason:
          c.via === 'catch_all' && why !== null
            ? `catch-all owner ${h.id} (${h.name}) takes the lead although ${why}: nobody else was available`
            : `${c.label} (${h.name}) for ${rule.id}`,
      });
      choice = { h, via: c.via };
      break;
    }
    skipped.push(h.id);
    const step: TraceStep = {
      stage: 'availability',
      ruleId: h.id,
      outcome: 'skipped',
      reason: why,
    };
    pending.push(step);
  }
  if (!choice) throw new AssignmentError(`lead type ${rule.id}: no candidate owner`); // unreachable: catch-all

  const backupHandler = rule.backup ? people.handlers.get(rule.backup) : undefined;
  return {
    assignee: toAssignee(choice.h, choice.via, choice.pool),
    handler: choice.h,
    backup:
      backupHandler && backupHandler.id !== choice.h.id && !skipped.includes(backupHandler.id)
        ? { handlerId: backupHandler.id, name: backupHandler.name }
        : null,
    poolIncrement,
    slaCalendar: typeCalendar ?? choice.h.calendar,
    trace,
  };
}
