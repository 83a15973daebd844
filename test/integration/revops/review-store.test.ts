import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/schema.ts';
import { emptyRoutingState } from '../../../src/routing/decision.ts';
import { route } from '../../../src/routing/route.ts';
import { computeReview } from '../../../src/revops/review.ts';
import { readReviewData } from '../../../src/revops/review-data.ts';

import { runCli } from '../../unit/revops/run-cli.ts';
import {
  configFromText,
  EXAMPLE_CONFIG_TEXT,
  insertDecision,
  seededStore,
  type SeededStore,
  readLead,
  storeRouted,
} from './seed-store.ts';

const config = configFromText(EXAMPLE_CONFIG_TEXT, 'config/routing.yaml');
const WINDOW = { since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-12-05T00:00:00Z') };

async function event(
  db: Kysely<Database>,
  leadId: string,
  property: string,
  value: string,
  at: string,
) {
  await sql`insert into lead_events (lead_id, crm_system, crm_id, kind, property, value, occurred_at)
    values (${leadId}, 'hubspot', ${`c-${leadId}`}, 'property_change', ${property}, ${value}, ${at})`.execute(
    db,
  );
}

/**
 * Cascadia (strategic, decided Sat 10:43Z; weekend cover opens 15:00Z, SLA due 15:10Z): touched
 * at 15:05Z (5 business minutes, hit), meeting booked, lifecycle opportunity, one fallback fired
 * (sla, branch 1) and one reassignment. Tidepool (small business, Wed 19:00Z): never touched,
 * wrote again the next day (came back). A lead decided before the window is not counted.
 */
async function seed(db: Kysely<Database>): Promise<{ cascadia: string; tidepool: string }> {
  const c = await storeRouted(db, config, readLead('saturday-0243-cascadia'));
  await event(db, c.leadId, 'notes_last_contacted', '1764342300000', '2026-11-28T15:05:00Z');
  await event(db, c.leadId, 'hs_latest_meeting_activity', '1764500000000', '2026-11-30T17:00:00Z');
  await event(db, c.leadId, 'lifecyclestage', 'opportunity', '2026-12-01T17:00:00Z');
  const re = route(config, readLead('saturday-0243-cascadia'), new Date('2026-11-28T15:20:00Z'), {
    ...emptyRoutingState(),
    previousHolders: ['dana'],
  });
  await insertDecision(db, c.leadId, re, 'reroute');
  await sql`insert into timers (lead_id, decision_id, checkpoint_id, key, run_at, status, config_hash, plan, since, outcome, fired_at)
    select ${c.leadId}, d.id, 'sla', ${`t-${c.leadId}`}, '2026-11-28T15:10:00Z', 'fired', d.config_hash,
           '{}'::jsonb, d.decided_at,
           ${JSON.stringify({ kind: 'fired', checkpoint: 'sla', branch: 1, engagement: { touched: false } })}::jsonb,
           '2026-11-28T15:10:00Z'
    from decisions d where d.lead_id = ${c.leadId} order by d.id limit 1`.execute(db);

  const t = await storeRouted(db, config, readLead('small-business'));
  await sql`insert into inbox (source, dedupe_key, kind, payload, status, lead_id, received_at)
    values ('json', ${`again-${t.leadId}`}, 'route', '{}'::jsonb, 'done', ${t.leadId}, '2026-12-03T16:00:00Z')`.execute(
    db,
  );

  await storeRouted(db, config, {
    ...readLead('small-business'),
    created_at: '2026-10-01T10:00:00-07:00',
  });
  return { cascadia: c.leadId, tidepool: t.leadId };
}

let store: SeededStore<{ cascadia: string; tidepool: string }>;
// Opening a PGlite data directory takes 2–30 s depending on machine load; be generous.
const SLOW = 180_000;
beforeAll(async () => {
  store = await seededStore(seed);
}, SLOW);
afterAll(async () => {
  await store?.close();
});

describe('review reads the store', () => {
  let tdb: { db: Kysely<Database> };
  let ids: { cascadia: string; tidepool: string };
  beforeAll(() => {
    tdb = store;
    ids = store.seeded;
  });

  it('first touch, outcomes, reassignments, came back, fallbacks', async () => {
    const data = await readReviewData(tdb.db, WINDOW);
    expect(data.leads.map((l) => l.leadId)).toEqual([ids.cascadia, ids.tidepool]);
    const [c, t] = data.leads;
    expect(c).toMatchObject({
      leadType: 'strategic',
      handler: 'dana',
      source: 'web',
      slaCalendar: 'weekend_cover',
      firstTouchAt: new Date('2026-11-28T15:05:00Z'),
      meetingBooked: true,
      converted: true,
      reassignments: 1,
      cameBack: false,
    });
    expect(t).toMatchObject({
      leadType: 'small_business',
      firstTouchAt: null,
      cameBack: true,
      converted: false,
    });
    expect(data.fired).toEqual([{ leadType: 'strategic', checkpoint: 'sla', branch: 1 }]);
    expect(data.assignedHandlers.sort()).toEqual(['dana', 'marcus', 'sam']);

    const r = computeReview(data, config, WINDOW.until);
    expect(r.byType.find((g) => g.id === 'strategic')).toMatchObject({
      leads: 1,
      p50Minutes: 5,
      slaHitRate: 1,
      meetingsBooked: 1,
      converted: 1,
    });
    expect(r.byType.find((g) => g.id === 'small_business')).toMatchObject({
      leads: 1,
      slaHit: 0,
      slaMissed: 1,
      cameBack: 1,
    });
    expect(r.totals.leads).toBe(2);
  });
});

describe('switchboard review (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-review-'));
  beforeAll(async () => {
    await store.useFromCli();
  }, SLOW);

  it(
    '--format html --out writes one self-contained page; markdown to stdout',
    async () => {
      const out = join(dir, 'review.html');
      const at = ['--at', '2026-12-05T00:00:00Z', '--since', '34d'];
      const r = await runCli(['review', ...at, '--format', 'html', '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`review written to ${out} (2 leads)\n`);
      const html = readFileSync(out, 'utf8');
      expect(html.match(/<svg /g)).toHaveLength(4);

      const md = await runCli(['review', ...at, '--format', 'markdown']);
      expect(md.code).toBe(0);
      expect(md.stdout).toContain('| strategic | 1 | 5 | 5 | 100% (1/1) | 1 | 1 | 1 (100%) | 0 |');
    },
    SLOW,
  );

  it(
    'a bad --since is a usage error naming the flag',
    async () => {
      const r = await runCli(['review', '--since', 'three months']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('--since must be a duration');
    },
    SLOW,
  );
});
