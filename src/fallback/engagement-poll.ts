/**
 * The engagement poll: engagement no webhook reports (an e-mail opened or replied to, a call
 * logged) also cancels checkpoints before they fire. Every tick it claims a bounded batch of leads
 * that have pending timers and whose engagement nobody read within `intervalMs`, reads each one's
 * engagement through the CRM adapter (so its rate limiter paces the calls like any other) and
 * hands what it saw to cancelForEngagement.
 *
 * Safe with several instances on one database: the claim sets `leads.engagement_checked_at` in the
 * same statement that selects the leads (`for update skip locked`), so a lead is read once per
 * interval whoever polls. Correctness never depends on the poll: a checkpoint reads engagement
 * itself when it fires; the poll only spares the CRM writes of checkpoints that no longer apply.
 */
import { sql } from 'kysely';
import type { CrmPort } from '../adapters/crm-port.ts';
import type { Clock } from '../clock.ts';
import type { LeadCrmRef } from '../routing/lead.ts';
import { recordEngagement, type EngagementSignal } from './early-exit.ts';
import type { AnyDb, Timer } from './timer-store.ts';

export interface PolledLead {
  leadId: string;
  ref: LeadCrmRef;
  /** Engagement is read since the newest assignment among the lead's pending timers. */
  since: Date;
}

export type EngagementPollEvent =
  | { type: 'claimed'; count: number }
  | { type: 'cancelled'; leadId: string; timers: Timer[]; signal: EngagementSignal }
  | { type: 'failed'; leadId: string; error: string }
  | { type: 'error'; error: unknown };

export interface EngagementPollOptions {
  db: AnyDb;
  clock: Clock;
  crm: Pick<CrmPort, 'system' | 'readEngagement'>;
  /** ENGAGEMENT_POLL_MS: how stale a lead's last read may be; 0 disables the poll. */
  intervalMs: number;
  /**
   * Leads read per tick (default 50). Ticks come every min(intervalMs, 60 s), so one instance
   * reads at most 50 leads a minute: under 1 call/s of the CRM's allowance, leaving the rest for
   * routing writes and checkpoints.
   */
  batchSize?: number;
  /** Engagement reads of one batch in flight at once (default 2). */
  concurrency?: number;
  onEvent?: (e: EngagementPollEvent) => void;
}

export interface EngagementPoll {
  start(): void;
  /** Claims one batch, reads and cancels; resolves to the number of leads read. */
  runOnce(): Promise<number>;
  /**
   * Stops ticking and starting reads, and waits for the reads in flight up to `deadlineMs`
   * (default 10 s). Leads it claimed but did not read are read at their next interval.
   */
  stop(deadlineMs?: number): Promise<void>;
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const errorText = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).slice(0, 2_000);

/**
 * Claims up to `limit` leads with pending timers not checked since `now - intervalMs`, least
 * recently checked first, and marks them checked now, in one statement.
 */
export async function claimLeadsForEngagement(
  db: AnyDb,
  opts: { now: Date; intervalMs: number; limit: number },
): Promise<PolledLead[]> {
  const cutoff = new Date(opts.now.getTime() - opts.intervalMs);
  const res = await sql<{
    id: string | number;
    crm_system: LeadCrmRef['system'];
    crm_object: LeadCrmRef['object'];
    crm_id: string;
    tenant: string;
    since: Date | string | null;
  }>`
    with due as (
      select l.id from leads l
      where l.id in (select lead_id from timers where status = 'pending')
        and (l.engagement_checked_at is null or l.engagement_checked_at <= ${ts(cutoff)})
      order by l.engagement_checked_at nulls first, l.id
      limit ${opts.limit}
      for update of l skip locked
    )
    update leads l set engagement_checked_at = ${ts(opts.now)}
    from due where l.id = due.id
    returning l.id, l.crm_system, l.crm_object, l.crm_id, l.tenant,
      (select max(since) from timers t where t.lead_id = l.id and t.status = 'pending') as since`.execute(
    db,
  );
  return res.rows
    .filter((r) => r.since != null)
    .map((r) => ({
      leadId: String(r.id),
      ref: {
        system: r.crm_system,
        object: r.crm_object,
        id: r.crm_id,
        ...(r.tenant ? { tenant: r.tenant } : {}),
      },
      since: r.since instanceof Date ? r.since : new Date(r.since!),
    }));
}

export function createEngagementPoll(opts: EngagementPollOptions): EngagementPoll {
  const batchSize = opts.batchSize ?? 50;
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const tickMs = Math.min(opts.intervalMs, 60_000);
  const emit = (e: EngagementPollEvent) => opts.onEvent?.(e);
  let timer: NodeJS.Timeout | null = null;
  let round: Promise<unknown> | null = null;
  let stopped = true;
  let stopping = false;

  async function check(lead: PolledLead): Promise<void> {
    try {
      const e = await opts.crm.readEngagement(lead.ref, lead.since);
      // Everything the read saw happened at or after `since`: timers assigned later than that
      // (a reassignment meanwhile) are left alone by cancelForEngagement.
      const signal: EngagementSignal = {
        touched: e.touched,
        opened: e.opened,
        replied: e.replied,
        meetingBooked: e.meetingBooked,
        occurredAt: lead.since.toISOString(),
        source: `engagement poll (${opts.crm.system}${e.evidence.length ? `: ${e.evidence.join('; ')}` : ''})`,
      };
      const r = await recordEngagement(opts.db, lead.leadId, signal, opts.clock.now());
      if (r.cancelled.length > 0)
        emit({
          type: 'cancelled',
          leadId: lead.leadId,
          timers: r.cancelled.map((c) => c.timer),
          signal,
        });
    } catch (err) {
      // Read again at the next interval; the checkpoint reads for itself when it fires anyway.
      emit({ type: 'failed', leadId: lead.leadId, error: errorText(err) });
    }
  }

  async function runOnce(): Promise<number> {
    if (opts.intervalMs <= 0 || stopping) return 0;
    const leads = await claimLeadsForEngagement(opts.db, {
      now: opts.clock.now(),
      intervalMs: opts.intervalMs,
      limit: batchSize,
    });
    if (leads.length === 0) return 0;
    emit({ type: 'claimed', count: leads.length });
    let next = 0;
    const lane = async () => {
      while (next < leads.length && !stopping) await check(leads[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, leads.length) }, lane));
    return leads.length;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      round = runOnce()
        .catch((error: unknown) => emit({ type: 'error', error }))
        .finally(() => {
          round = null;
          schedule();
        });
    }, tickMs);
    timer.unref();
  }

  return {
    start() {
      if (opts.intervalMs <= 0 || !stopped) return;
      stopped = false;
      stopping = false;
      schedule();
    },
    runOnce,
    async stop(deadlineMs = 10_000) {
      stopped = true;
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (!round) return;
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
      await Promise.race([round, deadline]);
    },
  };
}
