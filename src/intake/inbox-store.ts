/**
 * The inbox table: insert-before-ack at intake, and the claim/complete/fail cycle of the worker
 * in graphile-worker's shape (one-statement claim with SKIP LOCKED; complete and fail touch only
 * rows the caller locked; backoff computed in SQL).
 */
import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import type { Database, InboxRow } from '../db/schema.ts';
import { json } from '../db/database.ts';
import { StorageUnavailableError } from '../errors.ts';
import type { NewInboxEvent } from './inbox-payload.ts';
import type { LeadCrmRef, Lead } from '../routing/lead.ts';

export const INBOX_CHANNEL = 'inbox';

type Db = Kysely<Database>;

/** Rethrows any database failure as StorageUnavailableError (503: the sender retries). */
async function storing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StorageUnavailableError(err);
  }
}

/**
 * Stores a delivery's events; a redelivered event is skipped by its (source, dedupe_key).
 * Returns how many rows are new. One statement, atomic on its own, committed when this returns,
 * so the caller may acknowledge. No NOTIFY here: a notifying transaction commits under a
 * database-wide lock (see inbox-notifier.ts), so the caller nudges the worker in-process and
 * other instances through a coalesced NOTIFY after the commit.
 */
export async function insertInboxEvents(
  db: Db,
  events: NewInboxEvent[],
  maxAttempts = 10,
): Promise<{ inserted: number }> {
  if (events.length === 0) return { inserted: 0 };
  return { inserted: (await insertInboxEventsKeyed(db, events, maxAttempts)).size };
}

/** An inbox row's unique key, (source, dedupe_key), as one string. */
export const inboxKey = (source: string, dedupeKey: string): string =>
  `${source}\u0000${dedupeKey}`;

/**
 * Like insertInboxEvents, returning the inboxKey of each row it stored: several deliveries'
 * events can share one statement (src/intake/inbox-inserter.ts) and each still be told how many
 * of its own events were new.
 */
export async function insertInboxEventsKeyed(
  db: Db,
  events: NewInboxEvent[],
  maxAttempts = 10,
): Promise<Set<string>> {
  const params: unknown[] = [];
  for (const e of events) params.push(e.source, e.dedupeKey, e.kind, json(e.payload), maxAttempts);
  return storing(async () => {
    const r = await db.executeQuery<{ source: string; dedupe_key: string }>(
      CompiledQuery.raw(insertInboxSql(events.length), params),
    );
    return new Set(r.rows.map((row) => inboxKey(row.source, row.dedupe_key)));
  });
}

/**
 * The insert's text per batch size, built once: the ack path skips building and compiling a
 * kysely query tree per delivery (a few µs each, measurable at 1,000 deliveries/s).
 */
const INSERT_SQL: string[] = [];
function insertInboxSql(n: number): string {
  let text = INSERT_SQL[n];
  if (text === undefined) {
    const rows: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = i * 5;
      rows.push(`($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}::jsonb, $${p + 5}::int)`);
    }
    text =
      `insert into inbox (source, dedupe_key, kind, payload, max_attempts) values ${rows.join(', ')} ` +
      'on conflict (source, dedupe_key) do nothing returning source, dedupe_key';
    // Kept for the common sizes only (≤ 100 events); a coalesced statement of more events costs
    // far more than building its text.
    if (n <= 100) INSERT_SQL[n] = text;
  }
  return text;
}

/**
 * JSON intake: creates (or finds) the lead row and stores the event in one transaction, so the
 * answer can carry the lead's id. A repeated Idempotency-Key returns the first delivery's lead.
 * Like `insertInboxEvents`, no NOTIFY inside: the caller wakes the workers after the commit.
 */
export async function insertJsonLead(
  db: Db,
  input: { dedupeKey: string; ref: LeadCrmRef; lead: Lead; maxAttempts?: number },
): Promise<{ leadId: string; inboxId: string; duplicate: boolean }> {
  return storing(() =>
    db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('inbox')
        .select(['id', 'lead_id'])
        .where('source', '=', 'json')
        .where('dedupe_key', '=', input.dedupeKey)
        .executeTakeFirst();
      if (existing?.lead_id) {
        return { leadId: existing.lead_id, inboxId: existing.id, duplicate: true };
      }
      const lead = await trx
        .insertInto('leads')
        .values({
          crm_system: input.ref.system,
          crm_object: input.ref.object,
          crm_id: input.ref.id,
          tenant: input.ref.tenant ?? '',
          lead: json(input.lead),
        })
        .onConflict((oc) =>
          oc.columns(['crm_system', 'tenant', 'crm_id']).doUpdateSet({ updated_at: sql`now()` }),
        )
        .returning('id')
        .executeTakeFirstOrThrow();
      const inbox = await trx
        .insertInto('inbox')
        .values({
          source: 'json',
          dedupe_key: input.dedupeKey,
          kind: 'route',
          payload: json({ ref: input.ref, lead: input.lead, leadId: lead.id }),
          lead_id: lead.id,
          max_attempts: input.maxAttempts ?? 10,
        })
        .onConflict((oc) => oc.columns(['source', 'dedupe_key']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inbox) {
        // A concurrent request with the same key won the insert: answer with its lead.
        const other = await trx
          .selectFrom('inbox')
          .select(['id', 'lead_id'])
          .where('source', '=', 'json')
          .where('dedupe_key', '=', input.dedupeKey)
          .executeTakeFirstOrThrow();
        return { leadId: other.lead_id ?? lead.id, inboxId: other.id, duplicate: true };
      }
      return { leadId: lead.id, inboxId: inbox.id, duplicate: false };
    }),
  );
}

