import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { recordEngagement, signalFromPropertyChange } from '../../../src/fallback/early-exit.ts';
import { listTimersForLead, scheduleTimers } from '../../../src/fallback/timer-store.ts';
import type { PlannedCheckpoint } from '../../../src/routing/decision.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { seedLeadWithDecision } from './seed.ts';

const T0 = new Date('2026-11-30T16:00:00.000Z');
const after = (ms: number) => new Date(T0.getTime() + ms).toISOString();
const plan: PlannedCheckpoint[] = [
  {
    id: 'sla',
    after: '10m',
    dueUtc: after(600_000),
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
let leadId: string;
let n = 0;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  const seeded = await seedLeadWithDecision(t.db, `early-${n++}`);
  leadId = seeded.leadId;
  await t.db
    .transaction()
    .execute((trx) => scheduleTimers(trx, { ...seeded, plan, configHash: 'h', now: T0 }));
});

const statuses = async () =>
  (await listTimersForLead(t.db, leadId)).map((x) => [x.checkpointId, x.status]);

describe('early exit', () => {
  it('a reply before the SLA checkpoint cancels it; the two-day checkpoint stays (branch C can still match)', async () => {
    const signal = signalFromPropertyChange(
      'hubspot',
      'hs_sales_email_last_replied',
      after(300_000),
      after(300_000),
    )!;
    const r = await recordEngagement(t.db, leadId, signal, new Date(after(300_000)));
    expect(r.cancelled.map((c) => [c.timer.checkpointId, c.reason])).toEqual([
      ['sla', 'no branch can match any more (branch 1 needs touched=false)'],
    ]);
    expect(await statuses()).toEqual([
      ['sla', 'cancelled'],
      ['day2', 'pending'],
    ]);
    const [sla] = await listTimersForLead(t.db, leadId);
    expect(sla!.outcome).toEqual({
      cancelled: `early exit (hubspot hs_sales_email_last_replied at ${after(300_000)}): no branch can match any more (branch 1 needs touched=false)`,
    });
    const { rows } = await sql<{ kind: string; data: { cancelled: unknown[] } }>`
      select kind, data from fallback_events where lead_id = ${leadId}`.execute(t.db);
    expect(rows.map((e) => [e.kind, e.data.cancelled.length])).toEqual([['early_exit', 1]]);
  });

  it('a booked meeting ends the sequence', async () => {
    const signal = signalFromPropertyChange(
      'hubspot',
      'hs_latest_meeting_activity',
      after(3_600_000),
      after(3_600_000),
    )!;
    const r = await recordEngagement(t.db, leadId, signal, new Date(after(3_600_000)));
    expect(r.cancelled.map((c) => c.reason)).toEqual([
      'meeting booked: sequence ends',
      'meeting booked: sequence ends',
    ]);
    expect(await statuses()).toEqual([
      ['sla', 'cancelled'],
      ['day2', 'cancelled'],
    ]);
  });

  it('an open cancels the SLA checkpoint but not the two-day one', async () => {
    const signal = signalFromPropertyChange(
      'hubspot',
      'hs_sales_email_last_opened',
      after(60_000),
      after(60_000),
    )!;
    // An open implies a touch, so the SLA checkpoint (touched: false) is cancelled…
    const r = await recordEngagement(t.db, leadId, signal, new Date(after(60_000)));
    expect(r.cancelled.map((c) => c.timer.checkpointId)).toEqual(['sla']);
    // …but branches A and C of the two-day checkpoint can still match.
    expect(await statuses()).toEqual([
      ['sla', 'cancelled'],
      ['day2', 'pending'],
    ]);
  });

  it('a signal from before the current assignment does not count', async () => {
    const earlier = new Date(T0.getTime() - 3_600_000).toISOString();
    const signal = signalFromPropertyChange('hubspot', 'notes_last_contacted', earlier, earlier)!;
    const r = await recordEngagement(t.db, leadId, signal, T0);
    expect(r.cancelled).toEqual([]);
    expect(await statuses()).toEqual([
      ['sla', 'pending'],
      ['day2', 'pending'],
    ]);
  });

  it('a Salesforce status change to Qualified ends the sequence', async () => {
    const signal = signalFromPropertyChange('salesforce', 'Status', 'Qualified', after(60_000))!;
    expect(signal).toMatchObject({ touched: true, meetingBooked: true });
    await recordEngagement(t.db, leadId, signal, new Date(after(60_000)));
    expect(await statuses()).toEqual([
      ['sla', 'cancelled'],
      ['day2', 'cancelled'],
    ]);
  });
});

describe('signalFromPropertyChange', () => {
  it('ignores properties that say nothing about engagement, and cleared values', () => {
    expect(
      signalFromPropertyChange('hubspot', 'lifecyclestage', 'lead', T0.toISOString()),
    ).toBeNull();
    expect(
      signalFromPropertyChange('hubspot', 'hs_sales_email_last_replied', null, T0.toISOString()),
    ).toBeNull();
    expect(
      signalFromPropertyChange('salesforce', 'Status', 'Open - Not Contacted', T0.toISOString()),
    ).toBeNull();
  });

  it('maps a HubSpot reply to replied, opened and touched', () => {
    expect(
      signalFromPropertyChange(
        'hubspot',
        'hs_sales_email_last_replied',
        '1764518400000',
        T0.toISOString(),
      ),
    ).toEqual({
      touched: true,
      opened: true,
      replied: true,
      meetingBooked: false,
      occurredAt: T0.toISOString(),
      source: 'hubspot hs_sales_email_last_replied',
    });
  });
});
