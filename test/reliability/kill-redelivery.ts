/**
 * Suite 1: signed HubSpot webhooks, 10 % of them redelivered (same event, next attemptNumber, new
 * signature), while the service — a real child process on a fresh Postgres database, CRM=hubspot
 * pointed at the local HubSpot double — is SIGKILLed and restarted. Afterwards every lead must be
 * routed exactly once and the double must hold one owner change, one task and one note per lead.
 */
import path from 'node:path';
import { HubSpotDouble } from '../helpers/hubspot-double.ts';
import {
  ageLocksOfDeadProcess,
  Children,
  createScratchDb,
  deliverAll,
  freePort,
  hubspotEvent,
  newSendStats,
  one,
  PUBLIC_URL,
  sigkill,
  startService,
  waitFor,
  WEBHOOK_SECRET,
  type ScratchDb,
  type SendStats,
  type ServiceProcess,
} from './harness.ts';
import { anyCrmWrites, crmOutcome, type CrmOutcome } from './crm-check.ts';

export const HUBSPOT_OWNERS = Array.from({ length: 11 }, (_, i) => String(51234567 + i));

export interface SuiteResult {
  suite: string;
  load: string;
  faults: string;
  inputs: number;
  lost: number;
  duplicated: number;
  passed: boolean;
  /** What was checked, what could not be, and why. */
  notes: string[];
  seconds: number;
}

export function seedHubSpot(double: HubSpotDouble, contacts: number, firstId: number): void {
  HUBSPOT_OWNERS.forEach((id, i) => double.addOwner(id, `owner.${i}@example.com`));
  const industries = ['Software', 'Manufacturing', 'Healthcare', 'Retail', 'Finance'];
  const countries = ['US', 'DE', 'GB', 'FR', 'JP', 'BR'];
  // 97 companies of every size band, so leads fall into every lead type (some with fallback plans).
  const sizes = [20, 60, 150, 400, 1200];
  for (let k = 0; k < 97; k++)
    double.addCompany(String(9_000_000 + k), {
      name: `Company ${k}`,
      domain: `company${k}.example.com`,
      numberofemployees: String(sizes[k % sizes.length]),
      industry: industries[k % industries.length]!,
    });
  for (let i = 0; i < contacts; i++) {
    double.addContact(
      String(firstId + i),
      {
        email: `lead${i}@company${i % 97}.example.com`,
        firstname: `Lead${i}`,
        lastname: 'Reliability',
        company: `Company ${i % 97}`,
        jobtitle: i % 3 === 0 ? 'VP Operations' : 'Engineer',
        industry: industries[i % industries.length]!,
        country: countries[i % countries.length]!,
        numemployees: String(10 + ((i * 37) % 5000)),
        createdate: new Date(Date.now() - 60_000).toISOString(),
      },
      [String(9_000_000 + (i % 97))],
    );
  }
}

/** Env of a service instance talking to `double`, on `db`. */
export function serviceEnv(
  db: ScratchDb,
  double: HubSpotDouble,
  extra: Record<string, string> = {},
) {
  return {
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: '8',
    CRM: 'hubspot',
    HUBSPOT_ACCESS_TOKEN: 'test-token',
    HUBSPOT_BASE_URL: double.baseUrl,
    HUBSPOT_CLIENT_SECRET: WEBHOOK_SECRET,
    PUBLIC_URL,
    INTAKE_TOKEN: 'reliability-intake',
    ADMIN_TOKEN: 'reliability-admin',
    // Rate limiting is suite 3's subject; here the double answers at once and the limit is high.
    CRM_RATE_LIMIT_MAX: '100000',
    CRM_RATE_LIMIT_INTERVAL_MS: '1000',
    WORKER_POLL_MS: '200',
    OUTBOX_POLL_MS: '200',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...extra,
  };
}

/** Rows still to do in the inbox and the outbox (null when a table is missing). */
export async function backlog(db: ScratchDb): Promise<{ inbox: number; outbox: number }> {
  const r = await one<{ inbox: string; outbox: string }>(
    db.pool,
    `select (select count(*) from inbox where status in ('pending','in_flight')) as inbox,
            (select count(*) from crm_writes where status in ('pending','in_flight')) as outbox`,
  );
  return { inbox: Number(r.inbox), outbox: Number(r.outbox) };
}

export interface RoutingOutcome {
  leads: number;
  routedOnce: number;
  unrouted: string[];
  multiRouted: string[];
  inboxRows: number;
  inboxByStatus: Record<string, number>;
  outcomes: Record<string, number>;
  writesByStatus: Record<string, number>;
}

