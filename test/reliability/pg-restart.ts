/**
 * Suite 2 (opt-in, full scale only): the machine's PostgreSQL is restarted mid-load with
 * `pg_ctlcluster --skip-systemctl-redirect <version> main restart`. Intake must answer 503 while
 * the database is down (the sender retries, as HubSpot does), recover without help, and afterwards
 * every lead must be routed once and written once. It restarts a server other test runs may share,
 * so the runner only runs it when asked by name (`--only=pg-restart`), never in `.ci/run`.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { HubSpotDouble } from '../helpers/hubspot-double.ts';
import {
  Children,
  createScratchDb,
  deliverAll,
  freePort,
  hubspotEvent,
  newSendStats,
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

const run = promisify(execFile);

export async function runPgRestart(opts: {
  leads: number;
  sendRate: number;
  drainMs: number;
  logDir: string;
}): Promise<SuiteResult> {
  const t0 = Date.now();
  const firstId = 7_500_000;
  const notes: string[] = [];
  const children = new Children();
  const double = await new HubSpotDouble().start();
  let db: ScratchDb | null = null;
  try {
    const version = readdirSync('/etc/postgresql').sort().at(-1);
    if (!version) throw new Error('no cluster under /etc/postgresql');
    seedHubSpot(double, opts.leads, firstId);
    db = await createScratchDb('pgrestart');
    const svc = await startService({
      children,
      port: await freePort(),
      env: serviceEnv(db, double),
      logFile: path.join(opts.logDir, 'pg-restart.log'),
    });
    const stats = newSendStats();
    const occurredAt = Date.now() - 1000;
    const sending = deliverAll({
      baseUrl: () => svc.baseUrl,
      count: opts.leads,
      concurrency: 4,
      stats,
      deadline: Date.now() + 180_000,
      ratePerSecond: opts.sendRate,
      bodies: (i) => JSON.stringify([hubspotEvent(firstId + i, 4_000_000 + i, occurredAt + i)]),
    });
    await sleep(Math.min(5000, (opts.leads / opts.sendRate) * 300));
    const r0 = Date.now();
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], {
      timeout: 120_000,
    });
    notes.push(`PostgreSQL ${version} restarted in ${((Date.now() - r0) / 1000).toFixed(1)} s`);
    await sending;
    const drained = await waitFor(
      async () => {
        const b = await backlog(db!);
        return b.inbox === 0 && b.outbox === 0;
      },
      { maxMs: opts.drainMs, everyMs: 500 },
    );
    svc.child.kill('SIGTERM');
    await Promise.race([svc.exited, sleep(8000)]);
    const routing = await routingOutcome(db, firstId, opts.leads);
    const crm = crmOutcome(double, firstId, opts.leads);
    notes.push(
      `sender: ${stats.status503} answers 503 and ${stats.connectionErrors} connection errors while the database was down; ${stats.unacked} deliveries never acknowledged`,
    );
    notes.push(
      `database: ${routing.routedOnce} routed once, inbox ${JSON.stringify(routing.outcomes)}; CRM ${crm.withOwner} owners, ${crm.tasks} tasks, ${crm.notes} notes${drained ? '' : ' (backlog not drained in time)'}`,
    );
    const lost = Math.max(routing.unrouted.length, crm.missing.length);
    const duplicated = Math.max(routing.multiRouted.length, crm.duplicated.length);
    return {
      suite: 'Postgres restart',
      load: `${opts.leads.toLocaleString('en-US')} signed HubSpot webhooks at ${opts.sendRate}/s`,
      faults: 'pg_ctlcluster restart mid-load',
      inputs: opts.leads,
      lost,
      duplicated,
      passed:
        lost === 0 &&
        duplicated === 0 &&
        stats.unacked === 0 &&
        stats.status503 + stats.connectionErrors > 0 &&
        Boolean(drained),
      notes,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await children.killAll();
    await double.stop();
    await db?.drop().catch(() => {});
  }
}
