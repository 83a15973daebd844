/**
 * The coalescing inbox inserter (src/intake/inbox-inserter.ts) on a real database: deliveries
 * arriving while inserts are in flight share one statement (rows of one statement share one
 * transaction id, `xmin`), each delivery learns how many of its own events were new, a delivery
 * with nothing in flight is stored at once, and a row Postgres refuses fails only its delivery.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { createInboxInserter } from '../../../src/intake/inbox-inserter.ts';
import type { NewInboxEvent } from '../../../src/intake/inbox-payload.ts';
import { StorageUnavailableError } from '../../../src/errors.ts';

const event = (key: string, contactId = key): NewInboxEvent => ({
  source: 'hubspot',
  dedupeKey: key,
  kind: 'route',
  payload: { ref: { system: 'hubspot', object: 'contact', id: contactId, tenant: '62515' } },
});

describe('inbox inserter', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
  }, 180_000);
  afterAll(async () => {
    await tdb.close();
  });
  beforeEach(async () => {
    await sql`delete from inbox`.execute(tdb.db);
  });

  const stored = async () =>
    (
      await sql<{
        dedupe_key: string;
        tx: string;
      }>`select dedupe_key, xmin::text as tx from inbox order by id`.execute(tdb.db)
    ).rows;

  it('stores concurrent deliveries in few statements, each told how many of its events were new', async () => {
    const inbox = createInboxInserter(tdb.db, { maxInFlight: 2 });
    const deliveries = Array.from({ length: 20 }, (_, i) => [event(`d${i}-a`), event(`d${i}-b`)]);
    const results = await Promise.all(deliveries.map((d) => inbox.insert(d)));
    expect(results).toEqual(deliveries.map(() => ({ inserted: 2 })));
    const rows = await stored();
    expect(rows).toHaveLength(40);
    // The first two go alone (nothing in flight), the 18 that queued meanwhile go together.
    const byTx = new Map<string, typeof rows>();
    for (const r of rows) byTx.set(r.tx, [...(byTx.get(r.tx) ?? []), r]);
    expect([...byTx.values()].map((g) => g.length).sort((x, y) => x - y)).toEqual([2, 2, 36]);
    // Within a statement, arrival order is kept (the worker claims in id order).
    const together = [...byTx.values()].find((g) => g.length === 36)!;
    expect(together.map((r) => r.dedupe_key)).toEqual(
      deliveries
        .slice(2)
        .flat()
        .map((e) => e.dedupeKey),
    );
  });

  it('counts an event once: for the first delivery carrying it, and not again when redelivered', async () => {
    const inbox = createInboxInserter(tdb.db, { maxInFlight: 1 });
    const first = inbox.insert([event('x-1')]); // alone
    const [a, b, c] = await Promise.all([
      inbox.insert([event('x-2'), event('x-3')]), // these three share a statement
      inbox.insert([event('x-3'), event('x-4')]),
      inbox.insert([event('x-1'), event('x-2')]),
    ]);
    expect(await first).toEqual({ inserted: 1 });
    expect([a, b, c]).toEqual([{ inserted: 2 }, { inserted: 1 }, { inserted: 0 }]);
    const rows = await stored();
    expect(rows.map((r) => r.dedupe_key)).toEqual(['x-1', 'x-2', 'x-3', 'x-4']);
    expect(new Set(rows.slice(1).map((r) => r.tx)).size).toBe(1);
    expect(await inbox.insert([event('x-4'), event('x-5')])).toEqual({ inserted: 1 });
  });

  it('fails only the delivery whose row Postgres refuses; its neighbours are stored', async () => {
    const inbox = createInboxInserter(tdb.db, { maxInFlight: 1 });
    const lead = inbox.insert([event('p-0')]);
    const poison = inbox.insert([event('p-bad', 'nul\u0000inside')]); // jsonb refuses \u0000
    const neighbours = [inbox.insert([event('p-1')]), inbox.insert([event('p-2')])];
    expect(await lead).toEqual({ inserted: 1 });
    await expect(poison).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await Promise.all(neighbours)).toEqual([{ inserted: 1 }, { inserted: 1 }]);
    expect((await stored()).map((r) => r.dedupe_key)).toEqual(['p-0', 'p-1', 'p-2']);
  });

  it('answers an empty delivery without a statement', async () => {
    const inbox = createInboxInserter(tdb.db);
    expect(await inbox.insert([])).toEqual({ inserted: 0 });
    expect(await stored()).toEqual([]);
  });
});
