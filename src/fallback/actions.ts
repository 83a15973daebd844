/**
 * Pure: a checkpoint's actions → what to write and change. Nothing here touches the CRM or the
 * database; fire-checkpoint.ts performs the result in one transaction. Every CRM effect becomes
 * an outbox row (crm_writes) with step `fallback:<checkpoint>:<n>` and key
 * `<lead>:<decision>:fallback:<checkpoint>:<n>`, so a checkpoint fired twice writes once.
 *
 * Outbox payloads mirror the CrmPort call the outbox runner makes:
 *   routing      RoutingWrite                         → writeRouting(write)
 *   task         { key, lead, task: TaskWrite }       → createTask(key, lead, task)
 *   note         { key, lead, body, ownerId? }        → addNote(key, lead, body, ownerId)
 *   notify       { key, url, text }                   → POST { text } to url (Slack incoming webhook)
 */
import type { CrmSystem, RoutingWrite, TaskWrite } from '../adapters/crm-port.ts';
import type { Assignee, Decision, FallbackAction, RoutingState } from '../routing/decision.ts';
import type { Lead, LeadCrmRef } from '../routing/lead.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';
import { formatDecision } from '../routing/trace-format.ts';
import { Liquid } from 'liquidjs';
import { describeAction } from './evaluate-checkpoint.ts';
import { planReassignment, type FallbackPlanner } from './reassign.ts';

export type OutboxKind = 'routing' | 'task' | 'note' | 'notify';

export interface QueuedWrite {
  step: string;
  kind: OutboxKind;
  key: string;
  payload:
    | RoutingWrite
    | { key: string; lead: LeadCrmRef; task: TaskWrite }
    | { key: string; lead: LeadCrmRef; body: string; ownerId?: string }
    | { key: string; url: string; text: string };
}

export interface ActionContext {
  config: RoutingConfig;
  crm: CrmSystem;
  leadId: string;
  decisionId: string;
  lead: Lead;
  ref: LeadCrmRef;
  /** The decision the checkpoint belongs to. */
  decision: Decision;
  previousHolders: string[];
  state?: RoutingState;
  checkpointId: string;
  /** Configured offset of the checkpoint (`2d`), for the wording of tasks. */
  after: string;
  now: Date;
  /** What the checkpoint saw, one line per fact/branch: goes into escalation notes. */
  evaluationLines: string[];
  planFallback?: FallbackPlanner;
}

export interface PlannedEffects {
  writes: QueuedWrite[];
  /** A new decision for the lead (reassignment); its timers replace the old ones. */
  reassignment: Decision | null;
  /** Stop the sequence: cancel every other pending timer of the lead. */
  stopSequence: boolean;
  /** Re-read the lead from the CRM and route it again (an inbox `reroute` event). */
  reenrich: boolean;
  lines: string[];
}

/** The assignee's owner id in the CRM we write to (dry-run: the lead's own CRM, then any). */
export function ownerIdFor(
  a: Pick<Assignee, 'ownerIds' | 'handlerId'>,
  crm: CrmSystem,
  ref: LeadCrmRef,
): string {
  const system = crm === 'dryrun' ? ref.system : crm;
  const ids = a.ownerIds;
  return (
    (system === 'hubspot' ? ids.hubspot : system === 'salesforce' ? ids.salesforce : undefined) ??
    ids.hubspot ??
    ids.salesforce ??
    a.handlerId
  );
}

// Task subjects, bodies and escalation notes may use `{{ lead.first_name }}`, `{{ handler.name }}`
// (the current holder) and `{{ checkpoint.id }}`. Lenient on purpose: a missing value renders
// empty rather than losing the escalation; `validate` checks these templates up front.
const liquid = new Liquid({ strictVariables: false, strictFilters: false });
function render(text: string, ctx: ActionContext): string {
  try {
    return liquid.parseAndRenderSync(text, {
      lead: ctx.lead,
      handler: ctx.decision.assignee,
      checkpoint: { id: ctx.checkpointId, after: ctx.after },
    });
  } catch {
    return text;
  }
}

const leadName = (lead: Lead) =>
  [lead.first_name, lead.last_name].filter(Boolean).join(' ') ||
  lead.email ||
  lead.company ||
  'lead';
const leadLabel = (lead: Lead) =>
  lead.company ? `${leadName(lead)} (${lead.company})` : leadName(lead);

