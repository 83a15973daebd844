import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SalesforceCrm } from '../../../src/adapters/salesforce/salesforce-crm.ts';
import { CrmError } from '../../../src/adapters/crm-error.ts';
import type { CrmLog } from '../../../src/adapters/crm-deps.ts';
import type { RoutingWrite } from '../../../src/adapters/crm-port.ts';
import { virtualTime } from './virtual-time.ts';
import { SalesforceDouble } from '../../helpers/salesforce-double.ts';

const T0 = '2026-03-02T15:00:00.000Z';
const DANA = '005000000000001AAA';
const HOLD_MS = 300_000;

describe('SalesforceCrm acts on Sforce-Limit-Info (the org’s 24 h API allowance)', () => {
  let sf: SalesforceDouble;
  let crm: SalesforceCrm;
  let vt: ReturnType<typeof virtualTime>;
  let leadId: string;
  let logs: Array<{ level: 'info' | 'warn'; msg: string; obj: Record<string, unknown> }>;

  const write = (key: string): RoutingWrite => ({
    key,
    lead: { system: 'salesforce', object: 'lead', id: leadId },
    ownerId: DANA,
    task: {
      subject: 'Call Pat',
      body: 'Hi Pat',
      dueUtc: '2026-03-02T15:10:00.000Z',
      channel: 'phone',
      priority: 'high',
      ownerId: DANA,
    },
    note: 'Routed to Dana.',
  });
  const warnings = () => logs.filter((l) => l.level === 'warn');

  beforeEach(async () => {
    vt = virtualTime(T0);
    sf = await new SalesforceDouble({ now: () => vt.clock.now().getTime() }).start();
    sf.addUser(DANA, 'dana@example.com');
    leadId = sf.addLead({ LastName: 'Lee', Company: 'ACME' });
    sf.apiLimit = 1000;
    logs = [];
    const log: CrmLog = {
      info: (obj, msg) => logs.push({ level: 'info', msg, obj: obj as Record<string, unknown> }),
      warn: (obj, msg) => logs.push({ level: 'warn', msg, obj: obj as Record<string, unknown> }),
    };
    crm = new SalesforceCrm(
      {
        instanceUrl: sf.baseUrl,
        auth: { kind: 'token', accessToken: 'test-token' },
        retry: { minTimeoutMs: 1, maxTimeoutMs: 5 },
        apiUsageThreshold: 0.9,
        quotaHoldMs: HOLD_MS,
      },
      { clock: vt.clock, sleep: vt.sleep, log },
    );
    const c = crm;
    vt.state.busy = () => c.inFlight;
  });
  afterEach(() => sf.stop());

  it('above the threshold: warns once, paces routing writes to the refill rate, refuses replay reads', async () => {
    sf.apiUsed = 898;
    await crm.writeRouting(write('1:a:route')); // answered with 899/1000: under 90 %
    expect(crm.apiAllowanceState).toBe('normal');
    await crm.writeRouting(write('1:b:route')); // 900/1000: crossed
    expect(crm.apiUsage).toEqual({ used: 900, limit: 1000 });
    expect(crm.apiAllowanceState).toBe('conserving');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toMatch(/crossed 90% of its 24 h allowance \(900\/1,000 calls/);
    expect(warnings()[0]!.obj).toMatchObject({ used: 900, limit: 1000, pacePerMinute: 1 });

    // Routing still goes through, paced: 1000 / 1440 per minute rounds to 1 call a minute.
    await crm.writeRouting(write('1:c:route'));
    await crm.writeRouting(write('1:d:route'));
    const at = sf.requests.map((r) => r.at);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(60_000);
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(60_000);
    expect(sf.tasks.size).toBe(8);

    // Replay / taxonomy reads are not urgent: refused without a request.
    const sent = sf.requests.length;
    const err = await crm.listRecentLeads({ limit: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrmError);
    expect(err).toMatchObject({ code: 'CRM.QUOTA_EXHAUSTED', crm: 'salesforce' });
    expect((err as CrmError).message).toMatch(/list recent leads is held back/);
    expect(sf.requests).toHaveLength(sent);
    // Still above: no second warning for the same crossing.
    expect(warnings()).toHaveLength(1);

    // Usage falls (the 24 h window rolls on): normal pace, replay reads again, one info line.
    sf.apiUsed = 500;
    await crm.writeRouting(write('1:e:route'));
    expect(crm.apiAllowanceState).toBe('normal');
    expect(logs.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([
      'Salesforce org API usage is back under the threshold: normal pacing',
    ]);
    await crm.listRecentLeads({ limit: 5 });

    // A second crossing warns again.
    sf.apiUsed = 950;
    await crm.writeRouting(write('1:f:route'));
    expect(warnings()).toHaveLength(2);
  });

  it('at the limit: holds every call (CRM.QUOTA_EXHAUSTED with Retry-After for the outbox), then probes', async () => {
    sf.apiUsed = 999;
    await crm.writeRouting(write('2:a:route')); // answered with 1000/1000
    expect(crm.apiAllowanceState).toBe('held');
    const sent = sf.requests.length;
    const err = (await crm.writeRouting(write('2:b:route')).catch((e: unknown) => e)) as CrmError;
    expect(err).toBeInstanceOf(CrmError);
    expect(err.code).toBe('CRM.QUOTA_EXHAUSTED');
    expect(err.retryAfterMs).toBe(HOLD_MS);
    expect(err.message).toMatch(/allowance is spent \(1,000\/1,000 calls in the last 24 h\)/);
    expect(err.message).toContain('2026-03-02T15:05:00.000Z');
    expect(sf.requests).toHaveLength(sent);
    const spent = warnings().filter((w) => /allowance is spent/.test(w.msg));
    expect(spent).toHaveLength(1);

    // After the hold the next call is sent; its answer says the allowance is back.
    await vt.sleep(HOLD_MS);
    sf.apiUsed = 700;
    await crm.writeRouting(write('2:b:route'));
    expect(sf.requests).toHaveLength(sent + 1);
    expect(crm.apiAllowanceState).toBe('normal');
    expect(logs.some((l) => l.msg === 'Salesforce API allowance is available again')).toBe(true);
  });

  it('REQUEST_LIMIT_EXCEEDED from Salesforce: one request, no in-process retry, then held', async () => {
    sf.apiUsed = 1000;
    sf.enforceApiLimit = true;
    const err = (await crm.writeRouting(write('3:a:route')).catch((e: unknown) => e)) as CrmError;
    expect(err).toBeInstanceOf(CrmError);
    expect(err).toMatchObject({
      code: 'CRM.QUOTA_EXHAUSTED',
      crmCode: 'REQUEST_LIMIT_EXCEEDED',
      retryAfterMs: HOLD_MS,
    });
    expect(err.toLine()).toMatch(
      /^CRM\.QUOTA_EXHAUSTED: Salesforce org API allocation spent during write routing; Switchboard holds its Salesforce calls until 2026-03-02T15:05:00\.000Z \(salesforce: REQUEST_LIMIT_EXCEEDED TotalRequests Limit exceeded\.\)$/,
    );
    expect(sf.requests).toHaveLength(1);
    await expect(
      crm.readLead({ system: 'salesforce', object: 'lead', id: leadId }),
    ).rejects.toMatchObject({ code: 'CRM.QUOTA_EXHAUSTED' });
    expect(sf.requests).toHaveLength(1);
    expect(warnings().filter((w) => /allowance is spent/.test(w.msg))).toHaveLength(1);
  });

  it('refuses a threshold that is not a share', () => {
    expect(
      () =>
        new SalesforceCrm(
          {
            instanceUrl: sf.baseUrl,
            auth: { kind: 'token', accessToken: 'test-token' },
            apiUsageThreshold: 90,
          },
          { clock: vt.clock },
        ),
    ).toThrow(/share in \(0, 1\], got 90/);
  });
});
