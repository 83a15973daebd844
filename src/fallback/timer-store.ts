/**
 * The timers table: schedule, claim, complete, fail, cancel, sweep, list. Every statement is one
 * round trip in raw SQL (graphile-worker's getJobs/completeJobs/failJobs shape), so the store works
 * on any Kysely<…> over pg or PGlite whatever tables the rest of the schema grows.
 *
 * Time is a parameter (`now`), never the database's now(): the poller passes its injected clock,
 * which lets tests move time without sleeping. Instances are expected to run NTP-synced clocks;
 * skew between them only shifts when a timer is picked up, never whether it fires twice.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { PlannedCheckpoint } from '../routing/decision.ts';

// Raw SQL means the table types of src/db/schema.ts are not needed here; any Kysely instance or
// transaction will do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;

export type TimerStatus = 'pending' | 'fired' | 'cancelled' | 'parked';

/** The NOTIFY channel pollers LISTEN on; scheduleTimers notifies it at commit. */
export const TIMERS_CHANNEL = 'timers';

/**
 * The payload of a NOTIFY on TIMERS_CHANNEL: the earliest due time (epoch ms) among the timers
 * just written, so a poller already waking before then stays asleep instead of running its two
 * statements (routing at 100 leads/s woke every poller once per batch for timers due minutes
 * later). Empty: unknown, poll.
 */
export const timersDuePayload = (runAts: Date[]): string =>
  runAts.length === 0 ? '' : String(Math.min(...runAts.map((d) => d.getTime())));

/** The earliest due time a TIMERS_CHANNEL payload names, or undefined (poll now). */
export function parseTimersDue(payload: string | undefined): number | undefined {
  if (!payload || !/^\d+$/.test(payload)) return undefined;
  return Number(payload);
}

/** Default attempts before a timer whose engagement read keeps failing is parked. */
export const DEFAULT_MAX_ATTEMPTS = 5;

