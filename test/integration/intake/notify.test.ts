import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type KyselyPlugin } from 'kysely';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { HUBSPOT_TEST_SECRET, TEST_TOKENS } from '../../helpers/build-test-app.ts';
import { INBOX_CHANNEL, insertInboxEvents } from '../../../src/intake/inbox-store.ts';
import { createInboxNotifier } from '../../../src/intake/inbox-notifier.ts';
import { openDatabase } from '../../../src/db/database.ts';
import { buildApp } from '../../../src/app.ts';
import { loadEnv } from '../../../src/env.ts';
import { manualClock } from '../../../src/clock.ts';
import { signV3 } from '../../../src/intake/hubspot-signature.ts';

// Opening PGlite takes 1.3–4 s idle, far longer on a loaded machine (vitest's hook default is 60 s).
const PGLITE_OPEN_TIMEOUT = 180_000;

const event = (key: string) => ({
  source: 'json' as const,
  dedupeKey: key,
  kind: 'route' as const,
  payload: { ref: { system: 'json' as const, object: 'lead' as const, id: key } },
});

/** Records when each statement built through the returned Kysely runs (the notifier's NOTIFYs). */
function counting(tdb: TestDb) {
  const at: number[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (a) => {
      at.push(Date.now());
      return a.node;
    },
    transformResult: async (a) => a.result,
  };
  return { db: tdb.db.withPlugin(plugin), at };
}

