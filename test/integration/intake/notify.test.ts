import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { INBOX_CHANNEL, insertInboxEvents } from '../../../src/intake/inbox-store.ts';

// Opening PGlite takes 1.3–4 s idle, far longer on a loaded machine (vitest's hook default is 60 s).
const PGLITE_OPEN_TIMEOUT = 180_000;

describe('inbox NOTIFY', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await tdb.close();
  });

  it('wakes listeners (other instances) when new events commit, not for a pure redelivery', async () => {
    let wakes = 0;
    let woke: () => void = () => {};
    // The pg listener calls back once when its LISTEN is in place (to catch up); wait for that.
    const listening = new Promise<void>((r) => (woke = r));
    const unlisten = await tdb.listen(INBOX_CHANNEL, () => {
      wakes++;
      woke();
    });
    try {
      if (tdb.kind === 'pg') await listening;
      const before = wakes;
      const event = {
        source: 'json' as const,
        dedupeKey: 'notify-1',
        kind: 'route' as const,
        payload: { ref: { system: 'json' as const, object: 'lead' as const, id: 'n1' } },
      };
      const arrived = new Promise<void>((r) => (woke = r));
      expect(await insertInboxEvents(tdb.db, [event, event])).toEqual({ inserted: 1 });
      await arrived;
      expect(wakes).toBe(before + 1);
      expect(await insertInboxEvents(tdb.db, [event])).toEqual({ inserted: 0 });
    } finally {
      await unlisten();
    }
  });
});
