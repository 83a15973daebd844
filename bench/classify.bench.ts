/**
 * Classification speed: 100,000 synthetic leads against the example config, and the same
 * conditions evaluated by json-rules-engine (the usual off-the-shelf choice) as the baseline.
 * Both compute the stated problem from the message with the same matcher, and both pick the
 * first matching type; the bench also checks they agree on every lead of a sample.
 *
 * Targets (issue 3): ≥ 100,000 leads/s and ≥ 20× the baseline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, type TopLevelCondition, type NestedCondition } from 'json-rules-engine';
import type { CondNode } from '../src/routing/conditions.ts';
import { classify } from '../src/routing/classify.ts';
import type { Lead } from '../src/routing/lead.ts';
import { parseRoutingConfig } from '../src/routing/parse-config.ts';
import type { RoutingConfig } from '../src/routing/routing-config.ts';
import { keywordsRegex, normaliseText } from '../src/routing/text-match.ts';
import { bestOf, measureAsync, measureSync } from './measure.ts';
import type { BenchRow } from './report.ts';
import { syntheticLeads } from './synthetic-leads.ts';

const N = 100_000;

export function loadExampleConfig(): RoutingConfig {
  const file = join(import.meta.dirname, '../config/routing.yaml');
  const r = parseRoutingConfig(readFileSync(file, 'utf8'), 'config/routing.yaml');
  if (!r.ok) throw new Error(`example config is invalid: ${r.issues[0]?.message}`);
  return r.config;
}

// ---------------------------------------------------------------------------------------------
// The baseline: the same conditions as json-rules-engine rules.

function toRulesCondition(node: CondNode): NestedCondition {
  switch (node.kind) {
    case 'always':
      return { fact: 'always', operator: 'equal', value: true };
    case 'all':
      return { all: node.items.map(toRulesCondition) };
    case 'any':
      return { any: node.items.map(toRulesCondition) };
    case 'not':
      return { not: toRulesCondition(node.item) };
    case 'field': {
      const [fact, ...rest] = node.field.split('.');
      const base = { fact: fact!, ...(rest.length ? { path: `$.${rest.join('.')}` } : {}) };
      const ops: Record<string, string> = {
        eq: 'equal',
        ne: 'notEqual',
        in: 'in',
        not_in: 'notIn',
        gt: 'greaterThan',
        gte: 'greaterThanInclusive',
        lt: 'lessThan',
        lte: 'lessThanInclusive',
        contains: 'textContains',
        contains_any_word: 'anyWord',
        matches: 'matches',
        exists: 'exists',
      };
      if (node.op === 'between') {
        const [lo, hi] = node.value as [number, number];
        return {
          all: [
            { ...base, operator: 'greaterThanInclusive', value: lo },
            { ...base, operator: 'lessThanInclusive', value: hi },
          ],
        };
      }
      return { ...base, operator: ops[node.op]!, value: node.value as never };
    }
  }
}

function baselineEngine(config: RoutingConfig): Engine {
  const engine = new Engine([], { allowUndefinedFacts: true });
  const present = (a: unknown) => a !== undefined && a !== null && a !== '';
  engine.addOperator('exists', (a: unknown, b: unknown) => present(a) === b);
  engine.addOperator('textContains', (a: unknown, b: unknown) =>
    String(a ?? '')
      .toLowerCase()
      .includes(String(b).toLowerCase()),
  );
  const regexes = new Map<string, RegExp>();
  engine.addOperator('matches', (a: unknown, b: unknown) => {
    let re = regexes.get(String(b));
    if (!re) regexes.set(String(b), (re = new RegExp(String(b), 'i')));
    return present(a) && re.test(String(a));
  });
  engine.addOperator('anyWord', (a: unknown, b: unknown) => {
    const key = JSON.stringify(b);
    let re = regexes.get(key);
    if (!re) regexes.set(key, (re = keywordsRegex(b as string[])));
    return present(a) && re.test(normaliseText(String(a)));
  });
  const n = config.leadTypes.length;
  config.leadTypes.forEach((t, i) => {
    const c = toRulesCondition(t.node);
    const top: TopLevelCondition =
      'all' in c || 'any' in c || 'not' in c ? (c as TopLevelCondition) : { all: [c] };
    engine.addRule({ conditions: top, event: { type: t.id }, priority: n - i });
  });
  return engine;
}

async function baselineClassify(
  engine: Engine,
  config: RoutingConfig,
  lead: Lead,
): Promise<string> {
  const problem = config.problems.find(lead.message)?.problem ?? null;
  const { events } = await engine.run({ ...lead, problem, always: true });
  // Rules ran in priority order; the first success is the first type in file order.
  let best: string | undefined;
  let bestIndex = Infinity;
  for (const e of events) {
    const i = config.leadTypes.findIndex((t) => t.id === e.type);
    if (i < bestIndex) {
      bestIndex = i;
      best = e.type;
    }
  }
  return best ?? config.leadTypes[config.leadTypes.length - 1]!.id;
}

export async function run(): Promise<BenchRow[]> {
  const config = loadExampleConfig();
  const leads = syntheticLeads(N);
  const engine = baselineEngine(config);

  // Agreement on a sample: the baseline must answer the same question.
  const sample = 2_000;
  let disagree = 0;
  for (let i = 0; i < sample; i++) {
    const ours = classify(config, leads[i]!).leadType.id;
    if (ours !== (await baselineClassify(engine, config, leads[i]!))) disagree++;
  }

  // Warm-up, then the best of three full passes over the 100,000 leads (10 s cap each).
  measureSync((i) => void classify(config, leads[i % N]!), { maxCount: 20_000, maxMs: 2_000 });
  let sink = 0;
  const ours = bestOf(3, () =>
    measureSync(
      (i) => {
        sink += classify(config, leads[i]!).trace.length;
      },
      { maxCount: N, maxMs: 10_000 },
    ),
  );
  await measureAsync(async (i) => void (await baselineClassify(engine, config, leads[i]!)), {
    maxCount: 2_000,
    maxMs: 2_000,
  });
  const base = await measureAsync(
    async (i) => {
      sink += (await baselineClassify(engine, config, leads[i]!)).length;
    },
    { maxCount: N, maxMs: 15_000 },
  );
  if (sink < 0) throw new Error('unreachable');

  const ratio = ours.perCpuSecond / base.perCpuSecond;
  return [
    {
      name: 'classify, example config (6 types, with trace)',
      figure: ours.perCpuSecond,
      unit: 'leads/CPU-s',
      baseline: base.perCpuSecond,
      baselineName: 'json-rules-engine 7.3.1',
      ratio,
      target: '≥ 100,000 leads/s and ≥ 20× baseline (per CPU-second)',
      met: ours.perCpuSecond >= 100_000 && ratio >= 20,
      note: `${ours.count.toLocaleString('en-US')} leads in ${Math.round(ours.cpuMs)} ms CPU / ${Math.round(ours.ms)} ms wall (${Math.round(ours.perSecond).toLocaleString('en-US')}/s wall, best of 3); baseline ${base.count.toLocaleString('en-US')} leads in ${Math.round(base.cpuMs)} ms CPU / ${Math.round(base.ms)} ms wall; ${disagree} of ${sample.toLocaleString('en-US')} sampled leads classified differently by the baseline`,
    },
  ];
}
