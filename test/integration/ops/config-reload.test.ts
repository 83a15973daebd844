/**
 * Live reload: a good file switches atomically, a broken or missing file is rejected and the last
 * good config keeps serving (and routing), and the result shows in metrics, the admin API and the
 * operator page. Triggers: the admin API, SIGHUP and a change of the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { manualClock } from '../../../src/clock.ts';
import { createConfigHolder } from '../../../src/config-reload.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { emptyRoutingState } from '../../../src/routing/decision.ts';
import { buildOpsApp, KIRA, sample, TEST_TOKENS, type OpsApp } from './ops-app.ts';

const GOOD = fs.readFileSync('config/routing.yaml', 'utf8');
// Same file, one change of meaning: the strategic SLA goes from 10m to 15m.
const EDITED = GOOD.replace(/^(\s+sla: )10m$/m, '$115m');
// A reference to a handler that does not exist: the whole file must be refused.
const BROKEN = GOOD.replace(/^(\s+handler: )dana$/m, '$1danna');

const now = new Date('2026-11-28T18:00:00Z');

function tempConfig(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-reload-'));
  const file = path.join(dir, 'routing.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('config holder', () => {
  it('the fixtures differ from the good file as intended', () => {
    expect(EDITED).not.toBe(GOOD);
    expect(BROKEN).not.toBe(GOOD);
  });

  it('good → switched: the router decides with the new config from the next call on', async () => {
    const file = tempConfig(GOOD);
    const metrics = createMetrics();
    const holder = await createConfigHolder({ path: file, clock: manualClock(now), metrics });
    const router = holder.router();
    const before = holder.current().hash;
    expect(router.route(KIRA, now, emptyRoutingState()).sla?.duration).toBe('10m');

    fs.writeFileSync(file, EDITED);
    const r = await holder.reload('api');
    expect(r).toMatchObject({ result: 'applied', previousHash: before, trigger: 'api' });
    expect(r.hash).not.toBe(before);
    expect(holder.current().hash).toBe(r.hash);
    expect(router.configHash).toBe(r.hash);
    const d = router.route(KIRA, now, emptyRoutingState());
    expect(d.configHash).toBe(r.hash);
    expect(d.sla?.duration).toBe('15m');

    expect((await holder.reload('api')).result).toBe('unchanged');
    const text = await metrics.registry.metrics();
    expect(
      sample(text, 'switchboard_config_reloads_total', { result: 'applied', trigger: 'api' }),
    ).toBe(1);
    expect(sample(text, 'switchboard_config_info', { hash: r.hash })).toBe(1);
    expect(sample(text, 'switchboard_config_info', { hash: before })).toBeUndefined();
  });

  it('bad → kept: a broken file is rejected with positions and the last good config keeps routing', async () => {
    const file = tempConfig(GOOD);
    const metrics = createMetrics();
    const holder = await createConfigHolder({ path: file, clock: manualClock(now), metrics });
    const router = holder.router();
    const good = holder.current();

    fs.writeFileSync(file, BROKEN);
    const r = await holder.reload('api');
    expect(r.result).toBe('rejected');
    expect(r.hash).toBe(good.hash);
    expect(r.error).toMatch(/routing\.yaml:\d+:\d+/);
    expect(r.error).toContain('danna');
    expect(holder.current()).toBe(good);
    const d = router.route(KIRA, now, emptyRoutingState());
    expect(d.configHash).toBe(good.hash);
    expect(d.assignee.handlerId).toBe('dana');

    fs.rmSync(file);
    const missing = await holder.reload('api');
    expect(missing.result).toBe('rejected');
    expect(missing.error).toContain('not found');
    expect(holder.current()).toBe(good);

    const text = await metrics.registry.metrics();
    expect(
      sample(text, 'switchboard_config_reloads_total', { result: 'rejected', trigger: 'api' }),
    ).toBe(2);
    expect(sample(text, 'switchboard_config_last_reload_success')).toBe(0);
    expect(sample(text, 'switchboard_config_info', { hash: good.hash })).toBe(1);
  });

  it('refuses to start on a broken file (nothing to fall back to)', async () => {
    await expect(
      createConfigHolder({ path: tempConfig(BROKEN), clock: manualClock(now) }),
    ).rejects.toMatchObject({ code: 'CONFIG.INVALID' });
  });

  it('reloads on SIGHUP', async () => {
    const file = tempConfig(GOOD);
    const holder = await createConfigHolder({ path: file, clock: manualClock(now) });
    const stop = holder.watch({ file: false });
    try {
      fs.writeFileSync(file, EDITED);
      process.emit('SIGHUP', 'SIGHUP');
      // The signal's read is in flight; reload() joins it instead of starting a second one.
      const r = await holder.reload('api');
      expect(r).toMatchObject({ trigger: 'sighup', result: 'applied' });
    } finally {
      stop();
    }
  });

  it('reloads when the file is replaced (an editor or a config mount renames over it)', async () => {
    const file = tempConfig(GOOD);
    const holder = await createConfigHolder({ path: file, clock: manualClock(now) });
    const stop = holder.watch({ signal: false, debounceMs: 20 });
    try {
      fs.writeFileSync(`${file}.tmp`, EDITED);
      fs.renameSync(`${file}.tmp`, file);
      await vi.waitFor(
        () => expect(holder.lastReload()).toMatchObject({ trigger: 'file', result: 'applied' }),
        {
          timeout: 10_000,
          interval: 20,
        },
      );
    } finally {
      stop();
    }
  });
});

describe('reload through the admin API and the operator page', () => {
  let tdb: TestDb;
  let t: OpsApp;
  let file: string;
  beforeAll(async () => {
    tdb = await createTestDb();
    file = tempConfig(GOOD);
    t = await buildOpsApp(tdb, { configPath: file });
  }, 180_000); // opening PGlite takes seconds, minutes on a loaded CI machine
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  it('POST /admin/config/reload: 422 on a broken file, GET /admin/config still shows the good hash', async () => {
    const good = t.config.current().hash;
    fs.writeFileSync(file, BROKEN);
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/config/reload',
      headers: t.admin,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ result: 'rejected', hash: good, trigger: 'api' });

    const cfg = (
      await t.app.inject({ method: 'GET', url: '/admin/config', headers: t.admin })
    ).json();
    expect(cfg).toMatchObject({ hash: good, reviewedOn: '2026-11-24', reviewEvery: '90d' });
    expect(cfg.lastReload).toMatchObject({ result: 'rejected' });
    expect(cfg.lastReload.error).toContain('danna');

    const page = await t.app.inject({
      method: 'GET',
      url: '/ops',
      headers: { authorization: `Bearer ${TEST_TOKENS.admin}` },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('The last config reload was rejected');

    fs.writeFileSync(file, EDITED);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/admin/config/reload',
      headers: t.admin,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ result: 'applied', previousHash: good });
  });
});
