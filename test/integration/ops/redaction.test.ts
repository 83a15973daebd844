/**
 * No token, secret, signature or e-mail address reaches the log: every request kind that carries
 * one is sent through the real app and worker with a capturing pino destination, and the captured
 * JSON lines are grepped for each secret value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { createLogger } from '../../../src/logger.ts';
import { buildOpsApp, KIRA, TEST_TOKENS, type OpsApp } from './ops-app.ts';

const SIGNATURE = 'c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ=';
const SF_TOKEN = 'sf-path-token-do-not-log';
const HUBSPOT_SECRET = 'hubspot-client-secret-do-not-log';

describe('log redaction', () => {
  let tdb: TestDb;
  let t: OpsApp;
  const lines: string[] = [];
  beforeAll(async () => {
    tdb = await createTestDb();
    const log = createLogger('trace', { write: (s: string) => void lines.push(s) });
    t = await buildOpsApp(tdb, {
      log,
      env: {
        SALESFORCE_WEBHOOK_TOKEN: SF_TOKEN,
        SALESFORCE_ORG_ID: '00D000000000001EAA',
        HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET,
      },
    });
  }, 180_000); // opening PGlite takes seconds, minutes on a loaded CI machine
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  it('keeps tokens, secrets, signatures and e-mail addresses out of every log line', async () => {
    const lead = await t.app.inject({
      method: 'POST',
      url: '/leads',
      headers: { ...t.intake, 'idempotency-key': 'redaction-1' },
      payload: KIRA,
    });
    expect(lead.statusCode).toBe(202);
    await t.worker.drain();
    const id = lead.json().leadId as string;
    expect(
      (await t.app.inject({ method: 'GET', url: `/admin/leads/${id}`, headers: t.admin }))
        .statusCode,
    ).toBe(200);
    expect(
      (await t.app.inject({ method: 'GET', url: `/leads/${id}`, headers: t.admin })).statusCode,
    ).toBe(200);
    // Wrong tokens are secrets too (a typo of the real one).
    await t.app.inject({
      method: 'GET',
      url: '/admin/decisions',
      headers: { authorization: `Bearer ${TEST_TOKENS.admin}-typo` },
    });
    // The operator page's one-time ?token= login and its cookie.
    const login = await t.app.inject({ method: 'GET', url: `/ops?token=${TEST_TOKENS.admin}` });
    expect(login.statusCode).toBe(303);
    await t.app.inject({ method: 'GET', url: '/ops', cookies: { sb_admin: TEST_TOKENS.admin } });
    await t.app.inject({
      method: 'POST',
      url: '/ops/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${TEST_TOKENS.admin}`,
    });
    // A HubSpot delivery with a (wrong) v3 signature, and a Salesforce message with its path token.
    await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': SIGNATURE,
        'x-hubspot-signature': SIGNATURE,
        'x-hubspot-request-timestamp': String(t.clock.now().getTime()),
      },
      payload: JSON.stringify([
        {
          eventId: 1,
          subscriptionId: 2,
          portalId: 3,
          occurredAt: 4,
          subscriptionType: 'contact.creation',
          objectId: 5,
        },
      ]),
    });
    await t.app.inject({
      method: 'POST',
      url: `/webhooks/salesforce?token=${SF_TOKEN}`,
      headers: { 'content-type': 'text/xml' },
      payload: '<not-soap/>',
    });

    const text = lines.join('');
    // The capture works and saw the requests (so an empty log cannot pass).
    expect(lines.length).toBeGreaterThan(10);
    expect(text).toContain('/admin/leads/');
    expect(text).toContain('/webhooks/salesforce?token=[redacted]');
    expect(text).toContain('/ops?token=[redacted]');
    for (const secret of [
      TEST_TOKENS.admin,
      TEST_TOKENS.intake,
      SIGNATURE,
      SF_TOKEN,
      HUBSPOT_SECRET,
      KIRA.email,
      'cascadiafreight.example>',
    ]) {
      expect(text, `log leaks ${secret}`).not.toContain(secret);
    }
    expect(text).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.-]+/); // no e-mail address at all
  });

  it('writes one `request completed` line per request: its id, the request, status and what it stored', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/leads',
      headers: { ...t.intake, 'idempotency-key': 'request-line-1', 'x-request-id': 'req-line-1' },
      payload: KIRA,
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers['x-request-id']).toBe('req-line-1');
    const mine = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.reqId === 'req-line-1' && l.msg === 'request completed');
    expect(mine).toHaveLength(1);
    const line = mine[0]!;
    expect(line).toMatchObject({
      level: 30,
      service: 'switchboard',
      req: { method: 'POST', url: '/leads' },
      res: { statusCode: 202 },
      leadId: res.json().leadId,
      duplicate: false,
    });
    expect(typeof line.responseTime).toBe('number');
    expect(line).not.toHaveProperty('req.headers');
  });
});
