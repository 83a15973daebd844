// The installed entry point, as `npx switchboard` runs it: a real process, no build step.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const bin = join(root, 'bin/switchboard.js');
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8' });

// Each case starts Node and tsx (about 1 s on an idle machine, ten times that on our loaded
// shared one), hence one process per test and a generous per-test limit.
const SLOW = { timeout: 120_000 };

describe('bin/switchboard.js', () => {
  it('validate exits 0 on the example config', SLOW, () => {
    expect(run(['validate', '--at', '2026-11-28T00:00:00Z']).status).toBe(0);
  });

  it('validate exits 1 on a broken config with positioned errors', SLOW, () => {
    const broken = run(['validate', '--config', 'test/fixtures/configs/broken.yaml']);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain('test/fixtures/configs/broken.yaml:14:13');
  });

  it('explain reads the lead from stdin with --lead -', SLOW, () => {
    const lead = readFileSync(join(root, 'examples/leads/saturday-0243-cascadia.json'), 'utf8');
    const r = run(['explain', '--lead', '-', '--json'], lead);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).leadType).toBe('strategic');
  });
});
