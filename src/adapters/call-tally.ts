/**
 * HTTP attempts made on behalf of one write, counted even while other writes run at the same time
 * (a lone lead's three HubSpot writes, two Salesforce composites, retried rows side by side). The
 * caller's global counter minus its value at the start would also count the neighbours' calls.
 * AsyncLocalStorage follows the promise chain from the write to each request it makes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface Tally {
  n: number;
  parent: Tally | undefined;
}

const store = new AsyncLocalStorage<Tally>();

/** Runs `fn` and returns its value with the number of calls it (and anything nested) made. */
export async function countCalls<T>(fn: () => Promise<T>): Promise<{ value: T; calls: number }> {
  const tally: Tally = { n: 0, parent: store.getStore() };
  const value = await store.run(tally, fn);
  return { value, calls: tally.n };
}

/** One HTTP attempt: counted for the current write and every write it is part of. */
export function countCall(): void {
  for (let t = store.getStore(); t; t = t.parent) t.n++;
}
