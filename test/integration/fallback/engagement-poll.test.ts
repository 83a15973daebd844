// The engagement poll against the real HubSpot adapter talking to the local HubSpot double: leads
// with pending checkpoints are read once per interval (the injected clock decides), engagement the
// CRM reports cancels what no longer applies, two polls on one database never read a lead twice
// in one interval, and a failed read cancels nothing.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { HubSpotCrm } from '../../../src/adapters/hubspot/hubspot-crm.ts';
import { manualClock } from '../../../src/clock.ts';
import {
  claimLeadsForEngagement,
  createEngagementPoll,
  type EngagementPollEvent,
} from '../../../src/fallback/engagement-poll.ts';
import { listTimersForLead, scheduleTimers } from '../../../src/fallback/timer-store.ts';
import type { PlannedCheckpoint } from '../../../src/routing/decision.ts';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { seedDecision, seedLead } from './seed.ts';

const T0 = new Date('2026-11-30T16:00:00.000Z');
const MIN = 60_000;
const INTERVAL = 10 * MIN;
const after = (ms: number) => new Date(T0.getTime() + ms).toISOString();
const plan: PlannedCheckpoint[] = [
  {
    id: 'sla',
    after: '10m',
    dueUtc: after(10 * MIN),
    branches: [{ when: { touched: false }, then: [{ reassign: 'backup' }] }],
  },
  {
    id: 'day2',
    after: '2d',
    dueUtc: after(2 * 86_400_000),
    branches: [
      { when: { opened: true, replied: false }, then: [{ escalate: 'avery' }] },
      { when: { opened: false }, then: [{ task: { channel: 'call' } }] },
      { when: { replied: true, meeting_booked: false }, then: [{ reassign: 'senior' }] },
    ],
  },
];

let t: TestDb;
let hs: HubSpotDouble;
let crm: HubSpotCrm;
let n = 0;
const clock = manualClock(T0);

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  clock.set(T0);
  // Each test polls only its own leads.
  await sql`truncate timers cascade`.execute(t.db);
  hs = await new HubSpotDouble().start();
  crm = new HubSpotCrm(
    {
      accessToken: 'test-token',
      baseUrl: hs.baseUrl,
      retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 2 },
    },
    { clock, sleep: async () => undefined },
  );
});
afterEach(async () => {
  await hs.stop();
});

/** A lead assigned at T0 with both checkpoints pending, and its contact in the double. */
async function pendingLead(properties: Record<string, string>): Promise<string> {
  const contactId = `poll-${++n}`;
  hs.addContact(contactId, { firstname: 'Pat', ...properties });
  const leadId = await seedLead(t.db, contactId, {}, { first_name: 'Pat' });
  const decisionId = await seedDecision(t.db, leadId, {
    configHash: 'h',
    leadType: 'strategic',
    decidedAt: T0.toISOString(),
    assignee: { via: 'handler', handlerId: 'dana', name: 'Dana', ownerIds: {} },
  });
  await t.db
    .transaction()
    .execute((trx) => scheduleTimers(trx, { leadId, decisionId, plan, configHash: 'h', now: T0 }));
  return leadId;
}
const statuses = async (leadId: string) =>
  (await listTimersForLead(t.db, leadId)).map((x) => [x.checkpointId, x.status]);
const contactReads = () => hs.calls('GET', '/crm/v3/objects/contacts/').length;

