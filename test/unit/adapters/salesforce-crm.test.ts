import { generateKeyPairSync, createVerify } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SalesforceCrm } from '../../../src/adapters/salesforce/salesforce-crm.ts';
import { CrmError } from '../../../src/adapters/crm-error.ts';
import { manualClock } from '../../../src/clock.ts';
import { virtualTime } from './virtual-time.ts';
import type { RoutingWrite } from '../../../src/adapters/crm-port.ts';
import { SalesforceDouble } from '../../helpers/salesforce-double.ts';

const T0 = '2026-03-02T15:00:00.000Z';
const DANA = '005000000000001AAA';
const RULE_OWNER = '005000000000099AAA';

const write = (leadId: string, over: Partial<RoutingWrite> = {}): RoutingWrite => ({
  key: `7:${leadId}:route`,
  lead: { system: 'salesforce', object: 'lead', id: leadId },
  ownerId: DANA,
  task: {
    subject: 'Call Pat at ACME',
    body: 'Hi Pat,\nthanks for reaching out.',
    dueUtc: '2026-03-02T15:10:00.000Z',
    channel: 'phone',
    priority: 'high',
    ownerId: DANA,
  },
  note: 'Routed to Dana: enterprise (employees 1200 ≥ 250).',
  ...over,
});

describe('SalesforceCrm against a local Salesforce double', () => {
  let sf: SalesforceDouble;
  let crm: SalesforceCrm;
  let leadId: string;
  const clock = manualClock(T0);

  beforeEach(async () => {
    sf = await new SalesforceDouble().start();
    sf.addUser(DANA, 'dana@example.com');
    sf.addUser(RULE_OWNER, 'rules@example.com');
    sf.addUser('005000000000002AAA', 'gone@example.com', false);
    sf.assignmentRuleOwner = RULE_OWNER;
    leadId = sf.addLead({
      Email: 'pat@acme.example',
      FirstName: 'Pat',
      LastName: 'Lee',
      Company: 'ACME',
      NumberOfEmployees: 1200,
      AnnualRevenue: 5e7,
      Description: 'We need help',
      LeadSource: 'Web',
      OwnerId: '00G000000000001AAA',
    });
    crm = new SalesforceCrm(
      {
        instanceUrl: sf.baseUrl,
        apiVersion: '62.0',
        auth: { kind: 'token', accessToken: 'test-token' },
        retry: { minTimeoutMs: 1, maxTimeoutMs: 5 },
      },
      { clock },
    );
  });
  afterEach(() => sf.stop());

  it('writes owner + task + explanation in ONE composite call, allOrNone, Sforce-Auto-Assign: FALSE', async () => {
    const res = await crm.writeRouting(write(leadId));
    expect(sf.requests).toHaveLength(1);
    const req = sf.requests[0]!;
    expect(`${req.method} ${req.path}`).toBe('POST /services/data/v62.0/composite');
    expect(req.headers.authorization).toBe('Bearer test-token');
    const key = encodeURIComponent(`7:${leadId}:route`);
    expect(req.body).toEqual({
      allOrNone: true,
      compositeRequest: [
        {
          method: 'PATCH',
          url: `/services/data/v62.0/sobjects/Lead/${leadId}`,
          referenceId: 'owner',
          httpHeaders: { 'Sforce-Auto-Assign': 'FALSE' },
          body: { OwnerId: DANA },
        },
        {
          method: 'PATCH',
          url: `/services/data/v62.0/sobjects/Task/Switchboard_Key__c/${key}%3Atask`,
          referenceId: 'task',
          body: {
            WhoId: leadId,
            OwnerId: DANA,
            Subject: 'Call Pat at ACME',
            Description: 'Hi Pat,\nthanks for reaching out.',
            ActivityDate: '2026-03-02',
            IsReminderSet: true,
            ReminderDateTime: '2026-03-02T15:10:00.000Z',
            Status: 'Not Started',
            Priority: 'High',
            Type: 'Call',
          },
        },
        {
          method: 'PATCH',
          url: `/services/data/v62.0/sobjects/Task/Switchboard_Key__c/${key}%3Anote`,
          referenceId: 'note',
          body: {
            WhoId: leadId,
            OwnerId: DANA,
            Subject: 'Why Switchboard routed this lead to you',
            Description: 'Routed to Dana: enterprise (employees 1200 ≥ 250).',
            ActivityDate: '2026-03-02',
            Status: 'Completed',
            Priority: 'Normal',
            Type: 'Other',
          },
        },
      ],
    });
    expect(res).toMatchObject({ ownerSet: true, calls: 1 });
    // The assignment rule did not overwrite our owner, because of the header.
    expect(sf.leads.get(leadId)!.OwnerId).toBe(DANA);
    expect(sf.tasks.size).toBe(2);
    expect(sf.tasks.get(res.taskId!)).toMatchObject({
      Switchboard_Key__c: `7:${leadId}:route:task`,
      Status: 'Not Started',
    });
  });

  it('a retry after a lost answer upserts the same tasks: still one task and one note', async () => {
    sf.dropAfterAccept = 1;
    // Salesforce performs the composite, the answer is lost, the safe (upsert) composite is re-sent.
    const first = await crm.writeRouting(write(leadId));
    expect(sf.calls('POST', '/composite')).toHaveLength(2);
    expect(sf.tasks.size).toBe(2);
    expect(first.taskId).toBeDefined();
    const again = await crm.writeRouting(write(leadId, { attempt: 2 }));
    expect(sf.tasks.size).toBe(2);
    expect(again.taskId).toBe(
      [...sf.tasks.values()].find((t) => String(t.Switchboard_Key__c).endsWith(':task'))!.Id,
    );
  });

  it('an unknown owner rolls everything back and is reported as CRM.UNKNOWN_OWNER', async () => {
    const err = await crm
      .writeRouting(write(leadId, { ownerId: '005000000000404AAA' }))
      .catch((e) => e);
    expect(err).toMatchObject({
      code: 'CRM.UNKNOWN_OWNER',
      status: 400,
      crmCode: 'INVALID_CROSS_REFERENCE_KEY',
      retryable: false,
    });
    expect(sf.tasks.size).toBe(0);
    expect(sf.leads.get(leadId)!.OwnerId).toBe('00G000000000001AAA');
    const inactive = await crm
      .writeRouting(write(leadId, { ownerId: '005000000000002AAA' }))
      .catch((e) => e);
    expect(inactive).toMatchObject({
      code: 'CRM.UNKNOWN_OWNER',
      crmCode: 'INACTIVE_OWNER_OR_USER',
    });
  });

  it('reads the lead with the mapped fields in one call', async () => {
    const lead = await crm.readLead({ system: 'salesforce', object: 'lead', id: leadId });
    expect(sf.requests).toHaveLength(1);
    expect(sf.requests[0]!.path).toBe(`/services/data/v62.0/sobjects/Lead/${leadId}`);
    expect(sf.requests[0]!.query.fields!.split(',')).toEqual(
      expect.arrayContaining(['Id', 'OwnerId', 'NumberOfEmployees', 'Description', 'LeadSource']),
    );
    expect(lead).toMatchObject({
      crm: { system: 'salesforce', object: 'lead', id: leadId },
      email: 'pat@acme.example',
      employees: 1200,
      annual_revenue: 5e7,
      message: 'We need help',
      source: { lead_source: 'Web' },
    });
    expect(
      await crm.readLead({ system: 'salesforce', object: 'lead', id: '00Q000000000777AAA' }),
    ).toBeNull();
  });

  it('finds the account owner by website domain', async () => {
    sf.accounts.set('001000000000001AAA', {
      Id: '001000000000001AAA',
      Website: 'https://www.acme.example',
      OwnerId: DANA,
      LastModifiedDate: T0,
    });
    expect(await crm.findAccountOwner('acme.example')).toEqual({
      accountId: '001000000000001AAA',
      ownerId: DANA,
    });
    expect(sf.requests[0]!.query.q!).toContain("Website LIKE '%acme.example%'");
    expect(await crm.findAccountOwner('other.example')).toBeNull();
  });

  it('reads engagement from Tasks, Events, EmailMessages and Status in one composite call', async () => {
    const since = new Date(T0);
    sf.tasks.set('00T000000000900AAA', {
      Id: '00T000000000900AAA',
      WhoId: leadId,
      Status: 'Completed',
      Subject: 'Call',
      Switchboard_Key__c: null,
      LastModifiedDate: '2026-03-02T16:00:00.000Z',
    });
    sf.emails.set('02s000000000001AAA', {
      Id: '02s000000000001AAA',
      Incoming: false,
      FirstOpenedDate: '2026-03-02T17:00:00.000Z',
      MessageDate: '2026-03-02T16:30:00.000Z',
      relationIds: [leadId],
    });
    sf.leads.get(leadId)!.Status = 'Working - Contacted';
    const e = await crm.readEngagement({ system: 'salesforce', object: 'lead', id: leadId }, since);
    expect(sf.requests).toHaveLength(1);
    expect(sf.requests[0]!.path).toBe('/services/data/v62.0/composite');
    expect((sf.requests[0]!.body as { allOrNone: boolean }).allOrNone).toBe(false);
    expect(e).toMatchObject({
      touched: true,
      opened: true,
      replied: false,
      meetingBooked: false,
      status: 'Working - Contacted',
    });
    expect(e.evidence).toEqual([
      'salesforce Task 00T000000000900AAA Completed',
      'salesforce EmailMessage 02s000000000001AAA opened',
    ]);
  });

  it('a key that matches two Tasks (300) fails with a message saying what to fix, never silently', async () => {
    // Only possible when the key field is not Unique: two Tasks carry the same key.
    const key = `7:${leadId}:route:task`;
    for (const id of ['00T000000000801AAA', '00T000000000802AAA'])
      sf.tasks.set(id, { Id: id, WhoId: leadId, Switchboard_Key__c: key });
    const err = await crm.writeRouting(write(leadId)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrmError);
    expect(err).toMatchObject({ code: 'CRM.INVALID', status: 300, retryable: false });
    expect((err as CrmError).message).toBe(
      `Salesforce found more than one Task with Switchboard_Key__c = "${key}" during write routing (HTTP 300): delete the extra Tasks in Salesforce (and mark the field Unique if your org offers it), then retry the write`,
    );
    const single = await crm
      .createTask(
        `7:${leadId}:route`,
        { system: 'salesforce', object: 'lead', id: leadId },
        write(leadId).task!,
      )
      .catch((e: unknown) => e);
    expect(single).toMatchObject({ code: 'CRM.INVALID', status: 300 });
  });

  it('two leads: their composites are sent together (they overlap at the double)', async () => {
    const other = sf.addLead({ LastName: 'Kim', Company: 'Beta' });
    await crm.readLead({ system: 'salesforce', object: 'lead', id: other }); // warm up
    sf.requests.length = 0;
    sf.peakInFlight = 0;
    sf.delayMs = 500;
    const started = Date.now();
    const out = await crm.writeRoutings([write(leadId), write(other, { key: `7:${other}:route` })]);
    const elapsed = Date.now() - started;
    expect(out.every((r) => !(r instanceof Error) && r.taskId && r.noteId)).toBe(true);
    expect(out.map((r) => (r as { calls: number }).calls)).toEqual([1, 1]);
    expect(sf.calls('POST', '/composite')).toHaveLength(2);
    expect(sf.peakInFlight).toBe(2);
    // One after the other cannot take less than 2 × 500 ms; together about 500 ms plus overhead.
    expect(elapsed).toBeLessThan(950);
  });

  it('a burst goes through sObject Collections: 2 calls, bad records fail alone', async () => {
    const ids = Array.from({ length: 30 }, (_, i) =>
      sf.addLead({ LastName: `L${i}`, Company: 'C' }),
    );
    const writes = ids.map((id, i) =>
      write(id, { key: `9:${id}:route`, ...(i === 4 ? { ownerId: '005000000000404AAA' } : {}) }),
    );
    const results = await crm.writeRoutings(writes);
    expect(sf.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PATCH /services/data/v62.0/composite/sobjects',
      'PATCH /services/data/v62.0/composite/sobjects/Task/Switchboard_Key__c',
    ]);
    expect(sf.requests[0]!.headers['sforce-auto-assign']).toBe('FALSE');
    expect((sf.requests[0]!.body as { allOrNone: boolean }).allOrNone).toBe(false);
    expect(results[4]).toBeInstanceOf(CrmError);
    expect((results[4] as CrmError).code).toBe('CRM.UNKNOWN_OWNER');
    expect(results.filter((r) => !(r instanceof Error) && r.taskId && r.noteId)).toHaveLength(29);
    expect(sf.tasks.size).toBe(58);
    expect(sf.leads.get(ids[0]!)!.OwnerId).toBe(DANA);
  });

  it('client credentials: authorizes, and re-authorizes on an expired session', async () => {
    crm = new SalesforceCrm(
      {
        loginUrl: sf.baseUrl,
        instanceUrl: sf.baseUrl,
        auth: { kind: 'client_credentials', clientId: 'sb-client', clientSecret: 'sb-secret' },
        retry: { minTimeoutMs: 1, maxTimeoutMs: 5 },
      },
      { clock },
    );
    await crm.assignOwner('k', { system: 'salesforce', object: 'lead', id: leadId }, DANA);
    expect(sf.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /services/oauth2/token',
      `PATCH /services/data/v62.0/sobjects/Lead/${leadId}`,
    ]);
    expect(sf.requests[0]!.body).toMatchObject({
      grant_type: 'client_credentials',
      client_id: 'sb-client',
      client_secret: 'sb-secret',
    });
    expect(sf.requests[1]!.headers.authorization).toBe('Bearer 00D000000000001EAA!tok1');
    expect(sf.requests[1]!.headers['sforce-auto-assign']).toBe('FALSE');
    sf.expireTokens();
    await crm.assignOwner('k', { system: 'salesforce', object: 'lead', id: leadId }, DANA);
    expect(
      sf.requests
        .slice(2)
        .map((r) => `${r.method} ${r.path} ${String(r.headers.authorization ?? '')}`),
    ).toEqual([
      `PATCH /services/data/v62.0/sobjects/Lead/${leadId} Bearer 00D000000000001EAA!tok1`,
      'POST /services/oauth2/token ',
      `PATCH /services/data/v62.0/sobjects/Lead/${leadId} Bearer 00D000000000001EAA!tok2`,
    ]);
  });

  it('JWT bearer: posts an RS256 assertion with iss/sub/aud/exp', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    crm = new SalesforceCrm(
      {
        loginUrl: sf.baseUrl,
        auth: {
          kind: 'jwt',
          clientId: 'consumer-key',
          username: 'integration@acme.example',
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      },
      { clock },
    );
    await crm.listOwners();
    const tokenReq = sf.requests[0]!;
    const { grant_type, assertion } = tokenReq.body as Record<string, string>;
    expect(grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const [h, c, s] = assertion!.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'RS256' });
    expect(JSON.parse(Buffer.from(c!, 'base64url').toString())).toEqual({
      iss: 'consumer-key',
      sub: 'integration@acme.example',
      aud: sf.baseUrl,
      exp: Date.parse(T0) / 1000 + 180,
    });
    expect(
      createVerify('RSA-SHA256')
        .update(`${h}.${c}`)
        .verify(publicKey, Buffer.from(s!, 'base64url')),
    ).toBe(true);
    // The API call went to the instance_url from the token response.
    expect(sf.requests[1]!.path).toBe('/services/data/v62.0/query');
  });

  it('with 30 % of answers 503, every lead is written once and the rate is never exceeded', async () => {
    const ids = Array.from({ length: 40 }, (_, i) =>
      sf.addLead({ LastName: `R${i}`, Company: 'C' }),
    );
    const vt = virtualTime(T0);
    sf.setNow(() => vt.clock.now().getTime());
    const limited = new SalesforceCrm(
      {
        instanceUrl: sf.baseUrl,
        auth: { kind: 'token', accessToken: 'test-token' },
        rateLimit: { max: 5, intervalMs: 1_000 },
        retry: { retries: 12, minTimeoutMs: 1, maxTimeoutMs: 2 },
      },
      { clock: vt.clock, sleep: vt.sleep },
    );
    vt.state.busy = () => limited.inFlight;
    sf.randomFaults(0.3, 11);
    const results = await Promise.all(
      ids.map((id) => limited.writeRouting(write(id, { key: `5:${id}:route` }))),
    );
    expect(results.every((r) => r.ownerSet)).toBe(true);
    expect(sf.requests.length).toBeGreaterThan(45);
    for (const id of ids)
      expect([...sf.tasks.values()].filter((t) => t.WhoId === id)).toHaveLength(2);
    // Virtual time, stamped at admission: never more than 5 calls in any 1 s window.
    const at = sf.requests.map((r) => r.at);
    for (const t of at)
      expect(at.filter((u) => u >= t && u < t + 1_000).length).toBeLessThanOrEqual(5);
  });
});
