import { describe, expect, it } from 'vitest';
import {
  createCrm,
  crmSettingsFromEnv,
  CrmSettingsError,
} from '../../../src/adapters/create-crm.ts';
import { loadEnv } from '../../../src/env.ts';
import { manualClock } from '../../../src/clock.ts';

const clock = manualClock('2026-03-02T15:00:00.000Z');

describe('createCrm / crmSettingsFromEnv', () => {
  it('defaults to the dry run', () => {
    const s = crmSettingsFromEnv(loadEnv({}));
    expect(s).toEqual({ crm: 'dryrun' });
    expect(createCrm(s, { clock }).system).toBe('dryrun');
  });

  it('HubSpot needs a token and says which scopes', () => {
    expect(() => crmSettingsFromEnv(loadEnv({ CRM: 'hubspot' }))).toThrow(/HUBSPOT_ACCESS_TOKEN/);
    const s = crmSettingsFromEnv(
      loadEnv({
        CRM: 'hubspot',
        HUBSPOT_ACCESS_TOKEN: 'pat-1',
        HUBSPOT_BASE_URL: 'http://127.0.0.1:1',
        CRM_RATE_LIMIT_MAX: '50',
      }),
    );
    expect(s).toEqual({
      crm: 'hubspot',
      hubspot: {
        accessToken: 'pat-1',
        baseUrl: 'http://127.0.0.1:1',
        rateLimit: { max: 50, intervalMs: 10_000 },
      },
    });
    expect(createCrm(s, { clock }).system).toBe('hubspot');
  });

  it('Salesforce picks the OAuth flow from what is set', () => {
    const cc = crmSettingsFromEnv(
      loadEnv({
        CRM: 'salesforce',
        SALESFORCE_CLIENT_ID: 'id',
        SALESFORCE_CLIENT_SECRET: 'sec',
        SALESFORCE_INSTANCE_URL: 'https://acme.my.salesforce.com',
      }),
    );
    expect(cc).toMatchObject({
      crm: 'salesforce',
      salesforce: {
        auth: { kind: 'client_credentials' },
        loginUrl: 'https://acme.my.salesforce.com',
        apiVersion: '62.0',
        taskKeyField: 'Switchboard_Key__c',
        apiUsageThreshold: 0.9,
      },
    });
    expect(
      crmSettingsFromEnv(
        loadEnv({
          CRM: 'salesforce',
          SALESFORCE_ACCESS_TOKEN: 't',
          SALESFORCE_INSTANCE_URL: 'https://acme.my.salesforce.com',
          SALESFORCE_API_USAGE_THRESHOLD_PERCENT: '75',
        }),
      ),
    ).toMatchObject({ salesforce: { apiUsageThreshold: 0.75 } });
    expect(() => loadEnv({ SALESFORCE_API_USAGE_THRESHOLD_PERCENT: '0.9' })).toThrow(
      /SALESFORCE_API_USAGE_THRESHOLD_PERCENT: must be an integer from 1 to 100/,
    );
    const jwt = crmSettingsFromEnv(
      loadEnv({
        CRM: 'salesforce',
        SALESFORCE_CLIENT_ID: 'id',
        SALESFORCE_USERNAME: 'u@acme',
        SALESFORCE_PRIVATE_KEY_FILE: '/keys/sf.pem',
      }),
      undefined,
      (p) => `KEY FROM ${p}`,
    );
    expect(jwt).toMatchObject({
      salesforce: {
        auth: { kind: 'jwt', username: 'u@acme', privateKey: 'KEY FROM /keys/sf.pem' },
      },
    });
    const err = (() => {
      try {
        crmSettingsFromEnv(loadEnv({ CRM: 'salesforce' }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CrmSettingsError);
    expect((err as Error).message).toMatch(/SALESFORCE_CLIENT_ID/);
  });
});
