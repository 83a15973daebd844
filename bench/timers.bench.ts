/**
 * Fallback timers on real Postgres, side by side with graphile-worker 0.17.3 on the same database:
 *
 *  1. fire rate: N timers (default 100,000) all due, drained by two pollers (10 firings in flight
 *     each); graphile-worker runs N no-op jobs with concurrency 20. Firing = the same unit of work
 *     on both sides: claim, run a no-op, mark done. Ours completes a batch's no-op firings in one
 *     statement (what a checkpoint whose branches match nothing does); graphile-worker 0.17
 *     completes each job with its own statement.
 *  2. lateness: M timers (default 10,000) coming due at 1,000/s while the pollers run; lateness =
 *     fired − due, p50/p99; graphile-worker: M no-op jobs with the same run_at spread.
 *
 * Needs a real Postgres: DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test (a fresh
 * database is created and dropped). BENCH_TIMERS / BENCH_LATENESS_TIMERS shrink the run.
 * Every phase is bounded in time; a slow machine reports a lower figure and says how many fired.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { run as runGraphile, makeWorkerUtils } from 'graphile-worker';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { systemClock } from '../src/clock.ts';
import { createPoller, type FireTimer } from '../src/fallback/poller.ts';
import { scheduleTimers } from '../src/fallback/timer-store.ts';
import type { PlannedCheckpoint } from '../src/routing/decision.ts';
import type { BenchRow } from './report.ts';

const N = Number(process.env.BENCH_TIMERS ?? 100_000);
const M = Number(process.env.BENCH_LATENESS_TIMERS ?? 10_000);
const LEADS = 1_000;
const PACE_PER_S = 1_000;
const PHASE_MAX_MS = 240_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

async function withDatabase<T>(base: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_timers_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  try {
    return await fn(u.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** 1,000 leads with one decision each; returns their ids. */
async function seed(h: DatabaseHandle): Promise<Array<{ leadId: string; decisionId: string }>> {
  const { rows } = await sql<{ lead_id: string; decision_id: string }>`
    with l as (
      insert into leads (crm_system, crm_object, crm_id, lead)
      select 'hubspot', 'contact', 'b' || g, '{}'::jsonb from generate_series(1, ${LEADS}) g
      returning id
    )
    insert into decisions (lead_id, reason, config_hash, lead_type, handler_id, decided_at, decision)
    select id, 'route', 'bench', 'strategic', 'dana', now(), '{}'::jsonb from l
    returning lead_id::text, id::text as decision_id`.execute(h.db);
  return rows.map((r) => ({ leadId: r.lead_id, decisionId: r.decision_id }));
}

/** Schedules `count` timers spread over the leads, due at `dueAt(i)`; returns timers/s. */
async function scheduleMany(
  h: DatabaseHandle,
  leads: Array<{ leadId: string; decisionId: string }>,
  count: number,
  prefix: string,
  dueAt: (i: number) => Date,
): Promise<number> {
  const perLead = Math.ceil(count / leads.length);
  const start = performance.now();
  let made = 0;
  for (const lead of leads) {
    if (made >= count) break;
    const plan: PlannedCheckpoint[] = [];
    for (let j = 0; j < perLead && made < count; j++, made++)
      plan.push({
        id: `${prefix}${j}`,
        after: '1m',
        dueUtc: dueAt(made).toISOString(),
        branches: [],
      });
    await h.db
      .transaction()
      .execute((trx) => scheduleTimers(trx, { ...lead, plan, configHash: 'bench' }));
  }
  return (made / (performance.now() - start)) * 1000;
}

/** A checkpoint with nothing to write: the poller completes these in one statement per batch. */
const noopFire = (): FireTimer => async () => ({ complete: { bench: true } });

