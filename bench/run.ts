/**
 * `npm run bench [-- name…]`: runs the registered bench modules (all, or those whose name
 * contains one of the arguments), prints one table, writes bench/results/latest.json and
 * rewrites the generated section of docs/performance.md.
 *
 * To add a bench: write `bench/<name>.bench.ts` exporting `async function run(): Promise<BenchRow[]>`
 * (see report.ts) and add one line to MODULES below. Every loop must be bounded in count and time
 * (measure.ts helps).
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import {
  spliceGenerated,
  textTable,
  type BenchModule,
  type BenchResults,
  type BenchRow,
} from './report.ts';

const MODULES: Array<{ name: string; load: () => Promise<BenchModule> }> = [
  { name: 'classify', load: () => import('./classify.bench.ts') },
  { name: 'decision', load: () => import('./decision.bench.ts') },
  { name: 'crm', load: () => import('./crm.bench.ts') },
  { name: 'replay', load: () => import('./replay.bench.ts') },
  { name: 'intake', load: () => import('./intake.bench.ts') },
  { name: 'end-to-end', load: () => import('./end-to-end.bench.ts') },
];

const root = join(import.meta.dirname, '..');

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const selected = MODULES.filter(
    (m) => !filters.length || filters.some((f) => m.name.includes(f)),
  );
  const rows: BenchRow[] = [];
  const failures: BenchResults['failures'] = [];
  for (const m of selected) {
    process.stderr.write(`bench: ${m.name}…\n`);
    try {
      rows.push(...(await (await m.load()).run()));
    } catch (err) {
      failures.push({ module: m.name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const cpu = cpus();
  const results: BenchResults = {
    command: `npm run bench${filters.length ? ` -- ${filters.join(' ')}` : ''}`,
    date: new Date().toISOString(),
    node: process.versions.node,
    platform: `${platform()} ${release()}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown CPU',
    rows,
    failures,
  };
  process.stdout.write(`${textTable(rows)}\n`);
  for (const f of failures) process.stdout.write(`FAILED ${f.module}: ${f.error}\n`);

  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  // A partial run (filtered) still refreshes the docs, so the date always tells which run it is.
  const docPath = join(root, 'docs/performance.md');
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Performance\n';
  writeFileSync(docPath, spliceGenerated(doc, results));
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