export function planActions(ctx: ActionContext, actions: FallbackAction[]): PlannedEffects {
  const out: PlannedEffects = {
    writes: [],
    reassignment: null,
    stopSequence: false,
    reenrich: false,
    lines: [],
  };
  const holder = ctx.decision.assignee;
  const holderConfig = ctx.config.people.handlers.get(holder.handlerId);
  let n = 0;
  const next = (kind: OutboxKind) => {
    n++;
    const step = `fallback:${ctx.checkpointId}:${n}`;
    return { step, kind, key: `${ctx.leadId}:${ctx.decisionId}:${step}` };
  };
  const why = ctx.evaluationLines.join('\n');

  for (const action of actions) {
    if ('reassign' in action) {
      if (out.reassignment) {
        out.lines.push(
          `${describeAction(action)}: skipped, the lead was already reassigned by this checkpoint`,
        );
        continue;
      }
      const r = planReassignment({
        config: ctx.config,
        lead: ctx.lead,
        current: ctx.decision,
        target: action.reassign,
        now: ctx.now,
        previousHolders: ctx.previousHolders,
        checkpointId: ctx.checkpointId,
        ...(ctx.state ? { state: ctx.state } : {}),
        ...(ctx.planFallback ? { planFallback: ctx.planFallback } : {}),
      });
      if (!r.ok) {
        // Nobody to hand over to: say so to the current holder instead of doing nothing silently.
        const w = next('note');
        out.writes.push({
          ...w,
          payload: {
            key: w.key,
            lead: ctx.ref,
            body: `Switchboard could not ${describeAction(action)} at checkpoint ${ctx.checkpointId}: ${r.reason}.\n${why}`,
            ownerId: ownerIdFor(holder, ctx.crm, ctx.ref),
          },
        });
        out.lines.push(`${describeAction(action)} refused: ${r.reason}`);
        continue;
      }
      const d = r.decision;
      const ownerId = ownerIdFor(d.assignee, ctx.crm, ctx.ref);
      const w = next('routing');
      const handover = `${leadLabel(ctx.lead)} comes to you from ${holder.name} at checkpoint ${ctx.checkpointId} (after ${ctx.after}).\n${why}`;
      const ft = d.firstTouch;
      out.writes.push({
        ...w,
        payload: {
          key: w.key,
          lead: ctx.ref,
          ownerId,
          // The type's first touch rendered for the new holder (planReassignment), due at their own
          // SLA; a type without first_touch gets a plain take-over task instead.
          task: ft
            ? {
                subject: ft.subject,
                body: ft.body,
                dueUtc: d.sla?.dueUtc ?? ctx.now.toISOString(),
                channel: ft.channel,
                priority: ft.priority ?? 'high',
                ownerId,
              }
            : {
                subject: `Take over: ${leadLabel(ctx.lead)}`,
                body: handover,
                dueUtc: d.sla?.dueUtc ?? ctx.now.toISOString(),
                channel: ctx.decision.firstTouch?.channel ?? 'email',
                priority: 'high',
                ownerId,
              },
          // Why it moved (who had it, which checkpoint saw what), then the new decision's reasons.
          note: `${handover}\n\n${formatDecision(d, ctx.lead)}`,
        },
      });
      out.reassignment = d;
      out.lines.push(r.line);
    } else if ('task' in action) {
      const ownerId = ownerIdFor(holder, ctx.crm, ctx.ref);
      const w = next('task');
      const channel = action.task.channel;
      out.writes.push({
        ...w,
        payload: {
          key: w.key,
          lead: ctx.ref,
          task: {
            subject: action.task.subject
              ? render(action.task.subject, ctx)
              : `${channel[0]!.toUpperCase()}${channel.slice(1)} ${leadLabel(ctx.lead)}: no answer after ${ctx.after}`,
            body: action.task.body
              ? render(action.task.body, ctx)
              : `Switch channel to ${channel}.\n${why}`,
            dueUtc: ctx.now.toISOString(),
            channel,
            priority: 'high',
            ownerId,
          },
        },
      });
      out.lines.push(`task ${channel} for ${holder.handlerId}`);
    } else if ('escalate' in action) {
      const e = typeof action.escalate === 'string' ? { to: action.escalate } : action.escalate;
      const toId = !e.to || e.to === 'manager' ? holderConfig?.manager : e.to;
      const to = toId ? ctx.config.people.handlers.get(toId) : undefined;
      const text = e.note
        ? `${render(e.note, ctx)}\n${why}`
        : `Escalation: ${leadLabel(ctx.lead)}, held by ${holder.name}, at checkpoint ${ctx.checkpointId} (after ${ctx.after}).\n${why}`;
      if (to) {
        const ownerId = ownerIdFor({ ownerIds: to.owner, handlerId: to.id }, ctx.crm, ctx.ref);
        const w = next('task');
        out.writes.push({
          ...w,
          payload: {
            key: w.key,
            lead: ctx.ref,
            task: {
              subject: `Escalation: ${leadLabel(ctx.lead)} (${holder.name})`,
              body: text,
              dueUtc: ctx.now.toISOString(),
              channel: 'other',
              priority: 'high',
              ownerId,
            },
          },
        });
        out.lines.push(`escalate to ${to.id} (${to.name})`);
      } else {
        const w = next('note');
        out.writes.push({
          ...w,
          payload: {
            key: w.key,
            lead: ctx.ref,
            body: text,
            ownerId: ownerIdFor(holder, ctx.crm, ctx.ref),
          },
        });
        out.lines.push(
          `escalate: ${toId ? `handler ${toId} is not configured` : `${holder.handlerId} has no manager`}; a note on the lead instead`,
        );
      }
      if (e.notify) {
        const w = next('notify');
        out.writes.push({ ...w, payload: { key: w.key, url: e.notify, text } });
        out.lines.push('notify webhook');
      }
    } else if ('reenrich' in action) {
      out.reenrich = true;
      out.lines.push('re-read the lead from the CRM and route it again');
    } else {
      const w = next('note');
      out.writes.push({
        ...w,
        payload: {
          key: w.key,
          lead: ctx.ref,
          body: `Switchboard marked ${leadLabel(ctx.lead)} for nurture at checkpoint ${ctx.checkpointId}; no further fallbacks.\n${why}`,
          ownerId: ownerIdFor(holder, ctx.crm, ctx.ref),
        },
      });
      out.stopSequence = true;
      out.lines.push('nurture: sequence stopped');
    }
  }
  return out;
}