/** Claims up to `limit` ready rows for `workerId` in one statement; other workers skip them. */
export async function claimInbox(db: Db, workerId: string, limit: number): Promise<InboxRow[]> {
  const r = await sql<InboxRow>`
    with ready as (
      select id from inbox
      where status = 'pending' and run_at <= now()
      order by run_at, id
      limit ${limit}
      for update skip locked
    )
    update inbox i
    set status = 'in_flight', locked_at = now(), locked_by = ${workerId},
        attempts = i.attempts + 1, updated_at = now()
    from ready where i.id = ready.id
    returning i.*`.execute(db);
  return r.rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/** Marks a claimed row done inside the caller's transaction; throws if the lock was lost. */
export async function completeInbox(
  trx: Transaction<Database>,
  row: { id: string },
  workerId: string,
  result: { outcome: string; leadId?: string | null; decisionId?: string | null },
): Promise<void> {
  const r = await trx
    .updateTable('inbox')
    .set({
      status: 'done',
      outcome: result.outcome,
      lead_id: result.leadId ?? null,
      decision_id: result.decisionId ?? null,
      locked_at: null,
      locked_by: null,
      last_error: null,
      done_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('id', '=', row.id)
    .where('locked_by', '=', workerId)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) {
    throw new Error(`inbox event ${row.id} is no longer locked by ${workerId}; not completing it`);
  }
}

/**
 * Records a failure: back to pending with exponential backoff (e^attempts seconds, capped at
 * e^10 ≈ 6 h), or `parked` once attempts reach max_attempts. Returns the new status.
 */
export async function failInbox(
  db: Db,
  row: { id: string },
  workerId: string,
  error: string,
): Promise<'pending' | 'parked' | null> {
  const r = await sql<{ status: 'pending' | 'parked' }>`
    update inbox set
      status = case when attempts >= max_attempts then 'parked' else 'pending' end,
      run_at = greatest(now(), run_at) + (exp(least(attempts, 10))::text || ' seconds')::interval,
      last_error = ${error.slice(0, 4000)},
      locked_at = null, locked_by = null, updated_at = now()
    where id = ${row.id} and locked_by = ${workerId}
    returning status`.execute(db);
  return r.rows[0]?.status ?? null;
}

/** Shutdown: hands this worker's unfinished rows back at once (the attempt does not count). */
export async function releaseInbox(db: Db, workerId: string): Promise<number> {
  const r = await sql`
    update inbox set status = 'pending', locked_at = null, locked_by = null,
      attempts = greatest(attempts - 1, 0), updated_at = now()
    where status = 'in_flight' and locked_by = ${workerId}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** Reclaims rows whose worker died mid-event (lock older than `olderThanSeconds`). */
export async function resetStaleInbox(db: Db, olderThanSeconds: number): Promise<number> {
  const r = await sql`
    update inbox set status = 'pending', locked_at = null, locked_by = null, updated_at = now()
    where status = 'in_flight' and locked_at < now() - make_interval(secs => ${olderThanSeconds})`.execute(
    db,
  );
  return Number(r.numAffectedRows ?? 0);
}

/** Puts parked rows (all, or one) back in the queue with a fresh set of attempts. */
export async function retryParked(db: Db, id?: string): Promise<number> {
  let q = db
    .updateTable('inbox')
    .set({ status: 'pending', attempts: 0, run_at: sql`now()`, updated_at: sql`now()` })
    .where('status', '=', 'parked');
  if (id !== undefined) q = q.where('id', '=', id);
  const r = await q.executeTakeFirst();
  const n = Number(r.numUpdatedRows);
  if (n > 0) await sql`select pg_notify(${INBOX_CHANNEL}, '')`.execute(db);
  return n;
}