/** What the database says about contacts firstId..firstId+n-1. */
export async function routingOutcome(
  db: ScratchDb,
  firstId: number,
  n: number,
): Promise<RoutingOutcome> {
  const per = await db.pool.query<{ crm_id: string; decisions: string }>(
    `select l.crm_id, count(d.id) as decisions from leads l left join decisions d on d.lead_id = l.id
     where l.crm_system = 'hubspot' group by l.crm_id`,
  );
  const byId = new Map(per.rows.map((r) => [r.crm_id, Number(r.decisions)]));
  const unrouted: string[] = [];
  const multi: string[] = [];
  let once = 0;
  for (let i = 0; i < n; i++) {
    const d = byId.get(String(firstId + i)) ?? 0;
    if (d === 0) unrouted.push(String(firstId + i));
    else if (d > 1) multi.push(String(firstId + i));
    else once++;
  }
  const group = async (q: string) =>
    Object.fromEntries(
      (await db.pool.query<{ k: string; n: string }>(q)).rows.map((r) => [
        r.k ?? 'null',
        Number(r.n),
      ]),
    );
  return {
    leads: per.rowCount ?? 0,
    routedOnce: once,
    unrouted,
    multiRouted: multi,
    inboxRows: Number((await one<{ n: string }>(db.pool, 'select count(*) as n from inbox')).n),
    inboxByStatus: await group('select status as k, count(*) as n from inbox group by status'),
    outcomes: await group('select outcome as k, count(*) as n from inbox group by outcome'),
    writesByStatus: await group(
      'select status as k, count(*) as n from crm_writes group by status',
    ),
  };
}

