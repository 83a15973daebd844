/**
 * Intake ack (issue 5): signed HubSpot webhooks (v3, one contact.creation per delivery, every body
 * unique) against the real service process on real Postgres, side by side in the same run with a
 * bare Fastify route doing one INSERT into the same Postgres (bench/intake-baseline-server.ts).
 *
 * Two runs per target, each bounded to DURATION_S after a short warm-up:
 *   - 1,000 req/s paced evenly (open loop, bench/paced-load.ts, up to 50 connections): ack
 *     latency p50/p99, counted from each request's due time;
 *   - autocannon's overallRate at 1,000 req/s over 10 connections, reported in the notes: it
 *     sends each connection's quota in a burst at the start of every second, so its latency is
 *     that of bursts of 100 back-to-back requests per connection (the figure before Nov 2026);
 *   - unthrottled (50 connections): throughput.
 * Targets: p99 ≤ 10 ms at 1,000 req/s; throughput ≥ 0.67× the baseline.
 *
 * The service is measured as `npm start` runs it: worker enabled (it claims and finishes every
 * stored event while the load runs; with the dry-run CRM it finds no contact behind the id, so
 * each event ends `gone` without a routing decision: the routing cost under load is the
 * end-to-end bench's), LOG_LEVEL=info. A second instance with WORKER_ENABLED=false is reported
 * beside it, so the worker's share of the two cores is visible. The worker finishes every
 * stored event before the paced and the unthrottled runs (so neither measures the catch-up on an
 * earlier run's backlog) and after the unthrottled run. CPU per ack is each server process's own
 * CPU time (/proc, Postgres not counted) over the unthrottled run, for the service until its
 * worker has finished that run's events: unlike req/s it hardly depends on what else the shared
 * machine is doing. autocannon shares the two cores with
 * the servers (STACK.md §5.16): treat the rates as relative. Loopback only.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signV3 } from '../src/intake/hubspot-signature.ts';
import {
  Children,
  createScratchDb,
  freePort,
  percentile,
  PUBLIC_URL,
  ROOT,
  startService,
  waitFor,
  WEBHOOK_SECRET,
  type ScratchDb,
} from '../test/reliability/harness.ts';
import type { BenchRow } from './report.ts';
import { pacedLoad, rawPost, type PacedResult } from './paced-load.ts';

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { average: number; total: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const DURATION_S = Number(process.env.BENCH_INTAKE_SECONDS ?? 5);
const RATE = 1000;
const ROUNDS = Number(process.env.BENCH_INTAKE_ROUNDS ?? 2);

let seq = 0;
function hubspotBody(): string {
  const i = seq++;
  return JSON.stringify([
    {
      eventId: 10_000_000 + i,
      subscriptionId: 25,
      portalId: 62515,
      appId: 54321,
      occurredAt: Date.now(),
      subscriptionType: 'contact.creation',
      attemptNumber: 0,
      objectId: 20_000_000 + i,
      changeSource: 'CRM',
      changeFlag: 'NEW',
    },
  ]);
}

const signed = (req: AutocannonRequest): AutocannonRequest => {
  const body = hubspotBody();
  const ts = String(Date.now());
  return {
    ...req,
    method: 'POST',
    path: '/webhooks/hubspot',
    body,
    headers: {
      'content-type': 'application/json',
      'x-hubspot-request-timestamp': ts,
      'x-hubspot-signature-v3': signV3(
        WEBHOOK_SECRET,
        'POST',
        `${PUBLIC_URL}/webhooks/hubspot`,
        body,
        ts,
      ),
    },
  };
};

/** `n` signed deliveries as raw requests for the paced run, signed before it starts. */
function signedRaw(n: number): Buffer[] {
  return Array.from({ length: n }, () => {
    const r = signed({});
    return rawPost(r.path!, r.headers!, r.body!);
  });
}

function plainRaw(n: number): Buffer[] {
  return Array.from({ length: n }, () =>
    rawPost('/insert', { 'content-type': 'application/json' }, hubspotBody()),
  );
}

const plain = (req: AutocannonRequest): AutocannonRequest => ({
  ...req,
  method: 'POST',
  path: '/insert',
  body: hubspotBody(),
  headers: { 'content-type': 'application/json' },
});

