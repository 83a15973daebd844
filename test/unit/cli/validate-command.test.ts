import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

const fixtures = 'test/fixtures/configs';

describe('switchboard validate', () => {
  it('passes on the example config (exit 0) and names the types', async () => {
    const r = await runCli(['validate', '--at', '2026-11-28T00:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('config/routing.yaml: 0 errors, 0 warnings, 0 notes');
    expect(r.stdout).toMatch(/OK, 6 lead types \(strategic, enterprise_evaluation/);
  });

  it('a broken config prints every positioned error and exits 1', async () => {
    const file = `${fixtures}/broken.yaml`;
    const r = await runCli(['validate', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `${file}:14:13 lead_types[0].when.employes: unknown field "employes" (did you mean "employees"?)`,
      `${file}:20:5 lead_types[1].backupp: unknown key "backupp" (did you mean "backup"?)`,
      `${file}: 2 errors, 0 warnings, 0 notes`,
      '',
    ]);
  });

  it('--format github prints workflow annotations with file, line and col', async () => {
    const file = `${fixtures}/bad-refs.yaml`;
    const r = await runCli(['validate', '--config', file, '--format', 'github']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toContain(
      `::error file=${file},line=15,col=14::lead_types[0].handler: unknown handler "dna" (did you mean "dana"?)`,
    );
  });

  it('--format json gives the issues as data', async () => {
    const r = await runCli([
      'validate',
      '--config',
      `${fixtures}/bad-refs.yaml`,
      '--format',
      'json',
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.issues.filter((i: { severity: string }) => i.severity === 'error')).toEqual([
      {
        severity: 'error',
        path: ['lead_types', 0, 'handler'],
        message: 'unknown handler "dna" (did you mean "dana"?)',
        line: 15,
        col: 14,
      },
    ]);
  });

  it('warnings alone exit 0: a stale review with --at', async () => {
    const r = await runCli(['validate', '--at', '2027-06-01T00:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /config\/routing\.yaml:\d+:\d+ warning: reviewed_on: last reviewed 2026-11-24/,
    );
  });

  it('a missing file and a bad --at are clear errors', async () => {
    const missing = await runCli(['validate', '--config', 'nope.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('routing config not found: nope.yaml');
    const badAt = await runCli(['validate', '--at', 'saturday']);
    expect(badAt.code).toBe(1);
    expect(badAt.stderr).toContain('--at must be an ISO 8601 time');
  });

  it('an unknown --format is a usage error', async () => {
    const r = await runCli(['validate', '--format', 'xml']);
    expect(r.code).toBe(2);
  });
});
