/**
 * A database for the fallback suites: in-memory PGlite by default, a fresh database on the real
 * Postgres when DATABASE_URL is set (dropped at the end). Applies every file in migrations/ in
 * order, through the engine's own multi-statement call (kysely cannot send several statements to
 * PGlite in one prepared query).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { AnyDb } from '../../../src/fallback/timer-store.ts';

const migrationsDir = join(import.meta.dirname, '../../../migrations');

export interface FallbackTestDb {
  db: AnyDb;
  kind: 'pglite' | 'postgres';
  /** Connection string of the per-file database (real Postgres only). */
  url?: string;
  /** The PGlite instance (PGlite only), for pglite.listen(). */
  pglite?: PGlite;
  /** Opens another, independent connection pool on the same database (real Postgres only). */
  connect(): AnyDb;
  close(): Promise<void>;
}

function migrationFiles(only?: (name: string) => boolean): string[] {
  return readdirSync(migrationsDir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f) && (only ? only(f) : true))
    .sort();
}

export async function openFallbackTestDb(
  opts: { only?: (name: string) => boolean } = {},
): Promise<FallbackTestDb> {
  const files = migrationFiles(opts.only);
  const base = process.env.DATABASE_URL;
  if (!base) {
    const pglite = new PGlite();
    for (const f of files) await pglite.exec(readFileSync(join(migrationsDir, f), 'utf8'));
    const db = new Kysely({ dialect: new PGliteDialect(pglite) });
    return {
      db,
      kind: 'pglite',
      pglite,
      connect: () => {
        throw new Error('PGlite has one connection; use db');
      },
      close: async () => {
        await db.destroy(); // the dialect closes the PGlite instance too
      },
    };
  }
  const name = `fallback_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const setup = new pg.Client({ connectionString: url.toString() });
  await setup.connect();
  for (const f of files) await setup.query(readFileSync(join(migrationsDir, f), 'utf8'));
  await setup.end();
  const pools: AnyDb[] = [];
  const connect = () => {
    const k = new Kysely({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: url.toString(), max: 5 }),
      }),
    });
    pools.push(k);
    return k;
  };
  return {
    db: connect(),
    kind: 'postgres',
    url: url.toString(),
    connect,
    close: async () => {
      for (const p of pools) await p.destroy();
      const drop = new pg.Client({ connectionString: base });
      await drop.connect();
      await drop.query(`drop database if exists ${name} with (force)`);
      await drop.end();
    },
  };
}
