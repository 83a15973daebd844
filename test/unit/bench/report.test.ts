import { describe, expect, it } from 'vitest';
import {
  BEGIN,
  END,
  spliceGenerated,
  textTable,
  type BenchResults,
} from '../../../bench/report.ts';

const results: BenchResults = {
  command: 'npm run bench',
  date: '2026-11-27T15:00:00.000Z',
  node: '20.20.2',
  platform: 'linux',
  cpus: 2,
  cpuModel: 'CPU',
  rows: [
    {
      name: 'classify',
      figure: 123456.7,
      unit: 'leads/s',
      baseline: 2000,
      baselineName: 'json-rules-engine',
      ratio: 61.7,
      target: '≥ 100,000 leads/s',
      met: true,
    },
  ],
  failures: [],
};

describe('bench report', () => {
  it('rewrites only the generated section of docs/performance.md', () => {
    const doc = `# Performance\n\nhand-written\n\n${BEGIN}\nold table\n${END}\n\nafter\n`;
    const out = spliceGenerated(doc, results);
    expect(out.startsWith('# Performance\n\nhand-written\n\n')).toBe(true);
    expect(out.endsWith(`${END}\n\nafter\n`)).toBe(true);
    expect(out).not.toContain('old table');
    expect(out).toContain(
      '| classify | 123,457 leads/s | 2,000 leads/s (json-rules-engine) | 61.7× | ≥ 100,000 leads/s | met |',
    );
    expect(out).toContain('Last run: `npm run bench` on 2026-11-27T15:00:00.000Z');
    expect(spliceGenerated(out, results)).toBe(out);
  });

  it('appends the section to a document without markers', () => {
    expect(spliceGenerated('# Performance\n', results)).toMatch(
      /^# Performance\n\n<!-- bench:begin/,
    );
  });

  it('prints a text table with a "NOT met" that stands out', () => {
    const t = textTable([{ ...results.rows[0]!, met: false }]);
    expect(t.split('\n')[0]).toMatch(/^benchmark +figure +baseline +ratio +target +met/);
    expect(t).toContain('NOT met');
  });
});
