/**
 * Issue 6 "done when", HubSpot: a signed `contact.creation` webhook results in exactly one owner
 * change, one task with the rendered first touch due at the SLA, and one explanation note on that
 * contact — through the real app, inbox worker, outbox runner, `@hubspot/api-client` and the local
 * HubSpot double. A redelivery writes nothing more.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.ts';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { HubSpotCrm } from '../../../src/adapters/hubspot/hubspot-crm.ts';
import { createOutboxRunner } from '../../../src/outbox/outbox-runner.ts';
import { manualClock } from '../../../src/clock.ts';
import type { Decision } from '../../../src/routing/decision.ts';

const dir = new URL('../../fixtures/hubspot/', import.meta.url);
const body = fs.readFileSync(new URL('contact-batch.body.json', dir));
const request = JSON.parse(fs.readFileSync(new URL('contact-batch.request.json', dir), 'utf8')) as {
  headers: Record<string, string>;
};
const ts = Number(request.headers['x-hubspot-request-timestamp']);

describe('HubSpot end to end: signed webhook → owner, task, note exactly once', () => {
  let tdb: TestDb;
  let t: TestApp;
  let hs: HubSpotDouble;
  let crm: HubSpotCrm;
  const clock = manualClock(new Date(ts + 2000));

  beforeAll(async () => {
    hs = await new HubSpotDouble({ now: () => clock.now().getTime() }).start();
    for (let i = 0; i < 10; i++) hs.addOwner(String(51234567 + i), `owner${i}.person@example.com`);
    hs.addCompany('77001', {
      name: 'Cascadia Freight Co',
      domain: 'cascadiafreight.example',
      numberofemployees: '300',
      industry: 'Logistics',
    });
    hs.addCompany('77002', {
      name: 'Okafor Bakery',
      domain: 'okafor.example',
      numberofemployees: '12',
    });
    hs.addContact(
      '1246978',
      {
        email: 'kira@cascadiafreight.example',
        firstname: 'Kira',
        company: 'Cascadia Freight Co',
        message: 'We are rebuilding our dispatch operations',
      },
      ['77001'],
    );
    hs.addContact(
      '1246979',
      { email: 'sam@okafor.example', firstname: 'Sam', company: 'Okafor Bakery' },
      ['77002'],
    );
    hs.addContact('1246965', {
      email: 'lee@north.example',
      firstname: 'Lee',
      company: 'North Co',
      numemployees: '80',
    });
    crm = new HubSpotCrm(
      {
        accessToken: 'test-token',
        baseUrl: hs.baseUrl,
        retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
      },
      { clock },
    );
    tdb = await createTestDb();
    t = await buildTestApp(tdb, { clock, crm });
  });
  afterAll(async () => {
    await t.close();
    await tdb.close();
    await hs.stop();
  });

  it('writes each routed contact once, and a redelivery writes nothing more', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: request.headers,
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    await t.worker.drain();
    const runner = createOutboxRunner({ handle: tdb, crm });
    await runner.drain();

    const writes = await tdb.db.selectFrom('crm_writes').selectAll().execute();
    expect(writes.length).toBeGreaterThanOrEqual(2);
    expect(writes.every((w) => w.status === 'done' && w.crm === 'hubspot')).toBe(true);

    const decisions = await tdb.db
      .selectFrom('decisions')
      .innerJoin('leads', 'leads.id', 'decisions.lead_id')
      .select(['leads.crm_id', 'decisions.decision'])
      .execute();
    const routedContacts = decisions.map((d) => d.crm_id);
    expect(routedContacts).toEqual(expect.arrayContaining(['1246978', '1246979']));

    for (const d of decisions) {
      const decision = d.decision as Decision;
      const owner = decision.assignee.ownerIds.hubspot!;
      // One owner change per contact, whether single PATCH or an entry of a batch update.
      const ownerChanges = [
        ...hs.calls('PATCH', `/crm/v3/objects/contacts/${d.crm_id}`).map((r) => r.body),
        ...hs
          .calls('POST', '/crm/v3/objects/contacts/batch/update')
          .flatMap((r) => (r.body as { inputs: Array<{ id: string; properties: unknown }> }).inputs)
          .filter((x) => x.id === d.crm_id)
          .map((x) => ({ properties: x.properties })),
      ];
      expect(ownerChanges).toEqual([{ properties: { hubspot_owner_id: owner } }]);
      expect(hs.contacts.get(d.crm_id)!.properties.hubspot_owner_id).toBe(owner);

      const tasks = [...hs.tasks.values()].filter((x) => x.contactIds.includes(d.crm_id));
      expect(tasks).toHaveLength(1);
      expect(tasks[0]!.associationTypeIds).toEqual([204]);
      if (decision.sla) expect(tasks[0]!.properties.hs_timestamp).toBe(decision.sla.dueUtc);
      if (decision.firstTouch) {
        expect(tasks[0]!.properties.hs_task_subject).toBe(decision.firstTouch.subject);
        // The rendered first touch, line by line, is the task body.
        const firstLine = decision.firstTouch.body.split('\n')[0]!;
        expect(tasks[0]!.properties.hs_task_body).toContain(
          firstLine.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
        );
      }
      const notes = [...hs.notes.values()].filter((x) => x.contactIds.includes(d.crm_id));
      expect(notes).toHaveLength(1);
      expect(notes[0]!.associationTypeIds).toEqual([202]);
    }

    // HubSpot redelivers the same batch: stored once, routed once, written once.
    const before = hs.requests.filter((r) => r.method !== 'GET').length;
    const again = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: request.headers,
      payload: body,
    });
    expect(again.statusCode).toBe(200);
    await t.worker.drain();
    await runner.drain();
    expect(hs.requests.filter((r) => r.method !== 'GET').length).toBe(before);
  });
});
