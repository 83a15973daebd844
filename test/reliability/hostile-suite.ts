/**
 * Suite 5 for the runner: generated hostile inputs through `app.inject()` on a fresh real-Postgres
 * database, then a sample over real HTTP against the service as a child process, which must still
 * be alive and healthy afterwards.
 */
import http from 'node:http';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { buildApp } from '../../src/app.ts';
import { loadEnv } from '../../src/env.ts';
import { openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { Children, createScratchDb, freePort, httpStatus, startService } from './harness.ts';
import { HOSTILE_ENV, runHostileInputs, type HostileResult, type Send } from './hostile-inputs.ts';
import type { SuiteResult } from './kill-redelivery.ts';

function httpSend(baseUrl: string): Send {
  return (req) =>
    new Promise((resolve) => {
      const body = Buffer.from(req.body, 'utf8');
      const r = http.request(
        `${baseUrl}${req.url}`,
        {
          method: req.method,
          agent: false,
          headers: { ...req.headers, 'content-length': String(body.length) },
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
          res.on('error', (e) => resolve({ status: res.statusCode ?? 0, error: e.message }));
        },
      );
      r.on('timeout', () => r.destroy(new Error('timeout')));
      r.on('error', (e) =>
        resolve({ status: 0, error: (e as NodeJS.ErrnoException).code ?? e.message }),
      );
      r.end(body);
    });
}

const summary = (r: HostileResult) =>
  Object.entries(r.byCategory)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([c, s]) =>
        `${c} ${Object.entries(s)
          .map(([k, v]) => `${k}×${v}`)
          .join(' ')}`,
    )
    .join('; ');

export async function runHostileSuite(opts: {
  inputs: number;
  httpSample: number;
  logDir: string;
}): Promise<SuiteResult> {
  const t0 = Date.now();
  const notes: string[] = [];
  const children = new Children();
  const db = await createScratchDb('hostile');
  try {
    const handle = await openDatabase({ url: db.url, poolMax: 4 });
    let inproc: HostileResult;
    try {
      await migrate(handle);
      const env = loadEnv({ ...HOSTILE_ENV, LOG_LEVEL: 'silent' });
      const app = await buildApp({ env, handle, clock: systemClock, log: createLogger('silent') });
      try {
        inproc = await runHostileInputs({
          count: opts.inputs,
          seed: 20261127,
          db: handle.db as unknown as Kysely<never>,
          send: async (req) => {
            const res = await app.inject({
              method: req.method,
              url: req.url,
              headers: req.headers,
              payload: req.body,
            });
            return { status: res.statusCode };
          },
        });
      } finally {
        await app.close();
      }
    } finally {
      await handle.close();
    }
    notes.push(`in-process (inject): ${summary(inproc)}`);

    // The same generator over real HTTP, against the service as a separate process.
    const port = await freePort();
    const svc = await startService({
      children,
      port,
      env: { ...HOSTILE_ENV, DATABASE_URL: db.url, CRM: 'dryrun', WORKER_POLL_MS: '500' },
      logFile: path.join(opts.logDir, 'hostile.log'),
    });
    const handle2 = await openDatabase({ url: db.url, poolMax: 2 });
    let overHttp: HostileResult;
    try {
      overHttp = await runHostileInputs({
        count: opts.httpSample,
        seed: 7,
        db: handle2.db as unknown as Kysely<never>,
        send: httpSend(svc.baseUrl),
      });
    } finally {
      await handle2.close();
    }
    const alive = svc.child.exitCode === null && svc.child.signalCode === null;
    const healthy = (await httpStatus(`${svc.baseUrl}/healthz`)) === 200;
    notes.push(
      `over HTTP: ${summary(overHttp)}; service afterwards: ${alive ? 'alive' : 'DEAD'}, /healthz ${healthy ? '200' : 'not 200'}`,
    );
    const bad = [...inproc.serverErrors, ...overHttp.serverErrors];
    const writers = [...inproc.rowWriters, ...overHttp.rowWriters];
    for (const e of bad.slice(0, 5))
      notes.push(
        `5xx/no answer: ${e.category} ${e.status} ${e.error ?? ''} ${JSON.stringify(e.body.slice(0, 120))}`,
      );
    for (const e of writers.slice(0, 5))
      notes.push(`wrote a row: ${e.category} ${e.status} ${JSON.stringify(e.body.slice(0, 120))}`);
    for (const f of [inproc.failure, overHttp.failure])
      if (f) notes.push(`fast-check: ${f.split('\n').slice(0, 3).join(' ')}`);
    const rows = inproc.rowsWritten + overHttp.rowsWritten;
    const inputs = inproc.inputs + overHttp.inputs;
    return {
      suite: 'hostile input',
      load: `${opts.inputs.toLocaleString('en-US')} generated inputs in-process + ${opts.httpSample} over HTTP`,
      faults:
        'bad/stale signatures, wrong org/token, malformed JSON/XML, entities, deep nesting, huge, wrong types, unicode',
      inputs,
      lost: 0,
      duplicated: 0,
      passed:
        bad.length === 0 &&
        writers.length === 0 &&
        rows === 0 &&
        alive &&
        healthy &&
        inputs === opts.inputs + opts.httpSample,
      notes: [
        `${bad.length} answered 5xx or not at all; ${rows} rows written; crash: ${alive ? 'none' : 'yes'}`,
        ...notes,
      ],
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await children.killAll();
    await db.drop().catch(() => {});
  }
}
