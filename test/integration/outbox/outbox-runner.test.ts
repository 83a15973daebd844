/**
 * The CRM outbox on the test database (PGlite by default, real Postgres with DATABASE_URL), the
 * real HubSpot adapter and the local HubSpot double.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import {
  createTestDb,
  openSecondHandle,
  usingRealPostgres,
  type TestDb,
} from '../../helpers/test-db.ts';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { HubSpotCrm } from '../../../src/adapters/hubspot/hubspot-crm.ts';
import { DryRunCrm } from '../../../src/adapters/dryrun/dryrun-crm.ts';
import { dbDryRunSink } from '../../../src/adapters/dryrun/dryrun-sink.ts';
import { createOutboxRunner } from '../../../src/outbox/outbox-runner.ts';
import {
  claimCrmWrites,
  listParkedWrites,
  resetStaleCrmWrites,
  retryParkedWrite,
} from '../../../src/outbox/outbox-store.ts';
import type { RoutingWrite } from '../../../src/adapters/crm-port.ts';
import { systemClock } from '../../../src/clock.ts';
import type { CrmWriteRow } from '../../../src/db/schema.ts';

let tdb: TestDb;
let hs: HubSpotDouble;
let crm: HubSpotCrm;
let seq = 0;

beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(() => tdb.close());

beforeEach(async () => {
  hs = await new HubSpotDouble().start();
  hs.addOwner('51234567', 'dana.whitfield@example.com');
  crm = new HubSpotCrm(
    {
      accessToken: 'test-token',
      baseUrl: hs.baseUrl,
      retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 2 },
    },
    { clock: systemClock },
  );
  await sql`delete from crm_writes`.execute(tdb.db);
});
afterEach(() => hs.stop());

/** A lead + decision row (FKs) and one queued routing write for a fresh contact. */
async function queue(
  opts: { ownerId?: string; crm?: 'hubspot' | 'dryrun'; payload?: unknown; kind?: string } = {},
) {
  const n = ++seq;
  const contactId = String(5000 + n);
  hs.addContact(contactId, { email: `${contactId}@x.example` });
  const lead = await tdb.db
    .insertInto('leads')
    .values({
      crm_system: 'hubspot',
      crm_object: 'contact',
      crm_id: contactId,
      tenant: '',
      lead: JSON.stringify({}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const decision = await tdb.db
    .insertInto('decisions')
    .values({
      lead_id: lead.id,
      reason: 'route',
      config_hash: 'h',
      lead_type: 't',
      handler_id: 'dana',
      decided_at: new Date(),
      decision: JSON.stringify({}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const key = `${lead.id}:${decision.id}:route`;
  const write: RoutingWrite = {
    key,
    lead: { system: 'hubspot', object: 'contact', id: contactId },
    ownerId: opts.ownerId ?? '51234567',
    task: {
      subject: 'Call',
      body: 'Hi',
      dueUtc: '2026-03-02T15:10:00.000Z',
      channel: 'phone',
      priority: 'high',
      ownerId: opts.ownerId ?? '51234567',
    },
    note: 'Why: enterprise.',
  };
  const row = await tdb.db
    .insertInto('crm_writes')
    .values({
      lead_id: lead.id,
      decision_id: decision.id,
      step: 'route',
      kind: (opts.kind ?? 'routing') as 'routing',
      key,
      crm: opts.crm ?? 'hubspot',
      payload: JSON.stringify(opts.payload ?? write),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, contactId, key, write };
}

const rowOf = (id: string) =>
  tdb.db.selectFrom('crm_writes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('CRM outbox runner', () => {
  it('performs a routing write once and records the CRM ids', async () => {
    const q = await queue();
    const runner = createOutboxRunner({ handle: tdb, crm });
    expect(await runner.drain()).toBe(1);
    const row = await rowOf(q.id);
    expect(row).toMatchObject({ status: 'done', attempts: 1, locked_by: null, last_error: null });
    expect(row.result).toMatchObject({
      ownerSet: true,
      taskId: expect.any(String),
      noteId: expect.any(String),
    });
    expect(hs.tasks.size).toBe(1);
    expect(await runner.drain()).toBe(0);
    expect(hs.tasks.size).toBe(1);
  });

  it('crash after HubSpot accepted, before we recorded: after the sweep, still one task and one note', async () => {
    const q = await queue();
    // A runner claims (intent recorded: in_flight, attempts 1), HubSpot performs every write, and
    // the process dies before completing the row.
    const [claimed] = await claimCrmWrites(tdb.db, 'dead-runner', 'hubspot', 10);
    expect(claimed).toMatchObject({ id: q.id, status: 'in_flight', attempts: 1 });
    const lost = await crm.writeRouting({ ...q.write, attempt: claimed!.attempts });
    expect(hs.tasks.size).toBe(1);
    // Restart: the lock is stale (backdated, no sleeping), the sweep hands the row back.
    await sql`update crm_writes set locked_at = now() - interval '10 minutes' where id = ${q.id}`.execute(
      tdb.db,
    );
    expect(await resetStaleCrmWrites(tdb.db, 300)).toBe(1);
    const runner = createOutboxRunner({ handle: tdb, crm });
    expect(await runner.drain()).toBe(1);
    const row = await rowOf(q.id);
    expect(row.status).toBe('done');
    expect(row.attempts).toBe(2);
    expect(hs.tasks.size).toBe(1);
    expect(hs.notes.size).toBe(1);
    expect(row.result).toMatchObject({ taskId: lost.taskId, noteId: lost.noteId });
    // The second attempt looked before creating.
    expect(hs.calls('POST', '/crm/v3/objects/tasks/search')).toHaveLength(1);
    expect(
      hs.calls('POST', '/crm/v3/objects/tasks').filter((r) => r.path === '/crm/v3/objects/tasks'),
    ).toHaveLength(1);
  });

  it('parks an unknown owner at once with the CRM message, and tells onParked', async () => {
    const q = await queue({ ownerId: '404404' });
    const parked: Array<[CrmWriteRow, Error]> = [];
    const runner = createOutboxRunner({
      handle: tdb,
      crm,
      onParked: (row, err) => void parked.push([row, err]),
    });
    await runner.drain();
    const row = await rowOf(q.id);
    expect(row.status).toBe('parked');
    expect(row.last_error).toMatch(/^CRM\.UNKNOWN_OWNER 400: .*404404 is not a valid owner id/);
    expect(parked).toHaveLength(1);
    expect((parked[0]![1] as { code?: string }).code).toBe('CRM.UNKNOWN_OWNER');
    expect((await listParkedWrites(tdb.db)).map((r) => r.id)).toContain(q.id);
  });

  it('an outage backs off in SQL, parks after max_attempts, and an admin retry finishes it once', async () => {
    const q = await queue();
    await sql`update crm_writes set max_attempts = 2 where id = ${q.id}`.execute(tdb.db);
    hs.outage = true;
    const runner = createOutboxRunner({ handle: tdb, crm });
    await runner.drain();
    let row = await rowOf(q.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.last_error).toMatch(/^CRM\.UNAVAILABLE 503/);
    expect(row.run_at.getTime()).toBeGreaterThan(Date.now());
    // Not due yet: nothing claimed.
    expect(await runner.drain()).toBe(0);
    await sql`update crm_writes set run_at = now() - interval '1 second' where id = ${q.id}`.execute(
      tdb.db,
    );
    await runner.drain();
    row = await rowOf(q.id);
    expect(row).toMatchObject({ status: 'parked', attempts: 2 });
    hs.outage = false;
    expect(await retryParkedWrite(tdb.db, q.id)).toBe(true);
    expect(await retryParkedWrite(tdb.db, q.id)).toBe(false);
    await runner.drain();
    row = await rowOf(q.id);
    expect(row).toMatchObject({ status: 'done', attempts: 3 });
    expect(hs.tasks.size).toBe(1);
  });

  it('a spent daily quota waits past max_attempts instead of parking, then writes once', async () => {
    const q = await queue();
    await sql`update crm_writes set max_attempts = 2 where id = ${q.id}`.execute(tdb.db);
    let quotaSpent = true;
    hs.fault = () =>
      quotaSpent
        ? {
            status: 429,
            body: {
              status: 'error',
              message: 'You have reached your daily limit.',
              errorType: 'RATE_LIMIT',
              policyName: 'DAILY',
            },
          }
        : undefined;
    const runner = createOutboxRunner({ handle: tdb, crm });
    for (let i = 0; i < 4; i++) {
      await runner.drain();
      const row = await rowOf(q.id);
      expect(row).toMatchObject({ status: 'pending', attempts: i + 1 });
      expect(row.last_error).toMatch(/^CRM\.QUOTA_EXHAUSTED/);
      await sql`update crm_writes set run_at = now() - interval '1 second' where id = ${q.id}`.execute(
        tdb.db,
      );
    }
    quotaSpent = false;
    await runner.drain();
    expect(await rowOf(q.id)).toMatchObject({ status: 'done', attempts: 5 });
    expect(hs.tasks.size).toBe(1);
  });

  it('a malformed payload parks with a readable message and no CRM call', async () => {
    const q = await queue({ payload: { key: 'x', lead: { system: 'hubspot', id: '1' } } });
    await createOutboxRunner({ handle: tdb, crm }).drain();
    const row = await rowOf(q.id);
    expect(row.status).toBe('parked');
    expect(row.last_error).toMatch(/^OUTBOX\.BAD_PAYLOAD: bad routing payload/);
    expect(hs.requests).toHaveLength(0);
  });

  it('claims a burst in one batch and writes it through the batch APIs (3 calls for 30 leads)', async () => {
    for (let i = 0; i < 30; i++) await queue();
    const runner = createOutboxRunner({ handle: tdb, crm, batchSize: 50 });
    expect(await runner.drain()).toBe(30);
    expect(hs.requests.map((r) => r.path)).toEqual([
      '/crm/v3/objects/contacts/batch/update',
      '/crm/v3/objects/tasks/batch/create',
      '/crm/v3/objects/notes/batch/create',
    ]);
    const done = await tdb.db
      .selectFrom('crm_writes')
      .select(['status'])
      .where('status', '=', 'done')
      .execute();
    expect(done).toHaveLength(30);
  });

  it('runs single-kind writes (fallback task) and only claims rows for its own CRM', async () => {
    const q = await queue({ kind: 'task' });
    const t = await queue({ crm: 'dryrun' });
    await sql`update crm_writes set payload = ${JSON.stringify({
      lead: { system: 'hubspot', object: 'contact', id: q.contactId },
      task: {
        subject: 'Switch channel',
        body: 'Try a call',
        dueUtc: '2026-03-03T15:00:00.000Z',
        channel: 'phone',
        priority: 'medium',
        ownerId: '51234567',
      },
    })}::jsonb where id = ${q.id}`.execute(tdb.db);
    await createOutboxRunner({ handle: tdb, crm }).drain();
    expect((await rowOf(q.id)).status).toBe('done');
    expect((await rowOf(t.id)).status).toBe('pending');
    expect(hs.tasks.size).toBe(1);
    // The dry run takes its own rows and records them in dryrun_writes, once.
    const dry = new DryRunCrm(dbDryRunSink(tdb.db as never));
    await createOutboxRunner({ handle: tdb, crm: dry }).drain();
    expect((await rowOf(t.id)).status).toBe('done');
    const recorded = await sql<{
      op: string;
    }>`select op from dryrun_writes where key = ${t.key} order by op`.execute(tdb.db);
    expect(recorded.rows.map((r) => r.op)).toEqual(['assign_owner', 'note', 'task']);
  });

  it('posts notify rows as { text } and parks a 4xx with the answer', async () => {
    const got: string[] = [];
    const { createServer } = await import('node:http');
    const srv = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        got.push(b);
        res.writeHead(req.url === '/bad' ? 404 : 200, { 'content-type': 'text/plain' });
        res.end(req.url === '/bad' ? 'no_service' : 'ok');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const ok = await queue({
        kind: 'notify',
        payload: {
          key: 'k',
          url: `http://127.0.0.1:${port}/hook`,
          text: 'Lead 7 untouched after 2d',
        },
      });
      const bad = await queue({
        kind: 'notify',
        payload: { key: 'k2', url: `http://127.0.0.1:${port}/bad`, text: 'x' },
      });
      await createOutboxRunner({ handle: tdb, crm }).drain();
      expect(got).toContain(JSON.stringify({ text: 'Lead 7 untouched after 2d' }));
      expect(await rowOf(ok.id)).toMatchObject({
        status: 'done',
        result: { notified: true, status: 200 },
      });
      const b = await rowOf(bad.id);
      expect(b.status).toBe('parked');
      expect(b.last_error).toMatch(/answered 404: no_service/);
    } finally {
      srv.close();
    }
  });

  it('start() wakes on NOTIFY / nudge and stop() releases cleanly', async () => {
    const runner = createOutboxRunner({ handle: tdb, crm, pollIntervalMs: 60_000 });
    await runner.start();
    const done = new Promise((resolve) => runner.events.once('write:done', resolve));
    const q = await queue();
    await sql`select pg_notify('crm_writes', '')`.execute(tdb.db);
    runner.nudge();
    await done;
    await runner.stop();
    expect((await rowOf(q.id)).status).toBe('done');
  });

  it.runIf(usingRealPostgres())(
    'two runners on two connections claim disjoint rows: each lead written once',
    async () => {
      for (let i = 0; i < 40; i++) await queue();
      const second = await openSecondHandle(tdb);
      try {
        const a = createOutboxRunner({ handle: tdb, crm, batchSize: 5, workerId: 'a' });
        const b = createOutboxRunner({ handle: second, crm, batchSize: 5, workerId: 'b' });
        const [na, nb] = await Promise.all([a.drain(), b.drain()]);
        expect(na + nb).toBe(40);
        expect(hs.tasks.size).toBe(40);
        const contacts = [...hs.tasks.values()].map((t) => t.contactIds[0]);
        expect(new Set(contacts).size).toBe(40);
      } finally {
        await second.close();
      }
    },
  );
});
