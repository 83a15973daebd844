/**
 * Recent leads pulled from the CRM through the adapter (`--source crm`): for a first replay or
 * taxonomy exercise before Switchboard has stored anything. The clock of each lead is its
 * created_at; leads the CRM returns without one are listed as not re-decidable.
 */
import type { CrmPort } from '../adapters/crm-port.ts';
import type { ReplayLead } from './replay.ts';
import { leadLabel, type LeadWindow } from './stored-leads.ts';

/** Without --last, how many leads a time window may pull at most (a CRM search pages 100 at a time). */
export const CRM_WINDOW_LIMIT = 2000;

export async function readCrmLeads(
  crm: Pick<CrmPort, 'listRecentLeads'>,
  window: LeadWindow,
): Promise<ReplayLead[]> {
  const leads = await crm.listRecentLeads({
    limit: window.last ?? CRM_WINDOW_LIMIT,
    ...(window.since ? { since: window.since } : {}),
  });
  return leads.map((lead, i) => {
    const id = lead.crm?.id ?? lead.id ?? `#${i + 1}`;
    return {
      id,
      label: leadLabel(lead, id),
      raw: lead,
      at: lead.created_at ? new Date(lead.created_at) : null,
    };
  });
}
