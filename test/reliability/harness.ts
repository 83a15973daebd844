/**
 * Building blocks of the reliability suites (scripts/reliability.ts): a scratch database per run,
 * the real service as a child process (`node bin/switchboard.js serve`) that can be SIGKILLed and
 * restarted, a HubSpot-like webhook sender that signs (v3) and retries on connection errors and
 * 5xx, and small bounded waits. Loopback only; every wait bounded in count and time; every child
 * killed at the end (also on failure) through `Children.killAll()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { signV3 } from '../../src/intake/hubspot-signature.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const PG_BASE = process.env.RELIABILITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const WEBHOOK_SECRET = 'reliability-client-secret';
export const PUBLIC_URL = 'https://switchboard.example.com';
export const PORTAL_ID = 62515;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns a truthy value or `maxMs` passes (then null). */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  opts: { maxMs: number; everyMs?: number },
): Promise<T | null> {
  const end = Date.now() + opts.maxMs;
  for (let i = 0; i < 100_000 && Date.now() < end; i++) {
    const v = await check().catch(() => null);
    if (v) return v;
    await sleep(opts.everyMs ?? 250);
  }
  return null;
}

// ---------------------------------------------------------------- scratch database

export interface ScratchDb {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh, empty database on the machine's Postgres; the service migrates it on start. */
export async function createScratchDb(label: string): Promise<ScratchDb> {
  const name = `sb_rel_${label}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = `${PG_BASE}/${name}`;
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  pool.on('error', () => {}); // a Postgres restart drops idle clients; queries reconnect
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end().catch(() => {});
      const a = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
      await a.connect();
      try {
        await a.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

export async function one<T = Record<string, unknown>>(
  pool: pg.Pool,
  text: string,
  params: unknown[] = [],
): Promise<T> {
  const r = await pool.query(text, params);
  return r.rows[0] as T;
}

// ---------------------------------------------------------------- ports and children

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly baseUrl: string;
  exited: Promise<number | null>;
}

/** Every child started by a suite, so the runner can kill them all on any exit path. */
export class Children {
  readonly #all = new Set<ChildProcess>();
  add(c: ChildProcess): void {
    this.#all.add(c);
    c.on('exit', () => this.#all.delete(c));
  }
  async killAll(): Promise<void> {
    for (const c of this.#all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    const waits = [...this.#all].map(
      (c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r()))),
    );
    await Promise.race([Promise.all(waits), sleep(5000)]);
  }
}

/**
 * Starts `node bin/switchboard.js serve` with `env` on 127.0.0.1:`port` and waits (≤ 60 s) for
 * /healthz. Its stdout/stderr go to `logFile`.
 */
export async function startService(opts: {
  children: Children;
  port: number;
  env: Record<string, string>;
  logFile: string;
  readyMs?: number;
  /** Node arguments; default `bin/switchboard.js serve`. */
  args?: string[];
}): Promise<ServiceProcess> {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const out = createWriteStream(opts.logFile, { flags: 'a' });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(opts.port),
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  const args = opts.args ?? [path.join(ROOT, 'bin/switchboard.js'), 'serve'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  opts.children.add(child);
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const baseUrl = `http://127.0.0.1:${opts.port}`;
  const ready = await Promise.race([
    waitFor(
      async () => {
        const s = await httpStatus(`${baseUrl}/healthz`);
        return s === 200;
      },
      { maxMs: opts.readyMs ?? 60_000, everyMs: 100 },
    ),
    exited.then(() => 'exited' as const),
  ]);
  if (ready !== true) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw new Error(
      `service did not become healthy on ${baseUrl} (${ready === 'exited' ? `exited with ${child.exitCode}` : 'timeout'}); see ${opts.logFile}`,
    );
  }
  return { child, pid: child.pid!, port: opts.port, baseUrl, exited };
}

export async function sigkill(svc: ServiceProcess): Promise<void> {
  if (svc.child.exitCode === null && svc.child.signalCode === null) svc.child.kill('SIGKILL');
  await Promise.race([svc.exited, sleep(5000)]);
}

export async function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const r = http.get(url, { timeout: 2000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on('timeout', () => r.destroy());
    r.on('error', () => resolve(0));
  });
}

