/**
 * The running service (startServer, CRM=hubspot against the local HubSpot double):
 * - `switchboard_crm_calls_total` counts every HTTP request — the worker's reads and the outbox's
 *   writes — with its status, including a 429 the double answers and the retry after it;
 * - a reload with a changed `crm_mapping` (POST /admin/config/reload) makes the worker's next CRM
 *   read ask for the new properties, without a restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.ts';
import { loadEnv } from '../../../src/env.ts';
import { createLogger } from '../../../src/logger.ts';
import { signV3 } from '../../../src/intake/hubspot-signature.ts';
import { HubSpotDouble, RATE_LIMIT_429 } from '../../helpers/hubspot-double.ts';
import { HUBSPOT_TEST_SECRET } from '../../helpers/build-test-app.ts';
import { createTestDb, type TestDb } from '../../helpers/test-db.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-crm-calls-'));
const configFile = path.join(tmp, 'routing.yaml');
const GOOD = fs.readFileSync('config/routing.yaml', 'utf8');
const REMAPPED = `${GOOD}
crm_mapping:
  hubspot:
    contact:
      fields.team_size: team_size__c
`;
const PUBLIC_URL = 'https://switchboard.example.com';
const admin = { authorization: 'Bearer ad' };

/** Sum of every sample of `name` whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[kv[1]!] = kv[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

describe('CRM calls and live crm_mapping on the running service (HubSpot double)', () => {
  let tdb: TestDb | null = null;
  let hs: HubSpotDouble;
  let server: RunningServer;
  let eventId = 9_100_000;

  beforeAll(async () => {
    fs.writeFileSync(configFile, GOOD);
    hs = await new HubSpotDouble().start();
    for (let i = 0; i < 10; i++) hs.addOwner(String(51234567 + i), `owner${i}.person@example.com`);
    hs.addCompany('901', {
      name: 'Cascadia Freight Co',
      domain: 'cascadiafreight.example',
      numberofemployees: '300',
      industry: 'Logistics',
    });
    hs.addContact('501', { email: 'kira@cascadiafreight.example', firstname: 'Kira' }, ['901']);
    hs.addContact('502', { email: 'ola@cascadiafreight.example', team_size__c: '12' }, ['901']);
    if (process.env.DATABASE_URL) tdb = await createTestDb();
    const env = loadEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_TOKEN: 'ad',
      ROUTING_CONFIG: configFile,
      CRM: 'hubspot',
      HUBSPOT_ACCESS_TOKEN: 'test-token',
      HUBSPOT_BASE_URL: hs.baseUrl,
      HUBSPOT_CLIENT_SECRET: HUBSPOT_TEST_SECRET,
      PUBLIC_URL,
      ...(tdb?.url ? { DATABASE_URL: tdb.url } : { PGLITE_DIR: path.join(tmp, 'pglite') }),
    });
    server = await startServer({ env, log: createLogger('silent') });
    await server.ownerReport; // its owner list read is traffic too; let it finish first
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await hs?.stop();
    await tdb?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A signed contact.creation delivery; resolves once the outbox has written the lead. */
  async function deliver(contactId: string): Promise<void> {
    const written = new Promise((resolve) => server.outbox.events.once('write:done', resolve));
    const body = JSON.stringify([
      {
        eventId: eventId++,
        subscriptionId: 22,
        portalId: 62515,
        appId: 54321,
        occurredAt: Date.now(),
        subscriptionType: 'contact.creation',
        attemptNumber: 0,
        objectId: Number(contactId),
        changeSource: 'CRM_UI',
        changeFlag: 'CREATED',
      },
    ]);
    const timestamp = String(Date.now());
    const uri = `${PUBLIC_URL}/webhooks/hubspot`;
    const res = await fetch(`${server.url}/webhooks/hubspot`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-request-timestamp': timestamp,
        'x-hubspot-signature-v3': signV3(HUBSPOT_TEST_SECRET, 'POST', uri, body, timestamp),
      },
      body,
    });
    expect(res.status).toBe(200);
    await written;
  }

  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
  const contactReads = () =>
    hs.requests.filter(
      (r) =>
        (r.method === 'GET' && r.path.startsWith('/crm/v3/objects/contacts/')) ||
        (r.method === 'POST' && r.path === '/crm/v3/objects/contacts/batch/read'),
    );
  const propsOf = (r: (typeof hs.requests)[number]) =>
    r.method === 'GET' ? r.query.properties! : (r.body as { properties: string[] }).properties;

  it('counts the reads and the writes with their statuses, the 429 and its retry included', async () => {
    let limited = 0;
    // The first write the double sees is answered with HubSpot's ten-secondly 429.
    hs.fault = (req) =>
      req.method !== 'GET' && !req.path.endsWith('/batch/read') && limited++ === 0
        ? { status: 429, headers: { 'Retry-After': '0' }, body: RATE_LIMIT_429 }
        : undefined;
    try {
      await deliver('501');
    } finally {
      hs.fault = undefined;
    }
    expect(limited).toBeGreaterThan(1);
    const text = await scrape();
    const calls = 'switchboard_crm_calls_total';
    const writes = hs.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/batch/read'));
    // Every write request the double saw is counted once, 429 included.
    expect(total(text, calls, { crm: 'hubspot', operation: 'write' })).toBe(writes.length);
    expect(total(text, calls, { crm: 'hubspot', operation: 'write', status: '429' })).toBe(1);
    const first = writes[0]!;
    const call = first.method === 'PATCH' ? 'set contact owner' : 'batch set owners';
    expect(total(text, calls, { crm: 'hubspot', call, status: '429' })).toBe(1);
    expect(total(text, calls, { crm: 'hubspot', call, status: '200' })).toBe(1);
    expect(total(text, calls, { crm: 'hubspot', operation: 'write', status: '201' })).toBe(
      writes.length - 2,
    );
    // The worker's reads of the contact, and the start-up owner list, are counted as reads.
    expect(contactReads().length).toBeGreaterThan(0);
    expect(total(text, calls, { crm: 'hubspot', operation: 'read', status: '200' })).toBe(
      hs.requests.filter((r) => r.method === 'GET' || r.path.endsWith('/batch/read')).length,
    );
    expect(total(text, calls, { crm: 'hubspot', call: 'list owners', status: '200' })).toBe(2);
    // The outbox still counts its one write attempt, which succeeded after the adapter's retry.
    expect(total(text, 'switchboard_crm_writes_total', { crm: 'hubspot', status: 'ok' })).toBe(1);
  });

  it('a reload with a changed crm_mapping: the next read asks for the new property', async () => {
    expect(propsOf(contactReads().at(-1)!)).not.toContain('team_size__c');
    fs.writeFileSync(configFile, REMAPPED);
    const res = await fetch(`${server.url}/admin/config/reload`, {
      method: 'POST',
      headers: admin,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: string }).result).toBe('applied');

    const before = contactReads().length;
    await deliver('502');
    const reads = contactReads().slice(before);
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(propsOf(r)).toContain('team_size__c');
    const lead = await fetch(`${server.url}/admin/leads/by-crm-id/502?system=hubspot`, {
      headers: admin,
    });
    expect(lead.status).toBe(200);
    expect(JSON.stringify(await lead.json())).toContain('"team_size":"12"');
  });
});
