/**
 * Replay reports for humans (text), pull requests (markdown, ready to post as a comment) and
 * machines (json). The markdown caps the per-lead table so the comment stays under GitHub's size
 * limit; the json always carries every row.
 */
import type { FieldChange, DiffField } from './decision-diff.ts';
import type { CountChange, ReplayReport, ReplayRow } from './replay.ts';

const FIELD_LABEL: Record<DiffField, string> = {
  type: 'type',
  handler: 'handler',
  backup: 'backup',
  slaDue: 'SLA due',
  firstTouch: 'first touch',
};

const v = (s: string | null) => s ?? '—';
const change = (c: FieldChange) => `${FIELD_LABEL[c.field]}: ${v(c.before)} → ${v(c.after)}`;
const delta = (c: CountChange) => {
  const d = c.after - c.before;
  return d === 0 ? '0' : d > 0 ? `+${d}` : String(d);
};

export function headline(r: ReplayReport): string {
  const replayed = r.leads - r.unreplayable.length;
  return (
    `${r.changed.length} of ${replayed} leads change` +
    (r.rotationOnly ? `, ${r.rotationOnly} only by pool rotation` : '') +
    (r.newlyCatchAll.length ? `, ${r.newlyCatchAll.length} newly fall to the catch-all` : '') +
    (r.unreplayable.length ? `, ${r.unreplayable.length} could not be re-decided` : '')
  );
}

export function formatReplayText(
  r: ReplayReport,
  labels = { before: 'base', after: 'proposed' },
): string {
  const out: string[] = [];
  out.push(
    `Replay: ${r.leads} leads; ${labels.before} ${r.base.name} (${r.base.hash.slice(0, 12)}) → ${labels.after} ${r.proposed.name} (${r.proposed.hash.slice(0, 12)})`,
  );
  out.push(headline(r), '');
  out.push('Leads per type (before → after):');
  for (const c of r.perType)
    out.push(`  ${c.id.padEnd(24)} ${c.before} → ${c.after} (${delta(c)})`);
  out.push('', 'Leads per handler (before → after):');
  for (const c of r.perHandler)
    out.push(`  ${c.id.padEnd(24)} ${c.before} → ${c.after} (${delta(c)})`);
  if (r.newlyCatchAll.length) {
    out.push('', `Newly falling to the catch-all (${r.catchAll.after}):`);
    for (const row of r.newlyCatchAll)
      out.push(`  ${row.id} ${row.label} (was ${row.before.type})`);
  }
  if (r.changed.length) {
    out.push('', 'Changed leads:');
    for (const row of r.changed) {
      out.push(`  ${row.id} ${row.label} @ ${row.at}`);
      for (const c of row.changes) out.push(`    ${change(c)}`);
    }
  }
  if (r.unreplayable.length) {
    out.push('', 'Could not be re-decided:');
    for (const u of r.unreplayable) out.push(`  ${u.id} ${u.label}: ${u.reason}`);
  }
  return out.join('\n');
}

const MAX_MD_ROWS = 100;
const md = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function formatReplayMarkdown(
  r: ReplayReport,
  labels = { before: 'base', after: 'proposed' },
): string {
  const out: string[] = [];
  out.push(`### Routing replay: ${headline(r)}`, '');
  out.push(
    `${r.leads} recent leads re-decided under \`${md(r.base.name)}\` (${labels.before}, \`${r.base.hash.slice(0, 12)}\`) and \`${md(r.proposed.name)}\` (${labels.after}, \`${r.proposed.hash.slice(0, 12)}\`) with the same clock and pool snapshot.`,
    '',
  );
  const table = (title: string, rows: CountChange[]) => {
    out.push(`| ${title} | before | after | Δ |`, '| --- | ---: | ---: | ---: |');
    for (const c of rows) out.push(`| ${md(c.id)} | ${c.before} | ${c.after} | ${delta(c)} |`);
    out.push('');
  };
  table('lead type', r.perType);
  table('handler', r.perHandler);
  if (r.newlyCatchAll.length) {
    out.push(
      `**Newly falling to the catch-all \`${md(r.catchAll.after)}\`:** ${r.newlyCatchAll.length}`,
      '',
    );
    for (const row of r.newlyCatchAll.slice(0, MAX_MD_ROWS))
      out.push(`- ${md(row.id)} ${md(row.label)} (was \`${md(row.before.type)}\`)`);
    out.push('');
  }
  if (r.changed.length) {
    out.push(
      `<details${r.changed.length <= 20 ? ' open' : ''}><summary>${r.changed.length} changed leads</summary>`,
      '',
    );
    out.push('| lead | arrived | changes |', '| --- | --- | --- |');
    for (const row of r.changed.slice(0, MAX_MD_ROWS))
      out.push(
        `| ${md(row.id)} ${md(row.label)} | ${row.at.slice(0, 16).replace('T', ' ')} | ${row.changes.map((c) => md(change(c))).join('<br>')} |`,
      );
    if (r.changed.length > MAX_MD_ROWS)
      out.push(
        '',
        `… and ${r.changed.length - MAX_MD_ROWS} more (run \`switchboard replay --format json\` for all).`,
      );
    out.push('', '</details>', '');
  }
  if (r.unreplayable.length) {
    out.push(`**Could not be re-decided:** ${r.unreplayable.length}`, '');
    for (const u of r.unreplayable.slice(0, MAX_MD_ROWS))
      out.push(`- ${md(u.id)} ${md(u.label)}: ${md(u.reason)}`);
    out.push('');
  }
  return out.join('\n');
}

export function formatReplayJson(r: ReplayReport): string {
  return JSON.stringify({ ...r, summary: headline(r) }, null, 2);
}

export type { ReplayRow };
