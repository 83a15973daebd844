/**
 * One contract, three adapters: DryRun, HubSpot (through its double) and Salesforce (through its
 * double) must behave the same where the port promises something.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmPort, RoutingWrite } from '../../../src/adapters/crm-port.ts';
import { createCrm } from '../../../src/adapters/create-crm.ts';
import { checkOwners } from '../../../src/adapters/check-owners.ts';
import { memoryDryRunSink } from '../../../src/adapters/dryrun/dryrun-sink.ts';
import { manualClock } from '../../../src/clock.ts';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { SalesforceDouble } from '../../helpers/salesforce-double.ts';

const clock = manualClock('2026-03-02T15:00:00.000Z');

interface Harness {
  crm: CrmPort;
  owner: string;
  badOwner: string;
  leadId: string;
  missingLeadId: string;
  /** Tasks (first touches) recorded for the lead on the far side. */
  tasksFor(leadId: string): number;
  stop(): Promise<void>;
}

const harnesses: Record<string, () => Promise<Harness>> = {
  dryrun: async () => {
    const sink = memoryDryRunSink();
    const crm = createCrm(
      {
        crm: 'dryrun',
        dryrun: {
          owners: [{ id: 'owner-1', active: true }],
          leads: new Map([
            ['L1', { crm: { system: 'json', object: 'lead', id: 'L1' }, email: 'a@b.example' }],
          ]),
        },
      },
      { clock, dryRunSink: sink },
    );
    return {
      crm,
      owner: 'owner-1',
      badOwner: 'owner-x',
      leadId: 'L1',
      missingLeadId: 'L404',
      tasksFor: (id) => sink.entries.filter((e) => e.op === 'task' && e.lead.id === id).length,
      stop: async () => undefined,
    };
  },
  hubspot: async () => {
    const hs = await new HubSpotDouble().start();
    hs.addOwner('51234567', 'dana.whitfield@example.com');
    hs.addContact('101', { email: 'pat@acme.example' });
    const crm = createCrm(
      {
        crm: 'hubspot',
        hubspot: {
          accessToken: 'test-token',
          baseUrl: hs.baseUrl,
          retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
        },
      },
      { clock },
    );
    return {
      crm,
      owner: '51234567',
      badOwner: '404404',
      leadId: '101',
      missingLeadId: '999',
      tasksFor: (id) => [...hs.tasks.values()].filter((t) => t.contactIds.includes(id)).length,
      stop: () => hs.stop(),
    };
  },
  salesforce: async () => {
    const sf = await new SalesforceDouble().start();
    sf.addUser('005000000000001AAA', 'dana@example.com');
    const leadId = sf.addLead({ Email: 'pat@acme.example', LastName: 'Lee', Company: 'ACME' });
    const crm = createCrm(
      {
        crm: 'salesforce',
        salesforce: {
          instanceUrl: sf.baseUrl,
          auth: { kind: 'token', accessToken: 'test-token' },
          retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
        },
      },
      { clock },
    );
    return {
      crm,
      owner: '005000000000001AAA',
      badOwner: '005000000000404AAA',
      leadId,
      missingLeadId: '00Q000000000404AAA',
      tasksFor: (id) =>
        [...sf.tasks.values()].filter(
          (t) => t.WhoId === id && String(t.Switchboard_Key__c).endsWith(':task'),
        ).length,
      stop: () => sf.stop(),
    };
  },
};

for (const [name, make] of Object.entries(harnesses)) {
  describe(`CrmPort contract: ${name}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await make();
    });
    afterAll(() => h.stop());

    const write = (over: Partial<RoutingWrite> = {}): RoutingWrite => ({
      key: `1:1:route`,
      lead: {
        system: name === 'salesforce' ? 'salesforce' : name === 'hubspot' ? 'hubspot' : 'json',
        object: name === 'hubspot' ? 'contact' : 'lead',
        id: h.leadId,
      },
      ownerId: h.owner,
      task: {
        subject: 'Call',
        body: 'Hello',
        dueUtc: '2026-03-02T15:10:00.000Z',
        channel: 'email',
        priority: 'medium',
        ownerId: h.owner,
      },
      note: 'Because.',
      ...over,
    });

    it('writes owner, task and note, and a retry of the same key adds nothing', async () => {
      const first = await h.crm.writeRouting(write());
      expect(first.ownerSet).toBe(true);
      expect(first.taskId).toEqual(expect.any(String));
      expect(first.noteId).toEqual(expect.any(String));
      const again = await h.crm.writeRouting(write({ attempt: 2 }));
      expect(again.taskId).toBe(first.taskId);
      expect(again.noteId).toBe(first.noteId);
      expect(h.tasksFor(h.leadId)).toBe(1);
    });

    it('refuses an unknown owner with CRM.UNKNOWN_OWNER', async () => {
      await expect(
        h.crm.writeRouting(write({ key: '1:2:route', ownerId: h.badOwner })),
      ).rejects.toMatchObject({ code: 'CRM.UNKNOWN_OWNER', retryable: false });
    });

    it('reads a missing lead as null', async () => {
      expect(await h.crm.readLead({ ...write().lead, id: h.missingLeadId })).toBeNull();
    });

    it('reports engagement with evidence', async () => {
      const e = await h.crm.readEngagement(write().lead, new Date('2026-03-01T00:00:00Z'));
      expect(e).toMatchObject({
        touched: expect.any(Boolean),
        opened: expect.any(Boolean),
        replied: expect.any(Boolean),
        meetingBooked: expect.any(Boolean),
      });
      expect(Array.isArray(e.evidence)).toBe(true);
    });

    it('checks handler owner ids at start', async () => {
      const res = await checkOwners(h.crm, [h.owner, h.badOwner]);
      expect(res).toMatchObject({ ok: false, missing: [h.badOwner] });
      expect(res.message).toContain(h.badOwner);
      expect((await checkOwners(h.crm, [h.owner])).ok).toBe(true);
    });
  });
}
