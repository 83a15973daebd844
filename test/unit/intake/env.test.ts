import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '../../../src/env.ts';

describe('loadEnv', () => {
  it('gives working defaults on a bare machine', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      PGLITE_DIR: '.switchboard/pglite',
      ROUTING_CONFIG: 'config/routing.yaml',
      CRM: 'dryrun',
      HUBSPOT_ACCEPT_V1V2: false,
      LOG_LEVEL: 'info',
      BODY_LIMIT_BYTES: 1_048_576,
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('reports every bad variable at once, without echoing secrets', () => {
    let err: unknown;
    try {
      loadEnv({
        PORT: 'eighty',
        CRM: 'pipedrive',
        DATABASE_URL: 'not a url',
        PUBLIC_URL: '/relative',
        HUBSPOT_ACCEPT_V1V2: 'maybe',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvError);
    const names = (err as EnvError).problems.map((p) => p.split(':')[0]);
    expect(names.sort()).toEqual([
      'CRM',
      'DATABASE_URL',
      'HUBSPOT_ACCEPT_V1V2',
      'PORT',
      'PUBLIC_URL',
    ]);
    expect((err as EnvError).message).toContain(
      'PORT: must be an integer from 0 to 65535 (got "eighty")',
    );
  });

  it('treats empty strings as unset and parses lists', () => {
    const env = loadEnv({
      INTAKE_TOKEN: '',
      HUBSPOT_REROUTE_ON: 'lifecyclestage=salesqualifiedlead, hs_lead_status',
    });
    expect(env.INTAKE_TOKEN).toBeUndefined();
    expect(env.HUBSPOT_REROUTE_ON).toEqual(['lifecyclestage=salesqualifiedlead', 'hs_lead_status']);
  });
});
