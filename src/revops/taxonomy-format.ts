/** The taxonomy exercise as text, markdown and json. */
import { OUTCOMES, type TaxonomyReport } from './taxonomy.ts';

const pct = (x: number) => `${Math.round(x * 100)}%`;
const clip = (s: string | null, n = 80) =>
  s === null ? '' : s.length > n ? `${s.slice(0, n - 1)}…` : s;

export function formatTaxonomyText(r: TaxonomyReport): string {
  const out: string[] = [`Taxonomy exercise: ${r.classified} of ${r.leads} leads classified`, ''];
  const head = ['type', 'leads', 'share', ...r.sources, ...OUTCOMES];
  const rows = r.types.map((t) => [
    t.id,
    String(t.leads),
    pct(t.share),
    ...r.sources.map((s) => String(t.bySource[s] ?? 0)),
    ...OUTCOMES.map((o) => String(t.byOutcome[o])),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const line = (x: string[]) =>
    x.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  out.push(line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line), '');
  out.push('Samples:');
  for (const t of r.types) {
    if (!t.samples.length) continue;
    out.push(`  ${t.id}:`);
    for (const s of t.samples) out.push(`    ${s.id} ${s.label} [${s.source}] ${clip(s.message)}`);
  }
  if (r.unclassifiable.length) {
    out.push('', 'Could not be classified:');
    for (const u of r.unclassifiable) out.push(`  ${u.id} ${u.label}: ${u.reason}`);
  }
  out.push('', ...r.verdict.lines);
  return out.join('\n');
}

export function formatTaxonomyMarkdown(r: TaxonomyReport): string {
  const md = (s: string) => s.replace(/\|/g, '\\|');
  const out: string[] = [`### Taxonomy exercise: ${r.classified} of ${r.leads} leads`, ''];
  out.push(...r.verdict.lines.map((l) => `- ${l}`), '');
  out.push(`| type | leads | share | ${[...r.sources, ...OUTCOMES].map(md).join(' | ')} |`);
  out.push(`| --- |${' ---: |'.repeat(2 + r.sources.length + OUTCOMES.length)}`);
  for (const t of r.types)
    out.push(
      `| ${md(t.id)} | ${t.leads} | ${pct(t.share)} | ${[
        ...r.sources.map((s) => t.bySource[s] ?? 0),
        ...OUTCOMES.map((o) => t.byOutcome[o]),
      ].join(' | ')} |`,
    );
  out.push('');
  for (const t of r.types) {
    if (!t.samples.length) continue;
    out.push(
      `**${md(t.id)}**: ${t.samples.map((s) => `${md(s.label)} (${md(s.source)})${s.message ? ` — “${md(clip(s.message, 60))}”` : ''}`).join('; ')}`,
      '',
    );
  }
  if (r.unclassifiable.length)
    out.push(
      `**Could not be classified:** ${r.unclassifiable.map((u) => `${md(u.label)}: ${md(u.reason)}`).join('; ')}`,
      '',
    );
  return out.join('\n');
}
