/**
 * The SQL of a routed batch (src/intake/process-batch.ts): the same rows the single-event path
 * writes (src/intake/decision-store.ts, timer-store.ts, inbox-store.ts), written for a whole
 * claimed batch in two statements, each atomic on its own: read what deciding needs (lead ids,
 * who was routed before, the pool counters, decision ids), while the CRM reads are in flight;
 * then write everything decided, the leads included. Measured on this machine's PostgreSQL 15:
 * the single path costs about 11 round trips and one commit per event (6.4 ms/event for 600
 * events); the batch is two round trips however many events it holds, and only the write is one
 * after the CRM reads (storing the leads first had cost a statement of 2-4 ms there).
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { CrmWriteRow, Database } from '../db/schema.ts';
import { json } from '../db/database.ts';
import type { Decision, RoutingState } from '../routing/decision.ts';
import { poolUpserts } from './pool-count-store.ts';
import type { Lead, LeadCrmRef } from '../routing/lead.ts';
import type { CrmSystem, RoutingWrite } from '../adapters/crm-port.ts';
import {
  insertTimers,
  TIMERS_CHANNEL,
  timersDuePayload,
  timerValues,
} from '../fallback/timer-store.ts';
import { CRM_WRITES_CHANNEL } from '../outbox/outbox-store.ts';
import { POOL_STATE_SQL, routingStateFromRows, type PoolCountRow } from './decision-store.ts';

/** A statement here is atomic on its own: a pool connection in autocommit, or a transaction. */
type Db = Kysely<Database> | Transaction<Database>;

export interface BatchSnapshot {
  /**
   * Each ref's lead id, in input order: the stored lead's, or, for a lead not stored yet, an id
   * drawn from the leads sequence that writeBatch inserts it under.
   */
  leadIds: string[];
  /** Leads of the batch with a decision already (a second creation event: not routed again). */
  routedBefore: Set<string>;
  /** Pool counters, as readRoutingState reads them. */
  state: RoutingState;
  /** Decision ids drawn from the table's sequence, one per lead that may be routed. */
  decisionIds: string[];
}

/**
 * Reads everything deciding a batch needs — each lead's id (stored, or drawn for a new one), which
 * leads were routed before, the pool counters, decision ids — in one statement that writes
 * nothing, so it runs while the CRM reads of the same batch are in flight: it needs the refs
 * only, not the records. The leads themselves are stored by writeBatch, with the decisions.
 * `refs` must be distinct.
 *
 * The routed-before check reads the statement's snapshot: a worker routing the same lead at this
 * moment is not seen. The unique index decisions_one_route_per_lead (migration 0007) settles that
 * race at writeBatch, and so does writeBatch's check that a new lead was not stored by someone
 * else meanwhile: the later batch fails as a whole and its events go the single-event path, which
 * finds the committed lead and decision (the two-workers test, 1,000 leads x 2 events).
 */
export async function readBatchSnapshot(db: Db, refs: LeadCrmRef[]): Promise<BatchSnapshot> {
  const values = sql.join(
    refs.map((ref, i) => sql`(${i}::int, ${ref.system}, ${ref.id}, ${ref.tenant ?? ''})`),
  );
  const r = await sql<{ leads: unknown; routed: unknown; pools: unknown; ids: unknown }>`
    with input (ord, crm_system, crm_id, tenant) as (values ${values}),
    found as (
      select input.ord, l.id from input join leads l using (crm_system, tenant, crm_id)
    )
    select
      (select json_agg(json_build_array(input.ord, (case when found.id is null
          then nextval(pg_get_serial_sequence('leads', 'id')) else found.id end)::text))
        from input left join found using (ord)) as leads,
      (select coalesce(json_agg(distinct d.lead_id::text), '[]'::json)
        from decisions d join found on d.lead_id = found.id) as routed,
      (select coalesce(json_agg(p), '[]'::json) from (${POOL_STATE_SQL}) p) as pools,
      (select coalesce(json_agg(nextval(pg_get_serial_sequence('decisions', 'id'))::text), '[]'::json)
        from generate_series(1, ${refs.length}::int)) as ids`.execute(db);
  const row = r.rows[0]!;
  const leadIds: string[] = new Array(refs.length);
  for (const [ord, id] of parsed<Array<[number, string]>>(row.leads)) leadIds[ord] = id;
  return {
    leadIds,
    routedBefore: new Set(parsed<string[]>(row.routed)),
    state: routingStateFromRows(parsed<PoolCountRow[]>(row.pools)),
    decisionIds: parsed<string[]>(row.ids),
  };
}