export async function runKillRedelivery(opts: {
  leads: number;
  kills: number;
  logDir: string;
  drainMs: number;
  deadlineMs: number;
}): Promise<SuiteResult & { stats: SendStats; routing?: RoutingOutcome; crm?: CrmOutcome }> {
  const t0 = Date.now();
  const firstId = 5_000_000;
  const redeliveries = Math.round(opts.leads / 10);
  const notes: string[] = [];
  const children = new Children();
  const double = await new HubSpotDouble().start();
  let db: ScratchDb | null = null;
  const stats = newSendStats();
  try {
    seedHubSpot(double, opts.leads, firstId);
    db = await createScratchDb('kill');
    const port = await freePort();
    const env = serviceEnv(db, double);
    const logFile = path.join(opts.logDir, 'kill-redelivery.log');
    let svc: ServiceProcess = await startService({ children, port, env, logFile });

    // The schedule: every lead once, and every 10th lead again 25 deliveries later (HubSpot's
    // retry of a delivery it thinks failed: same event, attemptNumber 1, fresh signature).
    const occurredAt = Date.now() - 1000;
    const schedule: Array<{ lead: number; attempt: number }> = [];
    const pendingRedeliveries: Array<{ at: number; lead: number }> = [];
    for (let i = 0; i < opts.leads; i++) {
      schedule.push({ lead: i, attempt: 0 });
      if (i % 10 === 0) pendingRedeliveries.push({ at: i + 25, lead: i });
      while (pendingRedeliveries.length && pendingRedeliveries[0]!.at <= i) {
        schedule.push({ lead: pendingRedeliveries.shift()!.lead, attempt: 1 });
      }
    }
    for (const p of pendingRedeliveries) schedule.push({ lead: p.lead, attempt: 1 });
    const total = schedule.length;

    // SIGKILL + restart when the acknowledged count crosses each threshold.
    const thresholds = Array.from({ length: opts.kills }, (_, k) =>
      Math.floor(((k + 1) * total) / (opts.kills + 1)),
    );
    let delivered = 0;
    let kills = 0;
    let restarting: Promise<void> | null = null;
    let aged = 0;
    const restartMs: number[] = [];
    const killAndRestart = async () => {
      const dead = svc;
      const k0 = Date.now();
      await sigkill(dead);
      kills++;
      aged += await ageLocksOfDeadProcess(db!.pool, dead.pid);
      svc = await startService({ children, port, env, logFile });
      restartMs.push(Date.now() - k0);
    };
    const sendStart = Date.now();
    const deadline = Date.now() + opts.deadlineMs;
    await deliverAll({
      baseUrl: () => svc.baseUrl,
      count: total,
      concurrency: 8,
      stats,
      deadline,
      bodies: (i) => {
        const s = schedule[i]!;
        const e = hubspotEvent(firstId + s.lead, 1_000_000 + s.lead, occurredAt + s.lead);
        return JSON.stringify([{ ...e, attemptNumber: s.attempt }]);
      },
      onDelivered: async () => {
        delivered++;
        if (!restarting && thresholds.length && delivered >= thresholds[0]!) {
          thresholds.shift();
          restarting = killAndRestart().finally(() => (restarting = null));
        }
      },
    });
    if (restarting) await restarting;
    const sendSeconds = (Date.now() - sendStart) / 1000;
    notes.push(
      `send phase ${sendSeconds.toFixed(1)} s; restarts took ${restartMs.map((m) => (m / 1000).toFixed(1)).join(', ')} s (SIGKILL to healthy)`,
    );
    notes.push(
      `${kills} SIGKILLs; ${aged} locks of killed processes aged past the stale threshold so the restart's sweep reclaims them at once (production waits the 300 s threshold)`,
    );

    // Let the service finish: inbox and outbox empty (or the drain budget spent). An outbox that
    // never moves while the double sees no writes means the service does not run it: stop early.
    const drainStart = Date.now();
    let stuckSince = Date.now();
    let lastOutbox = -1;
    const drained = await waitFor(
      async () => {
        const b = await backlog(db!);
        if (b.outbox !== lastOutbox) {
          lastOutbox = b.outbox;
          stuckSince = Date.now();
        }
        const noWriter = b.inbox === 0 && Date.now() - stuckSince > 15_000 && !anyCrmWrites(double);
        return (b.inbox === 0 && b.outbox === 0) || noWriter;
      },
      { maxMs: opts.drainMs, everyMs: 500 },
    );
    notes.push(`drain after sending: ${((Date.now() - drainStart) / 1000).toFixed(1)} s`);
    if (!drained)
      notes.push(`backlog after ${opts.drainMs / 1000} s: ${JSON.stringify(await backlog(db))}`);
    svc.child.kill('SIGTERM');
    await Promise.race([svc.exited, new Promise((r) => setTimeout(r, 8000))]);

    const routing = await routingOutcome(db, firstId, opts.leads);
    const crm = crmOutcome(double, firstId, opts.leads);
    let lost = routing.unrouted.length;
    let duplicated = routing.multiRouted.length;
    if (crm.writesSeen) {
      lost = Math.max(lost, crm.missing.length);
      duplicated = Math.max(duplicated, crm.duplicated.length);
      notes.push(
        `CRM double: ${crm.withOwner} owners set, ${crm.tasks} tasks, ${crm.notes} notes for ${opts.leads} contacts; ${crm.ownerWrites} owner writes (${crm.ownerWrites - crm.ownerChanges} idempotent repeats), ${crm.requests} requests`,
      );
    } else {
      notes.push(
        `CRM writes NOT MEASURED: the double received no owner/task/note writes (crm_writes by status: ${JSON.stringify(routing.writesByStatus)}); the service does not run the outbox yet`,
      );
    }
    if (stats.unacked) notes.push(`${stats.unacked} deliveries never acknowledged`);
    notes.push(
      `sender: ${stats.attempts} attempts for ${total} deliveries, ${stats.connectionErrors} connection errors, ${stats.status5xx} 5xx, ${stats.status4xx} 4xx`,
    );
    notes.push(
      `database: ${routing.leads} leads, ${routing.routedOnce} routed once, inbox ${routing.inboxRows} rows ${JSON.stringify(routing.outcomes)}`,
    );
    if (routing.unrouted.length)
      notes.push(`unrouted e.g. ${routing.unrouted.slice(0, 5).join(', ')}`);
    if (routing.multiRouted.length)
      notes.push(`routed twice e.g. ${routing.multiRouted.slice(0, 5).join(', ')}`);
    if (crm.missing.length)
      notes.push(`incomplete in CRM e.g. ${crm.missing.slice(0, 5).join(', ')}`);
    if (crm.duplicated.length)
      notes.push(`duplicated in CRM e.g. ${crm.duplicated.slice(0, 5).join(', ')}`);
    const passed =
      lost === 0 &&
      duplicated === 0 &&
      stats.unacked === 0 &&
      kills === opts.kills &&
      routing.inboxRows === opts.leads;
    return {
      suite: 'SIGKILL + redelivery',
      load: `${opts.leads.toLocaleString('en-US')} signed HubSpot webhooks + ${redeliveries.toLocaleString('en-US')} redelivered`,
      faults: `${kills}× SIGKILL + restart`,
      inputs: total,
      lost,
      duplicated,
      passed,
      notes,
      seconds: (Date.now() - t0) / 1000,
      stats,
      routing,
      crm,
    };
  } finally {
    await children.killAll();
    await double.stop();
    await db?.drop().catch(() => {});
  }
}
