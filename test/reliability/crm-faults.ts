/**
 * Suite 3: the HubSpot double answers 30 % of requests with 429/503 + Retry-After and goes fully
 * down for a while in the middle of the load. Afterwards everything must be written exactly once,
 * the configured client-side rate must hold in every sliding window (the double timestamps every
 * request it receives, faulted ones included), and the failures must have been visible while they
 * lasted (rows retrying with their error in the database).
 */
import { readFileSync } from 'node:fs';
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
import { anyCrmWrites, crmOutcome } from './crm-check.ts';
import {
  backlog,
  routingOutcome,
  seedHubSpot,
  serviceEnv,
  type SuiteResult,
} from './kill-redelivery.ts';

/** Largest number of timestamps inside any window [t, t + windowMs). */
export function maxInWindow(times: number[], windowMs: number): { max: number; at: number } {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let at = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= windowMs) j++;
    if (i - j + 1 > best) {
      best = i - j + 1;
      at = t[j]!;
    }
  }
  return { max: best, at };
}

interface Visibility {
  samples: number;
  maxRetryingWrites: number;
  maxRetryingEvents: number;
  sampleError: string | null;
}

async function sampleFailures(db: ScratchDb, v: Visibility): Promise<void> {
  const r = await one<{ w: string; e: string; err: string | null }>(
    db.pool,
    `select (select count(*) from crm_writes where status <> 'done' and last_error is not null) as w,
            (select count(*) from inbox where status <> 'done' and last_error is not null) as e,
            coalesce((select last_error from crm_writes where last_error is not null and status <> 'done' limit 1),
                     (select last_error from inbox where last_error is not null and status <> 'done' limit 1)) as err`,
  );
  v.samples++;
  v.maxRetryingWrites = Math.max(v.maxRetryingWrites, Number(r.w));
  v.maxRetryingEvents = Math.max(v.maxRetryingEvents, Number(r.e));
  if (!v.sampleError && r.err) v.sampleError = r.err.slice(0, 160);
}

