/** The operator page over HTTP: sign-in flows, what it shows, and that lead data is escaped. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { buildOpsApp, KIRA, routeLead, TEST_TOKENS, type OpsApp } from './ops-app.ts';

describe('GET /ops (operator page)', () => {
  let tdb: TestDb;
  let t: OpsApp;
  let leadId: string;
  beforeAll(async () => {
    tdb = await createTestDb();
    t = await buildOpsApp(tdb);
    leadId = await routeLead(t, KIRA, 'page-kira');
    await routeLead(
      t,
      { ...KIRA, company: '<script>alert(1)</script> Ltd', employees: 5 },
      'page-xss',
    );
    await tdb.db
      .updateTable('crm_writes')
      .set({ status: 'parked', last_error: 'CRM.REJECTED 400: owner 51234567 is inactive' })
      .where('lead_id', '=', leadId)
      .execute();
  }, 180_000); // opening PGlite takes seconds, minutes on a loaded CI machine
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  it('shows a sign-in form (401) without a token, and rejects a wrong one', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/ops' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toMatch(/text\/html/);
    expect(none.body).toContain('<form class="login" method="post" action="/ops/login">');
    expect(none.body).not.toContain('Cascadia');
    const wrong = await t.app.inject({ method: 'GET', url: '/ops?token=nope' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('not accepted');
    const wrongPost = await t.app.inject({
      method: 'POST',
      url: '/ops/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=nope',
    });
    expect(wrongPost.statusCode).toBe(401);
    expect(wrongPost.headers['set-cookie']).toBeUndefined();
  });

  it('signs in by form or ?token= with an HttpOnly SameSite=Strict cookie and drops the token from the URL', async () => {
    for (const res of [
      await t.app.inject({
        method: 'POST',
        url: '/ops/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `token=${encodeURIComponent(TEST_TOKENS.admin)}`,
      }),
      await t.app.inject({ method: 'GET', url: `/ops?token=${TEST_TOKENS.admin}` }),
    ]) {
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/ops');
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/^sb_admin=/);
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(cookie).toContain('Path=/ops');
    }
    const out = await t.app.inject({ method: 'POST', url: '/ops/logout' });
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
  });

  it('shows recent decisions with their reasons, open SLAs with time left, and parked items', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/ops',
      cookies: { sb_admin: TEST_TOKENS.admin },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const html = res.body;
    expect(html).toContain('Cascadia Freight Co');
    expect(html).toContain('<td class="lead-type">strategic');
    expect(html).toContain('Dana Whitfield');
    const decisions = (
      await t.app.inject({ method: 'GET', url: '/admin/decisions', headers: t.admin })
    ).json().decisions as Array<{ leadId: string; reasons: string[] }>;
    const kira = decisions.find((d) => d.leadId === leadId)!;
    expect(kira.reasons.length).toBeGreaterThan(0);
    for (const reason of kira.reasons) expect(html).toContain(escape(reason));
    expect(html).toMatch(/<section id="slas">[\s\S]*in 4h 27m/); // due 07:10 PT (weekend cover opens 07:00), now 02:43 PT
    expect(html).toContain('owner 51234567 is inactive');
    expect(html).not.toContain(KIRA.email);
  });

  it('escapes lead data', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ops', headers: t.admin });
    expect(res.body).not.toContain('<script>alert(1)</script>');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Ltd');
  });
});

const escape = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
