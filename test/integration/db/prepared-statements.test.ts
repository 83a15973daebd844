/**
 * Repeated SQL goes out as named prepared statements (src/db/prepared-statements.ts): parsed and
 * planned once per connection. Real Postgres only (pg_prepared_statements of the one connection of
 * a pool of one); PGlite does not go through the pg pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, usingRealPostgres, type TestDb } from '../../helpers/test-db.ts';
import { openDatabase, type DatabaseHandle } from '../../../src/db/database.ts';

const preparedOn = async (h: DatabaseHandle) =>
  (
    await sql<{
      name: string;
      statement: string;
    }>`select name, statement from pg_prepared_statements`.execute(h.db)
  ).rows;

describe.skipIf(!usingRealPostgres())('named prepared statements', () => {
  let tdb: TestDb;
  const handles: DatabaseHandle[] = [];
  const open = async (preparedStatements?: boolean) => {
    const h = await openDatabase({
      url: tdb.url!,
      poolMax: 1,
      ...(preparedStatements === undefined ? {} : { preparedStatements }),
    });
    handles.push(h);
    return h;
  };
  beforeAll(async () => {
    tdb = await createTestDb();
  });
  afterAll(async () => {
    for (const h of handles) await h.close();
    await tdb?.close();
  });

  it('prepares a text from its fifth use on, and answers the same', async () => {
    const h = await open();
    const answers: number[] = [];
    for (let i = 1; i <= 4; i++)
      answers.push((await sql<{ n: number }>`select ${i}::int + 0 as n`.execute(h.db)).rows[0]!.n);
    expect((await preparedOn(h)).filter((r) => r.statement.includes('+ 0 as n'))).toEqual([]);
    for (let i = 5; i <= 7; i++)
      answers.push((await sql<{ n: number }>`select ${i}::int + 0 as n`.execute(h.db)).rows[0]!.n);
    expect(answers).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const named = (await preparedOn(h)).filter((r) => r.statement.includes('+ 0 as n'));
    expect(named).toHaveLength(1);
    expect(named[0]!.name).toMatch(/^sb_\d+$/);
  });

  it('prepares nothing when turned off', async () => {
    const h = await open(false);
    for (let i = 0; i < 8; i++) await sql`select ${i}::int + 1 as n`.execute(h.db);
    expect(await preparedOn(h)).toEqual([]);
  });

  it('re-prepares a statement whose table changed shape under it', async () => {
    const h = await open();
    await sql`create table shape_change (a int)`.execute(h.db);
    await sql`insert into shape_change values (1)`.execute(h.db);
    const read = () => sql<Record<string, number>>`select * from shape_change`.execute(h.db);
    for (let i = 0; i < 6; i++) expect((await read()).rows).toEqual([{ a: 1 }]);
    // Another instance migrates: the prepared plan's result type no longer holds.
    await sql`alter table shape_change add column b int default 2`.execute(tdb.db);
    await expect(read()).rejects.toMatchObject({ code: '0A000' });
    // The next use prepares it again under a new name and sees the new column.
    expect((await read()).rows).toEqual([{ a: 1, b: 2 }]);
  });
});
