import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { runCli } from './run-cli.ts';

describe('switchboard replay --source crm (HubSpot double)', () => {
  let hs: HubSpotDouble;
  const saved = { ...process.env };
  const dir = mkdtempSync(join(tmpdir(), 'sb-replay-crm-'));
  const proposed = join(dir, 'proposed.yaml');

  beforeAll(async () => {
    // The proposal moves partner introductions from theo to jordan.
    const text = readFileSync('config/routing.yaml', 'utf8').replace(
      /(- id: partner_referral[\s\S]*?handler: )theo/,
      '$1jordan',
    );
    writeFileSync(proposed, text);
    hs = await new HubSpotDouble().start();
    hs.addContact('201', {
      email: 'a@p.example',
      company: 'Via Partner',
      hs_analytics_source: 'Partner',
      createdate: '2026-12-01T15:00:00Z',
    });
    hs.addContact('202', {
      email: 'b@x.example',
      company: 'Unknown Size',
      hs_analytics_source: 'ORGANIC_SEARCH',
      createdate: '2026-12-01T16:00:00Z',
    });
    Object.assign(process.env, {
      CRM: 'hubspot',
      HUBSPOT_ACCESS_TOKEN: 'test-token',
      HUBSPOT_BASE_URL: hs.baseUrl,
    });
  });
  afterAll(async () => {
    for (const k of ['CRM', 'HUBSPOT_ACCESS_TOKEN', 'HUBSPOT_BASE_URL'])
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    await hs.stop();
  });

  it('re-decides the CRM’s recent leads at their created time and shows the change', async () => {
    const r = await runCli([
      'replay',
      '--source',
      'crm',
      '--last',
      '2',
      '--config',
      proposed,
      '--base',
      'config/routing.yaml',
      '--format',
      'json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      leads: number;
      unchanged: number;
      changed: Array<{ id: string; label: string; at: string; changes: unknown[] }>;
    };
    expect(j.leads).toBe(2);
    expect(j.unchanged).toBe(1);
    expect(j.changed).toEqual([
      {
        id: '201',
        label: 'Via Partner',
        at: '2026-12-01T15:00:00.000Z',
        changes: [{ field: 'handler', before: 'theo', after: 'jordan' }],
        before: expect.objectContaining({ type: 'partner_referral' }),
        after: expect.objectContaining({ type: 'partner_referral', handler: 'jordan' }),
        rotationOnly: false,
      },
    ]);
  });
});
