/**
 * Suite 4: two service processes on one database. Webhooks alternate between them (two inbox
 * workers and two outbox runners compete), then every fallback checkpoint the decisions scheduled
 * is made due at once (run_at backdated, as graphile-worker's tests do) and both pollers race for
 * them. Every lead must be routed once and every checkpoint fired exactly once.
 */
import path from 'node:path';
import { HubSpotDouble } from '../helpers/hubspot-double.ts';
import {
  Children,
  createScratchDb,
  deliverAll,
  freePort,
  hubspotEvent,
  newSendStats,
  one,
  sleep,
  startService,
  waitFor,
  type ScratchDb,
} from './harness.ts';
import { crmOutcome } from './crm-check.ts';
import {
  backlog,
  routingOutcome,
  seedHubSpot,
  serviceEnv,
  type SuiteResult,
} from './kill-redelivery.ts';

export async function runTwoInstances(opts: {
  leads: number;
  drainMs: number;
  logDir: string;
}): Promise<SuiteResult> {
  const t0 = Date.now();
  const firstId = 7_000_000;
  const notes: string[] = [];
  const children = new Children();
  const double = await new HubSpotDouble().start();
  let db: ScratchDb | null = null;
  try {
    seedHubSpot(double, opts.leads, firstId);
    db = await createScratchDb('two');
    const env = serviceEnv(db, double);
    const a = await startService({
      children,
      port: await freePort(),
      env,
      logFile: path.join(opts.logDir, 'two-instances-a.log'),
    });
    const b = await startService({
      children,
      port: await freePort(),
      env,
      logFile: path.join(opts.logDir, 'two-instances-b.log'),
    });
    const stats = newSendStats();
    const occurredAt = Date.now() - 1000;
    let n = 0;
    await deliverAll({
      baseUrl: () => (n++ % 2 === 0 ? a.baseUrl : b.baseUrl),
      count: opts.leads,
      concurrency: 8,
      stats,
      deadline: Date.now() + 120_000,
      bodies: (i) => JSON.stringify([hubspotEvent(firstId + i, 3_000_000 + i, occurredAt + i)]),
    });
    await waitFor(
      async () => {
        const bl = await backlog(db!);
        return bl.inbox === 0 && bl.outbox === 0;
      },
      { maxMs: opts.drainMs, everyMs: 500 },
    );
    const routing = await routingOutcome(db, firstId, opts.leads);
    // Make every pending checkpoint due now; both pollers race for them.
    const due = await db.pool.query<{ id: string }>(
      `update timers set run_at = now() - interval '1 second' where status = 'pending' returning id`,
    );
    const ids = due.rows.map((r) => r.id);
    await db.pool.query(`select pg_notify('timers', '')`).catch(() => {});
    let settled = ids.length === 0;
    if (ids.length) {
      settled = Boolean(
        await waitFor(
          async () => {
            const r = await one<{ n: string }>(
              db!.pool,
              `select count(*) as n from timers where id = any($1::bigint[]) and (status = 'pending' or locked_at is not null)`,
              [ids],
            );
            return Number(r.n) === 0;
          },
          { maxMs: opts.drainMs, everyMs: 500 },
        ),
      );
    }
    await sleep(1000);
    const fired = await db.pool.query<{ timer_id: string; kind: string; n: string }>(
      `select timer_id, kind, count(*) as n from fallback_events
       where timer_id = any($1::bigint[]) group by timer_id, kind`,
      [ids],
    );
    const firedPer = new Map<string, number>();
    for (const r of fired.rows)
      if (r.kind === 'fired')
        firedPer.set(r.timer_id, (firedPer.get(r.timer_id) ?? 0) + Number(r.n));
    const statuses = await db.pool.query<{ status: string; n: string }>(
      `select status, count(*) as n from timers where id = any($1::bigint[]) group by status`,
      [ids],
    );
    const byStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, Number(r.n)]));
    const timersTwice = [...firedPer.values()].filter((v) => v > 1).length;
    const unsettled = byStatus.pending ?? 0;
    // Let the outbox finish what the firings queued, then read the CRM.
    await waitFor(async () => (await backlog(db!)).outbox === 0, {
      maxMs: opts.drainMs,
      everyMs: 500,
    });
    const crm = crmOutcome(double, firstId, opts.leads);
    for (const svc of [a, b]) svc.child.kill('SIGTERM');
    await Promise.race([Promise.all([a.exited, b.exited]), sleep(8000)]);

    notes.push(
      `routing: ${routing.routedOnce} of ${opts.leads} routed once by two instances, ${routing.multiRouted.length} twice; inbox ${JSON.stringify(routing.outcomes)}; CRM writes ${JSON.stringify(routing.writesByStatus)}`,
    );
    notes.push(
      ids.length
        ? `checkpoints: ${ids.length} made due at once; after the race ${JSON.stringify(byStatus)}; ${firedPer.size} with a fired event, ${timersTwice} fired more than once${settled ? '' : ' (NOT all settled in time)'}`
        : 'checkpoints: NOT MEASURED — the decisions scheduled no fallback timers',
    );
    notes.push(
      `CRM double: ${crm.tasks} tasks, ${crm.notes} notes for ${opts.leads} contacts (routing writes plus what the fired checkpoints did: reassignments, escalations, follow-up tasks); ${crm.missing.length} contacts without their routing owner/task/note`,
    );
    const lost = routing.unrouted.length + unsettled;
    const duplicated = routing.multiRouted.length + timersTwice;
    return {
      suite: 'two instances, pollers',
      load: `${opts.leads.toLocaleString('en-US')} webhooks alternating between 2 service processes; ${ids.length} checkpoints due at once`,
      faults: 'two workers, two outbox runners and two pollers on one database',
      inputs: opts.leads + ids.length,
      lost,
      duplicated,
      passed: lost === 0 && duplicated === 0 && settled && ids.length > 0 && stats.unacked === 0,
      notes,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await children.killAll();
    await double.stop();
    await db?.drop().catch(() => {});
  }
}
