/**
 * The intake bench's paced load generator (bench/paced-load.ts) against a local HTTP server: it
 * sends at the asked rate whatever the server does, and a stall shows in the latencies of every
 * request that fell due during it (counted from the due time), not only in the one that stalled.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pacedLoad, rawPost } from '../../../bench/paced-load.ts';

let server: http.Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

/** Answers 200 at once, except that the request with body `stall` holds every connection for `stallMs`. */
async function serve(stallMs: number): Promise<number> {
  let stalledUntil = 0;
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (body === 'stall') stalledUntil = Date.now() + stallMs;
      const wait = Math.max(0, stalledUntil - Date.now());
      setTimeout(
        () => res.writeHead(body === 'bad' ? 400 : 200, { 'content-length': '2' }).end('{}'),
        wait,
      );
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

const requests = (n: number, special: Record<number, string> = {}) =>
  Array.from({ length: n }, (_, i) => rawPost('/', {}, special[i] ?? `r${i}`));

describe('paced load', () => {
  it('sends at the asked rate and answers every request', async () => {
    const port = await serve(0);
    const r = await pacedLoad({
      port,
      rate: 200,
      seconds: 1,
      connections: 5,
      requests: requests(200),
    });
    expect(r.sent).toBe(200);
    expect(r.ok).toBe(200);
    expect(r.errors).toBe(0);
    expect(r.latenciesMs).toHaveLength(200);
    // Paced, not a burst: 200 requests at 200/s take about a second.
    expect(r.rate).toBeGreaterThan(150);
    expect(r.rate).toBeLessThan(260);
  });

  it('counts a stall against every request due during it (open loop)', async () => {
    const port = await serve(200);
    const r = await pacedLoad({
      port,
      rate: 200,
      seconds: 1,
      // Two connections: the requests due during the stall wait in the generator, unsent, and
      // still count from their due time (measured from the send, only two would look slow).
      connections: 2,
      requests: requests(200, { 20: 'stall', 150: 'bad' }),
    });
    expect(r.ok + r.non2xx).toBe(200);
    expect(r.non2xx).toBe(1);
    // ~40 requests fall due in the 200 ms stall; each waits out the rest of it.
    const slow = r.latenciesMs.filter((ms) => ms > 50);
    expect(slow.length).toBeGreaterThan(20);
    expect(Math.max(...r.latenciesMs)).toBeGreaterThan(150);
  });
});
