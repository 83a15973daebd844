/**
 * A reload swaps the whole set at once — the routing rules, the `crm_mapping` the CRM adapters read
 * with, and the shadow config (SHADOW_CONFIG) — or nothing: a broken routing file or a broken
 * shadow file keeps the last good set serving, and says so in the result, the metrics and the
 * admin API. The CRM side is the local HubSpot double, read through the real adapter.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { manualClock } from '../../../src/clock.ts';
import { createConfigHolder, type ConfigHolder } from '../../../src/config-reload.ts';
import { createCrm } from '../../../src/adapters/create-crm.ts';
import type { CrmPort } from '../../../src/adapters/crm-port.ts';
import { DEFAULT_HUBSPOT_MAPPING } from '../../../src/adapters/crm-mapping-schema.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { emptyRoutingState } from '../../../src/routing/decision.ts';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildOpsApp, KIRA, routeLead, sample, type OpsApp } from './ops-app.ts';

const GOOD = fs.readFileSync('config/routing.yaml', 'utf8');
// Strategic SLA 10m → 15m: a change of meaning that shows in every decision.
const EDITED = GOOD.replace(/^(\s+sla: )10m$/m, '$115m');
// A handler that does not exist: the whole file must be refused.
const BROKEN = GOOD.replace(/^(\s+handler: )dana$/m, '$1danna');
// The portal keeps team size on the contact and headcount in a custom company property.
const REMAPPED = `${GOOD}
crm_mapping:
  hubspot:
    contact:
      fields.team_size: team_size__c
    company:
      employees: headcount__c
`;
// Valid YAML and rules, but a CRM property name HubSpot could never have.
const BAD_MAPPING = `${GOOD}
crm_mapping:
  hubspot:
    contact:
      employees: team size
`;

const now = new Date('2026-11-28T18:00:00Z');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sb-reload-set-'));
}
function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const uniq = (xs: string[]) => [...new Set(xs)].sort();
const DEFAULT_CONTACT_PROPS = uniq([
  ...Object.values(DEFAULT_HUBSPOT_MAPPING.contact),
  'hubspot_owner_id',
]);
const DEFAULT_COMPANY_PROPS = uniq(Object.values(DEFAULT_HUBSPOT_MAPPING.company));

describe('crm_mapping follows a reload: the next CRM read asks for the new properties', () => {
  let hs: HubSpotDouble;
  let holder: ConfigHolder;
  let crm: CrmPort;
  let file: string;
  const ref = { system: 'hubspot' as const, object: 'contact' as const, id: '501' };

  beforeAll(async () => {
    hs = await new HubSpotDouble().start();
    hs.addCompany('901', {
      name: 'Cascadia Freight Co',
      numberofemployees: '40',
      headcount__c: '300',
    });
    hs.addContact('501', { email: 'kira@cascadiafreight.example', team_size__c: '12' }, ['901']);
    file = write(tempDir(), 'routing.yaml', GOOD);
    holder = await createConfigHolder({ path: file, clock: manualClock(now) });
    // As the server wires it: a provider over the holder, not a mapping copied at start.
    crm = createCrm(
      {
        crm: 'hubspot',
        hubspot: {
          accessToken: 'test-token',
          baseUrl: hs.baseUrl,
          mapping: () => holder.crmMapping(),
        },
      },
      { clock: manualClock(now) },
    );
  });
  afterAll(async () => {
    await hs.stop();
  });

  /** The `properties` of the last read of `object`, single (GET query) or batch (POST body). */
  const lastProps = (object: 'contacts' | 'companies'): string[] => {
    const reads = hs.requests.filter(
      (r) =>
        (r.method === 'GET' && r.path.startsWith(`/crm/v3/objects/${object}/`)) ||
        (r.method === 'POST' && r.path === `/crm/v3/objects/${object}/batch/read`),
    );
    const last = reads.at(-1)!;
    expect(last, `a read of ${object}`).toBeDefined();
    const props =
      last.method === 'GET'
        ? last.query.properties!
        : (last.body as { properties: string[] }).properties;
    return uniq(props);
  };

  it('reads with the defaults before the reload', async () => {
    const lead = await crm.readLead(ref);
    expect(lastProps('contacts')).toEqual(DEFAULT_CONTACT_PROPS);
    expect(lastProps('companies')).toEqual(DEFAULT_COMPANY_PROPS);
    expect(lead?.employees).toBe(40);
    expect(lead?.fields?.team_size).toBeUndefined();
  });

  it('after a reload with a changed crm_mapping, single and batch reads ask for the new properties', async () => {
    fs.writeFileSync(file, REMAPPED);
    expect((await holder.reload('api')).result).toBe('applied');

    const lead = await crm.readLead(ref);
    expect(lastProps('contacts')).toEqual(uniq([...DEFAULT_CONTACT_PROPS, 'team_size__c']));
    expect(lastProps('companies')).toEqual(
      uniq([...DEFAULT_COMPANY_PROPS.filter((p) => p !== 'numberofemployees'), 'headcount__c']),
    );
    expect(lead?.employees).toBe(300);
    expect(lead?.fields?.team_size).toBe('12');

    const batch = await crm.readLeads!([ref]);
    expect(lastProps('contacts')).toContain('team_size__c');
    expect(lastProps('companies')).toContain('headcount__c');
    expect(batch.get('501')?.employees).toBe(300);
  });

  it('a reload whose crm_mapping is invalid is rejected and the reads keep the last good mapping', async () => {
    const good = holder.current();
    fs.writeFileSync(file, BAD_MAPPING);
    const r = await holder.reload('api');
    expect(r.result).toBe('rejected');
    expect(r.error).toContain('crm_mapping');
    expect(holder.current()).toBe(good);
    await crm.readLead(ref);
    expect(lastProps('contacts')).toContain('team_size__c');
    expect(lastProps('companies')).toContain('headcount__c');
  });
});

