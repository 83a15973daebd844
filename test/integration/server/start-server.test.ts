import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.ts';
import { loadEnv } from '../../../src/env.ts';
import { ConfigInvalidError } from '../../../src/config-file.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { createLogger } from '../../../src/logger.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-server-'));
const baseEnv = (tdb: TestDb | null) => ({
  PORT: '0',
  HOST: '127.0.0.1',
  INTAKE_TOKEN: 'in',
  ADMIN_TOKEN: 'ad',
  LOG_LEVEL: 'silent',
  ...(tdb?.url ? { DATABASE_URL: tdb.url } : { PGLITE_DIR: path.join(tmp, 'pglite') }),
});

describe('startServer', () => {
  let tdb: TestDb | null = null;
  let server: RunningServer;
  beforeAll(async () => {
    if (process.env.DATABASE_URL) tdb = await createTestDb();
    server = await startServer({ env: loadEnv(baseEnv(tdb)), log: createLogger('silent') });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await tdb?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('serves on a real port: a posted lead is routed by the running worker and readable back', async () => {
    const routed = new Promise((resolve) => server.worker.events.once('event:done', resolve));
    const written = new Promise((resolve) => server.outbox.events.once('write:done', resolve));
    const res = await fetch(`${server.url}/leads`, {
      method: 'POST',
      headers: { authorization: 'Bearer in', 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'live@example.test',
        company: 'Cascadia Freight Co',
        employees: 300,
      }),
    });
    expect(res.status).toBe(202);
    const { leadId } = (await res.json()) as { leadId: string };
    await routed;
    await written; // the dry-run CRM performed the queued owner + task + note
    const view = (await (
      await fetch(`${server.url}/leads/${leadId}`, { headers: { authorization: 'Bearer ad' } })
    ).json()) as {
      status: string;
      decision: { leadType: string };
      crmWrites: Array<{ status: string }>;
    };
    expect(view.status).toBe('routed');
    expect(view.decision.leadType).toBe('strategic');
    expect(view.crmWrites).toEqual([expect.objectContaining({ status: 'done' })]);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a second process on the same PGlite directory with a clear message', async () => {
    if (tdb) return; // real Postgres: instances share the database by design
    await expect(
      startServer({ env: loadEnv(baseEnv(null)), log: createLogger('silent') }),
    ).rejects.toThrow(/already in use by process \d+.*set DATABASE_URL/s);
  });
});

describe('startServer with an invalid routing config', () => {
  it('refuses to start and carries the validate report', async () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-badconfig-'));
    const bad = path.join(own, 'broken.yaml');
    fs.writeFileSync(bad, 'version: 1\nlead_types:\n  - id: x\n    handler: nobody\n');
    const err = await startServer({
      env: loadEnv({ ...baseEnv(null), PGLITE_DIR: path.join(own, 'never'), ROUTING_CONFIG: bad }),
      log: createLogger('silent'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigInvalidError);
    expect((err as ConfigInvalidError).report).toMatch(/broken\.yaml:\d+:\d+/);
    expect(fs.existsSync(path.join(own, 'never'))).toBe(false); // no database was opened
    fs.rmSync(own, { recursive: true, force: true });
  });
});
