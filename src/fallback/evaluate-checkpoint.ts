/**
 * Pure: what a checkpoint does, given the engagement the CRM reported. No I/O, no clock; the poller
 * reads the engagement and runs the actions, this file only decides and explains.
 *
 * Engagement signals only ever go from false to true (a reply cannot be un-sent), and they imply
 * one another: a reply means the e-mail was opened and the lead was touched; an open or a booked
 * meeting means the lead was touched. CRMs often miss the weaker signal (open tracking off, a
 * meeting booked from a call), so we infer it — otherwise `{ opened: false }` (switch to a call)
 * would fire on a lead who already replied.
 */
import type { Engagement } from '../adapters/crm-port.ts';
import type { FallbackAction, FallbackBranch, PlannedCheckpoint } from '../routing/decision.ts';

/** The engagement keys a branch's `when` may name, as revops write them in routing.yaml. */
export const ENGAGEMENT_KEYS = ['touched', 'opened', 'replied', 'meeting_booked'] as const;
export type EngagementKey = (typeof ENGAGEMENT_KEYS)[number];
export type EngagementFacts = Record<EngagementKey, boolean>;

export interface NormalisedEngagement {
  facts: EngagementFacts;
  /** Plain words for each fact we inferred rather than read, e.g. `opened inferred from replied`. */
  inferred: string[];
}

/** Applies the implications (replied ⇒ opened ⇒ touched; meeting booked ⇒ touched). */
export function normaliseEngagement(
  e: Pick<Engagement, 'touched' | 'opened' | 'replied' | 'meetingBooked'>,
): NormalisedEngagement {
  const facts: EngagementFacts = {
    touched: e.touched,
    opened: e.opened,
    replied: e.replied,
    meeting_booked: e.meetingBooked,
  };
  const inferred: string[] = [];
  if (facts.replied && !facts.opened) {
    facts.opened = true;
    inferred.push('opened inferred from replied');
  }
  for (const k of ['opened', 'replied', 'meeting_booked'] as const) {
    if (facts[k] && !facts.touched) {
      facts.touched = true;
      inferred.push(`touched inferred from ${k}`);
    }
  }
  return { facts, inferred };
}

function isEngagementKey(k: string): k is EngagementKey {
  return (ENGAGEMENT_KEYS as readonly string[]).includes(k);
}

/** One branch's `when` against the facts: a reason per condition, true only when all hold. */
export function matchBranch(
  branch: FallbackBranch,
  facts: EngagementFacts,
): { matched: boolean; reasons: string[] } {
  const when = branch.when ?? {};
  const keys = Object.keys(when);
  if (keys.length === 0) return { matched: true, reasons: ['no condition (always)'] };
  let matched = true;
  const reasons: string[] = [];
  for (const k of keys) {
    const want = when[k];
    if (!isEngagementKey(k)) {
      // The config validator rejects unknown keys; a stored timer from an older schema might not.
      matched = false;
      reasons.push(
        `${k}: unknown engagement signal (expected one of ${ENGAGEMENT_KEYS.join(', ')})`,
      );
      continue;
    }
    const ok = facts[k] === want;
    if (!ok) matched = false;
    reasons.push(`${k}: ${facts[k]} ${ok ? '=' : '≠'} ${want}`);
  }
  return { matched, reasons };
}

export interface CheckpointEvaluation {
  /** Index of the branch that matched, or null when none did (the checkpoint then does nothing). */
  branchIndex: number | null;
  actions: FallbackAction[];
  facts: EngagementFacts;
  /** Trace lines: what was seen, each branch tried, what was chosen. */
  lines: string[];
}

/** Evaluates branches in order; the first whose conditions all hold is the one that runs. */
export function evaluateCheckpoint(
  checkpoint: Pick<PlannedCheckpoint, 'id' | 'branches'>,
  engagement: Pick<Engagement, 'touched' | 'opened' | 'replied' | 'meetingBooked'> & {
    evidence?: string[];
  },
): CheckpointEvaluation {
  const { facts, inferred } = normaliseEngagement(engagement);
  const lines: string[] = [
    `checkpoint ${checkpoint.id}: saw ${ENGAGEMENT_KEYS.map((k) => `${k}=${facts[k]}`).join(', ')}`,
  ];
  for (const i of inferred) lines.push(`  ${i}`);
  if (engagement.evidence?.length) lines.push(`  evidence: ${engagement.evidence.join('; ')}`);
  for (const [i, branch] of checkpoint.branches.entries()) {
    const { matched, reasons } = matchBranch(branch, facts);
    lines.push(`  branch ${i + 1} ${matched ? 'matched' : 'skipped'}: ${reasons.join(', ')}`);
    if (matched) {
      lines.push(`  → ${branch.then.map(describeAction).join(', ') || 'no action'}`);
      return { branchIndex: i, actions: branch.then, facts, lines };
    }
  }
  lines.push('  → no branch matched; nothing to do');
  return { branchIndex: null, actions: [], facts, lines };
}

/**
 * Early exit: can this checkpoint still do anything, given what we already know? Because signals
 * only turn true, a condition asking for `false` on a signal that is already true can never hold
 * again; a checkpoint whose every branch has such a condition no longer applies.
 */
export function checkpointStillApplies(
  checkpoint: Pick<PlannedCheckpoint, 'branches'>,
  facts: EngagementFacts,
): { applies: boolean; reason: string } {
  if (facts.meeting_booked) return { applies: false, reason: 'meeting booked: sequence ends' };
  const dead: string[] = [];
  for (const [i, branch] of checkpoint.branches.entries()) {
    const blocker = Object.entries(branch.when ?? {}).find(
      ([k, want]) => isEngagementKey(k) && want === false && facts[k],
    );
    if (!blocker) return { applies: true, reason: `branch ${i + 1} can still match` };
    dead.push(`branch ${i + 1} needs ${blocker[0]}=false`);
  }
  return { applies: false, reason: `no branch can match any more (${dead.join('; ')})` };
}

/** `reassign senior`, `task call`, `escalate dana`… — the short form used in trace lines. */
export function describeAction(a: FallbackAction): string {
  if ('reassign' in a) {
    const t = a.reassign;
    return typeof t === 'string'
      ? `reassign ${t}`
      : 'pool' in t
        ? `reassign pool ${t.pool}`
        : `reassign handler ${t.handler}`;
  }
  if ('task' in a) return `task ${a.task.channel}`;
  if ('escalate' in a) {
    const e = a.escalate;
    return typeof e === 'string' ? `escalate ${e}` : `escalate ${e.to ?? 'manager'}`;
  }
  if ('reenrich' in a) return 'reenrich';
  return 'nurture';
}
