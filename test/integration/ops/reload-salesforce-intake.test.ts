/**
 * Salesforce outbound messages carry the lead's fields, mapped at receipt through `crm_mapping`:
 * after a reload the endpoint maps the next message with the new section (no restart).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';
import { SALESFORCE_TEST_ORG } from '../../helpers/build-test-app.ts';
import { buildOpsApp, type OpsApp } from './ops-app.ts';

const GOOD = fs.readFileSync('config/routing.yaml', 'utf8');
const REMAPPED = `${GOOD}
crm_mapping:
  salesforce:
    lead:
      fields.source_raw: LeadSource
`;
const message = fs.readFileSync(
  new URL('../../fixtures/salesforce/outbound-message.xml', import.meta.url),
  'utf8',
);
const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };

describe('POST /webhooks/salesforce maps with the crm_mapping in use', () => {
  let tdb: TestDb;
  let t: OpsApp;
  let file: string;
  beforeAll(async () => {
    tdb = await createTestDb();
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sb-reload-sf-')), 'routing.yaml');
    fs.writeFileSync(file, GOOD);
    t = await buildOpsApp(tdb, {
      configPath: file,
      env: { SALESFORCE_ORG_ID: SALESFORCE_TEST_ORG },
    });
  }, 180_000); // opening PGlite takes seconds, minutes on a loaded CI machine
  afterAll(async () => {
    await t.close();
    await tdb.close();
  });

  /** The lead stored in the inbox for the notification about this Lead id. */
  const storedLead = async (leadId: string) => {
    const rows = await sql<{ payload: { lead: { fields?: Record<string, unknown> } } }>`
      select payload from inbox where payload->'ref'->>'id' = ${leadId}
      order by id desc limit 1`.execute(tdb.db);
    return rows.rows[0]!.payload.lead;
  };

  const post = (text: string) =>
    t.app.inject({ method: 'POST', url: '/webhooks/salesforce', headers, payload: text });

  it('maps the next message with the reloaded section', async () => {
    expect((await post(message)).statusCode).toBe(200);
    expect((await storedLead('00Q000000000001EAA')).fields?.source_raw).toBeUndefined();

    fs.writeFileSync(file, REMAPPED);
    expect((await t.config.reload('api')).result).toBe('applied');
    // A new delivery (new notification and Lead ids): the old ones would be duplicates.
    const next = message
      .replaceAll('04l000000000001AAA', '04l000000000009AAA')
      .replaceAll('00Q000000000001EAA', '00Q000000000009EAA');
    expect((await post(next)).statusCode).toBe(200);
    expect((await storedLead('00Q000000000009EAA')).fields?.source_raw).toBe('Web');
  });
});