export async function runCrmFaults(opts: {
  leads: number;
  sendRate: number;
  faultRate: number;
  outageMs: number;
  rateMax: number;
  rateIntervalMs: number;
  drainMs: number;
  logDir: string;
}): Promise<SuiteResult> {
  const t0 = Date.now();
  const firstId = 6_000_000;
  const notes: string[] = [];
  const children = new Children();
  const double = await new HubSpotDouble().start();
  let db: ScratchDb | null = null;
  try {
    seedHubSpot(double, opts.leads, firstId);
    db = await createScratchDb('faults');
    const port = await freePort();
    const env = serviceEnv(db, double, {
      CRM_RATE_LIMIT_MAX: String(opts.rateMax),
      CRM_RATE_LIMIT_INTERVAL_MS: String(opts.rateIntervalMs),
      LOG_LEVEL: 'warn',
    });
    const logFile = path.join(opts.logDir, 'crm-faults.log');
    const svc = await startService({ children, port, env, logFile });
    // Faults start once the service is up (its start-up owner check is not the subject).
    double.randomFaults(opts.faultRate, 1127, '1');
    const stats = newSendStats();
    const vis: Visibility = {
      samples: 0,
      maxRetryingWrites: 0,
      maxRetryingEvents: 0,
      sampleError: null,
    };
    const occurredAt = Date.now() - 1000;
    const sending = deliverAll({
      baseUrl: () => svc.baseUrl,
      count: opts.leads,
      concurrency: 4,
      stats,
      deadline: Date.now() + 120_000,
      ratePerSecond: opts.sendRate,
      bodies: (i) => JSON.stringify([hubspotEvent(firstId + i, 2_000_000 + i, occurredAt + i)]),
    });
    // Failures are sampled for the whole run (they surface as rows with last_error once the
    // adapter's in-call retries give up, and as warn lines in the log at once).
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 3600; i++) {
        await sampleFailures(db!, vis).catch(() => {});
        await sleep(1000);
      }
    })();
    // The outage: a third of the way in, the CRM answers 503 to everything.
    await sleep(Math.min(3000, (opts.leads / opts.sendRate) * 300));
    double.outage = true;
    await sleep(opts.outageMs);
    double.outage = false;
    await sending;

    const drainStart = Date.now();
    let stuckSince = Date.now();
    let last = '';
    const drained = await waitFor(
      async () => {
        const b = await backlog(db!);
        const k = JSON.stringify(b);
        if (k !== last) {
          last = k;
          stuckSince = Date.now();
        }
        if (b.inbox === 0 && Date.now() - stuckSince > 20_000 && !anyCrmWrites(double)) return true; // nothing performs the outbox: stop waiting
        return b.inbox === 0 && b.outbox === 0;
      },
      { maxMs: opts.drainMs, everyMs: 500 },
    );
    notes.push(
      `drain after the outage and sending: ${((Date.now() - drainStart) / 1000).toFixed(1)} s${drained ? '' : ` (budget spent; backlog ${JSON.stringify(await backlog(db))})`}`,
    );
    sampling = false;
    await sampler;
    double.fault = undefined;
    svc.child.kill('SIGTERM');
    await Promise.race([svc.exited, sleep(8000)]);

    const routing = await routingOutcome(db, firstId, opts.leads);
    const crm = crmOutcome(double, firstId, opts.leads);
    // The limiter admits a call when fewer than max calls *started* in the last interval; the
    // double timestamps on arrival, after reading the body, so loopback scheduling jitter of a few
    // ms can move two calls closer together. Pass/fail uses windows JITTER_MS shorter; the strict
    // figure is reported beside it.
    const JITTER_MS = 25;
    const times = double.requests.map((r) => r.at);
    const strict = maxInWindow(times, opts.rateIntervalMs);
    const window = maxInWindow(times, opts.rateIntervalMs - JITTER_MS);
    const rateOk = window.max <= opts.rateMax;
    notes.push(
      `rate: at most ${window.max} requests in any ${opts.rateIntervalMs - JITTER_MS} ms window and ${strict.max} in any ${opts.rateIntervalMs} ms window (configured ${opts.rateMax} per ${opts.rateIntervalMs} ms; ${JITTER_MS} ms allowed for arrival jitter) over ${times.length} requests${rateOk ? '' : ` — EXCEEDED at ${new Date(window.at).toISOString()}`}`,
    );
    notes.push(
      `sender: ${stats.attempts} attempts for ${opts.leads} deliveries, ${stats.status5xx} 5xx, ${stats.connectionErrors} connection errors`,
    );
    notes.push(
      `database: ${routing.routedOnce} routed once, inbox ${JSON.stringify(routing.inboxByStatus)} ${JSON.stringify(routing.outcomes)}, CRM writes ${JSON.stringify(routing.writesByStatus)}`,
    );
    let lost = routing.unrouted.length;
    let duplicated = routing.multiRouted.length;
    if (crm.writesSeen) {
      lost = Math.max(lost, crm.missing.length);
      duplicated = Math.max(duplicated, crm.duplicated.length);
      notes.push(
        `CRM double: ${crm.withOwner} owners, ${crm.tasks} tasks, ${crm.notes} notes for ${opts.leads} contacts; ${crm.ownerWrites} owner writes incl. retries`,
      );
      if (crm.missing.length) notes.push(`incomplete e.g. ${crm.missing.slice(0, 5).join(', ')}`);
      if (crm.duplicated.length)
        notes.push(`duplicated e.g. ${crm.duplicated.slice(0, 5).join(', ')}`);
    } else {
      notes.push(
        'CRM writes NOT MEASURED: the double received no owner/task/note writes; the service does not run the outbox yet',
      );
    }
    const log = readFileSync(logFile, 'utf8');
    const warnLines = (log.match(/"msg":"CRM call failed; retrying"/g) ?? []).length;
    notes.push(
      `failures visible while they lasted: ${warnLines} "CRM call failed; retrying" warn lines; up to ${vis.maxRetryingWrites} CRM writes and ${vis.maxRetryingEvents} inbox events waiting with their error recorded (e.g. "${vis.sampleError ?? 'none'}")`,
    );
    const visible = warnLines > 0 || vis.maxRetryingWrites + vis.maxRetryingEvents > 0;
    return {
      suite: 'CRM faults + outage',
      load: `${opts.leads.toLocaleString('en-US')} signed HubSpot webhooks at ${opts.sendRate}/s`,
      faults: `${Math.round(opts.faultRate * 100)} % 429/503 with Retry-After, ${Math.round(opts.outageMs / 1000)} s full outage; limit ${opts.rateMax}/${opts.rateIntervalMs} ms`,
      inputs: opts.leads,
      lost,
      duplicated,
      passed:
        lost === 0 &&
        duplicated === 0 &&
        rateOk &&
        visible &&
        stats.unacked === 0 &&
        crm.writesSeen &&
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
