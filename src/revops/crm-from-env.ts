/**
 * The CRM adapter a revops command reads recent leads through (`--source crm`), built by the
 * adapters' own factory from the service's variables and the config's crm_mapping. Only
 * listRecentLeads is called; nothing is written.
 */
import type { CrmPort } from '../adapters/crm-port.ts';
import type { CrmMapping } from '../adapters/crm-mapping-schema.ts';
import { createCrm, crmSettingsFromEnv } from '../adapters/create-crm.ts';
import { CliUsageError } from '../cli/cli-args.ts';
import { systemClock } from '../clock.ts';
import type { Env } from '../env.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';

export function crmFromEnv(
  env: Env,
  config: RoutingConfig,
): Pick<CrmPort, 'listRecentLeads' | 'system'> {
  if (env.CRM === 'dryrun')
    throw new CliUsageError(
      '--source crm reads recent leads from HubSpot or Salesforce: set CRM=hubspot or CRM=salesforce (and its credentials), or use --source db',
    );
  const mapping = (config.data as { crm_mapping?: CrmMapping }).crm_mapping;
  return createCrm(crmSettingsFromEnv(env, mapping), { clock: systemClock });
}
