import { manualClock } from '../../../src/clock.ts';

/**
 * Virtual time for adapter tests: `sleep` advances the clock instead of waiting, so the rate
 * limiter's pauses cost nothing. Time moves only once every sent request has reached the double
 * (`busy()` is 0), so each request is stamped with the time the limiter admitted it.
 */
export function virtualTime(start: string) {
  const clock = manualClock(start);
  const state = { busy: (): number => 0 };
  const sleep = async (ms: number) => {
    while (state.busy() > 0) await new Promise((r) => setImmediate(r));
    clock.advance(ms);
    await new Promise((r) => setImmediate(r));
  };
  return { clock, sleep, state };
}
