/**
 * Picks the CRM adapter (`CRM=hubspot|salesforce|dryrun`, default dryrun) — like kysely's
 * `Dialect.createDriver()`, the only place that knows the concrete classes.
 */
import fs from 'node:fs';
import type { Env } from '../env.ts';
import type { CrmPort } from './crm-port.ts';
import type { CrmDeps } from './crm-deps.ts';
import type { CrmMappingSource } from './mapping-provider.ts';
import type { RateLimitSettings } from './rate-limiter.ts';
import { HubSpotCrm, type HubSpotSettings } from './hubspot/hubspot-crm.ts';
import { SalesforceCrm, type SalesforceSettings } from './salesforce/salesforce-crm.ts';
import type { SalesforceAuth } from './salesforce/salesforce-auth.ts';
import { DryRunCrm, type DryRunOptions } from './dryrun/dryrun-crm.ts';
import { memoryDryRunSink, type DryRunSink } from './dryrun/dryrun-sink.ts';

export type CrmSettings =
  | { crm: 'dryrun'; dryrun?: DryRunOptions }
  | { crm: 'hubspot'; hubspot: HubSpotSettings }
  | { crm: 'salesforce'; salesforce: SalesforceSettings };

export interface CreateCrmDeps extends CrmDeps {
  /** Where the dry run records (the `dryrun_writes` table in the service); default in memory. */
  dryRunSink?: DryRunSink;
}

export function createCrm(settings: CrmSettings, deps: CreateCrmDeps): CrmPort {
  switch (settings.crm) {
    case 'hubspot':
      return new HubSpotCrm(settings.hubspot, deps);
    case 'salesforce':
      return new SalesforceCrm(settings.salesforce, deps);
    case 'dryrun':
      return new DryRunCrm(deps.dryRunSink ?? memoryDryRunSink(), deps, settings.dryrun);
  }
}

