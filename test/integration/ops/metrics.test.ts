import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { sql } from 'kysely';
import { manualClock } from '../../../src/clock.ts';
import { createCrm } from '../../../src/adapters/create-crm.ts';
import { createOutboxRunner } from '../../../src/outbox/outbox-runner.ts';
import { attachOutboxMetrics } from '../../../src/metrics/outbox-metrics.ts';
import { buildOpsApp, KIRA, routeLead, sample, type OpsApp } from './ops-app.ts';

describe('GET /metrics', () => {
  let tdb: TestDb;
  let t: OpsApp;
  const clock = manualClock('2026-11-28T10:43:00Z');
  beforeAll(async () => {
    tdb = await createTestDb();
    t = await buildOpsApp(tdb, { clock });
  }, 180_000); // opening PGlite takes seconds, minutes on a loaded CI machine
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  const scrape = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    return res.body;
  };

  it('publishes the metric set before any traffic, with the config in use', async () => {
    const text = await scrape();
    for (const name of [
      'switchboard_webhooks_received_total',
      'switchboard_ack_seconds',
      'switchboard_route_compute_seconds',
      'switchboard_receipt_to_decision_seconds',
      'switchboard_decisions_total',
      'switchboard_sla_due_total',
      'switchboard_sla',
      'switchboard_timer_lateness_seconds',
      'switchboard_timer_lateness_recent_seconds',
      'switchboard_fallbacks_fired',
      'switchboard_crm_calls_total',
      'switchboard_crm_writes_total',
      'switchboard_outbox_depth',
      'switchboard_receipt_to_crm_write_seconds',
      'switchboard_config_info',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(
      sample(text, 'switchboard_config_info', {
        hash: t.config.current().hash,
        reviewed_on: '2026-11-24',
      }),
    ).toBe(1);
    expect(sample(text, 'switchboard_outbox_depth', { status: 'pending' })).toBe(0);
    expect(sample(text, 'switchboard_decisions_total', { lead_type: 'strategic' })).toBeUndefined();
  });

  it('moves after a routed lead: intake, ack latency, routing latency, decision, SLA, outbox', async () => {
    const leadId = await routeLead(t, KIRA, 'metrics-kira');
    const text = await scrape();
    expect(
      sample(text, 'switchboard_webhooks_received_total', {
        source: 'json',
        outcome: 'accepted',
        status: '202',
      }),
    ).toBe(1);
    expect(sample(text, 'switchboard_ack_seconds_count', { source: 'json' })).toBe(1);
    expect(sample(text, 'switchboard_route_compute_seconds_count')).toBe(1);
    expect(sample(text, 'switchboard_receipt_to_decision_seconds_count', { source: 'json' })).toBe(
      1,
    );
    expect(
      sample(text, 'switchboard_decisions_total', {
        lead_type: 'strategic',
        handler: 'dana',
        reason: 'route',
      }),
    ).toBe(1);
    expect(sample(text, 'switchboard_sla_due_total', { lead_type: 'strategic' })).toBe(1);
    expect(sample(text, 'switchboard_sla', { lead_type: 'strategic', state: 'open' })).toBe(1);
    expect(sample(text, 'switchboard_outbox_depth', { status: 'pending' })).toBe(1);
    expect(
      sample(text, 'switchboard_inbox_depth', { source: 'json', status: 'pending' }),
    ).toBeUndefined();
    expect(leadId).toMatch(/^\d+$/);
  });

  it('counts CRM writes performed by the outbox and the receipt → CRM write delay', async () => {
    const crm = createCrm({ crm: 'dryrun' }, { clock });
    const outbox = createOutboxRunner({ handle: tdb, crm });
    const detach = attachOutboxMetrics(outbox.events, t.metrics);
    try {
      expect(await outbox.drain()).toBe(1);
    } finally {
      detach();
    }
    const text = await scrape();
    expect(sample(text, 'switchboard_crm_writes_total', { crm: 'dryrun', status: 'ok' })).toBe(1);
    expect(sample(text, 'switchboard_outbox_depth', { status: 'pending' })).toBe(0);
    const p50 = sample(text, 'switchboard_receipt_to_crm_write_seconds', { quantile: '0.5' });
    expect(p50).toBeGreaterThanOrEqual(0);
    expect(
      sample(text, 'switchboard_receipt_to_crm_write_seconds', { quantile: 'max' }),
    ).toBeGreaterThanOrEqual(p50!);
  });

  it('counts rejected intake by status without touching the decision counters', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/leads', payload: KIRA });
    expect(res.statusCode).toBe(401);
    const text = await scrape();
    expect(
      sample(text, 'switchboard_webhooks_received_total', {
        source: 'json',
        outcome: 'rejected',
        status: '401',
      }),
    ).toBe(1);
    expect(
      sample(text, 'switchboard_decisions_total', { lead_type: 'strategic', handler: 'dana' }),
    ).toBe(1);
  });

  it('counts fired fallback checkpoints by branch, from the timers the poller completed', async () => {
    // Two firings as fire-checkpoint.ts records them: branch 2 matched; no branch matched.
    await sql`
      insert into timers (lead_id, decision_id, checkpoint_id, key, run_at, status, config_hash,
                          plan, since, outcome, fired_at, lateness_ms)
      select lead_id, id, 'day2', 'metrics:' || n, decided_at, 'fired', config_hash, '{}'::jsonb,
             decided_at, o::jsonb, decided_at, 1500
      from decisions,
           (values (1, '{"branch": 2}'), (2, '{"branch": null}')) as v(n, o)`.execute(tdb.db);
    const text = await scrape();
    expect(sample(text, 'switchboard_fallbacks_fired', { checkpoint: 'day2', branch: '2' })).toBe(
      1,
    );
    expect(
      sample(text, 'switchboard_fallbacks_fired', { checkpoint: 'day2', branch: 'none' }),
    ).toBe(1);
  });

  it('reports an SLA as missed once its due time passes with no engagement', async () => {
    clock.advance(3 * 86_400_000);
    const text = await scrape();
    expect(sample(text, 'switchboard_sla', { lead_type: 'strategic', state: 'missed' })).toBe(1);
    expect(
      sample(text, 'switchboard_sla', { lead_type: 'strategic', state: 'open' }),
    ).toBeUndefined();
  });
});
