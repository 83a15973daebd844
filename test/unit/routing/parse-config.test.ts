import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, formatReport } from '../../../src/routing/issue-format.ts';
import { parseRoutingConfig } from '../../../src/routing/parse-config.ts';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/configs', name), 'utf8');
const minimal = fixture('minimal.yaml');

function errorsOf(text: string, file = 'config/routing.yaml'): string[] {
  const r = parseRoutingConfig(text, file);
  if (r.ok) return [];
  return r.issues.filter((i) => i.severity === 'error').map((i) => formatIssue(file, i));
}

describe('parseRoutingConfig', () => {
  it('loads a valid config with its hash and compiled types', () => {
    const r = parseRoutingConfig(minimal, 'minimal.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.leadTypes.map((t) => t.id)).toEqual([
      'strategic',
      'midsize',
      'problem',
      'referral',
      'everyone_else',
    ]);
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.config.leadTypes[0]!.line).toBe(16);
  });

  it('unknown handler: file:line:col, path and did-you-mean', () => {
    expect(errorsOf(fixture('bad-refs.yaml'))).toEqual([
      'config/routing.yaml:15:14 lead_types[0].handler: unknown handler "dna" (did you mean "dana"?)',
    ]);
  });

  it('collects every error of a broken file, each positioned at the offending key', () => {
    expect(errorsOf(fixture('broken.yaml'))).toEqual([
      'config/routing.yaml:14:13 lead_types[0].when.employes: unknown field "employes" (did you mean "employees"?)',
      'config/routing.yaml:20:5 lead_types[1].backupp: unknown key "backupp" (did you mean "backup"?)',
    ]);
  });

  it('reference errors are reported in the same run as shape errors', () => {
    const text = fixture('broken.yaml').replace('handler: dana', 'handler: dna');
    expect(errorsOf(text)).toEqual([
      'config/routing.yaml:14:13 lead_types[0].when.employes: unknown field "employes" (did you mean "employees"?)',
      'config/routing.yaml:15:14 lead_types[0].handler: unknown handler "dna" (did you mean "dana"?)',
      'config/routing.yaml:20:5 lead_types[1].backupp: unknown key "backupp" (did you mean "backup"?)',
    ]);
  });

  it('a misspelt top-level key is an error, not ignored', () => {
    const errs = errorsOf(minimal.replace('review_every:', 'review_evry:'));
    expect(errs).toContain(
      'config/routing.yaml:3:1 review_evry: unknown key "review_evry" (did you mean "review_every"?)',
    );
    expect(errs).toContain(
      'config/routing.yaml:1:1 review_every: missing required key "review_every"',
    );
  });

  it('bad values are positioned at the value', () => {
    expect(errorsOf(minimal.replace('sla: 10m', 'sla: 10 minutes'))).toEqual([
      'config/routing.yaml:20:10 lead_types[0].sla: expected a duration such as 90s, 10m, 4h, 2d or 1w',
    ]);
    expect(errorsOf(minimal.replace('version: 1', 'version: 2'))[0]).toMatch(
      /^config\/routing\.yaml:1:10 version: /,
    );
  });

  it('YAML syntax errors carry line and column', () => {
    const errs = errorsOf(
      minimal.replace(
        "    weekly: { mon-fri: '08:00-18:00' }",
        "    weekly: { mon-fri: '08:00-18:00'",
      ),
    );
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0]).toMatch(/^config\/routing\.yaml:\d+:\d+ YAML [A-Z_]+: /);
  });

  it('a duplicate key is a YAML error with its position', () => {
    const text = minimal.replace('catch_all: ops', 'catch_all: ops\ncatch_all: dana');
    expect(errorsOf(text)[0]).toMatch(/^config\/routing\.yaml:5:1 YAML DUPLICATE_KEY: /);
  });

  it('bad regex in a condition is a positioned error', () => {
    const text = minimal.replace(
      'when: { source.channel: partner }',
      "when: { title: { matches: '(vp' } }",
    );
    expect(errorsOf(text)).toEqual([
      'config/routing.yaml:32:31 lead_types[3].when.title.matches: title matches: invalid regular expression: /(vp/i: Unterminated group',
    ]);
  });

  it('a template with an unknown variable is a load error at the template', () => {
    const text = minimal.replace(
      '    sla: 10m\n',
      "    sla: 10m\n    first_touch: { subject: 'Hi {{ lead.frist_name }}', body: 'x' }\n",
    );
    const errs = errorsOf(text);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(
      /^config\/routing\.yaml:21:36 lead_types\[0\]\.first_touch\.subject: .*frist_name.*did you mean "first_name"/,
    );
  });

  it('a template error inside a block scalar points at the line and column in the file', () => {
    const example = readFileSync(join(import.meta.dirname, '../../../config/routing.yaml'), 'utf8');
    const text = example.replace(
      '{{ handler.title }}, Blue Circle',
      '{{ handler.titel }}, Blue Circle',
    );
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('handler.titel')) + 1;
    const col = lines[line - 1]!.indexOf('handler.titel') + 1;
    const errs = errorsOf(text);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(
      new RegExp(
        `^config/routing\\.yaml:${line}:${col} lead_types\\[0\\]\\.first_touch\\.body: .*titel`,
      ),
    );
  });

  it('a document that is not a map is rejected with a position', () => {
    expect(errorsOf('- just\n- a list\n')).toEqual([
      'config/routing.yaml:1:1 routing.yaml must be a map with version, handlers, lead_types…',
    ]);
  });

  it('the report lists every issue and a count line', () => {
    const r = parseRoutingConfig(fixture('broken.yaml'), 'broken.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const report = formatReport('broken.yaml', r.issues);
    expect(report.split('\n').at(-1)).toBe('broken.yaml: 2 errors, 0 warnings, 0 notes');
  });

  it('the hash ignores comments, key order and quoting but not meaning', () => {
    const a = parseRoutingConfig(minimal, 'a');
    const b = parseRoutingConfig(
      `# a comment\n${minimal.replace('version: 1\nreviewed_on: 2026-11-24', "reviewed_on: '2026-11-24'\nversion: 1")}`,
      'b',
    );
    const c = parseRoutingConfig(minimal.replace('sla: 10m', 'sla: 15m'), 'c');
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(b.hash).toBe(a.hash);
    expect(c.hash).not.toBe(a.hash);
  });
});
