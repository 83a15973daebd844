/**
 * Full decisions per second on the example config: classify, choose the assignee (availability,
 * pools), SLA due on the business calendar, fallback plan; once without rendering the first
 * touch and once with it.
 *
 * Targets (issue 4): ≥ 100,000 decisions/s without rendering, ≥ 20,000/s with rendering.
 */
import { emptyRoutingState } from '../src/routing/decision.ts';
import { route } from '../src/routing/route.ts';
import { loadExampleConfig } from './classify.bench.ts';
import { bestOf, measureSync } from './measure.ts';
import type { BenchRow } from './report.ts';
import { syntheticLeads } from './synthetic-leads.ts';

const N = 100_000;

export async function run(): Promise<BenchRow[]> {
  const config = loadExampleConfig();
  const leads = syntheticLeads(N, 7);
  const state = emptyRoutingState();
  // A weekday afternoon in the handlers' zones; leads arrive over a working day.
  const base = Date.parse('2026-12-02T17:00:00Z');
  const at = (i: number) => new Date(base + (i % 3_600) * 10_000);

  const rows: BenchRow[] = [];
  // Until route() renders first touches there is no "with rendering" figure to report.
  const renders = route(config, leads[0]!, at(0), state, { render: true }).firstTouch !== null;
  for (const render of renders ? [false, true] : [false]) {
    const target = render ? 20_000 : 100_000;
    const maxCount = render ? 50_000 : N;
    measureSync((i) => void route(config, leads[i]!, at(i), state, { render }), {
      maxCount: 5_000,
      maxMs: 2_000,
    });
    let sink = 0;
    const m = bestOf(3, () =>
      measureSync(
        (i) => {
          sink += route(config, leads[i]!, at(i), state, { render }).trace.length;
        },
        { maxCount, maxMs: 10_000 },
      ),
    );
    if (sink < 0) throw new Error('unreachable');
    rows.push({
      name: `full decision, ${render ? 'with' : 'without'} first-touch rendering`,
      figure: m.perCpuSecond,
      unit: 'decisions/CPU-s',
      target: `≥ ${target.toLocaleString('en-US')} decisions/s (per CPU-second)`,
      met: m.perCpuSecond >= target,
      note: `${m.count.toLocaleString('en-US')} decisions in ${Math.round(m.cpuMs)} ms CPU / ${Math.round(m.ms)} ms wall (${Math.round(m.perSecond).toLocaleString('en-US')}/s wall, best of 3); pool counts not carried between leads`,
    });
  }
  return rows;
}
