/**
 * The lead as the router sees it: one normalised record, whatever CRM or form it came from.
 *
 * Field names are snake_case on purpose: this record is a user-facing document. Revops name the
 * same keys in `routing.yaml` conditions (`annual_revenue: { gte: 5e7 }`), in Liquid templates
 * (`{{ lead.first_name }}`) and in `examples/leads/*.json`, so one spelling serves all three.
 * Unknown CRM properties stay reachable under `fields.*`.
 */
import { z } from 'zod';

const text = z.string();
const count = z.number().finite().nonnegative();

export const LeadAccountSchema = z
  .object({
    /** CRM id of the matched company / account. */
    id: text.optional(),
    name: text.optional(),
    domain: text.optional(),
    /** CRM owner id of the account's current owner, per CRM. */
    owner: z.object({ hubspot: text.optional(), salesforce: text.optional() }).strict().optional(),
    /** Marked as a target account (ABM list). */
    target: z.boolean().optional(),
    tier: text.optional(),
  })
  .strict();

export const LeadSourceSchema = z
  .object({
    /** Broad channel: web, referral, partner, paid, event, outbound… */
    channel: text.optional(),
    form: text.optional(),
    campaign: text.optional(),
    referrer: text.optional(),
    /** The CRM's own lead-source picklist value (Salesforce LeadSource, HubSpot hs_analytics_source). */
    lead_source: text.optional(),
    utm: z
      .object({
        source: text.optional(),
        medium: text.optional(),
        campaign: text.optional(),
        term: text.optional(),
        content: text.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const LeadCrmRefSchema = z
  .object({
    system: z.enum(['hubspot', 'salesforce', 'json']),
    /** contact (HubSpot) or lead (Salesforce). */
    object: z.enum(['contact', 'lead']),
    id: text,
    /** HubSpot portal id or Salesforce org id. */
    tenant: text.optional(),
  })
  .strict();

export const LeadSchema = z
  .object({
    /** Switchboard's own id, once stored. */
    id: text.optional(),
    crm: LeadCrmRefSchema.optional(),
    email: text.optional(),
    first_name: text.optional(),
    last_name: text.optional(),
    title: text.optional(),
    phone: text.optional(),
    // firmographic
    company: text.optional(),
    domain: text.optional(),
    employees: count.optional(),
    annual_revenue: count.optional(),
    industry: text.optional(),
    country: text.optional(),
    region: text.optional(),
    state: text.optional(),
    city: text.optional(),
    // behavioural: the two common signals plus any numeric/text/boolean signal by name
    behaviour: z
      .object({ pages_viewed: count.optional(), product_usage: count.optional() })
      .catchall(z.union([z.number().finite(), z.string(), z.boolean()]))
      .optional(),
    source: LeadSourceSchema.optional(),
    /** Intent: the free-text message of the form ("We're thinking through some operational rebuild work"). */
    message: text.optional(),
    /** The matching account, when lead-to-account matching found one. */
    account: LeadAccountSchema.optional(),
    /** When the lead arrived (ISO 8601). */
    created_at: z.iso.datetime({ offset: true }).optional(),
    /** Every CRM property that has no field above, by its CRM name. */
    fields: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type Lead = z.infer<typeof LeadSchema>;
export type LeadAccount = z.infer<typeof LeadAccountSchema>;
export type LeadSource = z.infer<typeof LeadSourceSchema>;
export type LeadCrmRef = z.infer<typeof LeadCrmRefSchema>;