async function load(
  url: string,
  setup: (r: AutocannonRequest) => AutocannonRequest,
  opts: { connections: number; rate?: number; seconds: number },
): Promise<AutocannonResult> {
  return autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    requests: [{ setupRequest: setup }],
  });
}

interface Figures {
  /** 1,000 req/s paced evenly (open loop, bench/paced-load.ts): the latency target's run. */
  paced: PacedResult;
  /** autocannon's overallRate at 1,000 req/s: each connection's quota in a burst every second. */
  fixed: AutocannonResult;
  max: AutocannonResult;
  /** Server process CPU (user + system) per request of the unthrottled run, µs; null off Linux. */
  cpuPerAckUs: number | null;
  /** What the worker had left when the unthrottled run ended, and how long it took to finish. */
  backlog: Drain;
}

/** utime + stime of a process in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

/** Events the worker has not finished: stored (pending) or claimed (in flight). */
async function unfinished(db: ScratchDb): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(
    "select count(*) as n from inbox where status in ('pending', 'in_flight')",
  );
  return Number(rows[0]!.n);
}

/**
 * Waits until the worker has finished every stored event (up to 120 s); returns how many it found
 * unfinished and how long they took. The unthrottled runs store events faster than a worker
 * sharing two cores finishes them; left alone, that backlog would be worked off during the next
 * run, on this side's paced run or on another side's, measuring the catch-up instead.
 */
async function drain(db: ScratchDb | null): Promise<Drain> {
  if (db === null) return { backlog: 0, ms: 0 };
  const start = performance.now();
  const backlog = await unfinished(db);
  const finished = await waitFor(async () => (await unfinished(db)) === 0, {
    maxMs: 120_000,
    everyMs: 50,
  });
  if (!finished) {
    const left = await unfinished(db);
    throw new Error(`the worker left ${left} of ${backlog} events unfinished after 120 s`);
  }
  return { backlog, ms: performance.now() - start };
}

/** Each side's best of its rounds, figure by figure; the backlogs are reported per round. */
type Best = Omit<Figures, 'backlog'>;

interface Drain {
  backlog: number;
  ms: number;
}

async function measure(
  url: string,
  pid: number,
  setup: (r: AutocannonRequest) => AutocannonRequest,
  raw: (n: number) => Buffer[],
  /** The side's database when it runs a worker: each run starts with its inbox worked off. */
  workerDb: ScratchDb | null,
): Promise<Figures> {
  await load(url, setup, { connections: 10, seconds: 2 }); // warm-up (JIT, pool, plans)
  await drain(workerDb);
  const paced = await pacedLoad({
    port: Number(new URL(url).port),
    rate: RATE,
    seconds: DURATION_S,
    // Enough that a due request rarely waits for a free connection (it would still count).
    connections: 50,
    requests: raw(RATE * DURATION_S),
  });
  const fixed = await load(url, setup, { connections: 10, rate: RATE, seconds: DURATION_S });
  await drain(workerDb);
  const before = cpuMs(pid);
  const max = await load(url, setup, { connections: 50, seconds: DURATION_S });
  // Counted until the worker finished what the run stored, so the service's figure is the whole
  // cost of an event: its ack and its processing.
  const backlog = await drain(workerDb);
  const after = cpuMs(pid);
  const cpuPerAckUs =
    before === null || after === null || max.requests.total === 0
      ? null
      : ((after - before) * 1000) / max.requests.total;
  return { paced, fixed, max, cpuPerAckUs, backlog };
}

const bad = (r: AutocannonResult) => r.non2xx + r.errors + r.timeouts;
const pacedBad = (r: PacedResult) => r.non2xx + r.errors;
const p = (r: PacedResult, q: number) => percentile(r.latenciesMs, q);
const ms = (n: number) => `${n.toFixed(1)} ms`;
const round1 = (n: number) => Math.round(n * 10) / 10;

type Side = 'b' | 's' | 'i';

