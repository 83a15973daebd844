/**
 * Checks of a routing.yaml that has the right shape: references between sections, the taxonomy
 * (catch-all last, unreachable types), hygiene warnings (no backup, stale review, a taxonomy
 * outside the healthy five-to-seven types). All findings are ConfigIssues with config paths;
 * parse-config.ts positions them.
 */
import { canonicalJson } from './config-hash.ts';
import type { CondNode, KeyedIssue } from './conditions.ts';
import { error, note, warning, type ConfigPath } from './config-issue.ts';
import type { RoutingConfigData } from './config-schema.ts';
import { parseDuration } from './duration.ts';
import type { CompiledLeadType } from './routing-config.ts';
import { didYouMean } from './suggest.ts';

export interface StaticCheckInput {
  data: RoutingConfigData;
  leadTypes: Array<Pick<CompiledLeadType, 'id' | 'index' | 'node'>>;
  /** Catalog conditions, to check `problem` references inside them too. */
  otherConditions: Array<{ path: ConfigPath; node: CondNode | null }>;
  /** The clock of the caller (validate's `--at`); without it the staleness check is skipped. */
  at?: Date;
}

/** Healthy taxonomy size, from the seed: "Not three. Not twelve. Usually five to seven." */
export const HEALTHY_TYPE_COUNT = { min: 5, max: 7 } as const;

export function staticChecks(input: StaticCheckInput): KeyedIssue[] {
  const { data } = input;
  const issues: KeyedIssue[] = [];
  const handlerIds = Object.keys(data.handlers);
  const poolIds = Object.keys(data.pools ?? {});
  const calendarIds = Object.keys(data.calendars ?? {});
  const problemNames = Object.keys(data.problems ?? {});

  const ref = (path: ConfigPath, kind: string, name: string | undefined, known: string[]) => {
    if (name !== undefined && !known.includes(name))
      issues.push(error(path, `unknown ${kind} "${name}"${didYouMean(name, known)}`));
  };

  // catch_all, calendars, handlers and pools are checked by checkPeople (people.ts).

  // Duplicate ids in ordered lists (map keys are unique already: YAML rejects duplicate keys).
  for (const [section, list] of [
    ['lead_types', data.lead_types],
    ['product_lines', data.product_lines ?? []],
    ['case_studies', data.case_studies ?? []],
  ] as const) {
    const seen = new Map<string, number>();
    list.forEach((item, i) => {
      const first = seen.get(item.id);
      if (first !== undefined)
        issues.push(
          error(
            [section, i, 'id'],
            `duplicate id "${item.id}" (already used by ${section}[${first}])`,
          ),
        );
      else seen.set(item.id, i);
    });
  }

  data.lead_types.forEach((t, i) => {
    const p: ConfigPath = ['lead_types', i];
    ref([...p, 'handler'], 'handler', t.handler, handlerIds);
    ref([...p, 'backup'], 'handler', t.backup, handlerIds);
    ref([...p, 'pool'], 'pool', t.pool, poolIds);
    ref([...p, 'calendar'], 'calendar', t.calendar, calendarIds);
    if (t.handler === undefined && t.pool === undefined)
      issues.push(error(p, `lead type "${t.id}" needs a \`handler\` or a \`pool\``));
    if (t.handler !== undefined && t.backup === undefined && t.pool === undefined)
      issues.push(
        warning(
          [...p, 'handler'],
          `lead type "${t.id}" has no backup: when ${t.handler} is away its leads go to the catch-all owner`,
        ),
      );
    if (t.backup !== undefined && t.backup === t.handler)
      issues.push(warning([...p, 'backup'], `the backup of "${t.id}" is its handler`));
  });

  // `problem` references in conditions.
  const conditions: Array<{ node: CondNode | null }> = [
    ...input.leadTypes.map((t) => ({ node: t.node })),
    ...input.otherConditions,
  ];
  for (const c of conditions) {
    if (!c.node) continue;
    for (const atom of atoms(c.node)) {
      if (atom.field !== 'problem' || !['eq', 'ne', 'in', 'not_in'].includes(atom.op)) continue;
      const values = Array.isArray(atom.value) ? atom.value : [atom.value];
      for (const v of values) {
        const name = String(v);
        if (!problemNames.some((n) => n.toLowerCase() === name.toLowerCase()))
          issues.push(
            error(atom.path ?? [], `unknown problem "${name}"${didYouMean(name, problemNames)}`),
          );
      }
    }
  }

  checkTaxonomy(input.leadTypes, issues);

  const n = data.lead_types.length;
  if (n < HEALTHY_TYPE_COUNT.min || n > HEALTHY_TYPE_COUNT.max)
    issues.push(
      note(
        ['lead_types'],
        `${n} lead types: five to seven is the healthy range (fewer hides real differences between leads, more is a taxonomy nobody can keep in their head)`,
      ),
    );

  if (input.at) {
    const every = parseDuration(data.review_every);
    const reviewed = Date.parse(`${data.reviewed_on}T00:00:00Z`);
    if (every && Number.isFinite(reviewed)) {
      const due = reviewed + every.ms;
      if (input.at.getTime() > due)
        issues.push(
          warning(
            ['reviewed_on'],
            `last reviewed ${data.reviewed_on}; review_every ${data.review_every} made a review due ${new Date(due).toISOString().slice(0, 10)}: review the routing rules and update reviewed_on`,
          ),
        );
    }
  }
  return issues;
}

