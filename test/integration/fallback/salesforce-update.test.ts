// Early exit from a Salesforce update, through the real intake: an outbound message routes a
// strategic lead (pending checkpoints), then outbound messages on Lead update arrive for the same
// record. One without engagement changes nothing; one whose Status moves off "Open - Not
// Contacted" records the change and cancels the SLA checkpoint; a converted status ends the
// sequence. Each is answered as a duplicate (not routed again).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.ts';
import { loadEnv } from '../../../src/env.ts';
import { manualClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/logger.ts';
import { createInboxWorker, type InboxWorker } from '../../../src/intake/inbox-worker.ts';
import { resolveSalesforceMapping } from '../../../src/adapters/crm-mapping-schema.ts';
import { withSalesforceEngagementFields } from '../../../src/fallback/field-engagement.ts';
import { listTimersForLead } from '../../../src/fallback/timer-store.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { SALESFORCE_TEST_ORG, crmDouble, exampleRouter } from '../../helpers/build-test-app.ts';

const PGLITE_OPEN_TIMEOUT = 180_000;
const LEAD_ID = '00Q000000000777EAA';
const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** An outbound message for one Lead with these fields (as the fixture in test/fixtures/salesforce). */
function outboundMessage(notificationId: string, fields: Record<string, string>): string {
  const sobject = Object.entries(fields)
    .map(([k, v]) => `<sf:${k}>${xmlEscape(v)}</sf:${k}>`)
    .join('\n     ');
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>${SALESFORCE_TEST_ORG}</OrganizationId>
   <ActionId>04k000000000001AAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/60.0/00D000000000001</EnterpriseUrl>
   <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/60.0/00D000000000001</PartnerUrl>
   <Notification>
    <Id>${notificationId}</Id>
    <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>${LEAD_ID}</sf:Id>
     ${sobject}
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`;
}

const lead = {
  Company: 'Cascadia Freight Co',
  Email: 'jordan.reyes@cascadiafreight.example',
  FirstName: 'Jordan',
  LastName: 'Reyes',
  NumberOfEmployees: '300',
  Status: 'Open - Not Contacted',
};

describe('early exit from a Salesforce outbound message on Lead update', () => {
  let tdb: TestDb;
  let app: FastifyInstance;
  let worker: InboxWorker;
  // Saturday 02:43 Pacific: Dana (weekend cover) gets the strategic lead.
  const clock = manualClock('2026-11-28T10:43:00Z');
  let leadId: string;

  beforeAll(async () => {
    tdb = await createTestDb();
    const env = loadEnv({ SALESFORCE_ORG_ID: SALESFORCE_TEST_ORG, LOG_LEVEL: 'silent' });
    // As the server wires it: the engagement fields ride along in every outbound message.
    const salesforceMapping = resolveSalesforceMapping(
      withSalesforceEngagementFields(undefined),
    ).lead;
    app = await buildApp({ env, handle: tdb, clock, salesforceMapping });
    worker = createInboxWorker({
      handle: tdb,
      log: createLogger('silent'),
      router: await exampleRouter(),
      crm: crmDouble(),
      clock,
    });
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await worker?.stop(0);
    await app?.close();
    await tdb?.close();
  });

  const deliver = async (notificationId: string, fields: Record<string, string>) => {
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/salesforce',
      headers,
      payload: outboundMessage(notificationId, fields),
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<Ack>true</Ack>');
    expect(await worker.drain()).toBe(1);
  };
  const timers = async () =>
    (await listTimersForLead(tdb.db, leadId)).map((t) => [t.checkpointId, t.status]);
  const leadEvents = async () =>
    (
      await sql<{ kind: string; property: string; value: string | null }>`
        select kind, property, value from lead_events where lead_id = ${leadId} order by id`.execute(
        tdb.db,
      )
    ).rows.map((r) => [r.kind, r.property, r.value]);
  const earlyExits = async () =>
    (
      await sql<{
        data: { cancelled: Array<{ key: string; reason: string }>; signal: { source: string } };
      }>`
        select data from fallback_events where lead_id = ${leadId} and kind = 'early_exit' order by id`.execute(
        tdb.db,
      )
    ).rows.map((r) => r.data);
  const outcomes = async () =>
    (
      await sql<{ outcome: string }>`select outcome from inbox order by id`.execute(tdb.db)
    ).rows.map((r) => r.outcome);
  const decisionCount = async () =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from decisions`.execute(tdb.db)).rows[0]!.n,
    );

  it('routes the new lead with its checkpoints pending', async () => {
    await deliver('04l000000000701AAA', lead);
    const row = await tdb.db
      .selectFrom('leads')
      .select(['id', 'lead'])
      .where('crm_id', '=', LEAD_ID)
      .executeTakeFirstOrThrow();
    leadId = String(row.id);
    const stored = (typeof row.lead === 'string' ? JSON.parse(row.lead) : row.lead) as {
      fields?: Record<string, unknown>;
    };
    expect(stored.fields?.lead_status).toBe('Open - Not Contacted');
    expect(await timers()).toEqual([
      ['sla', 'pending'],
      ['day2', 'pending'],
    ]);
    expect(await outcomes()).toEqual(['routed']);
  });

  it('an update without engagement (a new phone number) cancels nothing and records nothing', async () => {
    clock.set('2026-11-28T10:50:00Z');
    await deliver('04l000000000702AAA', { ...lead, Phone: '+1 206 555 0100' });
    expect(await timers()).toEqual([
      ['sla', 'pending'],
      ['day2', 'pending'],
    ]);
    expect(await leadEvents()).toEqual([]);
    expect(await earlyExits()).toEqual([]);
    expect(await outcomes()).toEqual(['routed', 'duplicate']);
    expect(await decisionCount()).toBe(1);
  });

  it('Status "Working - Contacted" and a LastActivityDate: recorded, and the SLA checkpoint is cancelled', async () => {
    clock.set('2026-11-28T10:52:00Z');
    await deliver('04l000000000703AAA', {
      ...lead,
      Status: 'Working - Contacted',
      LastActivityDate: '2026-11-28',
    });
    // The touch kills `{ touched: false }`; the two-day checkpoint can still match (opened/replied).
    expect(await timers()).toEqual([
      ['sla', 'cancelled'],
      ['day2', 'pending'],
    ]);
    expect(await leadEvents()).toEqual([
      ['field_change', 'Status', 'Working - Contacted'],
      ['field_change', 'LastActivityDate', '2026-11-28'],
    ]);
    const [exit] = await earlyExits();
    expect(exit!.cancelled.map((c) => c.reason)).toEqual([
      'no branch can match any more (branch 1 needs touched=false)',
    ]);
    expect(exit!.signal.source).toContain(
      'lead_status "Open - Not Contacted" → "Working - Contacted": touched',
    );
    expect(await outcomes()).toEqual(['routed', 'duplicate', 'duplicate']);
    expect(await decisionCount()).toBe(1);
  });

  it('the same message redelivered under a new id adds nothing; a converted status ends the sequence', async () => {
    clock.set('2026-11-28T11:00:00Z');
    await deliver('04l000000000704AAA', {
      ...lead,
      Status: 'Working - Contacted',
      LastActivityDate: '2026-11-28',
    });
    expect(await leadEvents()).toHaveLength(2);
    expect(await earlyExits()).toHaveLength(1);

    await deliver('04l000000000705AAA', {
      ...lead,
      Status: 'Closed - Converted',
      LastActivityDate: '2026-11-28',
    });
    expect(await timers()).toEqual([
      ['sla', 'cancelled'],
      ['day2', 'cancelled'],
    ]);
    expect((await earlyExits()).at(-1)!.cancelled.map((c) => c.reason)).toEqual([
      'meeting booked: sequence ends',
    ]);
    expect((await leadEvents()).at(-1)).toEqual(['field_change', 'Status', 'Closed - Converted']);
  });
});
