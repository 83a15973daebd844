/**
 * A migrated database for integration tests: `const tdb = await createTestDb()` in `beforeAll`,
 * `await tdb.close()` in `afterAll`. Use `tdb.db` (Kysely<Database>) or the whole handle.
 *
 * - DATABASE_URL unset (the default, `npm test`): in-memory PGlite with every migration applied.
 *   Opening PGlite costs 1.3–4 s, so open one per test file, not one per test.
 * - DATABASE_URL set (`npm run test:pg`, `.ci/run`): a fresh database per call, cloned from a
 *   template that is migrated once per set of migration files (the template's name carries a hash
 *   of them, so a new or changed migration builds a new template). The clone is dropped on close.
 *   `tdb.url` is its connection string; `openSecondHandle(tdb)` opens another pool on it (a second
 *   service instance, for SKIP LOCKED tests).
 *
 * Tables are shared by every test of a file: clean up what you rely on, or use distinct ids.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts';
import { migrate, readMigrations } from '../../src/db/migrate.ts';

export interface TestDb extends DatabaseHandle {
  /** Connection string of this test's own database (real Postgres only). */
  readonly url: string | null;
}

export const usingRealPostgres = (): boolean => Boolean(process.env.DATABASE_URL);

export async function createTestDb(): Promise<TestDb> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const handle = await openDatabase({ dataDir: null });
    await migrate(handle);
    return Object.assign(handle, { url: null });
  }
  const url = await cloneFromTemplate(base);
  const handle = await openDatabase({ url, poolMax: 5 });
  const close = handle.close.bind(handle);
  return Object.assign(handle, {
    url,
    async close() {
      await close();
      await dropDatabase(base, new URL(url).pathname.slice(1));
    },
  });
}

/** Another independent pool on the same test database (real Postgres only). */
export async function openSecondHandle(tdb: TestDb): Promise<DatabaseHandle> {
  if (!tdb.url) throw new Error('openSecondHandle needs DATABASE_URL (PGlite has one connection)');
  return openDatabase({ url: tdb.url, poolMax: 5 });
}

async function cloneFromTemplate(baseUrl: string): Promise<string> {
  const migrations = readMigrations();
  const hash = crypto
    .createHash('sha256')
    .update(JSON.stringify(migrations))
    .digest('hex')
    .slice(0, 12);
  const template = `sb_template_${hash}`;
  const name = `sb_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    // Forks start together: one builds the template, the others wait on this lock.
    await admin.query('select pg_advisory_lock(72410552)');
    try {
      const exists = await admin.query('select 1 from pg_database where datname = $1', [template]);
      if (exists.rowCount === 0) {
        await admin.query(`create database "${template}_wip"`);
        const h = await openDatabase({ url: withDatabase(baseUrl, `${template}_wip`), poolMax: 1 });
        try {
          await migrate(h, migrations);
        } finally {
          await h.close();
        }
        await retryWhileBusy(() =>
          admin.query(`alter database "${template}_wip" rename to "${template}"`),
        );
      }
      await retryWhileBusy(() => admin.query(`create database "${name}" template "${template}"`));
    } finally {
      await admin.query('select pg_advisory_unlock(72410552)');
    }
  } catch (err) {
    await admin.query(`drop database if exists "${template}_wip"`).catch(() => {});
    throw err;
  } finally {
    await admin.end();
  }
  return withDatabase(baseUrl, name);
}

/** A closed pool's backends linger a few ms: "database … is being accessed by other users" (55006). */
async function retryWhileBusy<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || i >= 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

function withDatabase(baseUrl: string, name: string): string {
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
