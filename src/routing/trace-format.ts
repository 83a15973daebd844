/**
 * A Decision as text for a human (`switchboard explain`, the CRM note): the four decisions and
 * the "why" from the trace. It renders only what the Decision holds, so the explanation can never
 * disagree with what was decided.
 */
import type { Decision, TraceStep } from './decision.ts';
import type { Lead } from './lead.ts';

const MARK: Record<TraceStep['outcome'], string> = {
  matched: '✓',
  chosen: '→',
  failed: '✗',
  missing: '?',
  skipped: '↷',
  info: '·',
};

function stepLine(s: TraceStep): string {
  const where = s.configLine !== undefined ? ` (line ${s.configLine})` : '';
  return `  ${MARK[s.outcome]} ${s.reason}${where}`;
}

function leadLine(lead: Lead): string {
  const name = [lead.first_name, lead.last_name].filter(Boolean).join(' ');
  const who = [name, lead.title].filter(Boolean).join(', ');
  const org = [lead.company, lead.employees !== undefined ? `${lead.employees} employees` : '']
    .filter(Boolean)
    .join(', ');
  return [who, org].filter(Boolean).join(' at ') || lead.email || '(anonymous lead)';
}

function indent(text: string, pad = '    '): string {
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

/** The decision as sections: lead, type and why, who and why, how fast, first touch, fallback. */
export function formatDecision(decision: Decision, lead?: Lead): string {
  const out: string[] = [];
  const steps = (stages: TraceStep['stage'][]) =>
    decision.trace.filter((s) => stages.includes(s.stage)).map(stepLine);

  if (lead) out.push(`Lead:       ${leadLine(lead)}`);
  out.push(`Decided at: ${decision.decidedAt}`);
  out.push('');
  out.push(`Lead type:  ${decision.leadType}`);
  out.push(`Problem:    ${decision.problem ?? '(none stated)'}`);
  out.push(...steps(['problem', 'classify']));
  out.push('');

  const a = decision.assignee;
  const title = a.title ? `, ${a.title}` : '';
  out.push(
    `Assignee:   ${a.name}${title} [${a.handlerId}] via ${a.via}${a.pool ? ` ${a.pool}` : ''}`,
  );
  const owners = Object.entries(a.ownerIds)
    .map(([crm, id]) => `${crm} ${id}`)
    .join(', ');
  if (owners) out.push(`            owner ids: ${owners}`);
  out.push(
    `Backup:     ${decision.backup ? `${decision.backup.name} [${decision.backup.handlerId}]` : '(none)'}`,
  );
  out.push(...steps(['account', 'handler', 'availability', 'pool']));
  if (decision.poolIncrement) {
    const p = decision.poolIncrement;
    out.push(`  pool count: ${p.pool}/${p.member} +1 (day ${p.day}, week ${p.week})`);
  }
  out.push('');

  if (decision.sla) {
    const s = decision.sla;
    out.push(`SLA:        ${s.duration} of business time on ${s.calendar} (${s.timezone})`);
    out.push(`            due ${s.dueLocal} local = ${s.dueUtc} UTC`);
  } else out.push('SLA:        (none)');
  out.push(...steps(['sla']));
  out.push('');

  if (decision.firstTouch) {
    const f = decision.firstTouch;
    const picks = [
      f.productLine ? `product line ${f.productLine}` : '',
      f.caseStudy ? `case study ${f.caseStudy}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    out.push(`First touch (${f.channel})${picks ? `: ${picks}` : ''}`);
    out.push(`  Subject: ${f.subject}`);
    out.push(indent(f.body.trimEnd()));
    if (f.defaultsUsed.length) out.push(`  defaults used for: ${f.defaultsUsed.join(', ')}`);
  } else out.push('First touch: (none configured)');
  out.push(...steps(['render']));
  out.push('');

  if (decision.fallbackPlan.length) {
    out.push('Fallback plan:');
    // The branches in words come from the trace steps below; here only the due instants.
    for (const cp of decision.fallbackPlan)
      out.push(
        `  ${cp.id}: after ${cp.after}, due ${cp.dueUtc} UTC (${cp.branches.length} branch${cp.branches.length === 1 ? '' : 'es'})`,
      );
  } else out.push('Fallback plan: (none)');
  out.push(...steps(['fallback']));
  out.push('');
  out.push(`Config:     sha256 ${decision.configHash}`);
  return out.join('\n');
}
