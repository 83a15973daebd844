/**
 * Shadow decisions: what the shadow config would have decided for a live decision. Written in the
 * live decision's transaction (same lead, clock and pool snapshot) and nowhere else — no CRM
 * write, no pool increment, no timers. A shadow that throws is recorded as an error row: the live
 * decision must never fail because of an experiment.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { json } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { Decision, RoutingState } from '../routing/decision.ts';
import type { Lead } from '../routing/lead.ts';

/** The slice of the worker's Router a shadow needs (src/intake/router.ts). */
export interface ShadowRouter {
  readonly configHash: string;
  route(lead: Lead, now: Date, state: RoutingState): Decision;
}

export interface ShadowInput {
  leadId: string;
  decisionId: string;
  lead: Lead;
  now: Date;
  /** The snapshot the live decision was made with (before its own pool increment). */
  state: RoutingState;
  shadow: ShadowRouter;
}

export interface ShadowDecisionRow {
  decision_id: string;
  lead_id: string;
  config_hash: string;
  lead_type: string | null;
  handler_id: string | null;
  decision: Decision | null;
  error: string | null;
}

export async function recordShadowDecision(
  trx: Transaction<Database> | Kysely<Database>,
  input: ShadowInput,
): Promise<ShadowDecisionRow> {
  let decision: Decision | null = null;
  let error: string | null = null;
  try {
    // A copy: the live path may apply its own pool increment to the same snapshot afterwards.
    decision = input.shadow.route(input.lead, input.now, structuredClone(input.state));
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const row = {
    decision_id: input.decisionId,
    lead_id: input.leadId,
    config_hash: input.shadow.configHash,
    lead_type: decision?.leadType ?? null,
    handler_id: decision?.assignee.handlerId ?? null,
    decision,
    error,
  };
  await sql`
    insert into shadow_decisions (decision_id, lead_id, config_hash, lead_type, handler_id, decision, error)
    values (${row.decision_id}, ${row.lead_id}, ${row.config_hash}, ${row.lead_type}, ${row.handler_id},
            ${decision ? json(decision) : null}::jsonb, ${row.error})
    on conflict (decision_id) do nothing`.execute(trx);
  return row;
}