export class CrmSettingsError extends Error {
  readonly code = 'CRM.SETTINGS';
  constructor(readonly problems: string[]) {
    super(`CRM settings incomplete:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'CrmSettingsError';
  }
}

type CrmEnv = Pick<
  Env,
  | 'CRM'
  | 'HUBSPOT_ACCESS_TOKEN'
  | 'HUBSPOT_BASE_URL'
  | 'SALESFORCE_INSTANCE_URL'
  | 'SALESFORCE_LOGIN_URL'
  | 'SALESFORCE_CLIENT_ID'
  | 'SALESFORCE_CLIENT_SECRET'
  | 'SALESFORCE_PRIVATE_KEY'
  | 'SALESFORCE_PRIVATE_KEY_FILE'
  | 'SALESFORCE_USERNAME'
  | 'SALESFORCE_ACCESS_TOKEN'
  | 'SALESFORCE_API_VERSION'
  | 'SALESFORCE_TASK_KEY_FIELD'
  | 'SALESFORCE_API_USAGE_THRESHOLD_PERCENT'
  | 'CRM_RATE_LIMIT_MAX'
  | 'CRM_RATE_LIMIT_INTERVAL_MS'
>;

/**
 * Settings from the environment, reporting every missing variable at once. Salesforce auth is
 * chosen by what is set: ACCESS_TOKEN → plain token; CLIENT_ID + USERNAME + PRIVATE_KEY(_FILE) →
 * JWT bearer; CLIENT_ID + CLIENT_SECRET → client credentials.
 */
export function crmSettingsFromEnv(
  env: CrmEnv,
  mapping?: CrmMappingSource,
  readFile: (p: string) => string = (p) => fs.readFileSync(p, 'utf8'),
): CrmSettings {
  const problems: string[] = [];
  const rateLimit: RateLimitSettings | undefined =
    env.CRM_RATE_LIMIT_MAX > 0
      ? { max: env.CRM_RATE_LIMIT_MAX, intervalMs: env.CRM_RATE_LIMIT_INTERVAL_MS || 10_000 }
      : undefined;
  if (env.CRM === 'dryrun') return { crm: 'dryrun' };
  if (env.CRM === 'hubspot') {
    if (!env.HUBSPOT_ACCESS_TOKEN)
      problems.push(
        'HUBSPOT_ACCESS_TOKEN: required when CRM=hubspot (a private app token with crm.objects.contacts.write, crm.objects.companies.read, crm.objects.owners.read)',
      );
    if (problems.length) throw new CrmSettingsError(problems);
    return {
      crm: 'hubspot',
      hubspot: {
        accessToken: env.HUBSPOT_ACCESS_TOKEN!,
        ...(env.HUBSPOT_BASE_URL ? { baseUrl: env.HUBSPOT_BASE_URL } : {}),
        ...(mapping ? { mapping } : {}),
        ...(rateLimit ? { rateLimit } : {}),
      },
    };
  }
  let auth: SalesforceAuth | undefined;
  if (env.SALESFORCE_ACCESS_TOKEN) {
    auth = { kind: 'token', accessToken: env.SALESFORCE_ACCESS_TOKEN };
    if (!env.SALESFORCE_INSTANCE_URL)
      problems.push('SALESFORCE_INSTANCE_URL: required with SALESFORCE_ACCESS_TOKEN');
  } else if (
    env.SALESFORCE_CLIENT_ID &&
    env.SALESFORCE_USERNAME &&
    (env.SALESFORCE_PRIVATE_KEY || env.SALESFORCE_PRIVATE_KEY_FILE)
  ) {
    let privateKey = env.SALESFORCE_PRIVATE_KEY ?? '';
    if (!privateKey) {
      try {
        privateKey = readFile(env.SALESFORCE_PRIVATE_KEY_FILE!);
      } catch (e) {
        problems.push(
          `SALESFORCE_PRIVATE_KEY_FILE: cannot read ${env.SALESFORCE_PRIVATE_KEY_FILE} (${(e as Error).message})`,
        );
      }
    }
    auth = {
      kind: 'jwt',
      clientId: env.SALESFORCE_CLIENT_ID,
      username: env.SALESFORCE_USERNAME,
      privateKey: privateKey.replace(/\\n/g, '\n'),
    };
  } else if (env.SALESFORCE_CLIENT_ID && env.SALESFORCE_CLIENT_SECRET) {
    auth = {
      kind: 'client_credentials',
      clientId: env.SALESFORCE_CLIENT_ID,
      clientSecret: env.SALESFORCE_CLIENT_SECRET,
    };
    if (!env.SALESFORCE_LOGIN_URL && !env.SALESFORCE_INSTANCE_URL) {
      problems.push(
        'SALESFORCE_LOGIN_URL: client credentials need your My Domain URL (e.g. https://acme.my.salesforce.com)',
      );
    }
  } else {
    problems.push(
      'Salesforce credentials: set SALESFORCE_CLIENT_ID with SALESFORCE_CLIENT_SECRET (client credentials), or with SALESFORCE_USERNAME and SALESFORCE_PRIVATE_KEY(_FILE) (JWT bearer), or SALESFORCE_ACCESS_TOKEN',
    );
  }
  if (problems.length || !auth) throw new CrmSettingsError(problems);
  // Client credentials must go to My Domain; the instance URL is the natural default for it.
  const loginUrl =
    env.SALESFORCE_LOGIN_URL ??
    (auth.kind === 'client_credentials' ? env.SALESFORCE_INSTANCE_URL : undefined);
  return {
    crm: 'salesforce',
    salesforce: {
      auth,
      apiVersion: env.SALESFORCE_API_VERSION,
      taskKeyField: env.SALESFORCE_TASK_KEY_FIELD,
      apiUsageThreshold: env.SALESFORCE_API_USAGE_THRESHOLD_PERCENT / 100,
      ...(env.SALESFORCE_INSTANCE_URL ? { instanceUrl: env.SALESFORCE_INSTANCE_URL } : {}),
      ...(loginUrl ? { loginUrl } : {}),
      ...(mapping ? { mapping } : {}),
      ...(rateLimit
        ? { rateLimit: { ...rateLimit, intervalMs: env.CRM_RATE_LIMIT_INTERVAL_MS || 1_000 } }
        : {}),
    },
  };
}
