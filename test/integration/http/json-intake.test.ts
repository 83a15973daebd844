import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.ts';
import type { RoutingWrite } from '../../../src/adapters/crm-port.ts';

// Opening PGlite takes 1.3–4 s idle, far longer on a loaded machine (vitest's hook default is 60 s).
const PGLITE_OPEN_TIMEOUT = 180_000;

const kira = {
  email: 'kira.lindqvist@cascadiafreight.example',
  first_name: 'Kira',
  last_name: 'Lindqvist',
  title: 'Director of Operations',
  company: 'Cascadia Freight Co',
  domain: 'cascadiafreight.example',
  employees: 300,
  industry: 'Logistics',
  country: 'US',
  state: 'WA',
  source: { channel: 'web', form: 'contact' },
  message: 'We’re thinking through some operational rebuild work. Open to a conversation.',
  created_at: '2026-11-28T02:43:00-08:00',
};

describe('POST /leads → worker → GET /leads/:id', () => {
  let tdb: TestDb;
  let t: TestApp;
  beforeAll(async () => {
    tdb = await createTestDb();
    t = await buildTestApp(tdb);
  }, PGLITE_OPEN_TIMEOUT);
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  it('accepts a lead with 202 and its id, routes it once, and shows decision, trace and CRM write', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/leads',
      headers: { ...t.auth.intake, 'idempotency-key': 'form-123' },
      payload: kira,
    });
    expect(res.statusCode).toBe(202);
    const { leadId, duplicate } = res.json();
    expect(leadId).toMatch(/^\d+$/);
    expect(duplicate).toBe(false);
    expect(res.headers.location).toBe(`/leads/${leadId}`);

    const before = await t.app.inject({
      method: 'GET',
      url: `/leads/${leadId}`,
      headers: t.auth.admin,
    });
    expect(before.json()).toMatchObject({ id: leadId, status: 'pending', decision: null });

    expect(await t.worker.drain()).toBe(1);
    const view = (
      await t.app.inject({ method: 'GET', url: `/leads/${leadId}`, headers: t.auth.admin })
    ).json();
    expect(view.status).toBe('routed');
    expect(view.decision.leadType).toBe('strategic');
    expect(view.decision.assignee.handlerId).toBe('dana');
    expect(view.decision.configHash).toBe(t.router.configHash);
    expect(view.decision.trace.length).toBeGreaterThan(0);
    expect(view.crmWrites).toHaveLength(1);
    expect(view.crmWrites[0]).toMatchObject({
      step: 'route',
      kind: 'routing',
      crm: 'dryrun',
      status: 'pending',
    });
    expect(view.events).toEqual([
      expect.objectContaining({ source: 'json', status: 'done', outcome: 'routed' }),
    ]);

    const row = await tdb.db.selectFrom('crm_writes').selectAll().executeTakeFirstOrThrow();
    const write = row.payload as RoutingWrite;
    expect(write.key).toBe(`${leadId}:${view.decision.id}:route`);
    expect(row.key).toBe(write.key);
    expect(write.ownerId).toBe('51234567'); // dana's first configured CRM owner id (dry run)
    expect(write.note).toContain('Dana Whitfield');
    expect(write.task?.dueUtc).toBe(view.decision.sla?.dueUtc ?? view.decision.decidedAt);
  });

  it('answers a repeated Idempotency-Key with the same lead and stores nothing new', async () => {
    const again = await t.app.inject({
      method: 'POST',
      url: '/leads',
      headers: { ...t.auth.intake, 'idempotency-key': 'form-123' },
      payload: kira,
    });
    expect(again.statusCode).toBe(202);
    expect(again.json().duplicate).toBe(true);
    expect(await t.worker.drain()).toBe(0);
    const counts = await Promise.all(
      (['inbox', 'leads', 'decisions', 'crm_writes'] as const).map(async (tbl) =>
        Number(
          (
            await tdb.db
              .selectFrom(tbl)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ),
    );
    expect(counts).toEqual([1, 1, 1, 1]);
  });

  it('dedupes an identical body without a key by its hash', async () => {
    const lead = { ...kira, email: 'hash@example.test' };
    const a = await t.app.inject({
      method: 'POST',
      url: '/leads',
      headers: t.auth.intake,
      payload: lead,
    });
    const b = await t.app.inject({
      method: 'POST',
      url: '/leads',
      headers: t.auth.intake,
      payload: lead,
    });
    expect(b.json().leadId).toBe(a.json().leadId);
    expect(b.json().duplicate).toBe(true);
  });

  it('refuses bad input with 401/400/413/415 and writes nothing', async () => {
    const before = Number(
      (
        await tdb.db
          .selectFrom('inbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const cases = [
      { headers: {}, payload: kira, status: 401 },
      { headers: { authorization: 'Bearer wrong' }, payload: kira, status: 401 },
      { headers: t.auth.intake, payload: { ...kira, employees: 'lots' }, status: 400 },
      { headers: t.auth.intake, payload: { ...kira, surprise: true }, status: 400 },
      { headers: t.auth.intake, payload: [kira], status: 400 },
      {
        headers: { ...t.auth.intake, 'content-type': 'application/json' },
        payload: '{"email":',
        status: 400,
      },
      {
        headers: { ...t.auth.intake, 'content-type': 'text/plain' },
        payload: 'hello',
        status: 415,
      },
      { headers: t.auth.intake, payload: { ...kira, message: 'x'.repeat(1_100_000) }, status: 413 },
    ];
    for (const c of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/leads',
        headers: c.headers,
        payload: c.payload,
      });
      expect({ status: res.statusCode, code: typeof res.json().error?.code }).toEqual({
        status: c.status,
        code: 'string',
      });
    }
    const after = Number(
      (
        await tdb.db
          .selectFrom('inbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(after).toBe(before);
  });

  it('keeps the admin view behind ADMIN_TOKEN', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/leads/1' })).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: 'GET', url: '/leads/1', headers: t.auth.intake })).statusCode,
    ).toBe(401);
    expect(
      (await t.app.inject({ method: 'GET', url: '/leads/999999', headers: t.auth.admin }))
        .statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'GET', url: '/leads/abc', headers: t.auth.admin })).statusCode,
    ).toBe(400);
  });

  it('reports health and readiness', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
      status: 'ok',
    });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ db: 'ok', config: 'loaded' });
  });
});