describe('engagement poll', () => {
  it('a reply the CRM reports cancels the SLA checkpoint before it fires; a quiet lead keeps both', async () => {
    const replied = await pendingLead({ hs_sales_email_last_replied: after(3 * MIN) });
    const quiet = await pendingLead({});
    const events: EngagementPollEvent[] = [];
    const poll = createEngagementPoll({
      db: t.db,
      clock,
      crm,
      intervalMs: INTERVAL,
      onEvent: (e) => events.push(e),
    });
    clock.set(after(5 * MIN));
    expect(await poll.runOnce()).toBe(2);
    expect(await statuses(replied)).toEqual([
      ['sla', 'cancelled'],
      ['day2', 'pending'], // branch C (replied, no meeting) can still match
    ]);
    expect(await statuses(quiet)).toEqual([
      ['sla', 'pending'],
      ['day2', 'pending'],
    ]);
    const cancelled = events.filter((e) => e.type === 'cancelled');
    expect(cancelled.map((e) => e.leadId)).toEqual([replied]);
    const { rows } = await sql<{ data: { signal: { source: string } } }>`
      select data from fallback_events where lead_id = ${replied} and kind = 'early_exit'`.execute(
      t.db,
    );
    expect(rows[0]!.data.signal.source).toMatch(/^engagement poll \(hubspot: /);
  });

  it('reads each lead once per interval: nothing again before it has passed, both leads after', async () => {
    await pendingLead({});
    await pendingLead({});
    const poll = createEngagementPoll({ db: t.db, clock, crm, intervalMs: INTERVAL });
    expect(await poll.runOnce()).toBe(2);
    const reads = contactReads();
    clock.set(after(INTERVAL - 1));
    expect(await poll.runOnce()).toBe(0);
    expect(contactReads()).toBe(reads);
    clock.set(after(INTERVAL));
    expect(await poll.runOnce()).toBe(2);
    expect(contactReads()).toBe(reads + 2);
  });

  it('reads a bounded batch per round, least recently checked first', async () => {
    for (let i = 0; i < 5; i++) await pendingLead({});
    const poll = createEngagementPoll({ db: t.db, clock, crm, intervalMs: INTERVAL, batchSize: 2 });
    expect([await poll.runOnce(), await poll.runOnce(), await poll.runOnce()]).toEqual([2, 2, 1]);
    expect(await poll.runOnce()).toBe(0);
  });

  it('two instances on one database claim disjoint leads', async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await pendingLead({}));
    const claim = () => claimLeadsForEngagement(t.db, { now: T0, intervalMs: INTERVAL, limit: 4 });
    const [a, b] = await Promise.all([claim(), claim()]);
    const claimed = [...a, ...b].map((l) => l.leadId);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.sort()).toEqual([...ids].sort());
    expect(a[0]!.since.toISOString()).toBe(T0.toISOString());
  });

  it('a booked meeting ends the sequence, and a lead with nothing pending is no longer read', async () => {
    const met = await pendingLead({ hs_latest_meeting_activity: after(MIN) });
    const poll = createEngagementPoll({ db: t.db, clock, crm, intervalMs: INTERVAL });
    expect(await poll.runOnce()).toBe(1);
    expect(await statuses(met)).toEqual([
      ['sla', 'cancelled'],
      ['day2', 'cancelled'],
    ]);
    clock.set(after(2 * INTERVAL));
    expect(await poll.runOnce()).toBe(0);
  });

  it('engagement from before the assignment does not count', async () => {
    const old = await pendingLead({ notes_last_contacted: after(-60 * MIN) });
    const poll = createEngagementPoll({ db: t.db, clock, crm, intervalMs: INTERVAL });
    expect(await poll.runOnce()).toBe(1);
    expect(await statuses(old)).toEqual([
      ['sla', 'pending'],
      ['day2', 'pending'],
    ]);
  });

  it('a failed read cancels nothing and is tried again at the next interval', async () => {
    const lead = await pendingLead({ hs_sales_email_last_replied: after(MIN) });
    const events: EngagementPollEvent[] = [];
    const poll = createEngagementPoll({
      db: t.db,
      clock,
      crm,
      intervalMs: INTERVAL,
      onEvent: (e) => events.push(e),
    });
    hs.outage = true;
    expect(await poll.runOnce()).toBe(1);
    expect(events.filter((e) => e.type === 'failed').map((e) => e.leadId)).toEqual([lead]);
    expect(await statuses(lead)).toEqual([
      ['sla', 'pending'],
      ['day2', 'pending'],
    ]);
    hs.outage = false;
    clock.set(after(INTERVAL));
    expect(await poll.runOnce()).toBe(1);
    expect(await statuses(lead)).toEqual([
      ['sla', 'cancelled'],
      ['day2', 'pending'],
    ]);
  });

  it('stop() lets the read in flight finish and starts no more', async () => {
    for (let i = 0; i < 4; i++) await pendingLead({});
    const poll = createEngagementPoll({
      db: t.db,
      clock,
      crm,
      intervalMs: INTERVAL,
      concurrency: 1,
    });
    hs.delayMs = 50; // the CRM answers slowly
    const round = poll.runOnce();
    while (contactReads() === 0) await new Promise((r) => setImmediate(r));
    await poll.stop(5_000);
    expect(await round).toBe(4); // claimed…
    expect(contactReads()).toBe(1); // …but only the read in flight was made
    expect(await poll.runOnce()).toBe(0);
  });

  it('ENGAGEMENT_POLL_MS=0 disables it', async () => {
    await pendingLead({ hs_sales_email_last_replied: after(MIN) });
    const poll = createEngagementPoll({ db: t.db, clock, crm, intervalMs: 0 });
    poll.start();
    expect(await poll.runOnce()).toBe(0);
    await poll.stop();
    expect(contactReads()).toBe(0);
  });
});