describe('inbox NOTIFY (other instances’ wake-up)', () => {
  let tdb: TestDb;
  let wakes = 0;
  let onWake: () => void = () => {};
  let unlisten: () => Promise<void>;
  beforeAll(async () => {
    tdb = await createTestDb();
    // The pg listener calls back once when its LISTEN is in place (to catch up); wait for that.
    const listening = new Promise<void>((r) => (onWake = r));
    unlisten = await tdb.listen(INBOX_CHANNEL, () => {
      wakes++;
      onWake();
    });
    if (tdb.kind === 'pg') await listening;
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await unlisten?.();
    await tdb?.close();
  });
  const nextWake = () => new Promise<void>((r) => (onWake = r));

  it('the insert itself does not notify (no database-wide lock at its commit)', async () => {
    const before = wakes;
    expect(await insertInboxEvents(tdb.db, [event('n-0'), event('n-0')])).toEqual({ inserted: 1 });
    expect(await insertInboxEvents(tdb.db, [event('n-0')])).toEqual({ inserted: 0 });
    // A NOTIFY of the insert would reach the listener before this one (commit order, one listener).
    const woke = nextWake();
    await sql`select pg_notify(${INBOX_CHANNEL}, '')`.execute(tdb.db);
    await woke;
    await new Promise((r) => setTimeout(r, 200));
    expect(wakes).toBe(before + 1);
  });

  it('wakes listeners after the commit, with the new row already visible to them', async () => {
    const notifier = createInboxNotifier(tdb.db);
    await insertInboxEvents(tdb.db, [event('n-1')]);
    let visible = -1;
    const woke = new Promise<void>(
      (r) =>
        (onWake = () => {
          void tdb.db
            .selectFrom('inbox')
            .select(sql<string>`count(*)`.as('n'))
            .where('dedupe_key', '=', 'n-1')
            .executeTakeFirstOrThrow()
            .then((x) => {
              visible = Number(x.n);
              r();
            });
        }),
    );
    notifier.nudge();
    await woke;
    expect(visible).toBe(1);
    await notifier.flush();
  });

  it('coalesces a burst: one NOTIFY for nudges in one tick, one more for nudges while in flight, spaced by minGapMs', async () => {
    const c = counting(tdb);
    // A wide gap, so the 5 ms pause below stays inside it on a loaded machine (40 ms was not
    // enough once: a third NOTIFY when the whole suite ran on 2 busy cores).
    const notifier = createInboxNotifier(c.db, { minGapMs: 250 });
    for (let i = 0; i < 100; i++) notifier.nudge();
    await notifier.flush();
    expect(c.at).toHaveLength(1);

    // Nudges during the gap and during the statement ride on the next NOTIFY, not one each.
    const before = wakes;
    const woke = nextWake();
    notifier.nudge(); // waits for the 250 ms gap
    for (let i = 0; i < 50; i++) notifier.nudge();
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 50; i++) notifier.nudge();
    await notifier.flush();
    await woke;
    expect(c.at).toHaveLength(2);
    expect(c.at[1]! - c.at[0]!).toBeGreaterThanOrEqual(248); // Date.now() rounding
    expect(wakes).toBeGreaterThan(before);
  });

  it('a failed NOTIFY is reported and never thrown (the rows are stored; listeners poll)', async () => {
    // Nothing listens on loopback port 1: the connection is refused at once.
    const dead = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/none' });
    try {
      const errors: unknown[] = [];
      const notifier = createInboxNotifier(dead.db, { onError: (e) => errors.push(e) });
      notifier.nudge();
      await notifier.flush();
      expect(errors).toHaveLength(1);
    } finally {
      await dead.close();
    }
  });

  /** A buildApp whose in-process worker nudge answers `idle`, and a signed one-event webhook. */
  async function intakeApp(idle: boolean) {
    const now = Date.now();
    const env = loadEnv({
      INTAKE_TOKEN: TEST_TOKENS.intake,
      HUBSPOT_CLIENT_SECRET: HUBSPOT_TEST_SECRET,
      PUBLIC_URL: 'https://switchboard.example.com',
      LOG_LEVEL: 'silent',
    });
    const t = { nudges: 0 };
    const app = await buildApp({
      env,
      handle: tdb,
      clock: manualClock(new Date(now)),
      onInboxInsert: () => {
        t.nudges++;
        return idle;
      },
    });
    const post = (eventId: number, objectId: number) => {
      const body = JSON.stringify([
        {
          eventId,
          subscriptionId: 25,
          portalId: 62515,
          occurredAt: now,
          subscriptionType: 'contact.creation',
          objectId,
        },
      ]);
      return app.inject({
        method: 'POST',
        url: '/webhooks/hubspot',
        headers: {
          'content-type': 'application/json',
          'x-hubspot-request-timestamp': String(now),
          'x-hubspot-signature-v3': signV3(
            HUBSPOT_TEST_SECRET,
            'POST',
            'https://switchboard.example.com/webhooks/hubspot',
            body,
            String(now),
          ),
        },
        payload: body,
      });
    };
    return Object.assign(t, { app, post });
  }

  it('the app nudges (in-process worker and NOTIFY) for a webhook’s new rows, not for a redelivery', async () => {
    const t = await intakeApp(false);
    try {
      const woke = nextWake();
      const first = await t.post(901, 7001);
      expect(first.json()).toMatchObject({ stored: 1, duplicates: 0 });
      await woke;
      expect(t.nudges).toBe(1);
      const again = await t.post(901, 7001);
      expect(again.json()).toMatchObject({ stored: 0, duplicates: 1 });
      expect(t.nudges).toBe(1);
    } finally {
      await t.app.close();
    }
  });

  it('no NOTIFY when this process’s idle worker takes the new rows at once', async () => {
    const t = await intakeApp(true);
    try {
      const before = wakes;
      const first = await t.post(902, 7002);
      expect(first.json()).toMatchObject({ stored: 1, duplicates: 0 });
      expect(t.nudges).toBe(1);
      await t.app.close(); // flushes any pending NOTIFY
      // A NOTIFY of the intake would reach the listener before this one (commit order).
      const woke = nextWake();
      await sql`select pg_notify(${INBOX_CHANNEL}, '')`.execute(tdb.db);
      await woke;
      await new Promise((r) => setTimeout(r, 200));
      expect(wakes).toBe(before + 1);
    } finally {
      await t.app.close();
    }
  });
});
