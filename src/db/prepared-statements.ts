/**
 * Server-side prepared statements for the SQL this process runs over and over (the intake insert,
 * the claims, the batch writes), the way pgjdbc does it (`prepareThreshold`): a statement text
 * seen `threshold` times is sent as a named statement from then on, so each connection parses it
 * once and, after Postgres's five custom plans, reuses a generic plan. kysely sends every query
 * unnamed, so Postgres parsed and planned each one again: at 100 leads/s the batch statements
 * (several data-modifying CTEs) spent ~0.35 ms in parse and ~0.6 ms in bind (planning) for
 * ~0.9 ms of execution (log_min_duration_statement, November 2026).
 *
 * Bounded: at most `maxTexts` texts are counted (ad-hoc admin queries stop being tracked beyond
 * that) and at most `maxPerConnection` statements are prepared on one connection.
 *
 * A prepared statement whose tables changed shape under it (another instance migrated while this
 * one runs) fails with "cached plan must not change result type" (0A000). Its text then gets a
 * fresh name, so the next use prepares it again; the failing call still throws, and its caller
 * retries like any database error (the claim loops do).
 *
 * Behind a transaction-mode pooler that cannot keep prepared statements (PgBouncer before 1.21),
 * turn this off with DATABASE_PREPARED_STATEMENTS=false.
 */
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

export interface PreparedStatementOptions {
  /** Uses of one text before it is prepared. pgjdbc's default is 5. */
  threshold?: number;
  maxTexts?: number;
  maxPerConnection?: number;
}

interface TextEntry {
  uses: number;
  name: string | null;
}

export function preparingPool(pool: pg.Pool, opts: PreparedStatementOptions = {}): PostgresPool {
  const threshold = opts.threshold ?? 5;
  const maxTexts = opts.maxTexts ?? 1000;
  const maxPerConnection = opts.maxPerConnection ?? 256;
  const texts = new Map<string, TextEntry>();
  let nextName = 0;

  /** The statement name to send `text` under on a connection that prepared `mine`, or null. */
  function nameFor(mine: Set<string>, text: string): string | null {
    let e = texts.get(text);
    if (e === undefined) {
      if (texts.size >= maxTexts) return null;
      e = { uses: 0, name: null };
      texts.set(text, e);
    }
    if (e.name === null) {
      if (++e.uses < threshold) return null;
      e.name = `sb_${++nextName}`;
    }
    if (!mine.has(e.name)) {
      if (mine.size >= maxPerConnection) return null;
      mine.add(e.name);
    }
    return e.name;
  }

  function wrap(client: pg.PoolClient): PostgresPoolClient {
    /** Statements prepared on this connection (the raw pg client outlives its checkouts). */
    const mine = new Set<string>();
    return {
      query(textOrCursor: unknown, parameters?: ReadonlyArray<unknown>) {
        if (typeof textOrCursor !== 'string') return client.query(textOrCursor as never) as never;
        const text = textOrCursor;
        const values = parameters as unknown[];
        const name = nameFor(mine, text);
        if (name === null) return client.query(text, values) as never;
        return client.query({ name, text, values }).catch((err: unknown) => {
          if ((err as { code?: string }).code === '0A000') {
            // Re-prepare under a new name on next use; this name is stale on every connection.
            const e = texts.get(text);
            if (e?.name === name) e.name = null;
          }
          throw err;
        }) as never;
      },
      release: (destroy?: boolean) => client.release(destroy),
    } as PostgresPoolClient;
  }

  // One wrapper per pg client, so kysely (which keys its connection objects by the client it is
  // handed) sees the same client on every checkout, and the wrapper keeps what it prepared.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let w = wrappers.get(client);
      if (w === undefined) wrappers.set(client, (w = wrap(client)));
      return w;
    },
    end: () => pool.end(),
  };
}