describe('a lead read across a reload is decided by the set it was read under', () => {
  let hs: HubSpotDouble;
  beforeAll(async () => {
    hs = await new HubSpotDouble().start();
    hs.addCompany('901', { name: 'Cascadia Freight Co', numberofemployees: '300' });
    hs.addContact('501', { email: 'kira@cascadiafreight.example', industry: 'Logistics' }, ['901']);
  });
  afterAll(async () => {
    await hs.stop();
  });
  const ref = { system: 'hubspot' as const, object: 'contact' as const, id: '501' };

  async function setUp() {
    const file = write(tempDir(), 'routing.yaml', GOOD);
    const holder = await createConfigHolder({ path: file, clock: manualClock(now) });
    const crm = holder.bindCrmReads(
      createCrm(
        {
          crm: 'hubspot',
          hubspot: {
            accessToken: 'test-token',
            baseUrl: hs.baseUrl,
            mapping: () => holder.crmMapping(),
          },
        },
        { clock: manualClock(now) },
      ),
    );
    return { file, holder, crm, router: holder.router() };
  }

  /** Starts a read the double holds for a while, and reloads `text` while it is in flight. */
  async function readAcross(s: Awaited<ReturnType<typeof setUp>>, text: string) {
    hs.delayMs = 400;
    try {
      const pending = s.crm.readLead(ref);
      fs.writeFileSync(s.file, text);
      const r = await s.holder.reload('api');
      expect(r.result).toBe('applied');
      return { lead: (await pending)!, reload: r };
    } finally {
      hs.delayMs = 0;
    }
  }

  it('the mapping changed meanwhile: the old set decides (its mapping read the fields)', async () => {
    const s = await setUp();
    const { lead, reload } = await readAcross(s, REMAPPED.replace(/^(\s+sla: )10m$/m, '$115m'));
    expect(lead.fields?.team_size).toBeUndefined(); // read with the old mapping
    const d = s.router.route(lead, now, emptyRoutingState());
    expect(d.configHash).toBe(reload.previousHash);
    expect(d.sla?.duration).toBe('10m');
    // The next read maps with the new set, and the new set decides it.
    const next = (await s.crm.readLead(ref))!;
    const d2 = s.router.route(next, now, emptyRoutingState());
    expect(d2.configHash).toBe(reload.hash);
    // Headcount now comes from headcount__c, which this company lacks: not strategic any more.
    expect(next.employees).toBeUndefined();
    expect(d2.leadType).not.toBe(d.leadType);
    // The stamp rides through spreads (as the worker adds our id) but never into JSON.
    expect(s.router.route({ ...lead, id: '7' }, now, emptyRoutingState()).configHash).toBe(
      reload.previousHash,
    );
    expect(JSON.stringify(lead)).not.toContain(reload.previousHash);
    expect(JSON.stringify(lead)).toContain('kira@cascadiafreight.example');
  });

  it('only the rules changed: the new set decides a lead read before the swap', async () => {
    const s = await setUp();
    const { lead, reload } = await readAcross(s, EDITED);
    const d = s.router.route(lead, now, emptyRoutingState());
    expect(d.configHash).toBe(reload.hash);
    expect(d.sla?.duration).toBe('15m');
  });
});

