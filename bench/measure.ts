/**
 * Bounded timing loops for bench modules: every loop stops at a count or a time limit, whichever
 * comes first, so a slow machine makes the bench report a lower figure, never hang.
 */
import { performance } from 'node:perf_hooks';

export interface Measured {
  /** Items processed in the timed part. */
  count: number;
  /** Wall-clock time. */
  ms: number;
  perSecond: number;
  /** CPU time this process used (user + system, all threads incl. GC), from process.cpuUsage. */
  cpuMs: number;
  /**
   * Items per CPU-second. On a shared machine (our 2-core CI box often runs at a load of 10-20)
   * wall-clock rates mostly measure the neighbours; CPU time measures the code.
   */
  perCpuSecond: number;
}

function result(count: number, ms: number, cpu0: NodeJS.CpuUsage): Measured {
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { count, ms, perSecond: (count / ms) * 1000, cpuMs, perCpuSecond: (count / cpuMs) * 1000 };
}

/**
 * Calls `step(i)` for i = 0.. until `maxCount` or `maxMs`, checking the clock every `batch`
 * items (reading it per item would dominate sub-microsecond steps).
 */
export function measureSync(
  step: (i: number) => void,
  opts: { maxCount: number; maxMs: number; batch?: number },
): Measured {
  const batch = opts.batch ?? 1000;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let i = 0;
  let elapsed = 0;
  while (i < opts.maxCount) {
    const end = Math.min(i + batch, opts.maxCount);
    for (; i < end; i++) step(i);
    elapsed = performance.now() - start;
    if (elapsed >= opts.maxMs) break;
  }
  return result(i, elapsed, cpu0);
}

export async function measureAsync(
  step: (i: number) => Promise<void>,
  opts: { maxCount: number; maxMs: number; batch?: number },
): Promise<Measured> {
  const batch = opts.batch ?? 100;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let i = 0;
  let elapsed = 0;
  while (i < opts.maxCount) {
    const end = Math.min(i + batch, opts.maxCount);
    for (; i < end; i++) await step(i);
    elapsed = performance.now() - start;
    if (elapsed >= opts.maxMs) break;
  }
  return result(i, elapsed, cpu0);
}

/** Best of `runs` by CPU-time rate (the run least disturbed by GC and other processes). */
export function bestOf(runs: number, once: () => Measured): Measured {
  let best: Measured | null = null;
  for (let r = 0; r < runs; r++) {
    const m = once();
    if (!best || m.perCpuSecond > best.perCpuSecond) best = m;
  }
  return best!;
}

/** A small deterministic PRNG (mulberry32): synthetic data is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
