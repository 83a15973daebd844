/**
 * Issue 6: "a permanent failure on the handler's owner id falls to the backup and says so in the
 * trace". Real app, inbox worker, outbox runner with the server's onParked hook, the real HubSpot
 * adapter and the local HubSpot double, which answers the owner PATCH for an id it does not know
 * with HubSpot's 400 INVALID_OWNER_ID.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.ts';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { HubSpotCrm } from '../../../src/adapters/hubspot/hubspot-crm.ts';
import { createOutboxRunner } from '../../../src/outbox/outbox-runner.ts';
import { createUnknownOwnerHandler } from '../../../src/fallback/unknown-owner.ts';
import { manualClock } from '../../../src/clock.ts';
import type { Decision } from '../../../src/routing/decision.ts';
import type { RoutingConfig } from '../../../src/routing/routing-config.ts';
import { loadRoutingConfigFile } from '../../../src/config-file.ts';
import type { RoutingWrite } from '../../../src/adapters/crm-port.ts';

const dir = new URL('../../fixtures/hubspot/', import.meta.url);
const body = fs.readFileSync(new URL('contact-batch.body.json', dir));
const request = JSON.parse(fs.readFileSync(new URL('contact-batch.request.json', dir), 'utf8')) as {
  headers: Record<string, string>;
};
const ts = Number(request.headers['x-hubspot-request-timestamp']);
const CONTACT = '1246978'; // Cascadia Freight Co

describe('unknown owner id → the backup, once, with the reason in the trace', () => {
  let tdb: TestDb;
  let t: TestApp;
  let hs: HubSpotDouble;
  let crm: HubSpotCrm;
  let config: RoutingConfig; // the example config buildTestApp routes with
  const clock = manualClock(new Date(ts + 2000));
  const parse = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

  beforeAll(async () => {
    hs = await new HubSpotDouble({ now: () => clock.now().getTime() }).start();
    hs.addCompany('77001', {
      name: 'Cascadia Freight Co',
      domain: 'cascadiafreight.example',
      numberofemployees: '300',
      industry: 'Logistics',
    });
    hs.addCompany('77002', { name: 'Okafor Bakery', domain: 'okafor.example' });
    hs.addContact(
      CONTACT,
      {
        email: 'kira@cascadiafreight.example',
        firstname: 'Kira',
        company: 'Cascadia Freight Co',
        message: 'We are rebuilding our dispatch operations',
      },
      ['77001'],
    );
    hs.addContact('1246979', { email: 'sam@okafor.example', firstname: 'Sam' }, ['77002']);
    hs.addContact('1246965', { email: 'lee@north.example', firstname: 'Lee', numemployees: '80' });
    crm = new HubSpotCrm(
      {
        accessToken: 'test-token',
        baseUrl: hs.baseUrl,
        retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
      },
      { clock },
    );
    config = (await loadRoutingConfigFile('config/routing.yaml')).config;
    tdb = await createTestDb();
    t = await buildTestApp(tdb, { clock, crm });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await tdb?.close();
    await hs?.stop();
  });

  it('parks the refused write, writes the backup owner once, and says why', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: request.headers,
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    await t.worker.drain();

    const lead = await tdb.db
      .selectFrom('leads')
      .select('id')
      .where('crm_id', '=', CONTACT)
      .executeTakeFirstOrThrow();
    const first = await tdb.db
      .selectFrom('decisions')
      .select(['id', 'decision'])
      .where('lead_id', '=', lead.id)
      .executeTakeFirstOrThrow();
    const d1 = parse<Decision>(first.decision);
    const refusedOwner = d1.assignee.ownerIds.hubspot!;
    expect(d1.backup).not.toBeNull();
    const backup = d1.backup!.handlerId;
    const backupOwner = config.people.handlers.get(backup)!.owner.hubspot!;
    // HubSpot knows every handler's owner id except the assignee's.
    for (const h of config.people.handlers.values())
      if (h.owner.hubspot && h.owner.hubspot !== refusedOwner)
        hs.addOwner(h.owner.hubspot, `${h.id}.owner@example.com`);

    // Wired as in src/server.ts.
    const fallToBackup = createUnknownOwnerHandler({
      db: tdb.db,
      crm: 'hubspot',
      clock,
      config: () => config,
      log: { info: () => {}, warn: () => {} },
    });
    const runner = createOutboxRunner({
      handle: tdb,
      crm,
      onParked: async (row, err) => {
        await fallToBackup(row, err);
      },
    });
    await runner.drain();
    await runner.drain(); // the backup's write, queued by the hook

    const writes = await tdb.db
      .selectFrom('crm_writes')
      .selectAll()
      .where('lead_id', '=', lead.id)
      .orderBy('id')
      .execute();
    expect(writes.map((w) => [w.status, parse<RoutingWrite>(w.payload).ownerId])).toEqual([
      ['parked', refusedOwner],
      ['done', backupOwner],
    ]);
    expect(writes[0]!.last_error).toMatch(/^CRM\.UNKNOWN_OWNER/);

    // The backup's owner id reached HubSpot exactly once, the refused one never stuck.
    const ownerChanges = [
      ...hs.calls('PATCH', `/crm/v3/objects/contacts/${CONTACT}`).map((r) => r.body),
      ...hs
        .calls('POST', '/crm/v3/objects/contacts/batch/update')
        .flatMap((r) => (r.body as { inputs: Array<{ id: string; properties: unknown }> }).inputs)
        .filter((x) => x.id === CONTACT)
        .map((x) => ({ properties: x.properties })),
    ];
    expect(ownerChanges.filter((c) => JSON.stringify(c).includes(`"${backupOwner}"`))).toHaveLength(
      1,
    );
    expect(hs.contacts.get(CONTACT)!.properties.hubspot_owner_id).toBe(backupOwner);
    expect([...hs.tasks.values()].filter((x) => x.contactIds.includes(CONTACT))).toHaveLength(1);

    const decisions = await tdb.db
      .selectFrom('decisions')
      .select(['handler_id', 'reason', 'decision'])
      .where('lead_id', '=', lead.id)
      .orderBy('id')
      .execute();
    expect(decisions.map((d) => [d.reason, d.handler_id])).toEqual([
      ['route', d1.assignee.handlerId],
      ['reroute', backup],
    ]);
    const why = `owner id ${refusedOwner} of handler ${d1.assignee.handlerId} rejected by the CRM → backup ${backup} (${d1.backup!.name})`;
    expect(parse<Decision>(decisions[1]!.decision).trace[0]!.reason).toBe(why);
    const events = await tdb.db
      .selectFrom('fallback_events' as never)
      .select(['kind' as never, 'data' as never])
      .where('lead_id' as never, '=', lead.id as never)
      .execute();
    expect(events).toEqual([
      { kind: 'unknown_owner', data: expect.objectContaining({ reason: why, to: backup }) },
    ]);
  }, 180_000);
});
