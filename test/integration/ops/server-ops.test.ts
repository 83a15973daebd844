/**
 * Operations on the running service (startServer, a real port): /metrics moves after a routed and
 * written lead, the config file is watched (a broken edit is rejected and reported, a good one
 * applied), /docs and /ops are served.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.ts';
import { loadEnv } from '../../../src/env.ts';
import { createLogger } from '../../../src/logger.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { KIRA, sample } from './ops-app.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ops-server-'));
const configFile = path.join(tmp, 'routing.yaml');
const GOOD = fs.readFileSync('config/routing.yaml', 'utf8');
const admin = { authorization: 'Bearer ad' };

describe('the running service', () => {
  let tdb: TestDb | null = null;
  let server: RunningServer;
  beforeAll(async () => {
    fs.writeFileSync(configFile, GOOD);
    if (process.env.DATABASE_URL) tdb = await createTestDb();
    const env = loadEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      INTAKE_TOKEN: 'in',
      ADMIN_TOKEN: 'ad',
      ROUTING_CONFIG: configFile,
      ...(tdb?.url ? { DATABASE_URL: tdb.url } : { PGLITE_DIR: path.join(tmp, 'pglite') }),
    });
    server = await startServer({ env, log: createLogger('silent') });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await tdb?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('counts a routed and written lead in /metrics, with process metrics', async () => {
    const written = new Promise((resolve) => server.outbox.events.once('write:done', resolve));
    const res = await fetch(`${server.url}/leads`, {
      method: 'POST',
      headers: { authorization: 'Bearer in', 'content-type': 'application/json' },
      body: JSON.stringify(KIRA),
    });
    expect(res.status).toBe(202);
    await written;
    await vi.waitFor(
      async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        expect(
          sample(text, 'switchboard_decisions_total', { lead_type: 'strategic', handler: 'dana' }),
        ).toBe(1);
      },
      { timeout: 10_000, interval: 50 },
    );
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(
      sample(text, 'switchboard_webhooks_received_total', { source: 'json', outcome: 'accepted' }),
    ).toBe(1);
    expect(sample(text, 'switchboard_crm_writes_total', { crm: 'dryrun', status: 'ok' })).toBe(1);
    expect(sample(text, 'switchboard_route_compute_seconds_count')).toBe(1);
    expect(text).toContain('switchboard_process_resident_memory_bytes');
  });

  it('watches the config file: a broken edit is rejected and reported, a good one applied', async () => {
    const before = (
      (await (await fetch(`${server.url}/admin/config`, { headers: admin })).json()) as {
        hash: string;
      }
    ).hash;
    fs.writeFileSync(configFile, GOOD.replace(/^(\s+handler: )dana$/m, '$1danna'));
    await vi.waitFor(
      async () => {
        const cfg = (await (
          await fetch(`${server.url}/admin/config`, { headers: admin })
        ).json()) as {
          hash: string;
          lastReload: { result: string; trigger: string } | null;
        };
        expect(cfg.lastReload).toMatchObject({ result: 'rejected', trigger: 'file' });
        expect(cfg.hash).toBe(before);
      },
      { timeout: 15_000, interval: 50 },
    );
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(text, 'switchboard_config_last_reload_success')).toBe(0);

    fs.writeFileSync(configFile, GOOD.replace(/^(\s+sla: )10m$/m, '$115m'));
    await vi.waitFor(
      async () => {
        const cfg = (await (
          await fetch(`${server.url}/admin/config`, { headers: admin })
        ).json()) as {
          hash: string;
          lastReload: { result: string } | null;
        };
        expect(cfg.lastReload).toMatchObject({ result: 'applied' });
        expect(cfg.hash).not.toBe(before);
      },
      { timeout: 15_000, interval: 50 },
    );
  });

  it('serves the OpenAPI UI and the operator page', async () => {
    expect((await fetch(`${server.url}/docs`)).status).toBe(200);
    const page = await fetch(`${server.url}/ops`, { headers: admin });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Cascadia Freight Co');
  });
});
