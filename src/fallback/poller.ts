/**
 * The timer poller: claims due timers in batches and fires them. Safe with any number of instances
 * on one Postgres (claims use SKIP LOCKED; completion is guarded by locked_by and status).
 *
 * Scheduling is a setTimeout chain, never setInterval: after a full batch it goes again at once;
 * otherwise it sleeps until the next timer is due, capped at `maxIdleMs` so a timer inserted by
 * another instance whose NOTIFY was lost is still picked up. LISTEN/NOTIFY and nudge() only make
 * it faster; correctness never depends on them (graphile-worker's rule).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import {
  claimTimers,
  completeTimers,
  failTimer,
  nextDueAt,
  releaseTimers,
  resetStaleLocks,
  type AnyDb,
  type Timer,
} from './timer-store.ts';

/**
 * Something that calls `onNotify` when another process scheduled timers (NOTIFY `timers`), with
 * the earliest new due time when the NOTIFY said (epoch ms), without it when unknown.
 */
export interface TimerListener {
  start(onNotify: (dueAtMs?: number) => void): Promise<void>;
  stop(): Promise<void>;
}

export interface FireContext {
  workerId: string;
  clock: Clock;
}

/**
 * Fires one claimed timer. Either it completes the timer itself (completeTimer in the transaction
 * that performs its actions) and returns nothing, or, when it had nothing to write, it returns
 * `{ complete: outcome }` and the poller completes all such timers of the batch in one statement.
 * If it throws, the poller records the failure and the timer is retried with backoff, then parked.
 */
export type FireTimer = (timer: Timer, ctx: FireContext) => Promise<void | { complete: unknown }>;

export type PollerEvent =
  | { type: 'claimed'; count: number }
  | { type: 'fired'; timer: Timer }
  | { type: 'failed'; timer: Timer; error: string; status: 'pending' | 'parked' | null }
  | { type: 'swept'; count: number }
  | { type: 'idle'; sleepMs: number }
  | { type: 'error'; error: unknown };

export interface PollerOptions {
  db: AnyDb;
  clock: Clock;
  fire: FireTimer;
  /** Default `${hostname}:${pid}:${random}`. */
  workerId?: string;
  /** Timers claimed per statement (default 100). */
  batchSize?: number;
  /** Timers of one batch fired at the same time; engagement reads are network calls (default 10). */
  concurrency?: number;
  /** Longest sleep when idle (default 5 s): the bound on latency if a NOTIFY is lost. */
  maxIdleMs?: number;
  /** A lock older than this is considered abandoned (default 5 min; CRM calls time out in seconds). */
  staleLockMs?: number;
  /** How often to sweep stale locks (default 60 s, jittered up to +50 % so instances spread out). */
  sweepEveryMs?: number;
  listener?: TimerListener;
  onEvent?: (e: PollerEvent) => void;
}

export interface Poller {
  readonly workerId: string;
  start(): Promise<void>;
  /**
   * New timers: wake by `dueAtMs` (epoch ms on the poller's clock), or now when it is not given.
   * A poller already waking by then stays asleep (called on NOTIFY, or in-process).
   */
  nudge(dueAtMs?: number): void;
  /** Claims one batch and fires it; resolves to the number claimed. */
  runOnce(): Promise<number>;
  /** Runs batches until none are due. For tests, replays and the bench. */
  drain(): Promise<number>;
  /**
   * Stops claiming, lets in-flight firings finish (up to `deadlineMs`, default 10 s) and hands back
   * claimed timers that had not started. Anything still running after the deadline is left to the
   * stale-lock sweep of another instance.
   */
  stop(opts?: { deadlineMs?: number }): Promise<void>;
}

const errorText = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).slice(0, 2_000);

