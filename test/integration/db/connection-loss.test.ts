/**
 * A connection that the server ends while it is checked out with no statement running (inside a
 * transaction, between two statements) must not take the process down: Postgres restarting under
 * load did exactly that (an unhandled 'error' event on the pg client). Real Postgres only: the
 * test ends the backend with pg_terminate_backend, as a restart does to every backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, usingRealPostgres, type TestDb } from '../../helpers/test-db.ts';
import { openDatabase, type DatabaseHandle } from '../../../src/db/database.ts';

describe.skipIf(!usingRealPostgres())('losing a checked-out connection', () => {
  let tdb: TestDb;
  let handle: DatabaseHandle;
  const errors: unknown[] = [];
  beforeAll(async () => {
    tdb = await createTestDb();
    handle = await openDatabase({ url: tdb.url!, poolMax: 2, onError: (e) => errors.push(e) });
  });
  afterAll(async () => {
    await handle?.close();
    await tdb?.close();
  });

  it('is reported through onError, fails the transaction, and the pool goes on', async () => {
    const tx = handle.db.transaction().execute(async (trx) => {
      const pid = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      // Ended from another connection while this one idles inside the transaction.
      await sql`select pg_terminate_backend(${pid.rows[0]!.pid})`.execute(tdb.db);
      await new Promise((r) => setTimeout(r, 200));
      await sql`select 1`.execute(trx);
    });
    await expect(tx).rejects.toThrow();
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0])).toMatch(/terminat/);
    const r = await sql<{ one: number }>`select 1 as one`.execute(handle.db);
    expect(r.rows[0]!.one).toBe(1);
  });
});
