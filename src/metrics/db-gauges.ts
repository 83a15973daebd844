/**
 * Gauges computed at scrape time from Postgres. They describe the shared database, so every
 * instance reports the same values (take `max` across instances, never `sum`). Each query is
 * bounded (a partial index, or a time window) so a scrape stays cheap as tables grow; a failing
 * query leaves that gauge empty for this scrape and is logged, it never fails the scrape.
 */
import { Gauge } from 'prom-client';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../clock.ts';
import type { Metrics } from './metrics.ts';

/** SLAs older than this are history for the 90-day review, not operations. */
export const SLA_WINDOW_DAYS = 30;
/** Delay and lateness quantiles are computed over this recent window. */
export const RECENT_WINDOW_MINUTES = 60;

export interface DbGaugeDeps {
  db: Kysely<Database>;
  clock: Clock;
  onError?: (err: unknown, gauge: string) => void;
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;

export function registerDbGauges(m: Metrics, deps: DbGaugeDeps): void {
  const registers = [m.registry];
  const guard = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      deps.onError?.(err, name);
    }
  };

  new Gauge({
    name: 'switchboard_outbox_depth',
    help: 'CRM writes not yet done, by status (pending, in_flight, parked). From the database.',
    labelNames: ['status'],
    registers,
    async collect() {
      await guard('switchboard_outbox_depth', async () => {
        const r = await sql<{ status: string; n: string }>`
          select status, count(*)::text as n from crm_writes where status <> 'done' group by status`.execute(
          deps.db,
        );
        this.reset();
        for (const s of ['pending', 'in_flight', 'parked']) this.set({ status: s }, 0);
        for (const row of r.rows) this.set({ status: row.status }, Number(row.n));
      });
    },
  });

  new Gauge({
    name: 'switchboard_outbox_oldest_pending_seconds',
    help: 'Age of the oldest CRM write still pending (0 when none). From the database.',
    registers,
    async collect() {
      await guard('switchboard_outbox_oldest_pending_seconds', async () => {
        const now = deps.clock.now();
        const r = await sql<{ oldest: Date | string | null }>`
          select min(created_at) as oldest from crm_writes where status in ('pending', 'in_flight')`.execute(
          deps.db,
        );
        const oldest = r.rows[0]?.oldest;
        this.set(oldest ? Math.max(0, (now.getTime() - new Date(oldest).getTime()) / 1000) : 0);
      });
    },
  });

  new Gauge({
    name: 'switchboard_inbox_depth',
    help: 'Inbox events not yet done, by source and status (pending, in_flight, parked). From the database.',
    labelNames: ['source', 'status'],
    registers,
    async collect() {
      await guard('switchboard_inbox_depth', async () => {
        const r = await sql<{ source: string; status: string; n: string }>`
          select source, status, count(*)::text as n from inbox where status <> 'done'
          group by source, status`.execute(deps.db);
        this.reset();
        for (const row of r.rows)
          this.set({ source: row.source, status: row.status }, Number(row.n));
      });
    },
  });

  new Gauge({
    name: 'switchboard_timers',
    help: 'Fallback timers waiting (pending), overdue by more than a minute (overdue, a subset of pending) or needing a human (parked). From the database.',
    labelNames: ['status'],
    registers,
    async collect() {
      await guard('switchboard_timers', async () => {
        const cutoff = new Date(deps.clock.now().getTime() - 60_000);
        const r = await sql<{ pending: string; overdue: string; parked: string }>`
          select count(*) filter (where status = 'pending')::text as pending,
                 count(*) filter (where status = 'pending' and run_at < ${ts(cutoff)})::text as overdue,
                 count(*) filter (where status = 'parked')::text as parked
          from timers where status in ('pending', 'parked')`.execute(deps.db);
        const row = r.rows[0];
        this.set({ status: 'pending' }, Number(row?.pending ?? 0));
        this.set({ status: 'overdue' }, Number(row?.overdue ?? 0));
        this.set({ status: 'parked' }, Number(row?.parked ?? 0));
      });
    },
  });

  new Gauge({
    name: 'switchboard_fallbacks_fired',
    help: 'Fallback checkpoints fired, by checkpoint id and branch (1-based, "none" when no branch matched). From the database, all time.',
    labelNames: ['checkpoint', 'branch'],
    registers,
    async collect() {
      await guard('switchboard_fallbacks_fired', async () => {
        // The firing stores `branch`, 1-based, or null when no branch matched (fire-checkpoint.ts).
        const r = await sql<{ checkpoint: string; branch: string | null; n: string }>`
          select checkpoint_id as checkpoint, outcome->>'branch' as branch, count(*)::text as n
          from timers where status = 'fired' group by 1, 2`.execute(deps.db);
        this.reset();
        for (const row of r.rows) {
          const label = row.branch === null || row.branch === '' ? 'none' : row.branch;
          this.inc({ checkpoint: row.checkpoint, branch: label }, Number(row.n));
        }
      });
    },
  });

  new Gauge({
    name: 'switchboard_sla',
    help: `First-touch SLAs of leads decided in the last ${SLA_WINDOW_DAYS} days (latest decision per lead), by lead type and state: open (due in the future, no touch yet), met (an engagement signal arrived by the due time), missed (due passed with none). From the database.`,
    labelNames: ['lead_type', 'state'],
    registers,
    async collect() {
      await guard('switchboard_sla', async () => {
        const now = deps.clock.now();
        const since = new Date(now.getTime() - SLA_WINDOW_DAYS * 86_400_000);
        const r = await sql<{ lead_type: string; state: string; n: string }>`
          with latest as (
            select distinct on (lead_id) lead_id, lead_type, decided_at,
                   (decision->'sla'->>'dueUtc')::timestamptz as due
            from decisions
            where decided_at >= ${ts(since)} and jsonb_typeof(decision->'sla') = 'object'
            order by lead_id, id desc
          ),
          judged as (
            select l.lead_type,
                   case
                     when exists (select 1 from lead_events e where e.lead_id = l.lead_id and e.engaged
                                  and e.occurred_at >= l.decided_at and e.occurred_at <= l.due) then 'met'
                     when l.due < ${ts(now)} then 'missed'
                     else 'open'
                   end as state
            from latest l
          )
          select lead_type, state, count(*)::text as n from judged group by 1, 2`.execute(deps.db);
        this.reset();
        for (const row of r.rows)
          this.set({ lead_type: row.lead_type, state: row.state }, Number(row.n));
      });
    },
  });

  new Gauge({
    name: 'switchboard_receipt_to_crm_write_seconds',
    help: `Time from an event's receipt to its routing write being done in the CRM, over writes done in the last ${RECENT_WINDOW_MINUTES} minutes, as quantiles (0.5, 0.9, 0.99) and max. From the database.`,
    labelNames: ['quantile'],
    registers,
    async collect() {
      await guard('switchboard_receipt_to_crm_write_seconds', async () => {
        // done_at and received_at are both the database's now(), so the window is too.
        const r = await sql<{
          p50: number | null;
          p90: number | null;
          p99: number | null;
          mx: number | null;
        }>`
          with d as (
            select extract(epoch from (w.done_at - i.received_at))::float8 as s
            from crm_writes w
            join decisions dc on dc.id = w.decision_id
            join inbox i on i.id = dc.inbox_id
            where w.status = 'done'
              and w.done_at >= now() - make_interval(mins => ${RECENT_WINDOW_MINUTES})
          )
          select percentile_cont(0.5) within group (order by s) as p50,
                 percentile_cont(0.9) within group (order by s) as p90,
                 percentile_cont(0.99) within group (order by s) as p99,
                 max(s) as mx
          from d`.execute(deps.db);
        quantiles(this, r.rows[0]);
      });
    },
  });

  new Gauge({
    name: 'switchboard_timer_lateness_recent_seconds',
    help: `How late fallback timers fired (all instances), over firings in the last ${RECENT_WINDOW_MINUTES} minutes, as quantiles and max. From the database.`,
    labelNames: ['quantile'],
    registers,
    async collect() {
      await guard('switchboard_timer_lateness_recent_seconds', async () => {
        const since = new Date(deps.clock.now().getTime() - RECENT_WINDOW_MINUTES * 60_000);
        const r = await sql<{
          p50: number | null;
          p90: number | null;
          p99: number | null;
          mx: number | null;
        }>`
          select percentile_cont(0.5) within group (order by lateness_ms) / 1000.0 as p50,
                 percentile_cont(0.9) within group (order by lateness_ms) / 1000.0 as p90,
                 percentile_cont(0.99) within group (order by lateness_ms) / 1000.0 as p99,
                 max(lateness_ms) / 1000.0 as mx
          from timers where status = 'fired' and fired_at >= ${ts(since)} and lateness_ms is not null`.execute(
          deps.db,
        );
        quantiles(this, r.rows[0]);
      });
    },
  });
}

function quantiles(
  g: Gauge<'quantile'>,
  row:
    { p50: number | null; p90: number | null; p99: number | null; mx: number | null } | undefined,
): void {
  g.reset();
  if (!row || row.mx === null) return; // no data in the window: no samples rather than fake zeros
  g.set({ quantile: '0.5' }, Number(row.p50));
  g.set({ quantile: '0.9' }, Number(row.p90));
  g.set({ quantile: '0.99' }, Number(row.p99));
  g.set({ quantile: 'max' }, Number(row.mx));
}
