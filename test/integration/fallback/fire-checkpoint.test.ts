// The fallback engine end to end: a lead routed to Dana under the seed's strategic type, time
// advanced with a manual clock, the checkpoint fired by the poller against the real HubSpot
// adapter talking to a local HubSpot double that reports the engagement each branch needs, and
// the CRM writes asserted in the outbox (crm_writes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { HubSpotCrm } from '../../../src/adapters/hubspot/hubspot-crm.ts';
import { manualClock } from '../../../src/clock.ts';
import { createCheckpointFirer } from '../../../src/fallback/fire-checkpoint.ts';
import { createPoller, type Poller } from '../../../src/fallback/poller.ts';
import { listTimersForLead, scheduleTimers } from '../../../src/fallback/timer-store.ts';
import { resolveFallbackPlan } from '../../../src/routing/fallback-plan.ts';
import { parseRoutingConfig } from '../../../src/routing/parse-config.ts';
import { route } from '../../../src/routing/route.ts';
import type { RoutingConfig } from '../../../src/routing/routing-config.ts';
import { emptyRoutingState, type Decision } from '../../../src/routing/decision.ts';
import type { Lead } from '../../../src/routing/lead.ts';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { parseOutboxPayload } from '../../../src/outbox/outbox-payload.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { seedDecision, seedLead } from './seed.ts';

const T0 = new Date('2026-11-30T16:00:00.000Z');
const MIN = 60_000;
const DAY = 86_400_000;
const after = (ms: number) => new Date(T0.getTime() + ms).toISOString();

const parsed = parseRoutingConfig(
  readFileSync(join(import.meta.dirname, '../../fixtures/fallback/routing.yaml'), 'utf8'),
  'routing.yaml',
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const config: RoutingConfig = parsed.config;

let t: TestDb;
let hs: HubSpotDouble;
let n = 0;
const clock = manualClock(T0);
let poller: Poller;

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  clock.set(T0);
  // Each test fires only its own lead's timers.
  await sql`truncate timers cascade`.execute(t.db);
  hs = await new HubSpotDouble().start();
  const crm = new HubSpotCrm(
    {
      accessToken: 'test-token',
      baseUrl: hs.baseUrl,
      retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 2 },
    },
    { clock, sleep: async () => undefined },
  );
  poller = createPoller({
    db: t.db,
    clock,
    fire: createCheckpointFirer({ db: t.db, crm, config: () => config }),
  });
});
afterEach(async () => {
  await hs.stop();
});

/** Routes a strategic lead at T0 (to Dana) and stores it with its timers, as the worker does. */
async function routeLead(
  engagement: Record<string, string>,
  maxAttempts?: number,
  extra: Partial<Lead> = {},
) {
  const contactId = `c${++n}`;
  hs.addContact(contactId, { firstname: 'Pat', company: 'Acme', ...engagement });
  const lead: Lead = {
    crm: { system: 'hubspot', object: 'contact', id: contactId },
    first_name: 'Pat',
    company: 'Acme',
    employees: 300,
    ...extra,
  };
  const decision: Decision = route(config, lead, T0, emptyRoutingState());
  if (decision.fallbackPlan.length === 0) {
    // Until route() attaches the plan itself: the same resolution it will use.
    const type = config.leadTypes.find((x) => x.id === decision.leadType)!.def;
    const cal = config.people.handlers.get(decision.assignee.handlerId)!.calendar;
    decision.fallbackPlan = resolveFallbackPlan(type.fallback, cal, T0).plan;
  }
  const leadId = await seedLead(t.db, contactId, {}, lead);
  const decisionId = await seedDecision(t.db, leadId, decision);
  await t.db.transaction().execute((trx) =>
    scheduleTimers(trx, {
      leadId,
      decisionId,
      plan: decision.fallbackPlan,
      configHash: decision.configHash,
      now: T0,
      ...(maxAttempts ? { maxAttempts } : {}),
    }),
  );
  return { leadId, decisionId, decision };
}

interface WriteRow {
  step: string;
  kind: string;
  key: string;
  payload: {
    ownerId?: string;
    task?: { subject: string; body: string; ownerId: string; channel: string; dueUtc: string };
    body?: string;
  };
}
const writesOf = async (leadId: string) =>
  (
    await sql<WriteRow>`select step, kind, key, payload from crm_writes where lead_id = ${leadId} order by id`.execute(
      t.db,
    )
  ).rows;
/** Every row the fallback queued must be one the outbox runner accepts. */
async function expectRunnable(leadId: string) {
  for (const w of await writesOf(leadId))
    expect(parseOutboxPayload(w.kind, w.payload), w.key).not.toBeInstanceOf(Error);
}
const decisionsOf = async (leadId: string) =>
  (
    await sql<{ id: string; handler_id: string; reason: string }>`
      select id::text, handler_id, reason from decisions where lead_id = ${leadId} order by id`.execute(
      t.db,
    )
  ).rows;
