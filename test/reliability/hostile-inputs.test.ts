/**
 * Hostile input, short version (part of `npm test`): 1,000 generated inputs against the three
 * intake routes through `app.inject()`, and 100 more over real HTTP on 127.0.0.1 — no 5xx, no row,
 * no crash. The full 10,000 run is `npm run test:reliability -- --scale=full`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { createTestDb, type TestDb } from '../helpers/test-db.ts';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.ts';
import { systemClock } from '../../src/clock.ts';
import { HOSTILE_ENV, runHostileInputs, type HostileRequest, type Send } from './hostile-inputs.ts';

const COUNT = Number(process.env.HOSTILE_INPUTS ?? 1000);

let tdb: TestDb;
let t: TestApp;

beforeAll(async () => {
  tdb = await createTestDb();
  // The real clock: signatures carry the send-time timestamp.
  t = await buildTestApp(tdb, { env: HOSTILE_ENV, clock: systemClock });
});

afterAll(async () => {
  await t?.close();
  await tdb?.close();
});

export const injectSend =
  (app: TestApp['app']): Send =>
  async (req: HostileRequest) => {
    const res = await app.inject({
      method: req.method,
      url: req.url,
      headers: req.headers,
      payload: req.body,
    });
    return { status: res.statusCode };
  };

/** Real HTTP with node:http (no retries, no keep-alive surprises); a reset after 413 counts as answered. */
export function httpSend(baseUrl: string): Send {
  return (req) =>
    new Promise((resolve) => {
      const body = Buffer.from(req.body, 'utf8');
      const r = http.request(
        `${baseUrl}${req.url}`,
        {
          method: req.method,
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

describe('hostile input', () => {
  it(`${COUNT} generated inputs through inject(): no 5xx, no rows`, async () => {
    const res = await runHostileInputs({
      count: COUNT,
      seed: 20261127,
      send: injectSend(t.app),
      db: tdb.db as unknown as Kysely<never>,
    });
    expect(res.serverErrors).toEqual([]);
    expect(res.rowWriters).toEqual([]);
    expect(res.failure).toBeNull();
    expect(res.rowsWritten).toBe(0);
    expect(res.inputs).toBe(COUNT);
    // Every family was exercised.
    const families = new Set(Object.keys(res.byCategory).map((c) => c.split('/')[0]));
    expect([...families].sort()).toEqual(['hubspot', 'leads', 'salesforce']);
  }, 120_000);

  it('100 generated inputs over real HTTP on 127.0.0.1: no 5xx, no rows, still healthy', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as AddressInfo).port;
    const base = `http://127.0.0.1:${port}`;
    const res = await runHostileInputs({
      count: 100,
      seed: 7,
      send: httpSend(base),
      db: tdb.db as unknown as Kysely<never>,
    });
    expect(res.serverErrors).toEqual([]);
    expect(res.failure).toBeNull();
    expect(res.rowsWritten).toBe(0);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
  }, 120_000);
});
