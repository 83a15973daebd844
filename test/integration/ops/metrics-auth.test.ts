/**
 * METRICS_TOKEN: when set, `/metrics` wants `Authorization: Bearer <token>` and answers a bare 401
 * otherwise (the open default is covered by metrics.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildOpsApp, type OpsApp } from './ops-app.ts';

describe('GET /metrics with METRICS_TOKEN set', () => {
  let tdb: TestDb;
  let t: OpsApp;
  beforeAll(async () => {
    tdb = await createTestDb();
    t = await buildOpsApp(tdb, { env: { METRICS_TOKEN: 'scrape-token' } });
  }, 180_000); // opening PGlite takes seconds, minutes on a loaded CI machine
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  const scrape = (authorization?: string) =>
    t.app.inject({
      method: 'GET',
      url: '/metrics',
      ...(authorization ? { headers: { authorization } } : {}),
    });

  it('refuses a scrape without the token, with a wrong one and with the admin token', async () => {
    for (const auth of [
      undefined,
      'Bearer wrong',
      'Basic c2NyYXBlLXRva2Vu',
      t.admin.authorization,
    ]) {
      const res = await scrape(auth);
      expect(res.statusCode, String(auth)).toBe(401);
      expect(res.json().error.code).toBe('AUTH.UNAUTHORIZED');
      expect(res.body).not.toContain('switchboard_');
      expect(res.body).not.toContain('scrape-token');
    }
  });

  it('serves the metrics to the right bearer token', async () => {
    const res = await scrape('Bearer scrape-token');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('# TYPE switchboard_crm_calls_total counter');
  });
});
