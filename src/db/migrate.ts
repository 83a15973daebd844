/**
 * Forward-only SQL migrations: `migrations/NNNN_name.sql`, applied in name order, each in its own
 * transaction, under a Postgres advisory lock so two instances starting together cannot race
 * (the second waits, then finds nothing to do). Files run through the raw session because
 * multi-statement SQL through kysely fails on PGlite ("cannot insert multiple commands into a
 * prepared statement"). Never edit a migration that has shipped; add the next number.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseHandle } from './database.ts';
import { SwitchboardError } from '../errors.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

// Arbitrary constant shared by every Switchboard instance: the key of the migration lock.
const MIGRATION_LOCK_KEY = 72_410_551;

export interface MigrationFile {
  id: string;
  sql: string;
}

export class MigrationError extends SwitchboardError {
  constructor(id: string, cause: unknown) {
    super(
      'DB.MIGRATION_FAILED',
      `Migration ${id} failed: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Nothing of this migration was applied; earlier ones stay applied.',
      500,
      { migration: id },
      { cause },
    );
    this.name = 'MigrationError';
  }
}

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ id: f.replace(/\.sql$/, ''), sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/** Applies every pending migration; returns the ids applied now (empty when up to date). */
export async function migrate(
  handle: DatabaseHandle,
  migrations: MigrationFile[] = readMigrations(),
): Promise<string[]> {
  return handle.session(async (s) => {
    await s.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await s.exec(
        'create table if not exists schema_migrations (id text primary key, applied_at timestamptz not null default now())',
      );
      const done = new Set(
        (await s.query<{ id: string }>('select id from schema_migrations')).rows.map((r) => r.id),
      );
      const applied: string[] = [];
      for (const m of migrations) {
        if (done.has(m.id)) continue;
        try {
          await s.exec('begin');
          await s.exec(m.sql);
          await s.query('insert into schema_migrations (id) values ($1)', [m.id]);
          await s.exec('commit');
        } catch (err) {
          await s.exec('rollback').catch(() => {});
          throw new MigrationError(m.id, err);
        }
        applied.push(m.id);
      }
      return applied;
    } finally {
      await s.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  });
}