describe('the shadow config reloads with the routing config, as one set', () => {
  it('a changed shadow file is switched; the live config stays', async () => {
    const dir = tempDir();
    const live = write(dir, 'routing.yaml', GOOD);
    const shadowFile = write(dir, 'proposed.yaml', GOOD);
    const metrics = createMetrics();
    const holder = await createConfigHolder({
      path: live,
      shadowPath: shadowFile,
      clock: manualClock(now),
      metrics,
    });
    const router = holder.router();
    const before = router.shadow!.configHash;
    expect(router.shadow!.route(KIRA, now, emptyRoutingState()).sla?.duration).toBe('10m');

    fs.writeFileSync(shadowFile, EDITED);
    const r = await holder.reload('sighup');
    expect(r).toMatchObject({
      result: 'applied',
      hash: holder.current().hash,
      previousShadowHash: before,
    });
    expect(r.hash).toBe(r.previousHash); // the live file did not change
    expect(r.shadowHash).not.toBe(before);
    expect(router.shadow!.configHash).toBe(r.shadowHash);
    expect(router.shadow!.route(KIRA, now, emptyRoutingState()).sla?.duration).toBe('15m');
    expect(router.route(KIRA, now, emptyRoutingState()).sla?.duration).toBe('10m');

    const text = await metrics.registry.metrics();
    expect(sample(text, 'switchboard_shadow_config_info', { hash: r.shadowHash! })).toBe(1);
    expect(sample(text, 'switchboard_shadow_config_info', { hash: before })).toBeUndefined();
    expect((await holder.reload('api')).result).toBe('unchanged');
  });

  it('a broken shadow file rejects the whole reload: neither the live change nor the shadow is applied', async () => {
    const dir = tempDir();
    const live = write(dir, 'routing.yaml', GOOD);
    const shadowFile = write(dir, 'proposed.yaml', EDITED);
    const metrics = createMetrics();
    const holder = await createConfigHolder({
      path: live,
      shadowPath: shadowFile,
      clock: manualClock(now),
      metrics,
    });
    const router = holder.router();
    const good = holder.current();
    const goodShadow = router.shadow!.configHash;

    // One rollout changes both files; the shadow half is broken.
    fs.writeFileSync(live, EDITED);
    fs.writeFileSync(shadowFile, BROKEN);
    const r = await holder.reload('file');
    expect(r).toMatchObject({
      result: 'rejected',
      hash: good.hash,
      shadowHash: goodShadow,
      previousShadowHash: goodShadow,
    });
    expect(r.error).toContain('proposed.yaml');
    expect(r.error).toContain('danna');
    expect(holder.current()).toBe(good);
    expect(router.route(KIRA, now, emptyRoutingState()).sla?.duration).toBe('10m');
    expect(router.shadow!.configHash).toBe(goodShadow);

    fs.rmSync(shadowFile);
    const missing = await holder.reload('api');
    expect(missing.result).toBe('rejected');
    expect(missing.error).toContain('proposed.yaml');
    expect(holder.current()).toBe(good);

    const text = await metrics.registry.metrics();
    expect(sample(text, 'switchboard_config_last_reload_success')).toBe(0);
    expect(
      sample(text, 'switchboard_config_reloads_total', { result: 'rejected', trigger: 'file' }),
    ).toBe(1);
    expect(sample(text, 'switchboard_shadow_config_info', { hash: goodShadow })).toBe(1);
  });
});

describe('shadow reload through the admin API and the worker', () => {
  let tdb: TestDb;
  let t: OpsApp;
  let shadowFile: string;
  beforeAll(async () => {
    tdb = await createTestDb();
    const dir = tempDir();
    shadowFile = write(dir, 'proposed.yaml', GOOD);
    t = await buildOpsApp(tdb, {
      configPath: write(dir, 'routing.yaml', GOOD),
      shadowPath: shadowFile,
    });
  }, 180_000); // opening PGlite takes seconds, minutes on a loaded CI machine
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  // shadow_decisions is written by src/revops/shadow-store.ts with raw SQL (not in the kysely schema).
  const shadowHashOf = async (leadId: string) =>
    (
      await sql<{ config_hash: string }>`
        select config_hash from shadow_decisions where lead_id = ${leadId}`.execute(tdb.db)
    ).rows[0]?.config_hash;

  it('reports a broken shadow file as the rejected last reload, and keeps recording with the good one', async () => {
    const cfg0 = (
      await t.app.inject({ method: 'GET', url: '/admin/config', headers: t.admin })
    ).json();
    expect(cfg0.shadowHash).toBe(t.config.current().shadow!.configHash);
    expect(cfg0.shadowFileName).toContain('proposed.yaml');
    const goodShadow = cfg0.shadowHash as string;

    fs.writeFileSync(shadowFile, BROKEN);
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/config/reload',
      headers: t.admin,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ result: 'rejected', shadowHash: goodShadow });
    expect(res.json().error).toContain('proposed.yaml');

    const cfg = (
      await t.app.inject({ method: 'GET', url: '/admin/config', headers: t.admin })
    ).json();
    expect(cfg.lastReload).toMatchObject({ result: 'rejected', trigger: 'api' });
    expect(cfg.shadowHash).toBe(goodShadow);

    const first = await routeLead(t, KIRA, 'shadow-kept');
    expect(await shadowHashOf(first)).toBe(goodShadow);

    fs.writeFileSync(shadowFile, EDITED);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/admin/config/reload',
      headers: t.admin,
    });
    expect(ok.statusCode).toBe(200);
    const newShadow = ok.json().shadowHash as string;
    expect(newShadow).not.toBe(goodShadow);
    const second = await routeLead(
      t,
      { ...KIRA, email: 'kira.two@cascadiafreight.example' },
      'shadow-switched',
    );
    expect(second).not.toBe(first);
    expect(await shadowHashOf(second)).toBe(newShadow);
  });
});