export interface Timer {
  id: string;
  leadId: string;
  decisionId: string;
  checkpointId: string;
  key: string;
  runAt: Date;
  status: TimerStatus;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  lockedAt: Date | null;
  lockedBy: string | null;
  configHash: string;
  /** This timer's own copy of the checkpoint, as planned when the decision was made. */
  plan: PlannedCheckpoint;
  /** Engagement is read since this instant (the assignment). */
  since: Date;
  outcome: unknown;
  firedAt: Date | null;
  latenessMs: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Raw row, snake_case as SQL returns it; ids are int8 (strings, unless a PGlite without the int8 parser). */
interface DbTimer {
  id: string | number | bigint;
  lead_id: string | number | bigint;
  decision_id: string | number | bigint;
  checkpoint_id: string;
  key: string;
  run_at: Date | string;
  status: TimerStatus;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  locked_at: Date | string | null;
  locked_by: string | null;
  config_hash: string;
  plan: PlannedCheckpoint | string;
  since: Date | string;
  outcome: unknown;
  fired_at: Date | string | null;
  lateness_ms: number | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null): Date | null => (v == null ? null : date(v));
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/** The only place a timer row becomes a Timer. */
export function timerFromRow(r: DbTimer): Timer {
  return {
    id: String(r.id),
    leadId: String(r.lead_id),
    decisionId: String(r.decision_id),
    checkpointId: r.checkpoint_id,
    key: r.key,
    runAt: date(r.run_at),
    status: r.status,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    lastError: r.last_error,
    lockedAt: dateOrNull(r.locked_at),
    lockedBy: r.locked_by,
    configHash: r.config_hash,
    plan: json(r.plan),
    since: date(r.since),
    outcome: r.outcome == null ? null : json(r.outcome),
    firedAt: dateOrNull(r.fired_at),
    latenessMs: r.lateness_ms == null ? null : Number(r.lateness_ms),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;

export interface ScheduleTimersInput {
  leadId: string;
  decisionId: string;
  /** The decision's fallback plan: checkpoints already resolved to due instants. */
  plan: PlannedCheckpoint[];
  configHash: string;
  /** When the decision was made; engagement is read since then. Defaults to the earliest due time. */
  now?: Date;
  /** Attempts before an engagement read that keeps failing parks the timer. */
  maxAttempts?: number;
}

/**
 * Writes one timer per checkpoint. Call it inside the transaction that stores the decision, so a
 * decision never exists without its timers. Idempotent on `lead:decision:checkpoint`; NOTIFY
 * `timers` is delivered at commit and wakes every poller. Returns the number of new timers.
 */
export async function scheduleTimers(trx: AnyDb, input: ScheduleTimersInput): Promise<number> {
  if (input.plan.length === 0) return 0;
  const since =
    input.now ?? new Date(Math.min(...input.plan.map((c) => new Date(c.dueUtc).getTime())));
  const res = await sql<{ id: string }>`
    ${insertTimers(timerValues({ ...input, since }))}
    returning id`.execute(trx);
  if (res.rows.length > 0) {
    const due = timersDuePayload(input.plan.map((cp) => new Date(cp.dueUtc)));
    await sql`select pg_notify(${TIMERS_CHANNEL}, ${due})`.execute(trx);
  }
  return res.rows.length;
}

/**
 * One timer row per checkpoint of a decision's plan, as `insertTimers` takes them (shared with
 * the worker's batched routing, src/intake/batch-store.ts). Throws on a due time that is not one.
 */
export function timerValues(input: {
  leadId: string;
  decisionId: string;
  plan: PlannedCheckpoint[];
  configHash: string;
  since: Date;
  maxAttempts?: number;
}): RawBuilder<unknown>[] {
  const maxAttempts = input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  return input.plan.map((cp) => {
    const runAt = new Date(cp.dueUtc);
    if (Number.isNaN(runAt.getTime()))
      throw new Error(
        `checkpoint ${cp.id} of decision ${input.decisionId} has an invalid due time "${cp.dueUtc}"`,
      );
    return sql`(${input.leadId}, ${input.decisionId}, ${cp.id}, ${timerKey(input.leadId, input.decisionId, cp.id)},
      ${ts(runAt)}, ${maxAttempts}, ${input.configHash}, ${JSON.stringify(cp)}::jsonb, ${ts(input.since)})`;
  });
}

/** The insert of `timerValues` rows, idempotent on `lead:decision:checkpoint`; add a RETURNING. */
export const insertTimers = (rows: RawBuilder<unknown>[]) => sql`
  insert into timers (lead_id, decision_id, checkpoint_id, key, run_at, max_attempts, config_hash, plan, since)
  values ${sql.join(rows)}
  on conflict (key) do nothing`;

export const timerKey = (leadId: string, decisionId: string, checkpointId: string) =>
  `${leadId}:${decisionId}:${checkpointId}`;

/**
 * Claims up to `limit` due timers for `workerId` in one statement. SKIP LOCKED lets any number of
 * pollers claim disjoint sets without waiting on each other (on PGlite's single connection it is
 * a no-op, which is harmless there). The attempt is counted at claim time, so a poller that dies
 * mid-firing still uses up an attempt.
 */
export async function claimTimers(
  db: AnyDb,
  opts: { workerId: string; now: Date; limit: number },
): Promise<Timer[]> {
  const res = await sql<DbTimer>`
    with due as (
      select id from timers
      where status = 'pending' and locked_at is null and run_at <= ${ts(opts.now)}
      order by run_at, id
      limit ${opts.limit}
      for update skip locked
    )
    update timers t
    set locked_at = ${ts(opts.now)}, locked_by = ${opts.workerId}, attempts = t.attempts + 1,
        updated_at = ${ts(opts.now)}
    from due where t.id = due.id
    returning t.*`.execute(db);
  return res.rows.map(timerFromRow).sort((a, b) => a.runAt.getTime() - b.runAt.getTime());
}

/**
 * Marks a timer fired with what it saw and did. Only the worker holding the lock can do it, and
 * only while the timer is still pending: false means the lock went stale and was swept, or the
 * timer was cancelled meanwhile — the caller must roll back its actions.
 */
export async function completeTimer(
  trx: AnyDb,
  opts: { id: string; workerId: string; now: Date; outcome: unknown },
): Promise<boolean> {
  const res = await sql`
    update timers
    set status = 'fired', fired_at = ${ts(opts.now)},
        lateness_ms = greatest(0, round(extract(epoch from (${ts(opts.now)} - run_at)) * 1000))::int,
        outcome = ${JSON.stringify(opts.outcome)}::jsonb, locked_at = null, locked_by = null,
        last_error = null, updated_at = ${ts(opts.now)}
    where id = ${opts.id} and locked_by = ${opts.workerId} and status = 'pending'`.execute(trx);
  return Number(res.numAffectedRows ?? 0) === 1;
}

/**
 * Completes many timers in one statement (firings that had nothing to write: no branch matched, or
 * a no-op), each with its outcome, and appends their `fired` rows to the lead's fallback history.
 * Same guards as completeTimer; returns the ids that were completed. Batching these is what lets
 * one poller keep up with thousands of checkpoints a second (bench/timers.bench.ts).
 */
export async function completeTimers(
  db: AnyDb,
  opts: { workerId: string; now: Date; items: Array<{ id: string; outcome: unknown }> },
): Promise<string[]> {
  if (opts.items.length === 0) return [];
  const values = sql.join(
    opts.items.map((i) => sql`(${i.id}::bigint, ${JSON.stringify(i.outcome)}::jsonb)`),
  );
  const res = await sql<{ id: string | number }>`
    with v (id, outcome) as (values ${values}),
    done as (
      update timers t
      set status = 'fired', fired_at = ${ts(opts.now)},
          lateness_ms = greatest(0, round(extract(epoch from (${ts(opts.now)} - t.run_at)) * 1000))::int,
          outcome = v.outcome, locked_at = null, locked_by = null, last_error = null,
          updated_at = ${ts(opts.now)}
      from v
      where t.id = v.id and t.locked_by = ${opts.workerId} and t.status = 'pending'
      returning t.id, t.lead_id, t.outcome
    )
    insert into fallback_events (lead_id, timer_id, kind, data)
    select lead_id, id, 'fired', outcome from done
    returning timer_id as id`.execute(db);
  return res.rows.map((r) => String(r.id));
}

/**
 * Records a failed firing. Retries later with exponential backoff computed in SQL (e^attempts
 * seconds, capped at e^10 ≈ 6 h; graphile-worker's curve), or parks the timer at max_attempts
 * with the reason. Returns the new status, or null when this worker no longer held the lock.
 */
export async function failTimer(
  db: AnyDb,
  opts: { id: string; workerId: string; now: Date; error: string },
): Promise<'pending' | 'parked' | null> {
  const res = await sql<{ status: 'pending' | 'parked' }>`
    update timers
    set status = case when attempts >= max_attempts then 'parked' else 'pending' end,
        run_at = case when attempts >= max_attempts then run_at
                      else greatest(${ts(opts.now)}, run_at) + (exp(least(attempts, 10))::text || ' seconds')::interval end,
        last_error = ${opts.error}, locked_at = null, locked_by = null, updated_at = ${ts(opts.now)}
    where id = ${opts.id} and locked_by = ${opts.workerId} and status = 'pending'
    returning status`.execute(db);
  return res.rows[0]?.status ?? null;
}

/** Hands claimed-but-unstarted timers back (shutdown), without counting the attempt. */
export async function releaseTimers(db: AnyDb, workerId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const res = await sql`
    update timers set locked_at = null, locked_by = null, attempts = greatest(0, attempts - 1)
    where locked_by = ${workerId} and status = 'pending'
      and id in (${sql.join(ids.map((id) => sql`${id}::bigint`))})`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

/**
 * Clears locks older than `olderThanMs`: their poller died or hung. Engagement reads and outbox
 * inserts are bounded by timeouts of seconds, so minutes (default 5) is safely stale. A swept
 * timer is claimed again; if the old poller wakes up, completeTimer refuses it (locked_by guard).
 */
export async function resetStaleLocks(
  db: AnyDb,
  opts: { now: Date; olderThanMs?: number },
): Promise<number> {
  const cutoff = new Date(opts.now.getTime() - (opts.olderThanMs ?? 5 * 60_000));
  const res = await sql`
    update timers set locked_at = null, locked_by = null, updated_at = ${ts(opts.now)}
    where status = 'pending' and locked_at is not null and locked_at < ${ts(cutoff)}`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

export interface CancelTimersInput {
  leadId: string;
  /** Only these checkpoints (default: all of the lead's pending timers). */
  timerIds?: string[];
  /** Keep this decision's timers (used when a reassignment supersedes older decisions). */
  exceptDecisionId?: string;
  /** Keep this timer (the one firing, which completes itself). */
  exceptTimerId?: string;
  reason: string;
  now: Date;
}

/** Cancels pending timers (locked ones too: their firing then fails the status guard). */
export async function cancelTimers(trx: AnyDb, input: CancelTimersInput): Promise<Timer[]> {
  if (input.timerIds && input.timerIds.length === 0) return [];
  const res = await sql<DbTimer>`
    update timers
    set status = 'cancelled', locked_at = null, locked_by = null, updated_at = ${ts(input.now)},
        outcome = ${JSON.stringify({ cancelled: input.reason })}::jsonb
    where lead_id = ${input.leadId} and status = 'pending'
      ${input.timerIds ? sql`and id in (${sql.join(input.timerIds.map((id) => sql`${id}::bigint`))})` : sql``}
      ${input.exceptDecisionId ? sql`and decision_id <> ${input.exceptDecisionId}` : sql``}
      ${input.exceptTimerId ? sql`and id <> ${input.exceptTimerId}` : sql``}
    returning *`.execute(trx);
  return res.rows.map(timerFromRow);
}

/** Puts a parked timer back in the queue, due now, with fresh attempts (the admin "retry"). */
export async function retryParkedTimer(db: AnyDb, id: string, now: Date): Promise<boolean> {
  const res = await sql`
    update timers set status = 'pending', attempts = 0, run_at = ${ts(now)}, updated_at = ${ts(now)}
    where id = ${id} and status = 'parked'`.execute(db);
  if (Number(res.numAffectedRows ?? 0) !== 1) return false;
  await sql`select pg_notify(${TIMERS_CHANNEL}, ${timersDuePayload([now])})`.execute(db);
  return true;
}

/** A lead's timers, oldest due first (for GET /leads/:id). */
export async function listTimersForLead(db: AnyDb, leadId: string): Promise<Timer[]> {
  const res = await sql<DbTimer>`
    select * from timers where lead_id = ${leadId} order by run_at, id`.execute(db);
  return res.rows.map(timerFromRow);
}

/**
 * Timers that need a human: parked ones, pending ones that failed at least once, and pending ones
 * more than `graceMs` past due (default 60 s: no poller is keeping up).
 */
export async function listOverdueAndFailedTimers(
  db: AnyDb,
  opts: { now: Date; graceMs?: number; limit?: number },
): Promise<Timer[]> {
  const cutoff = new Date(opts.now.getTime() - (opts.graceMs ?? 60_000));
  const res = await sql<DbTimer>`
    select * from timers
    where status = 'parked'
       or (status = 'pending' and (last_error is not null or run_at < ${ts(cutoff)}))
    order by run_at, id
    limit ${opts.limit ?? 500}`.execute(db);
  return res.rows.map(timerFromRow);
}

/** When the next unclaimed timer is due, so the poller can sleep exactly that long. */
export async function nextDueAt(db: AnyDb): Promise<Date | null> {
  const res = await sql<{ run_at: Date | string | null }>`
    select min(run_at) as run_at from timers where status = 'pending' and locked_at is null`.execute(
    db,
  );
  const v = res.rows[0]?.run_at;
  return v == null ? null : date(v);
}
