/**
 * The CRM adapter a revops command reads recent leads through (`--source crm`), built from the
 * same variables the service uses. Only reads are made (listRecentLeads); nothing is written.
 */
import { readFileSync } from 'node:fs';
import type { CrmPort } from '../adapters/crm-port.ts';
import { HubSpotCrm } from '../adapters/hubspot/hubspot-crm.ts';
import type { SalesforceAuth } from '../adapters/salesforce/salesforce-auth.ts';
import { SalesforceCrm } from '../adapters/salesforce/salesforce-crm.ts';
import { CliUsageError } from '../cli/cli-args.ts';
import { systemClock } from '../clock.ts';
import type { Env } from '../env.ts';

export function crmFromEnv(env: Env): Pick<CrmPort, 'listRecentLeads' | 'system'> {
  if (env.CRM === 'hubspot') {
    if (!env.HUBSPOT_ACCESS_TOKEN)
      throw new CliUsageError('--source crm with CRM=hubspot needs HUBSPOT_ACCESS_TOKEN');
    return new HubSpotCrm(
      {
        accessToken: env.HUBSPOT_ACCESS_TOKEN,
        ...(env.HUBSPOT_BASE_URL ? { baseUrl: env.HUBSPOT_BASE_URL } : {}),
      },
      { clock: systemClock },
    );
  }
  if (env.CRM === 'salesforce') {
    return new SalesforceCrm(
      {
        ...(env.SALESFORCE_INSTANCE_URL ? { instanceUrl: env.SALESFORCE_INSTANCE_URL } : {}),
        ...(env.SALESFORCE_LOGIN_URL ? { loginUrl: env.SALESFORCE_LOGIN_URL } : {}),
        auth: salesforceAuth(env),
      },
      { clock: systemClock },
    );
  }
  throw new CliUsageError(
    '--source crm reads recent leads from HubSpot or Salesforce: set CRM=hubspot or CRM=salesforce (and its credentials), or use --source db',
  );
}

function salesforceAuth(env: Env): SalesforceAuth {
  if (env.SALESFORCE_ACCESS_TOKEN)
    return { kind: 'token', accessToken: env.SALESFORCE_ACCESS_TOKEN };
  const key =
    env.SALESFORCE_PRIVATE_KEY ??
    (env.SALESFORCE_PRIVATE_KEY_FILE
      ? readFileSync(env.SALESFORCE_PRIVATE_KEY_FILE, 'utf8')
      : undefined);
  if (env.SALESFORCE_CLIENT_ID && env.SALESFORCE_USERNAME && key)
    return {
      kind: 'jwt',
      clientId: env.SALESFORCE_CLIENT_ID,
      username: env.SALESFORCE_USERNAME,
      privateKey: key,
    };
  if (env.SALESFORCE_CLIENT_ID && env.SALESFORCE_CLIENT_SECRET)
    return {
      kind: 'client_credentials',
      clientId: env.SALESFORCE_CLIENT_ID,
      clientSecret: env.SALESFORCE_CLIENT_SECRET,
    };
  throw new CliUsageError(
    '--source crm with CRM=salesforce needs SALESFORCE_ACCESS_TOKEN, or SALESFORCE_CLIENT_ID with SALESFORCE_CLIENT_SECRET, or SALESFORCE_CLIENT_ID + SALESFORCE_USERNAME + SALESFORCE_PRIVATE_KEY(_FILE)',
  );
}
