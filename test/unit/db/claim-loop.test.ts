/**
 * The claim loop's recovery rule: after a round that failed (or could not record a failure), the
 * consumer's own claims are handed back before it claims again — the Postgres-restart reliability
 * run had left 5 of 2,000 events locked until the 5-minute stale sweep without it.
 */
import { describe, expect, it } from 'vitest';
import { createClaimLoop, type ClaimLoopControl } from '../../../src/db/claim-loop.ts';

function harness(script: Array<'ok' | 'throw' | 'dirty'>, releaseFailures = 0) {
  const calls: string[] = [];
  let release = releaseFailures;
  const loop = createClaimLoop({
    what: 'test rows',
    log: { warn: () => undefined },
    batchSize: 10,
    pollIntervalMs: 60_000,
    round: async (control: ClaimLoopControl) => {
      const step = script.shift() ?? 'empty';
      calls.push(`round:${step}`);
      if (step === 'throw') throw new Error('Connection terminated unexpectedly');
      if (step === 'dirty') control.markDirty();
      return step === 'empty' ? 0 : 1;
    },
    releaseMine: async () => {
      if (release-- > 0) {
        calls.push('release:failed');
        throw new Error('database is starting up');
      }
      calls.push('release');
      return 1;
    },
    resetStale: async () => 0,
    listen: async () => async () => undefined,
  });
  return { loop, calls };
}

describe('claim loop', () => {
  it('hands its own claims back after a failed round, before the next claim', async () => {
    const { loop, calls } = harness(['ok', 'throw', 'ok']);
    await loop.drain().catch(() => undefined); // ok, then throw
    await loop.drain(); // release first, then ok, then empty
    expect(calls).toEqual(['round:ok', 'round:throw', 'release', 'round:ok', 'round:empty']);
  });

  it('a failure a round could not record marks it dirty the same way', async () => {
    const { loop, calls } = harness(['dirty', 'ok']);
    await loop.drain();
    expect(calls).toEqual(['round:dirty', 'release', 'round:ok', 'round:empty']);
  });

  it('does not claim while it cannot hand back (the database is still away), then recovers', async () => {
    const { loop, calls } = harness(['throw', 'ok'], 1);
    await expect(loop.drain()).rejects.toThrow('Connection terminated');
    await expect(loop.drain()).rejects.toThrow('starting up');
    await loop.drain();
    expect(calls).toEqual(['round:throw', 'release:failed', 'release', 'round:ok', 'round:empty']);
  });

  it('a clean round never pays for a release', async () => {
    const { loop, calls } = harness(['ok', 'ok']);
    await loop.drain();
    expect(calls).toEqual(['round:ok', 'round:ok', 'round:empty']);
  });
});