/** pg parses json columns; a driver that hands back text gets the same result. */
const parsed = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

export interface BatchWrite {
  workerId: string;
  /** The routed leads, stored (new ones under the id the snapshot drew) with their decisions. */
  leads: Array<{ id: string; ref: LeadCrmRef; lead: Lead }>;
  crm: CrmSystem;
  /** The decisions, with ids from readBatchSnapshot. */
  decisions: Array<{ id: string; leadId: string; inboxId: string; decision: Decision }>;
  /** The CRM writes, one per routed lead. */
  writes: Array<{ leadId: string; decisionId: string; step: string; write: RoutingWrite }>;
  /** When the decisions were made; engagement is read since then. */
  now: Date;
  /** Every inbox event of the batch with its outcome. */
  done: Array<{
    inboxId: string;
    outcome: string;
    leadId: string | null;
    decisionId: string | null;
  }>;
  /**
   * Insert the CRM writes already claimed by this (idle, in-process) outbox runner, as its claim
   * would: in_flight, locked, attempts 1. Unset: pending, for any runner to claim.
   */
  adoptBy?: string;
}

/**
 * Everything a batch decided, in one statement of data-modifying CTEs: the decisions, the pool
 * counter bumps, the outbox rows, the fallback timers, the inbox completions, and the NOTIFYs
 * for other instances' runners and pollers (delivered at commit). Foreign keys to the decisions
 * are checked at the end of the statement, after every CTE ran. All or nothing: it fails as a
 * whole when another worker committed a `route` decision for one of the leads meanwhile (unique
 * index), and throws when an inbox event is no longer locked by this worker (another worker has
 * it), so nothing of the batch is written.
 */
export async function writeBatch(db: Db, b: BatchWrite): Promise<CrmWriteRow[]> {
  const ctes = [];
  if (b.leads.length)
    ctes.push(sql`l as (
      insert into leads (id, crm_system, crm_object, crm_id, tenant, lead)
      overriding system value
      select * from (values ${sql.join(
        b.leads.map(
          ({ id, ref, lead }) =>
            sql`(${id}::bigint, ${ref.system}, ${ref.object}, ${ref.id}, ${ref.tenant ?? ''}, ${json(lead)}::jsonb)`,
        ),
      )}) v (id, crm_system, crm_object, crm_id, tenant, lead)
      -- One lock order for every worker (by key, not by claim), so two batches that share
      -- leads wait for each other instead of deadlocking.
      order by crm_system, tenant, crm_id
      on conflict (crm_system, tenant, crm_id)
      do update set lead = excluded.lead, updated_at = now()
      -- A new lead stored meanwhile by another worker comes back under its id, not ours.
      returning id)`);
  if (b.decisions.length)
    ctes.push(sql`d as (
      insert into decisions (id, lead_id, inbox_id, reason, config_hash, lead_type, handler_id, decided_at, decision)
      overriding system value
      values ${sql.join(
        b.decisions.map(
          ({ id, leadId, inboxId, decision: d }) =>
            sql`(${id}::bigint, ${leadId}::bigint, ${inboxId}::bigint, 'route', ${d.configHash}, ${d.leadType},
              ${d.assignee.handlerId}, ${d.decidedAt}::timestamptz, ${json(d)}::jsonb)`,
        ),
      )}
      returning 1)`);
  poolUpserts(
    b.decisions.flatMap((d) => (d.decision.poolIncrement ? [d.decision.poolIncrement] : [])),
  ).forEach((upsert, i) => ctes.push(sql`${sql.raw(`p${i}`)} as (${upsert} returning 1)`));
  const claim = b.adoptBy
    ? sql`'in_flight', now(), ${b.adoptBy}, 1`
    : sql`'pending', null::timestamptz, null::text, 0`;
  if (b.writes.length)
    ctes.push(sql`w as (
      insert into crm_writes (lead_id, decision_id, step, kind, key, crm, payload, status, locked_at, locked_by, attempts)
      values ${sql.join(
        b.writes.map(
          (x) =>
            sql`(${x.leadId}::bigint, ${x.decisionId}::bigint, ${x.step}, 'routing', ${x.write.key}, ${b.crm}, ${json(x.write)}::jsonb, ${claim})`,
        ),
      )}
      on conflict (key) do nothing
      returning *)`);
  const timerRows = b.decisions.flatMap(({ id, leadId, decision }) =>
    timerValues({
      leadId,
      decisionId: id,
      plan: decision.fallbackPlan,
      configHash: decision.configHash,
      since: b.now,
    }),
  );
  if (timerRows.length) ctes.push(sql`t as (${insertTimers(timerRows)} returning 1)`);
  ctes.push(sql`i as (
    update inbox set status = 'done', outcome = v.outcome, lead_id = v.lead_id,
      decision_id = v.decision_id, locked_at = null, locked_by = null, last_error = null,
      done_at = now(), updated_at = now()
    from (values ${sql.join(
      b.done.map(
        (d) =>
          sql`(${d.inboxId}::bigint, ${d.outcome}, ${d.leadId}::bigint, ${d.decisionId}::bigint)`,
      ),
    )}) v (id, outcome, lead_id, decision_id)
    where inbox.id = v.id and inbox.locked_by = ${b.workerId}
    returning 1)`);
  const notify = (channel: string, cte: string, payload = '') =>
    sql`(select count(*) from (select pg_notify(${channel}, ${payload}) from (select 1 from ${sql.raw(cte)} limit 1) one) n)`;
  const firstDue = timersDuePayload(
    b.decisions.flatMap(({ decision }) => decision.fallbackPlan.map((cp) => new Date(cp.dueUtc))),
  );
  const r = await sql<{ adopted?: unknown }>`
    with ${sql.join(ctes, sql`, `)}
    select
      ${failUnless(sql`(select count(*) from i)`, b.done.length, LOCK_LOST)} as lock_check
      ${
        b.leads.length === 0
          ? sql``
          : sql`, ${failUnless(
              sql`(select count(*) from l where id in (${sql.join(
                b.leads.map((x) => sql`${x.id}::bigint`),
              )}))`,
              b.leads.length,
              LEAD_STORED_MEANWHILE,
            )} as lead_check`
      }
      ${
        b.writes.length === 0
          ? sql``
          : b.adoptBy
            ? sql`, (select coalesce(json_agg(w), '[]'::json) from w) as adopted`
            : sql`, ${notify(CRM_WRITES_CHANNEL, 'w')} as nw`
      }
      ${timerRows.length ? sql`, ${notify(TIMERS_CHANNEL, 't', firstDue)} as nt` : sql``}`
    .execute(db)
    .catch((err: unknown) => {
      const message = String((err as Error)?.message);
      const m = /inbox lock lost, completed (\d+)/.exec(message);
      if (m) throw new InboxLockLostError(b.done.length - Number(m[1]), b.workerId);
      if (message.includes(LEAD_STORED_MEANWHILE)) throw new LeadStoredMeanwhileError();
      throw err;
    });
  const adopted = r.rows[0]?.adopted;
  return b.adoptBy && adopted ? parsed<JsonRow[]>(adopted).map(crmWriteRow) : [];
}