async function countFired(h: DatabaseHandle, prefix: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*)::text as n from timers where status = 'fired' and checkpoint_id like ${`${prefix}%`}`.execute(
    h.db,
  );
  return Number(rows[0]!.n);
}

async function runPollers(url: string, until: () => Promise<boolean>): Promise<void> {
  const handles = [
    await openDatabase({ url, poolMax: 10 }),
    await openDatabase({ url, poolMax: 10 }),
  ];
  const pollers = handles.map((h, i) =>
    createPoller({
      db: h.db,
      clock: systemClock,
      fire: noopFire(),
      workerId: `bench-${i}`,
      concurrency: 10,
      maxIdleMs: 200,
    }),
  );
  for (const p of pollers) await p.start();
  const deadline = performance.now() + PHASE_MAX_MS;
  while (performance.now() < deadline && !(await until())) await sleep(100);
  for (const p of pollers) await p.stop({ deadlineMs: 5_000 });
  for (const h of handles) await h.close();
}

async function switchboardFigures(url: string) {
  const h = await openDatabase({ url, poolMax: 10 });
  await migrate(h);
  const leads = await seed(h);
  // 1. Throughput: N timers, all due.
  const past = new Date(Date.now() - 1_000);
  const scheduleRate = await scheduleMany(h, leads, N, 'r', () => past);
  const t0 = performance.now();
  await runPollers(url, async () => (await countFired(h, 'r')) >= N);
  const fired = await countFired(h, 'r');
  const fireRate = (fired / (performance.now() - t0)) * 1000;
  // Whatever phase 1 did not fire in time must not compete with phase 2.
  await sql`update timers set status = 'cancelled' where status = 'pending'`.execute(h.db);
  // 2. Lateness: M timers coming due at PACE_PER_S, starting 1 s after the pollers start.
  // Scheduled an hour ahead, then moved in one statement, so slow scheduling cannot make them late.
  const far = Date.now() + 3_600_000;
  await scheduleMany(h, leads, M, 'p', (i) => new Date(far + (i * 1000) / PACE_PER_S));
  await sql`update timers set run_at = run_at - (${far - Date.now() - 1_000} * interval '1 millisecond')
            where checkpoint_id like 'p%'`.execute(h.db);
  await runPollers(url, async () => (await countFired(h, 'p')) >= M);
  const { rows } = await sql<{ lateness_ms: number }>`
    select lateness_ms from timers where checkpoint_id like 'p%' and status = 'fired' order by lateness_ms`.execute(
    h.db,
  );
  await h.close();
  const late = rows.map((r) => Number(r.lateness_ms));
  return { scheduleRate, fired, fireRate, late };
}

async function graphileFigures(url: string) {
  let done = 0;
  const lateness: number[] = [];
  let measure = false;
  // Our own pool, ended before the database is dropped (graphile's would outlive the run).
  const pool = new pg.Pool({ connectionString: url, max: 24 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const utils = await makeWorkerUtils({ pgPool: pool });
  await utils.migrate();
  const add = async (count: number, runAt: (i: number) => Date) => {
    for (let i = 0; i < count; i += 1_000) {
      const specs = [];
      for (let j = i; j < Math.min(count, i + 1_000); j++)
        specs.push({ identifier: 'noop', payload: {}, runAt: runAt(j) });
      await utils.addJobs(specs);
    }
  };
  const runWorker = async (target: number) => {
    done = 0;
    const runner = await runGraphile({
      pgPool: pool,
      concurrency: 20,
      noHandleSignals: true,
      pollInterval: 200,
      logger: new (await import('graphile-worker')).Logger(() => () => undefined),
      taskList: {
        noop: async (_payload, helpers) => {
          if (measure) lateness.push(Date.now() - helpers.job.run_at.getTime());
          done++;
        },
      },
    });
    const t0 = performance.now();
    const deadline = t0 + PHASE_MAX_MS;
    while (done < target && performance.now() < deadline) await sleep(100);
    const ms = performance.now() - t0;
    await runner.stop();
    return { count: done, ms };
  };
  const past = new Date(Date.now() - 1_000);
  await add(N, () => past);
  const thr = await runWorker(N);
  await pool.query('delete from graphile_worker._private_jobs'); // phase 1 leftovers, if any
  const far = Date.now() + 3_600_000;
  await add(M, (i) => new Date(far + (i * 1000) / PACE_PER_S));
  await pool.query(
    `update graphile_worker._private_jobs set run_at = run_at - ($1::int * interval '1 millisecond')`,
    [far - Date.now() - 1_000],
  );
  measure = true;
  await runWorker(M);
  await utils.release();
  await pool.end();
  lateness.sort((a, b) => a - b);
  return { fired: thr.count, fireRate: (thr.count / thr.ms) * 1000, late: lateness };
}

export async function run(): Promise<BenchRow[]> {
  const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const ours = await withDatabase(base, switchboardFigures);
  const theirs = await withDatabase(base, graphileFigures);
  const p = (xs: number[], q: number) => pct(xs, q);
  return [
    {
      name: `timers: fire rate, ${N.toLocaleString('en-US')} due (real PG, 2 pollers)`,
      figure: ours.fireRate,
      unit: 'firings/s',
      baseline: theirs.fireRate,
      baselineName: 'graphile-worker 0.17.3 no-op jobs',
      ratio: ours.fireRate / theirs.fireRate,
      target: '≥ 2,000 firings/s',
      met: ours.fireRate >= 2_000 && ours.fired === N,
      note: `fired ${ours.fired}/${N} (graphile ${theirs.fired}/${N}); scheduling ${Math.round(ours.scheduleRate)} timers/s; no-op firings completed in one statement per batch of 100 (a firing with CRM writes is one transaction each)`,
    },
    {
      name: `timers: lateness p99, ${M.toLocaleString('en-US')} due at ${PACE_PER_S}/s`,
      figure: p(ours.late, 99),
      unit: 'ms',
      baseline: p(theirs.late, 99),
      baselineName: 'graphile-worker 0.17.3',
      target: '≤ 1,000 ms',
      met: p(ours.late, 99) <= 1_000 && ours.late.length === M,
      note: `p50 ${p(ours.late, 50)} ms (graphile ${p(theirs.late, 50)} ms); fired ${ours.late.length}/${M}`,
    },
  ];
}
