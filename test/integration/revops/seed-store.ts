// Hand-made stores for the revops tests: leads and the decisions the example config made for them.
import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../src/db/schema.ts';
import { emptyRoutingState, type Decision } from '../../../src/routing/decision.ts';
import type { Lead } from '../../../src/routing/lead.ts';
import { parseRoutingConfig } from '../../../src/routing/parse-config.ts';
import { route } from '../../../src/routing/route.ts';
import type { RoutingConfig } from '../../../src/routing/routing-config.ts';
import { CONFIG_EXTENSIONS } from '../../../src/config-file.ts';

export const EXAMPLE_CONFIG_TEXT = readFileSync('config/routing.yaml', 'utf8');

export function configFromText(text: string, name: string): RoutingConfig {
  const r = parseRoutingConfig(text, name, { extensions: CONFIG_EXTENSIONS });
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.issues)}`);
  return r.config;
}

/** The example config with strategic raised to 500+ people and partner leads moved to jordan. */
export const PROPOSED_CONFIG_TEXT = (() => {
  const t = EXAMPLE_CONFIG_TEXT.replace(
    '{ employees: { gte: 250 } }',
    '{ employees: { gte: 500 } }',
  ).replace(/(- id: partner_referral[\s\S]*?handler: )theo/, '$1jordan');
  if (t === EXAMPLE_CONFIG_TEXT || !t.includes('gte: 500') || !/handler: jordan/.test(t))
    throw new Error('the example config changed: update PROPOSED_CONFIG_TEXT');
  return t;
})();

export const readLead = (name: string): Lead =>
  JSON.parse(readFileSync(`examples/leads/${name}.json`, 'utf8')) as Lead;

let crmSeq = 0;

/** Inserts a lead (raw JSON, may be invalid on purpose) and optionally its decision. */
export async function insertLead(
  db: Kysely<Database>,
  raw: unknown,
  opts: { decision?: Decision; decidedAt?: string } = {},
): Promise<string> {
  crmSeq += 1;
  const r = await sql<{ id: string }>`
    insert into leads (crm_system, crm_object, crm_id, lead, created_at)
    values ('json', 'lead', ${`seed-${process.pid}-${crmSeq}`}, ${JSON.stringify(raw)}::jsonb,
            ${opts.decidedAt ?? new Date().toISOString()})
    returning id`.execute(db);
  const leadId = String(r.rows[0]!.id);
  if (opts.decision) await insertDecision(db, leadId, opts.decision);
  return leadId;
}

export async function insertDecision(
  db: Kysely<Database>,
  leadId: string,
  d: Decision,
  reason: 'route' | 'reroute' = 'route',
): Promise<string> {
  const r = await sql<{ id: string }>`
    insert into decisions (lead_id, reason, config_hash, lead_type, handler_id, decided_at, decision)
    values (${leadId}, ${reason}, ${d.configHash}, ${d.leadType}, ${d.assignee.handlerId},
            ${d.decidedAt}, ${JSON.stringify(d)}::jsonb)
    returning id`.execute(db);
  return String(r.rows[0]!.id);
}

/** Routes `lead` under `config` at its created_at and stores lead + decision. */
export async function storeRouted(
  db: Kysely<Database>,
  config: RoutingConfig,
  lead: Lead,
): Promise<{ leadId: string; decision: Decision }> {
  const decision = route(config, lead, new Date(lead.created_at!), emptyRoutingState());
  const leadId = await insertLead(db, lead, { decision, decidedAt: lead.created_at! });
  return { leadId, decision };
}