const eventsOf = async (leadId: string) =>
  (
    await sql<{ kind: string; data: Record<string, unknown> }>`
      select kind, data from fallback_events where lead_id = ${leadId} order by id`.execute(t.db)
  ).rows;

describe('fallback checkpoints against the CRM engagement', () => {
  it('the plan has the SLA checkpoint and the two-day checkpoint, on the assignee calendar', async () => {
    const { decision } = await routeLead({});
    expect(decision.assignee.handlerId).toBe('dana');
    expect(decision.fallbackPlan.map((c) => [c.id, c.dueUtc])).toEqual([
      ['sla', after(10 * MIN)],
      ['day2', after(2 * DAY)],
    ]);
  });

  it('SLA breach: no touch by the due time hands the lead to the backup, with its own SLA and fallbacks', async () => {
    const { leadId, decisionId } = await routeLead({});
    clock.set(after(10 * MIN));
    expect(await poller.drain()).toBe(1);
    const writes = await writesOf(leadId);
    expect(writes.map((w) => [w.step, w.kind, w.key, w.payload.ownerId])).toEqual([
      ['fallback:sla:1', 'routing', `${leadId}:${decisionId}:fallback:sla:1`, '51234568'],
    ]);
    expect(writes[0]!.payload.task).toMatchObject({
      subject: 'Take over: Pat (Acme)',
      ownerId: '51234568',
      dueUtc: after(20 * MIN), // marcus's own 10-minute SLA from the handover
    });
    const decisions = await decisionsOf(leadId);
    expect(decisions.map((d) => [d.handler_id, d.reason])).toEqual([
      ['dana', 'route'],
      ['marcus', 'reroute'],
    ]);
    // Dana's two-day checkpoint no longer applies; Marcus has his own SLA and two-day checkpoints.
    const timers = await listTimersForLead(t.db, leadId);
    expect(
      timers.map((x) => [
        x.decisionId === decisionId ? 'dana' : 'marcus',
        x.checkpointId,
        x.status,
        x.runAt.toISOString(),
      ]),
    ).toEqual([
      ['dana', 'sla', 'fired', after(10 * MIN)],
      ['marcus', 'sla', 'pending', after(20 * MIN)],
      ['dana', 'day2', 'cancelled', after(2 * DAY)],
      ['marcus', 'day2', 'pending', after(10 * MIN + 2 * DAY)],
    ]);
    const [fired] = await eventsOf(leadId);
    expect(fired!.kind).toBe('fired');
    expect(fired!.data).toMatchObject({
      checkpoint: 'sla',
      branch: 1,
      engagement: { touched: false, opened: false, replied: false, meeting_booked: false },
      reassignedTo: 'marcus',
    });
    await expectRunnable(leadId);
  });

  it('a touched lead passes the SLA checkpoint without any write', async () => {
    const { leadId } = await routeLead({ notes_last_contacted: after(5 * MIN) });
    clock.set(after(10 * MIN));
    await poller.drain();
    expect(await writesOf(leadId)).toEqual([]);
    const [fired] = await eventsOf(leadId);
    expect(fired!.data).toMatchObject({ branch: null, actions: [] });
    expect(fired!.data.evidence).toEqual([`hubspot notes_last_contacted=${after(5 * MIN)}`]);
  });

  it('branch A: opened, no reply after two days → escalate to the manager', async () => {
    const { leadId, decisionId } = await routeLead({
      notes_last_contacted: after(5 * MIN),
      hs_sales_email_last_opened: after(DAY),
    });
    clock.set(after(2 * DAY));
    expect(await poller.drain()).toBe(2);
    const writes = await writesOf(leadId);
    expect(writes.map((w) => [w.key, w.kind, w.payload.task?.ownerId])).toEqual([
      [`${leadId}:${decisionId}:fallback:day2:1`, 'task', '51234569'],
    ]);
    expect(writes[0]!.payload.task!.subject).toBe('Escalation: Pat (Acme) (Dana Whitfield)');
    expect(writes[0]!.payload.task!.body).toMatch(
      /^Opened but no reply after two days\ncheckpoint day2: saw touched=true, opened=true, replied=false/,
    );
  });

  it('branch B: not opened after two days → a call task for the holder', async () => {
    const { leadId } = await routeLead({ notes_last_contacted: after(5 * MIN) });
    clock.set(after(2 * DAY));
    await poller.drain();
    const writes = await writesOf(leadId);
    expect(
      writes.map((w) => [w.step, w.kind, w.payload.task?.channel, w.payload.task?.ownerId]),
    ).toEqual([['fallback:day2:1', 'task', 'call', '51234567']]);
    expect(writes[0]!.payload.task!.subject).toBe('Call Pat at Acme');
    await expectRunnable(leadId);
  });

  it('branch C: replied, no meeting → re-route to the senior', async () => {
    const { leadId } = await routeLead({
      notes_last_contacted: after(5 * MIN),
      hs_sales_email_last_replied: after(DAY),
    });
    clock.set(after(2 * DAY));
    await poller.drain();
    const writes = await writesOf(leadId);
    expect(writes.map((w) => [w.step, w.kind, w.payload.ownerId])).toEqual([
      ['fallback:day2:1', 'routing', '51234569'],
    ]);
    expect((await decisionsOf(leadId)).map((d) => d.handler_id)).toEqual(['dana', 'avery']);
  });

  it('a booked meeting: the two-day checkpoint matches no branch and writes nothing', async () => {
    const { leadId } = await routeLead({
      hs_sales_email_last_replied: after(DAY),
      hs_latest_meeting_activity: after(DAY),
    });
    clock.set(after(2 * DAY));
    await poller.drain();
    expect(await writesOf(leadId)).toEqual([]);
  });

  it("never hands a lead back to a previous holder: Marcus's senior is Dana, who held it", async () => {
    const { leadId } = await routeLead({});
    clock.set(after(10 * MIN));
    await poller.drain(); // SLA breach: dana → marcus
    const contact = hs.contacts.get(`c${n}`)!;
    contact.properties.notes_last_contacted = after(15 * MIN);
    clock.set(after(20 * MIN));
    await poller.drain(); // marcus touched it in time: his SLA checkpoint passes
    contact.properties.hs_sales_email_last_replied = after(DAY);
    clock.set(after(10 * MIN + 2 * DAY));
    await poller.drain(); // marcus's day2: replied, no meeting → reassign senior (dana)
    const decisions = await decisionsOf(leadId);
    expect(decisions.map((d) => d.handler_id)).toEqual(['dana', 'marcus', 'morgan']);
    const [, , marcusDay2] = (await eventsOf(leadId)).filter((e) => e.kind === 'fired');
    expect(marcusDay2!.data.actions).toEqual([
      `reassign senior → morgan (Morgan Hale), SLA due ${after(20 * MIN + 2 * DAY)}`,
    ]);
  });

  it('an engagement read that fails retries with backoff, then parks with the reason, firing nothing', async () => {
    const { leadId } = await routeLead({}, 2);
    hs.outage = true;
    clock.set(after(10 * MIN));
    await poller.drain();
    let [sla] = await listTimersForLead(t.db, leadId);
    expect(sla).toMatchObject({ status: 'pending', attempts: 1 });
    expect(sla!.lastError).toMatch(/^engagement read failed \(hubspot\): /);
    clock.set(after(11 * MIN)); // past the e^1 s backoff
    await poller.drain();
    [sla] = await listTimersForLead(t.db, leadId);
    expect(sla).toMatchObject({ status: 'parked', attempts: 2 });
    expect(await writesOf(leadId)).toEqual([]);
    expect((await decisionsOf(leadId)).length).toBe(1);
    expect((await eventsOf(leadId)).map((e) => e.kind)).toEqual(['parked']);
  });

  it('a checkpoint fired twice writes to the CRM once', async () => {
    const { leadId } = await routeLead({ notes_last_contacted: after(5 * MIN) });
    clock.set(after(2 * DAY));
    await poller.drain();
    // As if a poller died after committing: the timer is made due again and fires a second time.
    await sql`update timers set status = 'pending', locked_at = null, locked_by = null
              where lead_id = ${leadId} and checkpoint_id = 'day2'`.execute(t.db);
    expect(await poller.drain()).toBe(1);
    expect((await writesOf(leadId)).map((w) => w.step)).toEqual(['fallback:day2:1']);
  });

  it('re-enrich queues a re-route, escalate notifies the webhook, nurture stops the sequence', async () => {
    const { leadId, decision } = await routeLead({}, undefined, {
      employees: 20,
      industry: 'Testing',
    });
    expect(decision.leadType).toBe('volume');
    clock.set(after(3 * DAY));
    expect(await poller.drain()).toBe(3);
    const { rows: inbox } = await sql<{ kind: string; dedupe_key: string }>`
      select kind, dedupe_key from inbox where payload->>'leadId' = ${leadId}`.execute(t.db);
    expect(inbox.map((r) => r.kind)).toEqual(['reroute']);
    const writes = await writesOf(leadId);
    expect(writes.map((w) => [w.step, w.kind])).toEqual([
      ['fallback:nudge:1', 'task'], // to marcus's manager, avery
      ['fallback:nudge:2', 'notify'],
      ['fallback:drop:1', 'note'],
    ]);
    expect(writes[0]!.payload.task!.ownerId).toBe('51234569');
    await expectRunnable(leadId);
    const timers = await listTimersForLead(t.db, leadId);
    expect(timers.map((x) => [x.checkpointId, x.status])).toEqual([
      ['recheck', 'fired'],
      ['nudge', 'fired'],
      ['drop', 'fired'],
      ['never', 'cancelled'],
    ]);
  });
});
