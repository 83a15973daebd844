/**
 * The Salesforce side of issue 9's CRM metrics and live mapping, through jsforce and the local
 * Salesforce double: each HTTP attempt lands in `switchboard_crm_calls_total` as a read or a write
 * (a composite of writes is a write, a SOQL query a read; a 503 and its retry both count, labelled
 * `CRM.UNAVAILABLE` and `2xx` because jsforce exposes no HTTP status), and a
 * changed `crm_mapping` from the provider changes the fields the next read asks for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../../src/clock.ts';
import { SalesforceCrm } from '../../../src/adapters/salesforce/salesforce-crm.ts';
import type { CrmMapping } from '../../../src/adapters/crm-mapping-schema.ts';
import type { RoutingWrite } from '../../../src/adapters/crm-port.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { crmCallCounter } from '../../../src/metrics/crm-call-metrics.ts';
import { SalesforceDouble } from '../../helpers/salesforce-double.ts';
import { sample } from './ops-app.ts';

const DANA = '005000000000001AAA';

describe('Salesforce CRM calls by operation and status, and a live mapping', () => {
  let sf: SalesforceDouble;
  let crm: SalesforceCrm;
  let leadId: string;
  let mapping: CrmMapping | undefined;
  const metrics = createMetrics();
  const count = async (labels: Record<string, string>) =>
    sample(await metrics.registry.metrics(), 'switchboard_crm_calls_total', {
      crm: 'salesforce',
      ...labels,
    });

  beforeAll(async () => {
    sf = await new SalesforceDouble().start();
    sf.addUser(DANA, 'dana@example.com');
    leadId = sf.addLead({
      Email: 'pat@acme.example',
      LastName: 'Lee',
      Company: 'ACME',
      NumberOfEmployees: 1200,
      Team_Size__c: 40,
    });
    crm = new SalesforceCrm(
      {
        instanceUrl: sf.baseUrl,
        apiVersion: '62.0',
        auth: { kind: 'token', accessToken: 'test-token' },
        retry: { minTimeoutMs: 1, maxTimeoutMs: 5 },
        mapping: () => mapping,
      },
      { clock: manualClock('2026-03-02T14:00:00Z'), onCall: crmCallCounter(metrics) },
    );
  });
  afterAll(() => sf.stop());

  const ref = () => ({ system: 'salesforce' as const, object: 'lead' as const, id: leadId });
  const lastFields = () =>
    sf.requests
      .filter((r) => r.method === 'GET' && r.path.includes('/sobjects/Lead/'))
      .at(-1)!
      .query.fields!.split(',');

  it('a read is counted as a read with the 2xx jsforce leaves us, and asks for the mapped fields', async () => {
    const lead = await crm.readLead(ref());
    expect(lead?.employees).toBe(1200);
    expect(lastFields()).toContain('NumberOfEmployees');
    expect(lastFields()).not.toContain('Team_Size__c');
    expect(await count({ operation: 'read', call: 'read lead', status: '2xx' })).toBe(1);
  });

  it('a new mapping from the provider changes the next read, single and batch', async () => {
    mapping = { salesforce: { lead: { employees: 'Team_Size__c' } } };
    const lead = await crm.readLead(ref());
    expect(lastFields()).toContain('Team_Size__c');
    expect(lastFields()).not.toContain('NumberOfEmployees');
    expect(lead?.employees).toBe(40);
    const batch = await crm.readLeads([ref()]);
    expect(batch.get(leadId)?.employees).toBe(40);
    const soql = sf.requests.filter((r) => r.path.endsWith('/query')).at(-1)!.query.q!;
    expect(soql).toContain('Team_Size__c');
    expect(await count({ operation: 'read', call: 'read leads', status: '2xx' })).toBe(1);
  });

  it('a routing composite is a write; a 503 and its retry are two attempts', async () => {
    let failed = 0;
    sf.fault = (r) =>
      r.method === 'POST' && r.path.endsWith('/composite') && failed++ === 0
        ? { status: 503, body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'try later' }] }
        : undefined;
    const write: RoutingWrite = {
      key: `9:${leadId}:route`,
      lead: ref(),
      ownerId: DANA,
      task: {
        subject: 'Call Pat',
        body: 'Hi Pat',
        dueUtc: '2026-03-02T15:10:00.000Z',
        channel: 'phone',
        priority: 'high',
        ownerId: DANA,
      },
      note: 'Routed to Dana.',
    };
    try {
      await crm.writeRouting(write);
    } finally {
      sf.fault = undefined;
    }
    // jsforce keeps the HTTP status of a failure to itself too: the label is our error code.
    expect(
      await count({ operation: 'write', call: 'write routing', status: 'CRM.UNAVAILABLE' }),
    ).toBe(1);
    expect(await count({ operation: 'write', call: 'write routing', status: '2xx' })).toBe(1);
    expect(await count({ operation: 'read', call: 'write routing' })).toBeUndefined();
  });
});
