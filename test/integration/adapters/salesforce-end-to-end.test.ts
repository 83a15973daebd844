/**
 * Issue 6 "done when", Salesforce: an Outbound Message results in the owner, the first-touch Task
 * and the explanation Task on each Lead, one composite call per lead (allOrNone, with
 * Sforce-Auto-Assign: FALSE so the org's assignment rule does not undo the decision) — through the
 * real app, inbox worker, outbox runner, jsforce and the local Salesforce double.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.ts';
import { SalesforceDouble } from '../../helpers/salesforce-double.ts';
import { SalesforceCrm } from '../../../src/adapters/salesforce/salesforce-crm.ts';
import { createOutboxRunner } from '../../../src/outbox/outbox-runner.ts';
import { manualClock } from '../../../src/clock.ts';
import type { Decision } from '../../../src/routing/decision.ts';

const message = fs.readFileSync(
  new URL('../../fixtures/salesforce/outbound-message.xml', import.meta.url),
);
const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };
const RULE_OWNER = '005000000000099AAA';

describe('Salesforce end to end: outbound message → one composite per lead', () => {
  let tdb: TestDb;
  let t: TestApp;
  let sf: SalesforceDouble;
  let crm: SalesforceCrm;
  const clock = manualClock('2026-11-28T10:43:00Z');

  beforeAll(async () => {
    sf = await new SalesforceDouble().start();
    for (let i = 1; i <= 10; i++)
      sf.addUser(`0050000000000${String(i).padStart(2, '0')}AAA`, `owner${i}@example.com`);
    sf.addUser(RULE_OWNER, 'rules@example.com');
    sf.assignmentRuleOwner = RULE_OWNER;
    sf.addLead(
      { LastName: 'Reyes', Company: 'Cascadia Freight Co', OwnerId: RULE_OWNER },
      '00Q000000000001EAA',
    );
    sf.addLead(
      { LastName: 'Okafor', Company: 'Okafor & Daughters Bakery', OwnerId: RULE_OWNER },
      '00Q000000000002EAA',
    );
    crm = new SalesforceCrm(
      {
        instanceUrl: sf.baseUrl,
        auth: { kind: 'token', accessToken: 'test-token' },
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
    await sf.stop();
  });

  it('sets the owner and writes both Tasks for each lead in one composite call', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/salesforce',
      headers,
      payload: message,
    });
    expect(res.statusCode).toBe(200);
    await t.worker.drain();
    await createOutboxRunner({ handle: tdb, crm }).drain();

    const writes = await tdb.db.selectFrom('crm_writes').selectAll().execute();
    expect(writes).toHaveLength(2);
    expect(writes.every((w) => w.status === 'done' && w.crm === 'salesforce')).toBe(true);
    // The worker may re-read the Leads (outbound messages can be stale; it batches that read),
    // then one composite per lead: at most 2 calls per lead, the budget.
    const calls = sf.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls.filter((c) => c === 'POST /services/data/v62.0/composite')).toHaveLength(2);
    expect(
      calls.every((c) => c.startsWith('GET ') || c === 'POST /services/data/v62.0/composite'),
    ).toBe(true);
    expect(calls.length).toBeLessThanOrEqual(2 * 2);
    const decisions = await tdb.db
      .selectFrom('decisions')
      .innerJoin('leads', 'leads.id', 'decisions.lead_id')
      .select(['leads.crm_id', 'decisions.decision'])
      .execute();
    for (const d of decisions) {
      const decision = d.decision as Decision;
      const owner = decision.assignee.ownerIds.salesforce!;
      const composite = sf.requests.find((r) =>
        JSON.stringify(r.body).includes(`/sobjects/Lead/${d.crm_id}`),
      )!;
      const body = composite.body as {
        allOrNone: boolean;
        compositeRequest: Array<{
          referenceId: string;
          httpHeaders?: object;
          body: Record<string, unknown>;
        }>;
      };
      expect(body.allOrNone).toBe(true);
      expect(body.compositeRequest.map((s) => s.referenceId)).toEqual(['owner', 'task', 'note']);
      expect(body.compositeRequest[0]).toMatchObject({
        httpHeaders: { 'Sforce-Auto-Assign': 'FALSE' },
        body: { OwnerId: owner },
      });
      expect(sf.leads.get(d.crm_id)!.OwnerId).toBe(owner);
      const tasks = [...sf.tasks.values()].filter((x) => x.WhoId === d.crm_id);
      expect(tasks).toHaveLength(2);
      const firstTouch = tasks.find((x) => String(x.Switchboard_Key__c).endsWith(':task'))!;
      if (decision.firstTouch) {
        expect(firstTouch.Subject).toBe(decision.firstTouch.subject);
        expect(firstTouch.Description).toBe(decision.firstTouch.body);
      }
      if (decision.sla) expect(firstTouch.ReminderDateTime).toBe(decision.sla.dueUtc);
      const why = tasks.find((x) => String(x.Switchboard_Key__c).endsWith(':note'))!;
      expect(why).toMatchObject({
        Status: 'Completed',
        Subject: 'Why Switchboard routed this lead to you',
      });
    }
  });
});
