import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

const saturday = 'examples/leads/saturday-0243-cascadia.json';

function tempLead(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-explain-'));
  const file = join(dir, 'lead.json');
  writeFileSync(file, content);
  return file;
}

describe('switchboard explain', () => {
  it('the 2:43 AM Saturday lead: names the strategic type and shows the trace', async () => {
    const r = await runCli(['explain', '--lead', saturday]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Lead type:  strategic');
    expect(r.stdout).toContain('Problem:    operational rebuild');
    expect(r.stdout).toContain('✓ strategic: matched (employees: 300 >= 250)');
    expect(r.stdout).toContain('Assignee:   Dana Whitfield, Senior Partner [dana] via handler');
    expect(r.stdout).toContain('Backup:     Marcus Reed [marcus]');
    expect(r.stdout).toContain(
      'due 2026-11-28T07:10:00.000-08:00 local = 2026-11-28T15:10:00.000Z UTC',
    );
    expect(r.stdout).toMatch(/Config: {5}sha256 [0-9a-f]{64}/);
  });

  it('shows the rendered first touch and the fallback plan', async () => {
    const r = await runCli(['explain', '--lead', saturday]);
    expect(r.stdout).toContain(
      'First touch (email): product line operations, case study northwind',
    );
    expect(r.stdout).toContain('  Subject: Cascadia Freight Co: operational rebuild');
    expect(r.stdout).toContain('    Hi Kira,');
    expect(r.stdout).toContain('How Northwind rebuilt operations in 90 days');
    expect(r.stdout).toContain('    Dana Whitfield');
    expect(r.stdout).toContain('  sla: after 10m, due 2026-11-28T15:10:00.000Z UTC (1 branch)');
    expect(r.stdout).toContain('  day2: after 2d, due');
    expect(r.stdout).toMatch(/if opened=false → call task/);
  });

  it('shows why not the earlier types', async () => {
    const r = await runCli(['explain', '--lead', 'examples/leads/small-business.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '✗ not strategic: none of: account.target: missing; employees: 12 < 250',
    );
    expect(r.stdout).toContain(
      '✗ not partner_referral: none of: source.channel: "web" is not "partner"; source.lead_source: missing',
    );
    expect(r.stdout).toContain('Lead type:  small_business');
  });

  it('--json prints the Decision', async () => {
    const r = await runCli(['explain', '--lead', saturday, '--json']);
    const d = JSON.parse(r.stdout);
    expect(d.leadType).toBe('strategic');
    expect(d.decidedAt).toBe('2026-11-28T10:43:00.000Z');
    expect(d.trace.length).toBeGreaterThan(2);
  });

  it('--at overrides the lead time', async () => {
    const r = await runCli([
      'explain',
      '--lead',
      saturday,
      '--json',
      '--at',
      '2026-11-30T17:00:00Z',
    ]);
    expect(JSON.parse(r.stdout).decidedAt).toBe('2026-11-30T17:00:00.000Z');
  });

  it('a malformed lead file names the field', async () => {
    const file = tempLead(JSON.stringify({ company: 'X', employees: '300', employes: 3 }));
    const r = await runCli(['explain', '--lead', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the lead is not valid');
    expect(r.stderr).toContain('lead.employees: Invalid input: expected number, received string');
    expect(r.stderr).toContain('lead.employes: unknown field (did you mean "employees"?)');
  });

  it('invalid JSON is a clear error', async () => {
    const r = await runCli(['explain', '--lead', tempLead('{ nope')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not valid JSON/);
  });

  it('a broken config prints the positioned report and exits 1', async () => {
    const r = await runCli([
      'explain',
      '--lead',
      saturday,
      '--config',
      'test/fixtures/configs/bad-refs.yaml',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'test/fixtures/configs/bad-refs.yaml:15:14 lead_types[0].handler: unknown handler "dna" (did you mean "dana"?)',
    );
  });
});
