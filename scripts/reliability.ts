/**
 * `npm run test:reliability [-- --scale=short|full] [-- --only=kill,hostile] [-- --no-docs]`
 *
 * Runs the reliability suites against the machine's real Postgres (127.0.0.1:5432, user postgres;
 * RELIABILITY_PG_URL overrides), each on a database of its own that is dropped afterwards, with the
 * real service as child processes and the local CRM doubles. Prints one table (load, faults,
 * inputs, lost, duplicated) and exits non-zero when anything was lost or duplicated.
 *
 * Scale (`--scale` or RELIABILITY_SCALE): `short` (CI, about a minute) or `full` (the issue's
 * figures, under ten minutes). The full run rewrites the table in docs/reliability.md; a short
 * run writes it only with `--docs`. `--ci-json=path` writes a vitest-like summary for .ci/run.
 * `--kill-leads=N --kills=K` override the SIGKILL suite's size (a smaller machine, a quick check).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../test/reliability/harness.ts';
import type { SuiteResult } from '../test/reliability/kill-redelivery.ts';

type Scale = 'short' | 'full';

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
const value = (name: string) => flag(name)?.split('=').slice(1).join('=');
const scale: Scale =
  (value('scale') ?? process.env.RELIABILITY_SCALE ?? 'short') === 'full' ? 'full' : 'short';
const only = value('only')?.split(',');
const writeDocs = flag('docs') !== undefined || (scale === 'full' && flag('no-docs') === undefined);
const ciJson = value('ci-json');
const logDir = path.join(os.tmpdir(), `switchboard-reliability-${process.pid}`);

interface Suite {
  name: string;
  /** Runs only when named in --only. */
  optIn?: boolean;
  run: () => Promise<SuiteResult>;
}

const S = scale === 'full';
const SUITES: Suite[] = [
  {
    name: 'hostile',
    run: async () =>
      (await import('../test/reliability/hostile-suite.ts')).runHostileSuite({
        inputs: S ? 10_000 : 1_000,
        httpSample: S ? 500 : 100,
        logDir,
      }),
  },
  {
    name: 'kill',
    run: async () =>
      (await import('../test/reliability/kill-redelivery.ts')).runKillRedelivery({
        leads: Number(value('kill-leads') ?? (S ? 10_000 : 500)),
        kills: Number(value('kills') ?? (S ? 10 : 2)),
        logDir,
        drainMs: S ? 240_000 : 90_000,
        deadlineMs: S ? 300_000 : 120_000,
      }),
  },
  {
    name: 'faults',
    run: async () =>
      (await import('../test/reliability/crm-faults.ts')).runCrmFaults({
        leads: S ? 300 : 60,
        sendRate: 20,
        faultRate: 0.3,
        outageMs: S ? 60_000 : 3_000,
        rateMax: S ? 15 : 10,
        rateIntervalMs: 1000,
        drainMs: S ? 300_000 : 90_000,
        logDir,
      }),
  },
  {
    name: 'two-instances',
    run: async () =>
      (await import('../test/reliability/two-instances.ts')).runTwoInstances({
        leads: S ? 1_000 : 100,
        drainMs: S ? 240_000 : 90_000,
        logDir,
      }),
  },
  {
    // Restarts the machine's PostgreSQL: never in .ci/run, only when named (`--only=pg-restart`).
    name: 'pg-restart',
    optIn: true,
    run: async () =>
      (await import('../test/reliability/pg-restart.ts')).runPgRestart({
        leads: S ? 2_000 : 300,
        sendRate: 50,
        drainMs: S ? 240_000 : 90_000,
        logDir,
      }),
  },
];

interface StoredResult extends SuiteResult {
  command: string;
  date: string;
  machine: string;
}

