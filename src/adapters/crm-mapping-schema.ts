/**
 * `crm_mapping` in routing.yaml: which CRM property fills which Lead field.
 *
 * Keys are Lead field paths as revops write them elsewhere in routing.yaml (`employees`,
 * `source.lead_source`, `account.domain`); values are CRM property / field API names. A section
 * given in routing.yaml is merged over the defaults below, key by key, so a portal that keeps
 * headcount in a custom `team_size__c` only writes that one line:
 *
 * ```yaml
 * crm_mapping:
 *   salesforce:
 *     lead: { employees: Team_Size__c }
 * ```
 *
 * HubSpot reads two objects: the contact, then its associated company (v4 associations, type
 * 279). Company values win for firmographics (`employees`, `annual_revenue`, `industry`) because
 * the contact-level copies are free-text form answers. Salesforce reads the Lead only; the
 * account match (by domain) is a separate SOQL query.
 *
 * Properties not named here still reach the router under `lead.fields.<crm name>` when listed
 * in `extra`.
 */
import { z } from 'zod';

/** A Lead field path: `employees`, `source.lead_source`, `behaviour.pages_viewed`, `fields.x`. */
const LeadPath = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
    'must be a Lead field path such as `employees` or `source.lead_source`',
  );
/** A CRM property / field API name: `numberofemployees`, `NumberOfEmployees`, `Team_Size__c`. */
const CrmName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a CRM property API name (letters, digits, _)');

const FieldMap = z.record(LeadPath, CrmName);

export const HubSpotMappingSchema = z
  .object({
    /** Lead field ← contact property. */
    contact: FieldMap.optional(),
    /** Lead field ← associated company property (wins over the contact's value). */
    company: FieldMap.optional(),
    /** Further contact properties to read into `lead.fields`. */
    extra: z.array(CrmName).optional(),
  })
  .strict();

export const SalesforceMappingSchema = z
  .object({
    /** Lead field ← Lead sObject field. */
    lead: FieldMap.optional(),
    /** Further Lead fields to read into `lead.fields`. */
    extra: z.array(CrmName).optional(),
  })
  .strict();

export const CrmMappingSchema = z
  .object({
    hubspot: HubSpotMappingSchema.optional(),
    salesforce: SalesforceMappingSchema.optional(),
  })
  .strict();

export type CrmMapping = z.infer<typeof CrmMappingSchema>;

export interface HubSpotMapping {
  contact: Record<string, string>;
  company: Record<string, string>;
  extra: string[];
}

export interface SalesforceMapping {
  lead: Record<string, string>;
  extra: string[];
}

export const DEFAULT_HUBSPOT_MAPPING: Readonly<HubSpotMapping> = Object.freeze({
  contact: {
    email: 'email',
    first_name: 'firstname',
    last_name: 'lastname',
    title: 'jobtitle',
    phone: 'phone',
    company: 'company',
    domain: 'hs_email_domain',
    industry: 'industry',
    annual_revenue: 'annualrevenue',
    country: 'country',
    state: 'state',
    city: 'city',
    message: 'message',
    'source.lead_source': 'hs_analytics_source',
    'behaviour.pages_viewed': 'hs_analytics_num_page_views',
    created_at: 'createdate',
  },
  company: {
    employees: 'numberofemployees',
    annual_revenue: 'annualrevenue',
    industry: 'industry',
    'account.name': 'name',
    'account.domain': 'domain',
    'account.owner.hubspot': 'hubspot_owner_id',
  },
  extra: [],
});

export const DEFAULT_SALESFORCE_MAPPING: Readonly<SalesforceMapping> = Object.freeze({
  lead: {
    email: 'Email',
    first_name: 'FirstName',
    last_name: 'LastName',
    title: 'Title',
    phone: 'Phone',
    company: 'Company',
    employees: 'NumberOfEmployees',
    annual_revenue: 'AnnualRevenue',
    industry: 'Industry',
    country: 'Country',
    state: 'State',
    city: 'City',
    message: 'Description',
    'source.lead_source': 'LeadSource',
    created_at: 'CreatedDate',
  },
  extra: [],
});

/** The defaults with a routing.yaml `crm_mapping` section merged over them, key by key. */
export function resolveHubSpotMapping(m?: CrmMapping): HubSpotMapping {
  const h = m?.hubspot;
  return {
    contact: { ...DEFAULT_HUBSPOT_MAPPING.contact, ...h?.contact },
    company: { ...DEFAULT_HUBSPOT_MAPPING.company, ...h?.company },
    extra: [...(h?.extra ?? [])],
  };
}

export function resolveSalesforceMapping(m?: CrmMapping): SalesforceMapping {
  const s = m?.salesforce;
  return {
    lead: { ...DEFAULT_SALESFORCE_MAPPING.lead, ...s?.lead },
    extra: [...(s?.extra ?? [])],
  };
}