export async function run(): Promise<BenchRow[]> {
  const children = new Children();
  const logDir = path.join(os.tmpdir(), `switchboard-bench-${process.pid}`);
  const dbs: ScratchDb[] = [];
  try {
    const svcDb = await createScratchDb('bench_intake');
    dbs.push(svcDb);
    const soloDb = await createScratchDb('bench_intake_solo');
    dbs.push(soloDb);
    const baseDb = await createScratchDb('bench_base');
    dbs.push(baseDb);
    const serviceEnv = (db: ScratchDb, worker: boolean) => ({
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: '10',
      HUBSPOT_CLIENT_SECRET: WEBHOOK_SECRET,
      PUBLIC_URL,
      CRM: 'dryrun',
      WORKER_ENABLED: String(worker),
      LOG_LEVEL: 'info',
    });
    const svc = await startService({
      children,
      port: await freePort(),
      logFile: path.join(logDir, 'intake-service.log'),
      env: serviceEnv(svcDb, true),
    });
    const solo = await startService({
      children,
      port: await freePort(),
      logFile: path.join(logDir, 'intake-service-intake-only.log'),
      env: serviceEnv(soloDb, false),
    });
    const base = await startService({
      children,
      port: await freePort(),
      logFile: path.join(logDir, 'intake-baseline.log'),
      args: ['--import', 'tsx', path.join(ROOT, 'bench/intake-baseline-server.ts')],
      env: { DATABASE_URL: baseDb.url },
    });
    // Interleaved rounds (baseline, service, intake-only service, …): this machine's Postgres and
    // cores are shared with other work, so each side keeps its best round (highest throughput,
    // lowest p99) and the notes list every round.
    const rounds: Array<Record<Side, Figures>> = [];
    for (let r = 0; r < ROUNDS; r++) {
      rounds.push({
        b: await measure(base.baseUrl, base.pid, plain, plainRaw, null),
        s: await measure(svc.baseUrl, svc.pid, signed, signedRaw, svcDb),
        i: await measure(solo.baseUrl, solo.pid, signed, signedRaw, null),
      });
    }
    const best = (side: Side): Best => ({
      paced: rounds.map((x) => x[side].paced).sort((x, y) => p(x, 99) - p(y, 99))[0]!,
      fixed: rounds.map((x) => x[side].fixed).sort((x, y) => x.latency.p99 - y.latency.p99)[0]!,
      max: rounds
        .map((x) => x[side].max)
        .sort((x, y) => y.requests.average - x.requests.average)[0]!,
      cpuPerAckUs:
        rounds
          .map((x) => x[side].cpuPerAckUs)
          .filter((c): c is number => c !== null)
          .sort((x, y) => x - y)[0] ?? null,
    });
    const b = best('b');
    const s = best('s');
    const i = best('i');
    const spread = (side: Side, f: (x: Figures) => number | null) =>
      rounds
        .map((x) => f(x[side]))
        .map((v) => (v === null ? '–' : Math.round(v)))
        .join(' / ');
    const stored = async (db: ScratchDb) =>
      Number((await db.pool.query<{ n: string }>('select count(*) as n from inbox')).rows[0]!.n);
    const [storedSvc, storedSolo] = [await stored(svcDb), await stored(soloDb)];
    const cpu = (f: Best) => (f.cpuPerAckUs === null ? 'n/a' : `${Math.round(f.cpuPerAckUs)} µs`);
    const note = (f: Best, what: string) =>
      `${what}: at ${RATE} req/s paced ${Math.round(f.paced.rate)} req/s answered, p50 ${ms(p(f.paced, 50))}, p99 ${ms(p(f.paced, 99))}, max ${ms(Math.max(...f.paced.latenciesMs))} (generator late p99 ${ms(percentile(f.paced.lateMs, 99))}); autocannon's bursts at ${RATE} req/s p50 ${ms(f.fixed.latency.p50)}, p99 ${ms(f.fixed.latency.p99)}; unthrottled (50 conns) ${Math.round(f.max.requests.average)} req/s, p99 ${ms(f.max.latency.p99)}, CPU per ack ${cpu(f)}; non-2xx/errors ${pacedBad(f.paced) + bad(f.fixed) + bad(f.max)}`;
    const backlogs = rounds
      .map(
        ({ s: { backlog: d } }) => `${d.backlog} events, finished in ${(d.ms / 1000).toFixed(1)} s`,
      )
      .join(' / ');
    const load1 = os.loadavg()[0]!.toFixed(1);
    // Off, nothing vacuums the inbox's dead row versions (two per event with the worker on).
    const autovacuum = (await svcDb.pool.query<{ autovacuum: string }>('show autovacuum')).rows[0]!
      .autovacuum;
    const common = `${note(s, 'service (worker on, LOG_LEVEL=info)')}; ${note(b, 'baseline')}; ${storedSvc.toLocaleString('en-US')} events stored; best of ${ROUNDS} interleaved rounds (throughput per round: service ${spread('s', (f) => f.max.requests.average)}, intake-only ${spread('i', (f) => f.max.requests.average)}, baseline ${spread('b', (f) => f.max.requests.average)} req/s; paced p99 at ${RATE}/s per round: service ${spread('s', (f) => p(f.paced, 99))}, intake-only ${spread('i', (f) => p(f.paced, 99))}, baseline ${spread('b', (f) => p(f.paced, 99))} ms); ${DURATION_S} s per run after a 2 s warm-up; the service's worker finished its backlog before each paced and each unthrottled run, and after each round: left after the unthrottled run ${backlogs}; dry-run CRM; Postgres autovacuum ${autovacuum}; autocannon on the same ${os.cpus().length} cores; load average ${load1} at the end`;
    const ratio = s.max.requests.average / b.max.requests.average;
    const soloRatio = i.max.requests.average / b.max.requests.average;
    return [
      {
        name: 'intake ack p99, signed HubSpot webhooks paced at 1,000 req/s',
        figure: round1(p(s.paced, 99)),
        unit: 'ms',
        baseline: round1(p(b.paced, 99)),
        baselineName: 'bare Fastify + INSERT',
        ratio: p(s.paced, 99) / Math.max(p(b.paced, 99), 0.001),
        target: '≤ 10 ms',
        met: p(s.paced, 99) <= 10 && pacedBad(s.paced) === 0,
        note: common,
      },
      {
        name: 'intake ack p50, signed HubSpot webhooks paced at 1,000 req/s',
        figure: round1(p(s.paced, 50)),
        unit: 'ms',
        baseline: round1(p(b.paced, 50)),
        baselineName: 'bare Fastify + INSERT',
        ratio: p(s.paced, 50) / Math.max(p(b.paced, 50), 0.001),
        target: '(reported)',
        met: pacedBad(s.paced) === 0,
      },
      {
        name: 'intake throughput, signed HubSpot webhooks (50 connections)',
        figure: s.max.requests.average,
        unit: 'req/s',
        baseline: b.max.requests.average,
        baselineName: 'bare Fastify + INSERT',
        ratio,
        target: '≥ 0.67× baseline',
        met: ratio >= 0.67 && bad(s.max) === 0,
      },
      {
        name: 'intake throughput, intake-only instance (WORKER_ENABLED=false)',
        figure: i.max.requests.average,
        unit: 'req/s',
        baseline: b.max.requests.average,
        baselineName: 'bare Fastify + INSERT',
        ratio: soloRatio,
        target: '(reported)',
        met: bad(i.max) === 0,
        note: `${note(i, 'intake-only service')}; ${storedSolo.toLocaleString('en-US')} events stored; the same service without the worker, to show the worker's share of the two cores`,
      },
      {
        name: 'intake CPU per ack, service process (50 connections)',
        figure: s.cpuPerAckUs ?? 0,
        unit: 'µs',
        baseline: b.cpuPerAckUs ?? 0,
        baselineName: 'bare Fastify + INSERT',
        ratio: (s.cpuPerAckUs ?? 0) / Math.max(b.cpuPerAckUs ?? 0, 0.001),
        target: '(reported)',
        met: s.cpuPerAckUs !== null,
        note: `lowest of ${ROUNDS} rounds; per round: service ${spread('s', (f) => f.cpuPerAckUs)}, intake-only ${spread('i', (f) => f.cpuPerAckUs)}, baseline ${spread('b', (f) => f.cpuPerAckUs)} µs; the service figure includes its worker`,
      },
    ];
  } finally {
    await children.killAll();
    for (const db of dbs) await db.drop().catch(() => {});
  }
}