/**
 * What a SIGKILLed worker leaves behind is reclaimed by the stale-lock sweep once the lock is
 * older than the stale threshold (300 s by default). The suite skips that wait the way
 * graphile-worker's tests do: it backdates the dead process's locks (its pid is in the lock id),
 * so the next start's sweep hands them back at once. Returns how many rows were backdated.
 */
export async function ageLocksOfDeadProcess(pool: pg.Pool, pid: number): Promise<number> {
  let n = 0;
  for (const table of ['inbox', 'crm_writes', 'timers']) {
    const exists = await one<{ t: string | null }>(pool, `select to_regclass($1)::text as t`, [
      table,
    ]);
    if (!exists.t) continue;
    const r = await pool.query(
      `update ${table} set locked_at = locked_at - interval '2 hours'
       where locked_at is not null and locked_by like $1`,
      [`%:${pid}:%`],
    );
    n += r.rowCount ?? 0;
  }
  return n;
}

// ---------------------------------------------------------------- the webhook sender

export interface SendStats {
  deliveries: number;
  attempts: number;
  connectionErrors: number;
  status5xx: number;
  status503: number;
  status4xx: number;
  /** Deliveries never acknowledged within their attempt budget. */
  unacked: number;
  latenciesMs: number[];
}

export const newSendStats = (): SendStats => ({
  deliveries: 0,
  attempts: 0,
  connectionErrors: 0,
  status5xx: 0,
  status503: 0,
  status4xx: 0,
  unacked: 0,
  latenciesMs: [],
});

export function hubspotEvent(objectId: number, eventId: number, occurredAt: number) {
  return {
    eventId,
    subscriptionId: 25,
    portalId: PORTAL_ID,
    appId: 54321,
    occurredAt,
    subscriptionType: 'contact.creation',
    attemptNumber: 0,
    objectId,
    changeSource: 'CRM',
    changeFlag: 'NEW',
  };
}

/** POSTs one signed body; the status, or 0 on a connection error / timeout. */
export function postSigned(
  agent: http.Agent,
  baseUrl: string,
  body: string,
  timeoutMs = 5000,
): Promise<number> {
  const ts = String(Date.now());
  const sig = signV3(WEBHOOK_SECRET, 'POST', `${PUBLIC_URL}/webhooks/hubspot`, body, ts);
  const buf = Buffer.from(body, 'utf8');
  return new Promise((resolve) => {
    const r = http.request(
      `${baseUrl}/webhooks/hubspot`,
      {
        method: 'POST',
        agent,
        timeout: timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': String(buf.length),
          'x-hubspot-signature-v3': sig,
          'x-hubspot-request-timestamp': ts,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', () => resolve(0));
    r.end(buf);
  });
}

/**
 * Delivers `events` (one per webhook) like HubSpot: a 2xx ends it; a connection error, timeout or
 * 5xx is retried after a short backoff (HubSpot waits minutes; compressed here), up to
 * `maxAttempts`. A 4xx is counted and, like HubSpot, retried too. `onDelivered(i)` fires after
 * each acknowledged delivery (the suites hook kills there). Bounded by `deadline`.
 */
export async function deliverAll(opts: {
  baseUrl: () => string;
  bodies: (i: number, attempt: number) => string;
  count: number;
  concurrency: number;
  stats: SendStats;
  deadline: number;
  maxAttempts?: number;
  onDelivered?: (i: number) => Promise<void> | void;
  /** Optional pacing: at most this many new deliveries started per second. */
  ratePerSecond?: number;
}): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const maxAttempts = opts.maxAttempts ?? 200;
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= opts.count) return;
      if (opts.ratePerSecond) {
        const due = started + (i / opts.ratePerSecond) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      opts.stats.deliveries++;
      let acked = false;
      for (let attempt = 0; attempt < maxAttempts && Date.now() < opts.deadline; attempt++) {
        opts.stats.attempts++;
        const t0 = performance.now();
        const status = await postSigned(agent, opts.baseUrl(), opts.bodies(i, attempt));
        if (status >= 200 && status < 300) {
          opts.stats.latenciesMs.push(performance.now() - t0);
          acked = true;
          break;
        }
        if (status === 0) opts.stats.connectionErrors++;
        else if (status >= 500) {
          opts.stats.status5xx++;
          if (status === 503) opts.stats.status503++;
        } else opts.stats.status4xx++;
        await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
      }
      if (!acked) opts.stats.unacked++;
      else await opts.onDelivered?.(i);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    agent.destroy();
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