function checkTaxonomy(
  types: Array<Pick<CompiledLeadType, 'id' | 'index' | 'node'>>,
  issues: KeyedIssue[],
): void {
  if (types.length === 0) return;
  const last = types[types.length - 1]!;
  if (last.node.kind !== 'always')
    issues.push(
      error(
        ['lead_types', last.index, 'when'],
        `the last lead type must be the catch-all (\`when: always\`), so every lead gets an owner; "${last.id}" is last`,
      ),
    );
  types.forEach((t, i) => {
    for (let j = 0; j < i; j++) {
      const earlier = types[j]!;
      if (earlier.node.kind === 'always') {
        issues.push(
          error(
            ['lead_types', t.index, 'when'],
            `unreachable: "${earlier.id}" (lead_types[${earlier.index}]) matches every lead (\`always\`) and comes first; the catch-all must be last`,
          ),
        );
        return;
      }
      const why = implies(t.node, earlier.node);
      if (why) {
        issues.push(
          error(
            ['lead_types', t.index, 'when'],
            `unreachable: every lead this matches is already taken by "${earlier.id}" (lead_types[${earlier.index}]), which comes first (${why})`,
          ),
        );
        return;
      }
    }
  });
}

function* atoms(node: CondNode): Generator<Extract<CondNode, { kind: 'field' }>> {
  switch (node.kind) {
    case 'field':
      yield node;
      return;
    case 'all':
    case 'any':
      for (const n of node.items) yield* atoms(n);
      return;
    case 'not':
      yield* atoms(node.item);
      return;
    case 'always':
      return;
  }
}

const canon = (n: CondNode): string => canonicalJson(n, (k) => k !== 'path');

/**
 * Sound but incomplete: returns a reason when every lead matching `b` also matches `a`
 * (identical conditions, a narrower numeric range on the same field, a subset of values), null
 * when it cannot tell. Conditions written to overlap only partly are never reported.
 */
export function implies(b: CondNode, a: CondNode): string | null {
  if (a.kind === 'always') return 'the earlier type matches every lead';
  if (canon(a) === canon(b)) return 'identical conditions';
  if (a.kind === 'all') {
    const reasons = a.items.map((x) => implies(b, x));
    return reasons.every((r) => r !== null) ? reasons.join('; ') : null;
  }
  if (b.kind === 'any') {
    const reasons = b.items.map((x) => implies(x, a));
    return reasons.every((r) => r !== null) ? reasons.join('; ') : null;
  }
  if (a.kind === 'any') {
    for (const x of a.items) {
      const r = implies(b, x);
      if (r) return r;
    }
  }
  if (b.kind === 'all') {
    for (const x of b.items) {
      const r = implies(x, a);
      if (r) return r;
    }
  }
  if (a.kind === 'field' && b.kind === 'field' && a.field === b.field) {
    const ra = range(a);
    const rb = range(b);
    if (ra && rb && rb.lo >= ra.lo && rb.hi <= ra.hi)
      return `${b.field}: ${fmtRange(rb)} lies within ${fmtRange(ra)}`;
    const sa = valueSet(a);
    const sb = valueSet(b);
    if (sa && sb && [...sb].every((v) => sa.has(v)))
      return `${b.field}: every value of ${b.field} it accepts is accepted earlier`;
  }
  return null;
}

interface Range {
  lo: number;
  hi: number;
  loOpen: boolean;
  hiOpen: boolean;
}

/** Numeric atoms as intervals. Open ends are nudged by the smallest step: integers are exact here. */
function range(n: Extract<CondNode, { kind: 'field' }>): Range | null {
  const v = n.value;
  switch (n.op) {
    case 'gte':
      return { lo: v as number, hi: Infinity, loOpen: false, hiOpen: true };
    case 'gt':
      return {
        lo: (v as number) + Number.EPSILON * Math.max(1, Math.abs(v as number)),
        hi: Infinity,
        loOpen: true,
        hiOpen: true,
      };
    case 'lte':
      return { lo: -Infinity, hi: v as number, loOpen: true, hiOpen: false };
    case 'lt':
      return {
        lo: -Infinity,
        hi: (v as number) - Number.EPSILON * Math.max(1, Math.abs(v as number)),
        loOpen: true,
        hiOpen: true,
      };
    case 'between': {
      const [lo, hi] = v as [number, number];
      return { lo, hi, loOpen: false, hiOpen: false };
    }
    case 'eq':
      return typeof v === 'number' ? { lo: v, hi: v, loOpen: false, hiOpen: false } : null;
    default:
      return null;
  }
}

function fmtRange(r: Range): string {
  if (r.hi === Infinity) return `>= ${round(r.lo)}`;
  if (r.lo === -Infinity) return `<= ${round(r.hi)}`;
  return r.lo === r.hi ? `= ${r.lo}` : `${round(r.lo)}..${round(r.hi)}`;
}
const round = (x: number) => Math.round(x * 1e6) / 1e6;

function valueSet(n: Extract<CondNode, { kind: 'field' }>): Set<string> | null {
  if (n.op === 'eq') return new Set([String(n.value).trim().toLowerCase()]);
  if (n.op === 'in')
    return new Set((n.value as unknown[]).map((v) => String(v).trim().toLowerCase()));
  return null;
}
