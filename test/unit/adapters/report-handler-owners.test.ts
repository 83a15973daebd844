/**
 * Issue 6 at start: the server names the handlers whose owner id the CRM does not know, against
 * the local HubSpot double (real adapter, real HTTP), and never fails start on a CRM outage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrm } from '../../../src/adapters/create-crm.ts';
import { reportHandlerOwners } from '../../../src/adapters/report-handler-owners.ts';
import { manualClock } from '../../../src/clock.ts';
import { HubSpotDouble } from '../../helpers/hubspot-double.ts';
import { people } from '../routing/people-fixture.ts';

const clock = manualClock(new Date('2026-11-27T12:00:00Z'));

function recordingLog() {
  const lines: Array<{ level: 'info' | 'warn'; obj: object; msg: string }> = [];
  return {
    lines,
    info: (obj: object, msg: string) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => void lines.push({ level: 'warn', obj, msg }),
  };
}

describe('reportHandlerOwners', () => {
  let hs: HubSpotDouble;
  const config = { people: people() }; // dana … ava: hubspot owner ids 51234567 … 51234572
  const hubspot = () =>
    createCrm(
      {
        crm: 'hubspot',
        hubspot: {
          accessToken: 'test-token',
          baseUrl: hs.baseUrl,
          retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 2 },
        },
      },
      { clock },
    );

  beforeAll(async () => {
    hs = await new HubSpotDouble().start();
    hs.addOwner('51234567', 'dana.whitfield@example.com');
    hs.addOwner('51234568', 'marcus.reed@example.com');
    hs.addOwner('51234569', 'sam.ortiz@example.com');
    // lee (51234570) is not in HubSpot at all; priya (51234571) was deactivated.
    hs.addOwner('51234571', 'priya.nair@example.com', true);
    hs.addOwner('51234572', 'ava.stone@example.com');
  });
  afterAll(async () => {
    await hs?.stop();
  });

  it('warns naming the handler whose owner id HubSpot does not know', async () => {
    const log = recordingLog();
    const report = await reportHandlerOwners(hubspot(), config, log);
    expect(report).toMatchObject({ ok: false, missing: ['lee'] });
    expect(report!.message).toContain('unknown in hubspot: lee (51234570)');
    expect(log.lines).toEqual([
      { level: 'warn', obj: expect.objectContaining({ missing: ['lee'] }), msg: report!.message },
    ]);
    expect(report!.missing.concat(report!.inactive)).not.toContain('dana');
  });

  it('names the handler whose owner was archived as inactive', async () => {
    const report = await reportHandlerOwners(hubspot(), config, recordingLog());
    expect(report).toMatchObject({ missing: ['lee'], inactive: ['priya'], unset: [] });
    expect(report!.message).toContain('inactive in hubspot: priya (51234571)');
  });

  it('a CRM outage at start is logged and does not throw', async () => {
    hs.outage = true;
    try {
      const log = recordingLog();
      await expect(reportHandlerOwners(hubspot(), config, log)).resolves.toBeNull();
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]!.level).toBe('warn');
      expect(log.lines[0]!.msg).toMatch(/could not check handler owner ids in hubspot at start/);
    } finally {
      hs.outage = false;
    }
  });

  it('is skipped for the dry-run CRM', async () => {
    const log = recordingLog();
    const crm = createCrm({ crm: 'dryrun', dryrun: { owners: [] } }, { clock });
    expect(await reportHandlerOwners(crm, config, log)).toBeNull();
    expect(log.lines).toEqual([]);
  });
});
