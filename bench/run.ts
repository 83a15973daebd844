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
  { name: 'timers', load: () => import('./timers.bench.ts') },
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
      rows.push(...(await (await m.load()).run()).map((r) => ({ ...r, module: m.name })));
    } catch (err) {
      failures.push({ module: m.name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  // A filtered run replaces only its own modules' rows: the others keep their last figures (and
  // say so in their note), so `npm run bench -- timers` never wipes the rest of the table.
  const latestPath = join(root, 'bench/results/latest.json');
  if (filters.length && existsSync(latestPath)) {
    const previous = JSON.parse(readFileSync(latestPath, 'utf8')) as BenchResults;
    const ran = new Set(selected.map((m) => m.name));
    const kept = previous.rows
      .filter((r) => r.module !== undefined && !ran.has(r.module))
      .map((r) => ({
        ...r,
        note: r.note?.includes('(from ')
          ? r.note
          : `${r.note ?? ''} (from ${previous.command}, ${previous.date.slice(0, 10)})`.trim(),
      }));
    rows.unshift(...kept);
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
  writeFileSync(latestPath, `${JSON.stringify(results, null, 2)}\n`);
  // A partial run (filtered) still refreshes the docs; rows it did not run carry their origin.
  const docPath = join(root, 'docs/performance.md');
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Performance\n';
  writeFileSync(docPath, spliceGenerated(doc, results));
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