export function createPoller(opts: PollerOptions): Poller {
  const workerId =
    opts.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const batchSize = opts.batchSize ?? 100;
  const concurrency = Math.max(1, opts.concurrency ?? 10);
  const maxIdleMs = opts.maxIdleMs ?? 5_000;
  const sweepEveryMs = opts.sweepEveryMs ?? 60_000;
  const emit = (e: PollerEvent) => opts.onEvent?.(e);
  const ctx: FireContext = { workerId, clock: opts.clock };

  let running = false;
  let stopping = false;
  /** The sleep in progress and when it ends (clock ms); null when not sleeping. */
  let sleeping: { timeout: NodeJS.Timeout; wakeAt: number } | null = null;
  let round: Promise<void> | null = null;
  let again = false;
  /** Earliest due time announced during a round, applied to the sleep that follows it. */
  let pendingDue: number | null = null;
  let nextSweepAt = 0;
  const unstarted = new Set<string>();

  async function fireOne(timer: Timer, deferred: Array<{ timer: Timer; outcome: unknown }>) {
    try {
      const r = await opts.fire(timer, ctx);
      if (r && 'complete' in r) deferred.push({ timer, outcome: r.complete });
      else emit({ type: 'fired', timer });
    } catch (err) {
      const error = errorText(err);
      const status = await failTimer(opts.db, {
        id: timer.id,
        workerId,
        now: opts.clock.now(),
        error,
      });
      emit({ type: 'failed', timer, error, status });
    }
  }

  async function runBatch(timers: Timer[]): Promise<void> {
    for (const t of timers) unstarted.add(t.id);
    const deferred: Array<{ timer: Timer; outcome: unknown }> = [];
    let next = 0;
    const lane = async () => {
      while (next < timers.length && !stopping) {
        const timer = timers[next++]!;
        unstarted.delete(timer.id);
        await fireOne(timer, deferred);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, timers.length) }, lane));
    if (deferred.length > 0) {
      const done = new Set(
        await completeTimers(opts.db, {
          workerId,
          now: opts.clock.now(),
          items: deferred.map((d) => ({ id: d.timer.id, outcome: d.outcome })),
        }),
      );
      for (const d of deferred) if (done.has(d.timer.id)) emit({ type: 'fired', timer: d.timer });
    }
    if (unstarted.size > 0) {
      await releaseTimers(opts.db, workerId, [...unstarted]);
      unstarted.clear();
    }
  }

  async function maybeSweep(): Promise<void> {
    const now = opts.clock.now();
    if (now.getTime() < nextSweepAt) return;
    nextSweepAt = now.getTime() + sweepEveryMs * (1 + Math.random() / 2);
    const count = await resetStaleLocks(opts.db, { now, olderThanMs: opts.staleLockMs });
    if (count > 0) emit({ type: 'swept', count });
  }

  async function runOnce(): Promise<number> {
    if (stopping) return 0;
    const timers = await claimTimers(opts.db, {
      workerId,
      now: opts.clock.now(),
      limit: batchSize,
    });
    if (timers.length > 0) {
      emit({ type: 'claimed', count: timers.length });
      await runBatch(timers);
    }
    return timers.length;
  }

  function schedule(ms: number): void {
    if (!running || stopping) return;
    const wakeAt = opts.clock.now().getTime() + ms;
    const timeout = setTimeout(() => {
      sleeping = null;
      round = tick().finally(() => {
        round = null;
      });
    }, ms);
    sleeping = { timeout, wakeAt };
  }

  async function tick(): Promise<void> {
    let delay = maxIdleMs;
    try {
      again = false;
      pendingDue = null;
      await maybeSweep();
      const n = await runOnce();
      if (n >= batchSize || again) delay = 0;
      else {
        const due = await nextDueAt(opts.db);
        delay =
          due == null
            ? maxIdleMs
            : Math.min(maxIdleMs, Math.max(0, due.getTime() - opts.clock.now().getTime()));
        if (delay > 0) emit({ type: 'idle', sleepMs: delay });
      }
    } catch (err) {
      // A database hiccup: log and try again after the idle period rather than spin.
      emit({ type: 'error', error: err });
    }
    if (pendingDue !== null) {
      delay = Math.min(delay, Math.max(0, pendingDue - opts.clock.now().getTime()));
      pendingDue = null;
    }
    schedule(delay);
  }

  return {
    workerId,
    async start() {
      if (running) return;
      running = true;
      stopping = false;
      await opts.listener?.start((dueAtMs) => this.nudge(dueAtMs));
      schedule(0);
    },
    nudge(dueAtMs?: number) {
      if (!running || stopping) return;
      if (sleeping) {
        const wait = dueAtMs === undefined ? 0 : dueAtMs - opts.clock.now().getTime();
        if (wait > 0 && sleeping.wakeAt <= dueAtMs!) return; // awake by then anyway
        clearTimeout(sleeping.timeout);
        sleeping = null;
        schedule(Math.max(0, wait));
      } else if (dueAtMs === undefined) {
        again = true; // mid-round: go again as soon as it ends
      } else {
        pendingDue = Math.min(pendingDue ?? Infinity, dueAtMs);
      }
    },
    runOnce,
    async drain() {
      let total = 0;
      for (let n = await runOnce(); n > 0; n = await runOnce()) total += n;
      return total;
    },
    async stop(stopOpts = {}) {
      stopping = true;
      if (sleeping) clearTimeout(sleeping.timeout);
      sleeping = null;
      await opts.listener?.stop();
      if (round) {
        const deadline = new Promise<void>((resolve) => {
          const t = setTimeout(resolve, stopOpts.deadlineMs ?? 10_000);
          t.unref();
        });
        await Promise.race([round, deadline]);
      }
      running = false;
    },
  };
}
