/**
 * One database handle for both engines: kysely over a `pg` Pool when DATABASE_URL is set, over
 * embedded PGlite otherwise. Same schema, same queries; the differences are kept here:
 * - PGlite has one connection, so `session()` and `listen()` use it directly;
 * - PGlite has no lock on its data directory (two processes silently lose rows), so we take one;
 * - PGlite parses int8 as a number where pg returns a string: we make PGlite return strings too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import type { Database } from './schema.ts';
import { SwitchboardError } from '../errors.ts';
import { preparingPool } from './prepared-statements.ts';

/** Raw access to one connection: multi-statement SQL (migrations) and advisory locks. */
export interface RawSession {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Several statements in one string, no parameters. */
  exec(text: string): Promise<void>;
}

export interface DatabaseHandle {
  readonly kind: 'pg' | 'pglite';
  readonly db: Kysely<Database>;
  /** Runs `fn` on one dedicated connection (pg) or the only one (PGlite). */
  session<T>(fn: (s: RawSession) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` with the payload of each NOTIFY on `channel`, and once with no payload after
   * a (re)connect (anything may have been missed); returns an unsubscribe.
   */
  listen(channel: string, onNotify: (payload?: string) => void): Promise<() => Promise<void>>;
  /** Throws when the database does not answer `select 1`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | {
      url: string;
      poolMax?: number;
      onError?: (err: Error) => void;
      /** Named prepared statements for repeated SQL (default true; src/db/prepared-statements.ts). */
      preparedStatements?: boolean;
    }
  /** `dataDir: null` opens an in-memory database (tests). */
  | { dataDir: string | null };

/** jsonb parameter: both drivers accept JSON text for a jsonb column; objects would not survive pg (arrays become PG arrays). */
export const json = (value: unknown): string => JSON.stringify(value ?? null);

const INT8_OID = 20;

export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  return 'url' in opts ? openPostgres(opts) : openPglite(opts.dataDir);
}

function openPostgres(opts: {
  url: string;
  poolMax?: number;
  onError?: (err: Error) => void;
  preparedStatements?: boolean;
}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolMax ?? 10,
    // A dead database must answer 503 quickly, not hang the webhook past HubSpot's 5 s timeout.
    connectionTimeoutMillis: 3000,
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it kills the process.
  pool.on('error', (err) => opts.onError?.(err));
  // So does a client that is checked out with no query running when the server goes away (inside
  // a transaction, between two statements): the pool only listens to idle ones. The Postgres-
  // restart reliability run died on exactly that (57P01, "terminating connection due to
  // administrator command"). The operation in hand fails at its next statement and retries; the
  // broken client is not queryable any more, so the pool drops it on release.
  pool.on('connect', (client) => client.on('error', (err) => opts.onError?.(err)));
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: opts.preparedStatements === false ? pool : preparingPool(pool),
    }),
  });
  const listeners = new Set<() => Promise<void>>();
  return {
    kind: 'pg',
    db,
    async session(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          query: async (text, params) => {
            const r = await client.query(text, params as unknown[]);
            return { rows: r.rows };
          },
          exec: async (text) => {
            await client.query(text);
          },
        });
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      const stop = listenWithReconnect(opts.url, channel, onNotify, opts.onError);
      listeners.add(stop);
      return async () => {
        listeners.delete(stop);
        await stop();
      };
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await Promise.all([...listeners].map((stop) => stop()));
      await db.destroy(); // ends the pool
    },
  };
}

/**
 * A dedicated LISTEN connection that reconnects with exponential backoff (0.5 s doubling to 30 s).
 * Losing it costs latency only: the worker polls anyway.
 */
function listenWithReconnect(
  url: string,
  channel: string,
  onNotify: (payload?: string) => void,
  onError?: (err: Error) => void,
): () => Promise<void> {
  let stopped = false;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let delay = 500;
  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: url });
    client = c;
    c.on('notification', (m) => {
      if (m.channel === channel) onNotify(m.payload);
    });
    c.on('error', (err) => onError?.(err));
    c.on('end', () => {
      if (!stopped) schedule();
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
      delay = 500;
      onNotify(); // anything inserted while we were not listening
    } catch (err) {
      onError?.(err as Error);
      await c.end().catch(() => {});
    }
  };
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, 30_000);
  };
  void connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await client?.end().catch(() => {});
  };
}

async function openPglite(dataDir: string | null): Promise<DatabaseHandle> {
  const release = dataDir === null ? () => {} : lockDataDir(dataDir);
  let pglite: PGlite;
  try {
    if (dataDir !== null) fs.mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
    pglite = await PGlite.create({
      ...(dataDir === null ? {} : { dataDir }),
      parsers: { [INT8_OID]: (v: string) => v },
    });
  } catch (err) {
    release();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  let closed = false;
  return {
    kind: 'pglite',
    db,
    async session(fn) {
      return fn({
        query: async (text, params) => {
          const r = await pglite.query(text, params as unknown[]);
          return { rows: r.rows as never[] };
        },
        exec: async (text) => {
          await pglite.exec(text);
        },
      });
    },
    async listen(channel, onNotify) {
      const unsub = await pglite.listen(channel, (payload) => onNotify(payload));
      return async () => {
        if (!closed) await unsub();
      };
    },
    async ping() {
      await pglite.query('select 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy().catch(() => {});
      if (!pglite.closed) await pglite.close();
      release();
    },
  };
}

export class DataDirInUseError extends SwitchboardError {
  constructor(dataDir: string, lockPath: string, holder: string) {
    super(
      'DB.DATA_DIR_IN_USE',
      `PGLITE_DIR ${dataDir} is already in use by ${holder} (lock file ${lockPath}). ` +
        'The embedded database allows one process per directory: two would silently lose rows. ' +
        'Stop the other process, point this one at another PGLITE_DIR, or set DATABASE_URL to ' +
        'share a real PostgreSQL between instances. If no such process exists, delete the lock file.',
      503,
    );
    this.name = 'DataDirInUseError';
  }
}

/**
 * Takes `<dataDir>.lock` (created atomically with O_EXCL). A lock left by a dead process on this
 * host is taken over; one held by a live process refuses with DataDirInUseError.
 */
export function lockDataDir(dataDir: string): () => void {
  const abs = path.resolve(dataDir);
  const lockPath = `${abs}.lock`;
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const me = JSON.stringify({ pid: process.pid, host: os.hostname() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, me, { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(lockPath, 'utf8') === me) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(lockPath);
      if (holder && holder.host === os.hostname() && !isAlive(holder.pid)) {
        fs.rmSync(lockPath, { force: true }); // stale: its process died without releasing
        continue;
      }
      throw new DataDirInUseError(
        dataDir,
        lockPath,
        holder ? `process ${holder.pid} on ${holder.host}` : 'another process',
      );
    }
  }
  throw new DataDirInUseError(dataDir, lockPath, 'another process');
}

function readHolder(lockPath: string): { pid: number; host: string } | null {
  try {
    const v = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as { pid?: unknown; host?: unknown };
    return typeof v.pid === 'number' && typeof v.host === 'string'
      ? { pid: v.pid, host: v.host }
      : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
