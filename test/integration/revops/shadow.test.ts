import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../../src/clock.ts';
import { claimInbox, insertInboxEvents } from '../../../src/intake/inbox-store.ts';
import { processInboxEvent } from '../../../src/intake/process-event.ts';
import { routerFromConfig, type Router } from '../../../src/intake/router.ts';
import type { Lead } from '../../../src/routing/lead.ts';
import { shadowRouterFromConfig } from '../../../src/revops/shadow-router.ts';
import { shadowReport } from '../../../src/revops/shadow-report.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import {
  configFromText,
  EXAMPLE_CONFIG_TEXT,
  PROPOSED_CONFIG_TEXT,
  readLead,
} from './seed-store.ts';

const live = configFromText(EXAMPLE_CONFIG_TEXT, 'config/routing.yaml');
const proposed = configFromText(PROPOSED_CONFIG_TEXT, 'shadow.yaml');

describe('shadow mode: the worker records the shadow decision beside the live one', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
  });
  afterAll(async () => {
    await tdb.close();
  });

  async function routeOne(router: Router, lead: Lead, key: string) {
    await insertInboxEvents(tdb.db, [
      {
        source: 'json',
        dedupeKey: key,
        kind: 'route',
        payload: { ref: { system: 'json', object: 'lead', id: key }, lead },
      },
    ]);
    const [row] = await claimInbox(tdb.db, 'w1', 1);
    return processInboxEvent(
      {
        db: tdb.db,
        router,
        crm: { system: 'dryrun', readLead: () => Promise.resolve(null) },
        clock: manualClock(lead.created_at!),
        workerId: 'w1',
      },
      row!,
    );
  }

  it('records the shadow decision; only the live one is written to the CRM or counted in pools', async () => {
    const router = { ...routerFromConfig(live), shadow: shadowRouterFromConfig(proposed) };
    const out = await routeOne(router, readLead('saturday-0243-cascadia'), 'shadow-1');
    expect(out.outcome).toBe('routed');
    if (out.outcome !== 'routed') return;

    const d = await sql<{ lead_type: string; handler_id: string }>`
      select lead_type, handler_id from decisions where id = ${out.decisionId}`.execute(tdb.db);
    expect(d.rows).toEqual([{ lead_type: 'strategic', handler_id: 'dana' }]);

    const s = await sql<{
      lead_type: string;
      handler_id: string;
      config_hash: string;
      error: null;
    }>`
      select lead_type, handler_id, config_hash, error from shadow_decisions
      where decision_id = ${out.decisionId}`.execute(tdb.db);
    // Under the shadow config a 300-person company is no longer strategic: the catch-all pool.
    expect(s.rows).toEqual([
      { lead_type: 'everyone_else', handler_id: 'sam', config_hash: proposed.hash, error: null },
    ]);

    const writes = await sql<{ n: number }>`
      select count(*)::int as n from crm_writes where lead_id = ${out.leadId}`.execute(tdb.db);
    expect(writes.rows[0]!.n).toBe(1); // the live routing write only
    const pools = await sql<{ n: number }>`select count(*)::int as n from pool_counts`.execute(
      tdb.db,
    );
    expect(pools.rows[0]!.n).toBe(0); // the shadow's pool pick is not counted
  });

  it('a shadow that throws is recorded as an error; live routing goes on', async () => {
    const broken = {
      configHash: 'broken',
      route: () => {
        throw new Error('shadow exploded');
      },
    };
    const router = { ...routerFromConfig(live), shadow: broken };
    const out = await routeOne(router, readLead('partner-referral'), 'shadow-2');
    expect(out.outcome).toBe('routed');
    if (out.outcome !== 'routed') return;
    const s = await sql<{ error: string; lead_type: null }>`
      select error, lead_type from shadow_decisions where decision_id = ${out.decisionId}`.execute(
      tdb.db,
    );
    expect(s.rows).toEqual([{ error: 'shadow exploded', lead_type: null }]);
  });

  it('without a shadow nothing is recorded', async () => {
    const out = await routeOne(routerFromConfig(live), readLead('small-business'), 'shadow-3');
    if (out.outcome !== 'routed') throw new Error(out.outcome);
    const s = await sql<{ n: number }>`
      select count(*)::int as n from shadow_decisions where decision_id = ${out.decisionId}`.execute(
      tdb.db,
    );
    expect(s.rows[0]!.n).toBe(0);
  });

  it('replay --shadow: how live and shadow differed over the period', async () => {
    const r = await shadowReport(
      tdb.db,
      { since: new Date('2026-11-01T00:00:00Z') },
      {
        before: 'everyone_else',
        after: 'everyone_else',
      },
    );
    expect(r.leads).toBe(2);
    expect(r.changed).toHaveLength(1);
    expect(r.changed[0]!.label).toBe('Cascadia Freight Co');
    expect(r.changed[0]!.changes[0]).toEqual({
      field: 'type',
      before: 'strategic',
      after: 'everyone_else',
    });
    expect(r.newlyCatchAll).toHaveLength(1);
    expect(r.unreplayable).toEqual([
      expect.objectContaining({ reason: 'shadow config failed: shadow exploded' }),
    ]);
  });
});
