/**
 * Fixture results as text (a readable diff per failing case, with the decision's trace for the
 * "why") and as GitHub workflow annotations pointing at the expectation's line.
 */
import { formatDecision } from '../routing/trace-format.ts';
import type { FixtureProblem } from './fixture-file.ts';
import type { FixtureResult } from './fixture-check.ts';

const show = (v: unknown): string => (v === null || v === undefined ? '(none)' : String(v));

export function formatFixtureText(
  results: readonly FixtureResult[],
  problems: readonly FixtureProblem[],
): string {
  const out: string[] = [];
  for (const p of problems) out.push(`${p.file}:${p.line}:${p.col} ${p.message}`);
  for (const r of results) {
    const f = r.fixture;
    if (r.ok) {
      out.push(`ok    ${f.file}:${f.line} ${f.name}`);
      continue;
    }
    out.push(`FAIL  ${f.file}:${f.line} ${f.name}`);
    if (r.error) out.push(`      ${r.error}`);
    for (const m of r.mismatches) {
      out.push(`      ${m.key} (line ${m.line})`);
      out.push(`        - expected: ${show(m.expected)}`);
      out.push(`        + actual:   ${show(m.actual)}`);
    }
    if (r.decision) {
      out.push('      decision:');
      for (const l of formatDecision(r.decision, f.lead).split('\n')) out.push(`        ${l}`);
    }
  }
  out.push(summaryLine(results, problems));
  return out.join('\n');
}

export function summaryLine(
  results: readonly FixtureResult[],
  problems: readonly FixtureProblem[],
): string {
  const failed = results.filter((r) => !r.ok).length;
  const bad = problems.length ? `, ${problems.length} fixture file problem(s)` : '';
  return `${results.length - failed} passed, ${failed} failed${bad}`;
}

export function formatFixtureGithub(
  results: readonly FixtureResult[],
  problems: readonly FixtureProblem[],
): string {
  const out: string[] = [];
  for (const p of problems)
    out.push(`::error file=${prop(p.file)},line=${p.line},col=${p.col}::${data(p.message)}`);
  for (const r of results) {
    if (r.ok) continue;
    const f = r.fixture;
    if (r.error)
      out.push(
        `::error file=${prop(f.file)},line=${f.line},title=${prop(`fixture: ${f.name}`)}::${data(r.error)}`,
      );
    for (const m of r.mismatches)
      out.push(
        `::error file=${prop(f.file)},line=${m.line},title=${prop(`fixture: ${f.name}`)}::${data(
          `${m.key}: expected ${show(m.expected)}, got ${show(m.actual)}`,
        )}`,
      );
  }
  out.push(summaryLine(results, problems));
  return out.join('\n');
}

const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