type JsonRow = Record<string, unknown>;
const at = (v: unknown) => (v == null ? null : new Date(String(v)));

/** A crm_writes row as json_agg renders it (bigint ids as numbers, times as text) → CrmWriteRow. */
function crmWriteRow(j: JsonRow): CrmWriteRow {
  return {
    ...(j as unknown as CrmWriteRow),
    id: String(j.id),
    lead_id: String(j.lead_id),
    decision_id: String(j.decision_id),
    run_at: at(j.run_at)!,
    locked_at: at(j.locked_at),
    created_at: at(j.created_at)!,
    updated_at: at(j.updated_at)!,
    done_at: at(j.done_at),
  };
}

/**
 * Fails the whole statement (so nothing of it is written) unless `count` equals `expected`: the
 * cast of `marker` + count to int only runs, and raises with the marker in its message, when
 * the count is off. The count is part of the cast on purpose: a constant text would be folded
 * by the planner into an error at plan time, failing every batch.
 */
const failUnless = (count: RawBuilder<unknown>, expected: number, marker: string) =>
  sql`case when ${count} <> ${expected}::bigint then (${marker}::text || ${count})::int end`;

const LOCK_LOST = 'inbox lock lost, completed ';
const LEAD_STORED_MEANWHILE = 'lead stored by another worker meanwhile, stored ';

export class LeadStoredMeanwhileError extends Error {
  readonly code = 'INBOX.LEAD_STORED_MEANWHILE';
  constructor() {
    super(
      'a lead of the batch was stored by another worker after the batch read its snapshot; the batch was rolled back',
    );
  }
}

export class InboxLockLostError extends Error {
  readonly code = 'INBOX.LOCK_LOST';
  constructor(missing: number, workerId: string) {
    super(
      `${missing} inbox event(s) of the batch are no longer locked by ${workerId} (another worker reclaimed them); the batch was rolled back`,
    );
  }
}
