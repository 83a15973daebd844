/**
 * An open-loop load generator: request i is due at start + i / rate, whatever the server did with
 * the ones before, and its latency counts from that due time to the last byte of its answer (as
 * wrk2 does, so a stalled server cannot hide the requests it delayed). autocannon's `overallRate`
 * is not that: each connection sends its whole quota for the second back to back at the start
 * of every second, then waits, so "1,000 req/s over 10 connections" measured bursts of 100
 * requests per connection (node_modules/autocannon/lib/httpClient.js, `reqsMadeThisSecond`).
 *
 * Requests are pre-built byte strings (signing them during the run would put the HMAC on the
 * generator's clock), written on keep-alive connections; a due request waits for the first idle
 * connection. Answers are read by Content-Length (both servers under test send it). Loopback only.
 */
import net from 'node:net';

export interface PacedResult {
  sent: number;
  /** Answers with a 2xx status. */
  ok: number;
  non2xx: number;
  errors: number;
  /** Due time → answer, ms, one per answered request. */
  latenciesMs: number[];
  /** Send time − due time, ms: how late the generator itself was (timers, a busy core). */
  lateMs: number[];
  /** Requests answered per second of the run. */
  rate: number;
}

export async function pacedLoad(opts: {
  port: number;
  rate: number;
  seconds: number;
  connections: number;
  /** One raw HTTP/1.1 request per send, at least rate × seconds of them. */
  requests: Buffer[];
}): Promise<PacedResult> {
  const total = Math.floor(opts.rate * opts.seconds);
  if (opts.requests.length < total) throw new Error(`need ${total} requests`);
  const conns = await Promise.all(Array.from({ length: opts.connections }, () => open(opts.port)));
  const idle = [...conns];
  const waiting: number[] = [];
  const result: PacedResult = {
    sent: 0,
    ok: 0,
    non2xx: 0,
    errors: 0,
    latenciesMs: [],
    lateMs: [],
    rate: 0,
  };
  const intervalMs = 1000 / opts.rate;
  const start = performance.now();
  let next = 0;
  let answered = 0;

  return new Promise<PacedResult>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      clearTimeout(guard);
      result.errors += total - answered; // unanswered or never sent when the guard fired
      for (const c of conns) c.socket.destroy();
      result.rate = (answered * 1000) / (performance.now() - start);
      resolve(result);
    };
    const send = (c: Conn, i: number) => {
      const due = start + i * intervalMs;
      result.lateMs.push(performance.now() - due);
      result.sent++;
      c.onAnswer = (status, err) => {
        answered++;
        if (err) result.errors++;
        else {
          result.latenciesMs.push(performance.now() - due);
          if (status >= 200 && status < 300) result.ok++;
          else result.non2xx++;
        }
        const more = waiting.shift();
        if (more !== undefined && !err) send(c, more);
        else if (!err) idle.push(c);
        if (answered === total) finish();
      };
      c.socket.write(opts.requests[i]!);
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * intervalMs <= now) {
        const c = idle.pop();
        if (c) send(c, next);
        else waiting.push(next);
        next++;
      }
    };
    // 1 ms ticks: at 1,000 req/s about one request per tick; a late tick sends all that are due.
    const timer = setInterval(tick, 1);
    // Bounded: a server that stops answering ends the run 10 s after its last due request.
    const guard = setTimeout(finish, (opts.seconds + 10) * 1000);
    tick();
  });
}

interface Conn {
  socket: net.Socket;
  onAnswer: ((status: number, err?: Error) => void) | null;
}

function open(port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const conn: Conn = { socket, onAnswer: null };
    let buf: Buffer = Buffer.alloc(0);
    const answer = (status: number, err?: Error) => {
      const cb = conn.onAnswer;
      conn.onAnswer = null;
      cb?.(status, err);
    };
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (!length) {
          socket.destroy();
          return answer(0, new Error('answer without Content-Length'));
        }
        const size = end + 4 + Number(length[1]);
        if (buf.length < size) return;
        buf = buf.subarray(size);
        answer(Number(head.slice(9, 12)));
      }
    });
    socket.on('error', (err) => answer(0, err));
    socket.on('close', () => answer(0, new Error('connection closed')));
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
  });
}

/** A raw HTTP/1.1 POST to 127.0.0.1, keep-alive. */
export function rawPost(path: string, headers: Record<string, string>, body: string): Buffer {
  const b = Buffer.from(body);
  const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', `content-length: ${b.length}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), b]);
}
