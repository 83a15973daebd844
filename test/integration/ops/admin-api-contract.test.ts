/**
 * The admin API against its own OpenAPI document: every documented operational route exists,
 * refuses a missing or wrong token with the same bare 401, answers with the documented shape, and
 * answers 404 for unknown ids where it documents one.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildOpsApp, KIRA, routeLead, TEST_TOKENS, type OpsApp } from './ops-app.ts';
import { checkShape, type Schema } from './schema-check.ts';

type Operation = {
  security?: Array<Record<string, unknown>>;
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** Intake routes are signed/tokened differently and covered by the intake suites. */
const INTAKE = new Set(['POST /leads', 'POST /webhooks/hubspot', 'POST /webhooks/salesforce']);
const isAdminPath = (method: string, path: string) =>
  path.startsWith('/admin/') || `${method} ${path}` === 'GET /leads/{id}';

describe('admin API contract (OpenAPI at /docs/json)', () => {
  let tdb: TestDb;
  let t: OpsApp;
  let doc: Doc;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    tdb = await createTestDb();
    t = await buildOpsApp(tdb);
    ids.lead = await routeLead(t, KIRA, 'contract-kira');
    const db = tdb.db;
    const lead = await db
      .selectFrom('leads')
      .select('crm_id')
      .where('id', '=', ids.lead)
      .executeTakeFirstOrThrow();
    ids.crmId = lead.crm_id;
    // Park what a bad day parks: the CRM write, a timer, an inbox event.
    const w = await db
      .updateTable('crm_writes')
      .set({ status: 'parked', last_error: 'CRM.REJECTED 400: owner inactive' })
      .where('lead_id', '=', ids.lead)
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.write = w.id;
    // A parked fallback timer of that decision (seeded directly: the plan depends on the config).
    const timer = await sql<{ id: string }>`
      insert into timers (lead_id, decision_id, checkpoint_id, key, run_at, status, attempts,
                          max_attempts, last_error, config_hash, plan, since)
      select lead_id, id, 'sla', lead_id || ':' || id || ':contract', decided_at + interval '10 minutes',
             'parked', 5, 5, 'engagement read failed: CRM.UNAVAILABLE', config_hash,
             '{"id":"sla","after":"10m","dueUtc":"2026-11-28T10:53:00Z","branches":[]}'::jsonb, decided_at
      from decisions where lead_id = ${ids.lead}
      returning id::text`.execute(db);
    ids.timer = timer.rows[0]!.id;
    const ev = await db
      .insertInto('inbox')
      .values({
        source: 'hubspot',
        dedupe_key: 'contract-parked',
        kind: 'route',
        payload: JSON.stringify({ ref: { system: 'hubspot', object: 'contact', id: '42' } }),
        status: 'parked',
        last_error: 'CRM.NOT_FOUND',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.inbox = ev.id;
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    doc = res.json() as Doc;
  }, 180_000); // opening PGlite takes seconds, minutes on a loaded CI machine
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
    );

  const urlFor = (method: string, path: string, idOverride?: string) =>
    path
      .replace('{crmId}', encodeURIComponent(idOverride ?? ids.crmId!))
      .replace(
        '{id}',
        idOverride ??
          (path.startsWith('/admin/crm-writes')
            ? ids.write!
            : path.startsWith('/admin/timers')
              ? ids.timer!
              : path.startsWith('/admin/inbox')
                ? ids.inbox!
                : ids.lead!),
      );

  it('documents the operational routes', () => {
    expect(doc.openapi).toMatch(/^3\./);
    const listed = operations().map((o) => `${o.method} ${o.path}`);
    for (const r of [
      'GET /admin/leads/{id}',
      'GET /admin/leads/by-crm-id/{crmId}',
      'GET /admin/decisions',
      'GET /admin/slas',
      'GET /admin/parked',
      'POST /admin/crm-writes/{id}/retry',
      'POST /admin/timers/{id}/retry',
      'GET /admin/config',
      'POST /admin/config/reload',
      'GET /leads/{id}',
      'GET /metrics',
      'GET /healthz',
    ]) {
      expect(listed).toContain(r);
    }
  });

  it('refuses a missing or wrong admin token on every admin route with the same bare 401', async () => {
    const admin = operations().filter((o) => isAdminPath(o.method, o.path));
    expect(admin.length).toBeGreaterThanOrEqual(10);
    for (const { method, path } of admin) {
      const url = urlFor(method, path);
      const none = await t.app.inject({ method: method as 'GET', url });
      const wrong = await t.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${TEST_TOKENS.admin}x` },
      });
      const cookieOnly = await t.app.inject({
        method: method as 'GET',
        url,
        cookies: { sb_admin: 'nope' },
      });
      for (const r of [none, wrong, cookieOnly]) {
        expect(r.statusCode, `${method} ${path}`).toBe(401);
        expect(r.json().error.code).toBe('AUTH.UNAUTHORIZED');
        expect(r.body).not.toContain(TEST_TOKENS.admin);
      }
      expect(wrong.body).toBe(none.body);
    }
  });

  it('answers every documented route with the documented shape', async () => {
    for (const { method, path, op } of operations()) {
      if (INTAKE.has(`${method} ${path}`) || path === '/admin/inbox/{id}/retry') continue;
      const res = await t.app.inject({
        method: method as 'GET',
        url: urlFor(method, path),
        headers: t.admin,
      });
      expect(res.statusCode, `${method} ${path}: ${res.body.slice(0, 300)}`).toBe(200);
      const schema = op.responses['200']?.content?.['application/json']?.schema;
      if (schema) {
        expect(checkShape(res.json(), schema), `${method} ${path}`).toEqual([]);
      }
    }
  });

  it('explains the decision in plain words and finds the lead by its CRM id', async () => {
    const byId = (
      await t.app.inject({ method: 'GET', url: `/admin/leads/${ids.lead}`, headers: t.admin })
    ).json();
    expect(byId.decision.leadType).toBe('strategic');
    expect(byId.decision.assignee.handlerId).toBe('dana');
    expect(byId.decision.trace.length).toBeGreaterThan(0);
    expect(byId.explanation).toContain('Dana Whitfield');
    expect(byId.timers.length).toBeGreaterThan(0);
    const byCrm = (
      await t.app.inject({
        method: 'GET',
        url: `/admin/leads/by-crm-id/${encodeURIComponent(ids.crmId!)}?system=json`,
        headers: t.admin,
      })
    ).json();
    expect(byCrm.id).toBe(ids.lead);
    expect(byCrm.matches).toEqual([ids.lead]);
  });

  it('retried parked items leave the parked list, and a second retry is a 404', async () => {
    const parked = await t.app.inject({ method: 'GET', url: '/admin/parked', headers: t.admin });
    // The retries in the shape test already re-queued the write and the timer.
    expect(parked.json().crmWrites).toEqual([]);
    expect(parked.json().events.map((e: { id: string }) => e.id)).toContain(ids.inbox);
    const again = await t.app.inject({
      method: 'POST',
      url: `/admin/crm-writes/${ids.write}/retry`,
      headers: t.admin,
    });
    expect(again.statusCode).toBe(404);
    const row = await tdb.db
      .selectFrom('crm_writes')
      .select(['status', 'attempts'])
      .where('id', '=', ids.write!)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'pending', attempts: 0 });
  });

  it('answers 404 for unknown ids wherever it documents a 404', async () => {
    const with404 = operations().filter(
      (o) => o.op.responses['404'] && (o.path.includes('{id}') || o.path.includes('{crmId}')),
    );
    expect(with404.length).toBeGreaterThanOrEqual(4);
    for (const { method, path, op } of with404) {
      const res = await t.app.inject({
        method: method as 'GET',
        url: urlFor(method, path, '987654321'),
        headers: t.admin,
      });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(
        checkShape(res.json(), op.responses['404']!.content!['application/json']!.schema),
      ).toEqual([]);
    }
  });

  it('rejects a malformed id with 400 before touching the database', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/leads/abc', headers: t.admin });
    expect(res.statusCode).toBe(400);
  });
});
