import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { migrate, readMigrations } from '../../../src/db/migrate.ts';

// Opening PGlite takes 1.3–4 s idle, far longer on a loaded machine (vitest's hook default is 60 s).
const PGLITE_OPEN_TIMEOUT = 180_000;

describe('migrations', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await tdb.close();
  });

  it('records every migration file and applies nothing the second time', async () => {
    const rows = await tdb.db.selectFrom('schema_migrations').select('id').orderBy('id').execute();
    expect(rows.map((r) => r.id)).toEqual(readMigrations().map((m) => m.id));
    expect(await migrate(tdb)).toEqual([]);
  });

  it('indexes only inbox rows that have a lead, and lead lookups still use that index', async () => {
    const def = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where indexname = 'inbox_lead'`.execute(tdb.db);
    expect(def.rows[0]?.indexdef).toMatch(/WHERE \(lead_id IS NOT NULL\)/);
    // The lead view's and the review's lookups (`=` and `in`): a partial index Postgres could not
    // prove usable would leave them a scan of the whole inbox.
    const plan = await tdb.db.connection().execute(async (c) => {
      await sql`set enable_seqscan = off`.execute(c);
      try {
        const eq = await sql<{ 'QUERY PLAN': string }>`
          explain select * from inbox where lead_id = ${'42'}::bigint`.execute(c);
        const any = await sql<{ 'QUERY PLAN': string }>`
          explain select lead_id from inbox where lead_id in (${'1'}::bigint, ${'2'}::bigint)`.execute(
          c,
        );
        return [...eq.rows, ...any.rows].map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await sql`reset enable_seqscan`.execute(c);
      }
    });
    expect(plan.match(/inbox_lead/g)).toHaveLength(2);
  });

  it('creates the outbox table with the agreed columns', async () => {
    const cols = await sql<{ column_name: string }>`
      select column_name from information_schema.columns where table_name = 'crm_writes' order by ordinal_position`.execute(
      tdb.db,
    );
    expect(cols.rows.map((c) => c.column_name)).toEqual([
      'id',
      'lead_id',
      'decision_id',
      'step',
      'kind',
      'key',
      'crm',
      'payload',
      'status',
      'attempts',
      'max_attempts',
      'run_at',
      'locked_at',
      'locked_by',
      'last_error',
      'result',
      'created_at',
      'updated_at',
      'done_at',
    ]);
  });

  it('returns bigint ids as strings on both engines', async () => {
    const r = await sql<{ n: unknown }>`select 5::int8 as n`.execute(tdb.db);
    expect(r.rows[0]?.n).toBe('5');
  });

  it('rolls back a failing migration and names it', async () => {
    await expect(
      migrate(tdb, [{ id: '9999_broken', sql: 'create table broken_a (x int); select nope;' }]),
    ).rejects.toThrow(/Migration 9999_broken failed/);
    const t =
      await sql`select 1 from information_schema.tables where table_name = 'broken_a'`.execute(
        tdb.db,
      );
    expect(t.rows).toHaveLength(0);
  });
});
