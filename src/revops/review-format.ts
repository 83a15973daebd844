/** The review as text (terminal), markdown (an issue or wiki page) and the tables both share. */
import type { GroupStats, ReviewReport } from './review.ts';

const pct = (x: number | null) => (x === null ? '—' : `${Math.round(x * 100)}%`);
const num = (x: number | null) => (x === null ? '—' : String(x));

export const GROUP_COLUMNS = [
  'leads',
  'first touch p50 (business min)',
  'p90',
  'SLA hit',
  'reassigned',
  'meetings',
  'converted',
  'came back',
] as const;

export function groupCells(g: GroupStats): string[] {
  return [
    String(g.leads),
    num(g.p50Minutes),
    num(g.p90Minutes),
    g.slaHitRate === null ? '—' : `${pct(g.slaHitRate)} (${g.slaHit}/${g.slaHit + g.slaMissed})`,
    String(g.reassignments),
    String(g.meetingsBooked),
    `${g.converted} (${pct(g.conversionRate)})`,
    String(g.cameBack),
  ];
}

function textTable(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)];
}

export function formatReviewText(r: ReviewReport): string {
  const out: string[] = [];
  out.push(
    `Routing review ${r.since.slice(0, 10)} → ${r.until.slice(0, 10)}: ${r.totals.leads} leads (config ${r.configHash.slice(0, 12)})`,
    '',
  );
  const groups = (title: string, gs: GroupStats[]) => {
    out.push(
      ...textTable(
        [title, ...GROUP_COLUMNS],
        [...gs, r.totals].map((g) => [g.id, ...groupCells(g)]),
      ),
      '',
    );
  };
  groups('lead type', r.byType);
  groups('source', r.bySource);
  out.push('Fallbacks fired:');
  if (r.fallbacks.length === 0) out.push('  none');
  for (const f of r.fallbacks)
    out.push(`  ${f.leadType} / ${f.checkpoint} / ${f.branch}: ${f.fired}`);
  out.push('', `Types that never matched: ${r.typesNeverMatched.join(', ') || 'none'}`);
  out.push(`Handlers that never got a lead: ${r.handlersNeverMatched.join(', ') || 'none'}`);
  out.push('Pool members near their daily cap:');
  if (r.nearCaps.length === 0) out.push('  none');
  for (const c of r.nearCaps)
    out.push(
      `  ${c.pool}/${c.member}: peak ${c.peakDay}/${c.cap} a day, ${c.daysAtCap} day(s) at cap, ${c.daysNearCap} at ≥80%`,
    );
  const s = r.staleness;
  out.push(
    '',
    `reviewed_on ${s.reviewedOn ?? '—'} (${s.daysSinceReview ?? '?'} days ago), review_every ${s.reviewEvery ?? '—'}: next review due ${s.dueOn ?? '—'}${s.overdue ? ' — OVERDUE' : ''}`,
  );
  if (r.findings.length) out.push('', 'Findings:', ...r.findings.map((f) => `  - ${f}`));
  return out.join('\n');
}

const md = (s: string) => s.replace(/\|/g, '\\|');

export function formatReviewMarkdown(r: ReviewReport): string {
  const out: string[] = [];
  out.push(
    `## Routing review ${r.since.slice(0, 10)} → ${r.until.slice(0, 10)}`,
    '',
    `${r.totals.leads} leads, config \`${r.configHash.slice(0, 12)}\`. Time to first touch in business minutes on the SLA's calendar.`,
    '',
  );
  const table = (title: string, gs: GroupStats[]) => {
    out.push(`| ${title} | ${GROUP_COLUMNS.join(' | ')} |`);
    out.push(`| --- |${GROUP_COLUMNS.map(() => ' ---: |').join('')}`);
    for (const g of [...gs, r.totals]) out.push(`| ${md(g.id)} | ${groupCells(g).join(' | ')} |`);
    out.push('');
  };
  out.push('### By lead type', '');
  table('lead type', r.byType);
  out.push('### By source', '');
  table('source', r.bySource);
  out.push('### Fallbacks fired', '');
  if (r.fallbacks.length === 0) out.push('None.', '');
  else {
    out.push('| lead type | checkpoint | branch | fired |', '| --- | --- | --- | ---: |');
    for (const f of r.fallbacks)
      out.push(`| ${md(f.leadType)} | ${md(f.checkpoint)} | ${f.branch} | ${f.fired} |`);
    out.push('');
  }
  out.push('### Coverage and capacity', '');
  out.push(
    `- Types that never matched: ${r.typesNeverMatched.map((t) => `\`${t}\``).join(', ') || 'none'}`,
  );
  out.push(
    `- Handlers that never got a lead: ${r.handlersNeverMatched.map((t) => `\`${t}\``).join(', ') || 'none'}`,
  );
  for (const c of r.nearCaps)
    out.push(
      `- \`${c.pool}/${c.member}\` near its daily cap: peak ${c.peakDay}/${c.cap}, ${c.daysAtCap} day(s) at cap`,
    );
  const s = r.staleness;
  out.push(
    `- \`reviewed_on\` ${s.reviewedOn ?? '—'} (${s.daysSinceReview ?? '?'} days ago), \`review_every\` ${s.reviewEvery ?? '—'}: next review due ${s.dueOn ?? '—'}${s.overdue ? ' — **overdue**' : ''}`,
    '',
  );
  if (r.findings.length) out.push('### Findings', '', ...r.findings.map((f) => `- ${f}`), '');
  return out.join('\n');
}
