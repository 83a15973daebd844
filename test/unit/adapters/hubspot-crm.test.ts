import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubSpotCrm } from '../../../src/adapters/hubspot/hubspot-crm.ts';
import { CrmError } from '../../../src/adapters/crm-error.ts';
import { virtualTime } from './virtual-time.ts';
import { HubSpotDouble, RATE_LIMIT_429 } from '../../helpers/hubspot-double.ts';
import type { RoutingWrite } from '../../../src/adapters/crm-port.ts';

const T0 = '2026-03-02T15:00:00.000Z';

const write = (contactId: string, over: Partial<RoutingWrite> = {}): RoutingWrite => ({
  key: `7:${contactId}:route`,
  lead: { system: 'hubspot', object: 'contact', id: contactId },
  ownerId: '51234567',
  task: {
    subject: 'Call Pat at ACME',
    body: 'Hi Pat,\nthanks for reaching out.',
    dueUtc: '2026-03-02T15:10:00.000Z',
    channel: 'phone',
    priority: 'high',
    ownerId: '51234567',
  },
  note: 'Routed to Dana: enterprise (employees 1200 ≥ 250).',
  ...over,
});

describe('HubSpotCrm against a local HubSpot double', () => {
  let hs: HubSpotDouble;
  let crm: HubSpotCrm;
  let vt: ReturnType<typeof virtualTime>;

  beforeEach(async () => {
    vt = virtualTime(T0);
    hs = await new HubSpotDouble({ now: () => vt.clock.now().getTime() }).start();
    hs.addOwner('51234567', 'dana.whitfield@example.com');
    hs.addCompany('9001', {
      name: 'ACME',
      domain: 'acme.example',
      numberofemployees: '1200',
      annualrevenue: '50000000',
      hubspot_owner_id: '51234567',
    });
    hs.addContact(
      '101',
      {
        email: 'pat@acme.example',
        firstname: 'Pat',
        lastname: 'Lee',
        numemployees: '5',
        message: 'We need help',
      },
      ['9001'],
    );
    hs.addContact('102', { email: 'sam@bakery.example', firstname: 'Sam' });
    crm = new HubSpotCrm(
      {
        accessToken: 'test-token',
        baseUrl: hs.baseUrl,
        retry: { minTimeoutMs: 1, maxTimeoutMs: 5 },
      },
      { clock: vt.clock, sleep: vt.sleep },
    );
  });
  afterEach(() => hs.stop());

  it('reads the contact with its company in two calls and maps company firmographics', async () => {
    const lead = await crm.readLead({ system: 'hubspot', object: 'contact', id: '101' });
    expect(hs.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /crm/v3/objects/contacts/101',
      'GET /crm/v3/objects/companies/9001',
    ]);
    const first = hs.requests[0]!;
    expect(first.headers.authorization).toBe('Bearer test-token');
    expect(first.query.associations).toEqual(['companies']);
    expect(first.query.properties).toContain('email');
    expect(first.query.properties).toContain('hubspot_owner_id');
    expect(hs.requests[1]!.query.properties).toContain('numberofemployees');
    expect(lead).toMatchObject({
      crm: { system: 'hubspot', object: 'contact', id: '101' },
      email: 'pat@acme.example',
      first_name: 'Pat',
      employees: 1200,
      annual_revenue: 50_000_000,
      message: 'We need help',
      account: { id: '9001', name: 'ACME', domain: 'acme.example', owner: { hubspot: '51234567' } },
    });
  });

  it('returns null for a deleted contact', async () => {
    expect(await crm.readLead({ system: 'hubspot', object: 'contact', id: '999' })).toBeNull();
  });

  it('writes owner, task (type 204) and note (type 202) in three exact requests', async () => {
    const res = await crm.writeRouting(write('101'));
    expect(res).toMatchObject({ ownerSet: true, calls: 3 });
    expect(hs.requests).toHaveLength(3);
    // Sent together, so they may reach the double in any order.
    const find = (method: string, path: string) =>
      hs.requests.find((r) => r.method === method && r.path === path);
    const patch = find('PATCH', '/crm/v3/objects/contacts/101');
    const task = find('POST', '/crm/v3/objects/tasks');
    const note = find('POST', '/crm/v3/objects/notes');
    expect(`${patch!.method} ${patch!.path}`).toBe('PATCH /crm/v3/objects/contacts/101');
    expect(patch!.body).toEqual({ properties: { hubspot_owner_id: '51234567' } });
    expect(`${task!.method} ${task!.path}`).toBe('POST /crm/v3/objects/tasks');
    expect(task!.body).toEqual({
      properties: {
        hs_timestamp: '2026-03-02T15:10:00.000Z',
        hs_task_subject: 'Call Pat at ACME',
        hs_task_body:
          '<p>Hi Pat,</p><p>thanks for reaching out.</p><p>Switchboard ref 7:101:route/task</p>',
        hs_task_status: 'NOT_STARTED',
        hs_task_priority: 'HIGH',
        hs_task_type: 'CALL',
        hubspot_owner_id: '51234567',
      },
      associations: [
        {
          to: { id: '101' },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 204 }],
        },
      ],
    });
    expect(`${note!.method} ${note!.path}`).toBe('POST /crm/v3/objects/notes');
    expect(note!.body).toMatchObject({
      properties: { hs_timestamp: T0, hubspot_owner_id: '51234567' },
      associations: [
        {
          to: { id: '101' },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }],
        },
      ],
    });
    expect(res.taskId).toBe([...hs.tasks.keys()][0]);
    expect(hs.contacts.get('101')!.properties.hubspot_owner_id).toBe('51234567');
  });

  it('reports an unknown owner as CRM.UNKNOWN_OWNER without retrying', async () => {
    const bad = write('101', { ownerId: '404404' });
    bad.task!.ownerId = '404404';
    const err = await crm.writeRouting(bad).catch((e) => e);
    expect(err).toBeInstanceOf(CrmError);
    expect(err).toMatchObject({ code: 'CRM.UNKNOWN_OWNER', status: 400, retryable: false });
    expect(err.crmMessage).toMatch(/not a valid owner id/);
    expect(err.message).not.toMatch(/already written/);
    // One attempt each for owner, task and note (sent together); all refused, nothing created.
    expect(hs.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'PATCH /crm/v3/objects/contacts/101',
      'POST /crm/v3/objects/notes',
      'POST /crm/v3/objects/tasks',
    ]);
    expect(hs.tasks.size + hs.notes.size).toBe(0);
  });

  it('sends owner, task and note of a lone lead at once: they overlap at the double', async () => {
    await crm.assignOwner(
      'warm-up',
      { system: 'hubspot', object: 'contact', id: '102' },
      '51234567',
    );
    hs.requests.length = 0;
    hs.peakInFlight = 0;
    hs.delayMs = 500;
    const started = Date.now();
    await crm.writeRouting(write('101'));
    const elapsed = Date.now() - started;
    expect(hs.requests).toHaveLength(3);
    // All three were in the double's hands at once (one after another: never more than one).
    expect(hs.peakInFlight).toBe(3);
    // One after another cannot take less than 3 × 500 ms, however idle the machine; together it
    // takes about 500 ms plus overhead. The wide gap keeps this a check of overlap, not of speed.
    expect(elapsed).toBeLessThan(1_450);
  });

  it('one failing part keeps the others: the error says what was written, the retry reuses it', async () => {
    hs.fault = (r) =>
      r.method === 'POST' && r.path === '/crm/v3/objects/tasks'
        ? {
            status: 400,
            body: {
              status: 'error',
              message: 'Property values were not valid: hs_task_type',
              category: 'VALIDATION_ERROR',
            },
          }
        : undefined;
    const err = await crm.writeRouting(write('101')).catch((e) => e);
    expect(err).toBeInstanceOf(CrmError);
    expect(err.code).toBe('CRM.INVALID');
    const noteId = [...hs.notes.keys()][0]!;
    expect(hs.notes.size).toBe(1);
    expect(hs.tasks.size).toBe(0);
    expect(err.message).toContain(`already written: owner set, note ${noteId}`);
    expect(hs.contacts.get('101')!.properties.hubspot_owner_id).toBe('51234567');

    // The outbox's next attempt: the note is found by its marker, only the task is created.
    hs.fault = undefined;
    hs.requests.length = 0;
    const res = await crm.writeRouting(write('101', { attempt: 2 }));
    expect(res.noteId).toBe(noteId);
    expect(hs.notes.size).toBe(1);
    expect(hs.tasks.size).toBe(1);
    expect(hs.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'PATCH /crm/v3/objects/contacts/101',
      'POST /crm/v3/objects/notes/search',
      'POST /crm/v3/objects/tasks',
      'POST /crm/v3/objects/tasks/search',
    ]);
  });

  it('a lost answer after HubSpot created the task does not produce a second task', async () => {
    hs.dropAfterAccept = 0;
    // PATCH goes through; the task create is performed, then the socket is cut.
    let seen = 0;
    const orig = hs.fault;
    hs.fault = (r) => {
      if (r.path === '/crm/v3/objects/tasks' && seen++ === 0) hs.dropAfterAccept = 1;
      return orig?.(r);
    };
    const res = await crm.writeRouting(write('101'));
    expect(hs.tasks.size).toBe(1);
    expect(res.taskId).toBe([...hs.tasks.keys()][0]);
    expect(hs.calls('POST', '/crm/v3/objects/tasks/search')).toHaveLength(1);
    // And a full retry from the outbox (attempt 2) finds both task and note instead of creating.
    const again = await crm.writeRouting(write('101', { attempt: 2 }));
    expect(hs.tasks.size).toBe(1);
    expect(hs.notes.size).toBe(1);
    expect(again.taskId).toBe(res.taskId);
    expect(again.noteId).toBe(res.noteId);
  });

  it('honours Retry-After on a 429 before the next attempt', async () => {
    let n = 0;
    hs.fault = () =>
      n++ === 0
        ? { status: 429, headers: { 'Retry-After': '2' }, body: RATE_LIMIT_429 }
        : undefined;
    await crm.assignOwner('k', { system: 'hubspot', object: 'contact', id: '101' }, '51234567');
    expect(hs.requests).toHaveLength(2);
    expect(hs.requests[1]!.at - hs.requests[0]!.at).toBeGreaterThanOrEqual(2000);
  });

  it('with 30 % of answers 429/503, every lead is written once and the rate is never exceeded', async () => {
    const max = 10;
    const intervalMs = 1_000;
    crm = new HubSpotCrm(
      {
        accessToken: 'test-token',
        baseUrl: hs.baseUrl,
        rateLimit: { max, intervalMs },
        retry: { retries: 12, minTimeoutMs: 1, maxTimeoutMs: 2 },
      },
      { clock: vt.clock, sleep: vt.sleep },
    );
    const limited = crm;
    vt.state.busy = () => limited.inFlight;
    const ids = Array.from({ length: 30 }, (_, i) => String(2000 + i));
    for (const id of ids) hs.addContact(id, { email: `${id}@x.example` });
    hs.randomFaults(0.3, 7);
    const results = await Promise.all(
      ids.map((id) => crm.writeRouting(write(id, { key: `1:${id}:route` }))),
    );
    expect(results.every((r) => r.ownerSet)).toBe(true);
    // Each write counts its own attempts, though 30 ran at once: together they are every request.
    expect(results.reduce((n, r) => n + r.calls, 0)).toBe(hs.requests.length);
    const faults = hs.requests.length - 30 * 3;
    expect(faults).toBeGreaterThan(10);
    for (const id of ids) {
      expect([...hs.tasks.values()].filter((t) => t.contactIds.includes(id))).toHaveLength(1);
      expect([...hs.notes.values()].filter((t) => t.contactIds.includes(id))).toHaveLength(1);
    }
    const at = hs.requests.map((r) => r.at).sort((a, b) => a - b);
    for (let i = 0; i < at.length; i++) {
      const inWindow = at.filter((t) => t >= at[i]! && t < at[i]! + intervalMs).length;
      expect(inWindow).toBeLessThanOrEqual(max);
    }
  });

  it('batches a burst: 3 calls for 50 leads, one bad owner fails alone', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => String(3000 + i));
    for (const id of ids) hs.addContact(id, { email: `${id}@x.example` });
    const writes = ids.map((id) => write(id, { key: `2:${id}:route` }));
    const results = await crm.writeRoutings(writes);
    expect(hs.requests.map((r) => r.path)).toEqual([
      '/crm/v3/objects/contacts/batch/update',
      '/crm/v3/objects/tasks/batch/create',
      '/crm/v3/objects/notes/batch/create',
    ]);
    expect(results.every((r) => !(r instanceof Error) && r.taskId && r.noteId)).toBe(true);
    expect(hs.tasks.size).toBe(50);
    // Results are matched back by marker even though the double reverses the order.
    const r0 = results[0] as { taskId: string };
    expect(hs.tasks.get(r0.taskId)!.contactIds).toEqual(['3000']);

    hs.requests.length = 0;
    const more = ['4000', '4001', '4002'];
    for (const id of more) hs.addContact(id, { email: `${id}@x.example` });
    const mixed = more.map((id, i) =>
      write(id, { key: `3:${id}:route`, ownerId: i === 1 ? '999' : '51234567' }),
    );
    const out = await crm.writeRoutings(mixed);
    expect(out[1]).toBeInstanceOf(CrmError);
    expect((out[1] as CrmError).code).toBe('CRM.UNKNOWN_OWNER');
    expect(out[0]).toMatchObject({ ownerSet: true });
    expect(out[2]).toMatchObject({ ownerSet: true });
  });

  it('batch-reads leads whose contacts all name their primary company in 2 calls', async () => {
    hs.addContact('103', { email: 'kim@acme.example', firstname: 'Kim' }, ['9001']);
    const map = await crm.readLeads([
      { system: 'hubspot', object: 'contact', id: '101' },
      { system: 'hubspot', object: 'contact', id: '103' },
    ]);
    expect(hs.requests.map((r) => r.path)).toEqual([
      '/crm/v3/objects/contacts/batch/read',
      '/crm/v3/objects/companies/batch/read',
    ]);
    expect((hs.requests[0]!.body as { properties: string[] }).properties).toContain(
      'associatedcompanyid',
    );
    expect(hs.requests[1]!.body).toMatchObject({ inputs: [{ id: '9001' }] });
    expect(map.get('101')).toMatchObject({ employees: 1200, account: { id: '9001' } });
    expect(map.get('103')).toMatchObject({ first_name: 'Kim', account: { id: '9001' } });
  });

  it('batch-reads leads: contacts, v4 associations for those without a primary company, companies = 3 calls', async () => {
    const map = await crm.readLeads([
      { system: 'hubspot', object: 'contact', id: '101' },
      { system: 'hubspot', object: 'contact', id: '102' },
      { system: 'hubspot', object: 'contact', id: '555' },
    ]);
    expect(hs.requests.map((r) => r.path)).toEqual([
      '/crm/v3/objects/contacts/batch/read',
      '/crm/v4/associations/contacts/companies/batch/read',
      '/crm/v3/objects/companies/batch/read',
    ]);
    expect(hs.requests[0]!.body).toMatchObject({
      inputs: [{ id: '101' }, { id: '102' }, { id: '555' }],
    });
    // 101 names its primary company; only 102 (none) is asked about, 555 does not exist.
    expect(hs.requests[1]!.body).toEqual({ inputs: [{ id: '102' }] });
    expect(map.get('101')).toMatchObject({ employees: 1200, account: { id: '9001' } });
    expect(map.get('102')).toMatchObject({ first_name: 'Sam' });
    expect(map.get('555')).toBeNull();
  });

  it('reads engagement from the contact sales-activity properties', async () => {
    hs.contacts.get('101')!.properties.hs_sales_email_last_opened = '2026-03-02T16:00:00Z';
    hs.contacts.get('101')!.properties.notes_last_contacted = '2026-03-01T16:00:00Z';
    hs.contacts.get('101')!.properties.hs_lead_status = 'OPEN';
    const e = await crm.readEngagement(
      { system: 'hubspot', object: 'contact', id: '101' },
      new Date(T0),
    );
    expect(e).toEqual({
      touched: false,
      opened: true,
      replied: false,
      meetingBooked: false,
      status: 'OPEN',
      evidence: ['hubspot hs_sales_email_last_opened=2026-03-02T16:00:00.000Z'],
    });
  });

  it('lists owners, active and archived', async () => {
    hs.addOwner('777', 'gone.person@example.com', true);
    const owners = await crm.listOwners();
    expect(owners).toEqual([
      { id: '51234567', email: 'dana.whitfield@example.com', name: 'dana whitfield', active: true },
      { id: '777', email: 'gone.person@example.com', name: 'gone person', active: false },
    ]);
  });

  it('finds the account owner by domain', async () => {
    expect(await crm.findAccountOwner('ACME.example')).toEqual({
      accountId: '9001',
      ownerId: '51234567',
    });
    expect(await crm.findAccountOwner('nobody.example')).toBeNull();
  });
});