function table(rows: Array<SuiteResult | StoredResult>, withDate = false): string {
  const head = ['suite', 'load', 'faults', 'inputs', 'lost', 'duplicated', 'result', 'time'];
  if (withDate) head.push('date');
  const cells = rows.map((r) => [
    r.suite,
    r.load,
    r.faults,
    r.inputs.toLocaleString('en-US'),
    String(r.lost),
    String(r.duplicated),
    r.passed ? 'pass' : 'FAIL',
    `${r.seconds.toFixed(0)} s`,
    ...(withDate && 'date' in r ? [r.date.slice(0, 16).replace('T', ' ') + ' UTC'] : []),
  ]);
  return [head, ...cells]
    .map((c) => `| ${c.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`)
    .flatMap((l, i) => (i === 0 ? [l, `| ${head.map(() => '---').join(' | ')} |`] : [l]))
    .join('\n');
}

async function main(): Promise<number> {
  mkdirSync(logDir, { recursive: true });
  const selected = SUITES.filter((s) => (only ? only.some((o) => s.name.includes(o)) : !s.optIn));
  const results: SuiteResult[] = [];
  const started = new Date();
  for (const s of selected) {
    process.stderr.write(`reliability (${scale}): ${s.name}…\n`);
    try {
      const r = await s.run();
      results.push(r);
      process.stderr.write(
        `  ${r.passed ? 'pass' : 'FAIL'} in ${r.seconds.toFixed(1)} s: lost ${r.lost}, duplicated ${r.duplicated}\n${r.notes.map((n) => `    - ${n}\n`).join('')}`,
      );
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`  ERROR: ${message}\n`);
      results.push({
        suite: s.name,
        load: '',
        faults: '',
        inputs: 0,
        lost: 0,
        duplicated: 0,
        passed: false,
        notes: [`the suite crashed: ${message.split('\n')[0]}`],
        seconds: 0,
      });
    }
  }
  const command =
    `npm run test:reliability -- ${args.filter((a) => !a.startsWith('--ci-json')).join(' ')}`.trimEnd();
  const out = [
    table(results),
    '',
    ...results.flatMap((r) => [`**${r.suite}**`, ...r.notes.map((n) => `- ${n}`), '']),
  ].join('\n');
  process.stdout.write(`\n${out}\n`);
  const failed = results.filter((r) => !r.passed).length;
  process.stdout.write(
    `reliability (${scale}): ${results.length - failed} passed, ${failed} failed; logs in ${logDir}\n`,
  );

  if (ciJson) {
    mkdirSync(path.dirname(ciJson), { recursive: true });
    writeFileSync(
      ciJson,
      JSON.stringify({
        numPassedTests: results.length - failed,
        numFailedTests: failed,
        numTotalTestSuites: results.length,
        success: failed === 0,
      }),
    );
  }
  if (writeDocs) {
    // Rows are kept per suite (docs/reliability-results.json), so a run of some suites updates
    // their rows and leaves the others with their own command and date.
    const store = path.join(ROOT, 'docs/reliability-results.json');
    const kept: StoredResult[] = existsSync(store) ? JSON.parse(readFileSync(store, 'utf8')) : [];
    const machine = `Node ${process.versions.node}, ${os.cpus().length} CPUs, ${os.platform()} ${os.release()}`;
    for (const r of results) {
      const i = kept.findIndex((k) => k.suite === r.suite);
      const row = { ...r, command, date: started.toISOString(), machine };
      if (i >= 0) kept[i] = row;
      else kept.push(row);
    }
    // Formatted as `prettier --check .` (in .ci/run) expects it.
    const prettier = await import('prettier');
    writeFileSync(store, await prettier.format(JSON.stringify(kept), { parser: 'json' }));
    const doc = path.join(ROOT, 'docs/reliability.md');
    const text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Reliability\n';
    const block = [
      '<!-- reliability:begin (generated by scripts/reliability.ts from docs/reliability-results.json; do not edit by hand) -->',
      table(kept, true),
      '',
      ...kept.flatMap((r) => [
        `**${r.suite}** — \`${r.command}\`, ${r.date} (${r.machine})`,
        '',
        ...r.notes.map((n) => `- ${n}`),
        '',
      ]),
      '<!-- reliability:end -->',
    ].join('\n');
    const re = /<!-- reliability:begin[\s\S]*?<!-- reliability:end -->/;
    writeFileSync(doc, re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n${block}\n`);
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
