/**
 * CRM calls per routed lead and adapter write latency, against the local HubSpot / Salesforce
 * doubles answering at once (the real client libraries on the near side). Targets from issue 6:
 * a lone lead costs HubSpot ≤ 5 calls and Salesforce ≤ 2; a burst of 100 ≤ 0.1 calls per lead.
 */
import { performance } from 'node:perf_hooks';
import { HubSpotCrm } from '../src/adapters/hubspot/hubspot-crm.ts';
import { SalesforceCrm } from '../src/adapters/salesforce/salesforce-crm.ts';
import type { RoutingWrite } from '../src/adapters/crm-port.ts';
import { systemClock } from '../src/clock.ts';
import { HubSpotDouble } from '../test/helpers/hubspot-double.ts';
import { SalesforceDouble } from '../test/helpers/salesforce-double.ts';
import type { BenchRow } from './report.ts';

const OWNER_HS = '51234567';
const OWNER_SF = '005000000000001AAA';
// Generous pacing so the limiter never shapes the figures here (the tests cover pacing).
const rateLimit = { max: 100_000, intervalMs: 1_000 };

const write = (
  system: 'hubspot' | 'salesforce',
  id: string,
  key: string,
  owner: string,
): RoutingWrite => ({
  key,
  lead: { system, object: system === 'hubspot' ? 'contact' : 'lead', id },
  ownerId: owner,
  task: {
    subject: 'Call',
    body: 'Hello',
    dueUtc: '2026-03-02T15:10:00.000Z',
    channel: 'phone',
    priority: 'high',
    ownerId: owner,
  },
  note: 'Routed because: enterprise.',
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const hs = await new HubSpotDouble().start();
  const sf = await new SalesforceDouble().start();
  try {
    hs.addOwner(OWNER_HS, 'dana.whitfield@example.com');
    hs.addCompany('9001', { name: 'ACME', domain: 'acme.example', numberofemployees: '1200' });
    sf.addUser(OWNER_SF, 'dana@example.com');
    const hubspot = new HubSpotCrm(
      { accessToken: 'bench', baseUrl: hs.baseUrl, rateLimit },
      { clock: systemClock },
    );
    const salesforce = new SalesforceCrm(
      { instanceUrl: sf.baseUrl, auth: { kind: 'token', accessToken: 'test-token' }, rateLimit },
      { clock: systemClock },
    );

    // Lone lead: read contact (+ company), then owner, task, note.
    hs.addContact('1', { email: 'a@acme.example' }, ['9001']);
    let before = hs.requests.length;
    await hubspot.readLead({ system: 'hubspot', object: 'contact', id: '1' });
    await hubspot.writeRouting(write('hubspot', '1', 'b:1:route', OWNER_HS));
    const hsLone = hs.requests.length - before;
    rows.push({
      name: 'HubSpot calls, lone lead (read + write)',
      figure: hsLone,
      unit: 'calls',
      target: '≤ 5',
      met: hsLone <= 5,
      note: 'contact+companies assoc, company, owner PATCH, task, note',
    });

    const sfLead = sf.addLead({ LastName: 'Lee', Company: 'ACME' });
    before = sf.requests.length;
    await salesforce.readLead({ system: 'salesforce', object: 'lead', id: sfLead });
    await salesforce.writeRouting(write('salesforce', sfLead, 'b:1:route', OWNER_SF));
    const sfLone = sf.requests.length - before;
    rows.push({
      name: 'Salesforce calls, lone lead (read + composite)',
      figure: sfLone,
      unit: 'calls',
      target: '≤ 2',
      met: sfLone <= 2,
      note: 'the read is skipped when the outbound message carries the fields',
    });

    // Burst of 100: batch read + batch writes.
    const ids = Array.from({ length: 100 }, (_, i) => String(100 + i));
    for (const id of ids) hs.addContact(id, { email: `${id}@acme.example` }, ['9001']);
    before = hs.requests.length;
    await hubspot.readLeads(ids.map((id) => ({ system: 'hubspot', object: 'contact', id })));
    const hsRes = await hubspot.writeRoutings(
      ids.map((id) => write('hubspot', id, `burst:${id}:route`, OWNER_HS)),
    );
    const hsBurst = (hs.requests.length - before) / 100;
    const hsOk = hsRes.filter((r) => !(r instanceof Error)).length;
    rows.push({
      name: 'HubSpot calls per lead, burst of 100',
      figure: hsBurst,
      unit: 'calls/lead',
      target: '≤ 0.1',
      met: hsBurst <= 0.1 && hsOk === 100,
      note: `batch read, v4 assoc, companies, batch update, tasks, notes; ${hsOk}/100 written`,
    });

    const sfIds = Array.from({ length: 100 }, (_, i) =>
      sf.addLead({ LastName: `B${i}`, Company: 'C' }),
    );
    before = sf.requests.length;
    await salesforce.readLeads(sfIds.map((id) => ({ system: 'salesforce', object: 'lead', id })));
    const sfRes = await salesforce.writeRoutings(
      sfIds.map((id) => write('salesforce', id, `burst:${id}:route`, OWNER_SF)),
    );
    const sfBurst = (sf.requests.length - before) / 100;
    const sfOk = sfRes.filter((r) => !(r instanceof Error)).length;
    rows.push({
      name: 'Salesforce calls per lead, burst of 100',
      figure: sfBurst,
      unit: 'calls/lead',
      target: '≤ 0.1',
      met: sfBurst <= 0.1 && sfOk === 100,
      note: `SOQL read, Lead collection update, Task collection upsert; ${sfOk}/100 written`,
    });

    // Adapter write latency for lone leads (3 sequential HubSpot calls; 1 Salesforce composite).
    const hsLat: number[] = [];
    const sfLat: number[] = [];
    const deadline = performance.now() + 5_000;
    for (let i = 0; i < 200 && performance.now() < deadline; i++) {
      const id = String(10_000 + i);
      hs.addContact(id, { email: `${id}@x.example` });
      let t = performance.now();
      await hubspot.writeRouting(write('hubspot', id, `lat:${id}:route`, OWNER_HS));
      hsLat.push(performance.now() - t);
      const lid = sf.addLead({ LastName: `T${i}`, Company: 'C' });
      t = performance.now();
      await salesforce.writeRouting(write('salesforce', lid, `lat:${lid}:route`, OWNER_SF));
      sfLat.push(performance.now() - t);
    }
    for (const [name, xs] of [
      ['HubSpot', hsLat],
      ['Salesforce', sfLat],
    ] as const) {
      const p50 = pct(xs, 50);
      const p99 = pct(xs, 99);
      rows.push({
        name: `${name} writeRouting latency p50 (local double)`,
        figure: Math.round(p50 * 100) / 100,
        unit: 'ms',
        target: '≤ 20 ms',
        met: p50 <= 20,
        note: `p99 ${p99.toFixed(2)} ms over ${xs.length} sequential leads; adapter + client library + loopback HTTP, no DB`,
      });
    }
  } finally {
    await hs.stop();
    await sf.stop();
  }
  return rows;
}
