import { describe, expect, it } from 'vitest';
import { loadRoutingConfigFile } from '../../../src/config-file.ts';
import { checkFixture } from '../../../src/revops/fixture-check.ts';
import { parseFixtureText } from '../../../src/revops/fixture-file.ts';
import { runCli } from './run-cli.ts';

const noFiles = () => Promise.reject(new Error('no file reads in this test'));

describe('switchboard test', () => {
  it('passes the example fixtures (exit 0)', async () => {
    const r = await runCli(['test']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(r.stdout).toContain('ok    examples/fixtures/strategic.yaml:6 The 2:43 AM Saturday');
    expect(r.code).toBe(0);
  });

  it('fails with a readable diff and exit 1', async () => {
    const r = await runCli(['test', 'test/fixtures/revops/failing.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('ok    test/fixtures/revops/failing.yaml:2 Saturday lead passes');
    expect(r.stdout).toContain(
      'FAIL  test/fixtures/revops/failing.yaml:8 Saturday lead with wrong expectations',
    );
    expect(r.stdout).toContain(
      ['      handler (line 12)', '        - expected: marcus', '        + actual:   dana'].join(
        '\n',
      ),
    );
    expect(r.stdout).toContain('        + actual:   2026-11-28T07:10:00.000-08:00');
    // type matched, so it is not listed as a mismatch
    expect(r.stdout).not.toContain('type (line 11)');
    expect(r.stdout).toMatch(/^1 passed, 1 failed$/m);
  });

  it('--format github annotates the expectation lines', async () => {
    const r = await runCli(['test', '--format', 'github', 'test/fixtures/revops/failing.yaml']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      '::error file=test/fixtures/revops/failing.yaml,line=12,title=fixture%3A Saturday lead with wrong expectations::handler: expected marcus, got dana',
      '::error file=test/fixtures/revops/failing.yaml,line=13,title=fixture%3A Saturday lead with wrong expectations::sla_due: expected 2026-11-30T08:10:00-08:00, got 2026-11-28T07:10:00.000-08:00',
      '1 passed, 1 failed',
    ]);
  });

  it('an unknown expectation key is a positioned problem, exit 1', async () => {
    const r = await runCli(['test', '--format', 'github', 'test/fixtures/revops/bad-key.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^::error file=test\/fixtures\/revops\/bad-key\.yaml,line=4,col=\d+::0\.expect: .*typo_handler/m,
    );
  });

  it('a missing fixture file is reported, not ignored', async () => {
    const r = await runCli(['test', 'test/fixtures/revops/nope.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('test/fixtures/revops/nope.yaml:1:1 cannot read');
  });
});

describe('fixtures in code', () => {
  it('inline lead, `with` overlay and sla_due compared as an instant', async () => {
    const { config } = await loadRoutingConfigFile('config/routing.yaml');
    const text = [
      '- name: inline',
      '  lead: { company: Big Co, employees: 40, created_at: "2026-12-02T11:00:00-08:00" }',
      '  with: { employees: 400 }',
      '  expect:',
      '    type: strategic',
      '    sla_due: 2026-12-02T19:10:00Z',
    ].join('\n');
    const loaded = await parseFixtureText(text, 'inline.yaml', noFiles);
    expect(loaded.problems).toEqual([]);
    const r = checkFixture(config, loaded.fixtures[0]!);
    expect(r.mismatches).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('a lead without a clock is an error, not a guess', async () => {
    const { config } = await loadRoutingConfigFile('config/routing.yaml');
    const text = ['- name: no clock', '  lead: { company: X }', '  expect: { type: strategic }'];
    const loaded = await parseFixtureText(text.join('\n'), 'x.yaml', noFiles);
    const r = checkFixture(config, loaded.fixtures[0]!);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/no clock/);
  });

  it('an invalid lead names its field and line', async () => {
    const text = ['- name: bad lead', '  lead: { employees: "300" }', '  expect: { type: x }'];
    const loaded = await parseFixtureText(text.join('\n'), 'x.yaml', noFiles);
    expect(loaded.fixtures).toEqual([]);
    expect(loaded.problems[0]).toMatchObject({ file: 'x.yaml', line: 2 });
    expect(loaded.problems[0]!.message).toContain('lead.employees');
  });
});
