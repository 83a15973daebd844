/**
 * SQL of the CRM outbox (`crm_writes`, migration 0002), in graphile-worker's shape: claim in one
 * statement with FOR UPDATE SKIP LOCKED, act only on rows we locked, back off in SQL, park after
 * `max_attempts` with the CRM's message.
 *
 * Intent is recorded before the CRM is called: the claim sets `in_flight` and bumps `attempts`.
 * A crash after the CRM accepted but before `complete` leaves the row in_flight; the sweep hands it
 * back and the next claim carries attempts ≥ 2, which tells the adapter to look for its earlier
 * write before creating (HubSpot marker search; Salesforce upserts anyway). For the same reason
 * `attempts` is never decremented here — not on shutdown release, not on an admin retry.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, CrmWriteRow } from '../db/schema.ts';
import type { CrmSystem } from '../adapters/crm-port.ts';

type Db = Kysely<Database>;

export const CRM_WRITES_CHANNEL = 'crm_writes';

/** Claims up to `limit` ready rows for this CRM in one statement; other runners skip them. */
export async function claimCrmWrites(
  db: Db,
  workerId: string,
  crm: CrmSystem,
  limit: number,
): Promise<CrmWriteRow[]> {
  const r = await sql<CrmWriteRow>`
    with ready as (
      select id from crm_writes
      where status = 'pending' and crm = ${crm} and run_at <= now()
      order by run_at, id
      limit ${limit}
      for update skip locked
    )
    update crm_writes w
    set status = 'in_flight', locked_at = now(), locked_by = ${workerId},
        attempts = w.attempts + 1, updated_at = now()
    from ready where w.id = ready.id
    returning w.*`.execute(db);
  return r.rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * Records the CRM's answers for a round's successful rows in one statement (one commit instead of
 * one per row: 100 single-row updates took 0.8–1.9 s under the end-to-end bench's load, one
 * statement a few ms). Returns the ids whose lock was lost (another runner owns them now).
 */
export async function completeCrmWrites(
  db: Db,
  workerId: string,
  done: Array<{ id: string; result: unknown }>,
): Promise<string[]> {
  if (done.length === 0) return [];
  const values = sql.join(
    done.map((d) => sql`(${d.id}::bigint, ${JSON.stringify(d.result ?? null)}::jsonb)`),
  );
  const r = await sql<{ id: string }>`
    update crm_writes w set status = 'done', result = v.result, last_error = null,
      locked_at = null, locked_by = null, done_at = now(), updated_at = now()
    from (values ${values}) v (id, result)
    where w.id = v.id and w.locked_by = ${workerId}
    returning w.id::text as id`.execute(db);
  const completed = new Set(r.rows.map((x) => String(x.id)));
  return done.map((d) => d.id).filter((id) => !completed.has(id));
}

export interface FailOptions {
  /** Park now (a permanent error: unknown owner, validation, deleted record). */
  permanent: boolean;
  /** Wait at least this long (Retry-After, a spent quota window). */
  retryAfterMs?: number;
  /**
   * The CRM's API quota is spent (HubSpot's daily limit, Salesforce's 24 h allowance): wait for it
   * and never park for it, however many attempts that takes. Quotas refill by themselves; parking
   * would need a person to retry rows that only had to wait (10 attempts of a 5-minute hold
   * parked them after a few hours).
   */
  quotaWait?: boolean;
}

/**
 * Backs off exponentially in SQL — e^attempts seconds capped at 1 h (2.7 s, 7 s, 20 s, 55 s …) or
 * the CRM's Retry-After if longer — or parks the row when permanent or out of attempts.
 */
export async function failCrmWrite(
  db: Db,
  id: string,
  workerId: string,
  error: string,
  opts: FailOptions,
): Promise<'pending' | 'parked' | null> {
  const waitMs = Math.max(0, Math.round(opts.retryAfterMs ?? 0));
  const r = await sql<{ status: 'pending' | 'parked' }>`
    update crm_writes set
      status = case when ${opts.permanent}::boolean
        or (attempts >= max_attempts and not ${opts.quotaWait ?? false}::boolean) then 'parked' else 'pending' end,
      run_at = greatest(now(), run_at) + greatest(
        make_interval(secs => least(exp(least(attempts, 10)), 3600)),
        make_interval(secs => ${waitMs}::float8 / 1000)),
      last_error = ${error.slice(0, 4000)},
      locked_at = null, locked_by = null, updated_at = now()
    where id = ${id} and locked_by = ${workerId}
    returning status`.execute(db);
  return r.rows[0]?.status ?? null;
}

/** Shutdown: hands unfinished rows back at once. The attempt still counts (see the header). */
export async function releaseCrmWrites(db: Db, workerId: string): Promise<number> {
  const r = await sql`
    update crm_writes set status = 'pending', locked_at = null, locked_by = null, updated_at = now()
    where status = 'in_flight' and locked_by = ${workerId}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** Reclaims rows whose runner died mid-write (lock older than `olderThanSeconds`). */
export async function resetStaleCrmWrites(db: Db, olderThanSeconds: number): Promise<number> {
  const r = await sql`
    update crm_writes set status = 'pending', locked_at = null, locked_by = null, updated_at = now()
    where status = 'in_flight' and locked_at < now() - make_interval(secs => ${olderThanSeconds})`.execute(
    db,
  );
  return Number(r.numAffectedRows ?? 0);
}

/** Parked writes, newest first, for the admin API. */
export async function listParkedWrites(db: Db, limit = 100): Promise<CrmWriteRow[]> {
  return db
    .selectFrom('crm_writes')
    .selectAll()
    .where('status', '=', 'parked')
    .orderBy('updated_at', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Admin retry of one parked write: back to pending now with 5 more attempts. `attempts` is kept,
 * so the adapter still looks for an earlier partial write before creating. Returns false when the
 * row is not parked (already retried, done, or unknown).
 */
export async function retryParkedWrite(db: Db, id: string): Promise<boolean> {
  const r = await db
    .updateTable('crm_writes')
    .set({
      status: 'pending',
      run_at: sql`now()`,
      max_attempts: sql`attempts + 5`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('status', '=', 'parked')
    .executeTakeFirst();
  const ok = Number(r.numUpdatedRows) > 0;
  if (ok) await sql`select pg_notify(${CRM_WRITES_CHANNEL}, '')`.execute(db);
  return ok;
}
