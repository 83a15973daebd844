/**
 * routing.yaml text → a loaded RoutingConfig, or every problem with its position. Pure: the
 * caller reads the file (config-file.ts) and passes the clock for the staleness check.
 *
 * Passes, each collecting all of its issues before the next decides whether to run:
 *   1. YAML syntax (yaml's own codes and positions: BAD_INDENT, DUPLICATE_KEY…);
 *   2. shape (zod strict objects: unknown keys get a did-you-mean);
 *   3. conditions, problems, catalog tables (compiled once, here);
 *   4. static checks (references, unreachable types, hygiene warnings).
 * A config with any error never half-loads: the result is `{ ok: false, issues }`.
 */
import { isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { compileCatalog } from './catalog.ts';
import { checkPeople, compilePeople } from './people.ts';
import { checkTargetSla } from './sla.ts';
import { checkLeadTypeParts } from './lead-type-parts.ts';
import {
  compileCondition,
  compileMatchExplainer,
  parseCondition,
  type CondNode,
  type KeyedIssue,
} from './conditions.ts';
import type { ConfigIssue, ConfigPath } from './config-issue.ts';
import { configHash } from './config-hash.ts';
import {
  buildRoutingConfigSchema,
  RoutingConfigSchema,
  type RoutingConfigData,
  type SchemaExtensions,
} from './config-schema.ts';
import { compileProblems } from './problems.ts';
import type { CompiledLeadType, RoutingConfig } from './routing-config.ts';
import { staticChecks } from './static-checks.ts';
import { didYouMean } from './suggest.ts';
import { locate, positionIssues } from './yaml-position.ts';

export type ParseResult =
  | { ok: true; config: RoutingConfig; warnings: ConfigIssue[]; hash: string }
  | { ok: false; issues: ConfigIssue[] };

export interface ParseOptions {
  /** Sections checked by schemas outside the pure core (crm_mapping). */
  extensions?: SchemaExtensions;
  /** The caller's clock, for the `reviewed_on` staleness warning (validate). Omit to skip it. */
  at?: Date;
}

const schemaCache = new WeakMap<SchemaExtensions, z.ZodType>();
function schemaFor(ext: SchemaExtensions | undefined): z.ZodType {
  if (!ext) return RoutingConfigSchema;
  let s = schemaCache.get(ext);
  if (!s) schemaCache.set(ext, (s = buildRoutingConfigSchema(ext)));
  return s;
}

export function parseRoutingConfig(
  text: string,
  fileName: string,
  options: ParseOptions = {},
): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });

  // 1. YAML syntax.
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: sortIssues(
        doc.errors.map((e) => {
          const pos = e.linePos?.[0];
          return {
            severity: 'error' as const,
            path: [],
            message: `YAML ${e.code}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
            ...(pos ? { line: pos.line, col: pos.col } : {}),
          };
        }),
      ),
    };
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      issues: [
        {
          severity: 'error',
          path: [],
          message: 'routing.yaml must be a map with version, handlers, lead_types…',
          line: 1,
          col: 1,
        },
      ],
    };
  }

  // 2. Shape.
  const schema = schemaFor(options.extensions);
  const shaped = schema.safeParse(raw);
  if (!shaped.success) {
    const issues = shaped.error.issues.flatMap((i) => zodIssue(i, raw, schema));
    // Conditions are checked too, where they are, so one run reports every error.
    issues.push(...rawConditionIssues(raw as Record<string, unknown>));
    issues.push(...rawReferenceIssues(raw as Record<string, unknown>, issues));
    return { ok: false, issues: sortIssues(positionIssues(doc, lineCounter, issues, atKey)) };
  }
  const data = shaped.data as RoutingConfigData;

  // 3. Conditions, problems, catalog tables.
  const issues: KeyedIssue[] = [];
  const leadTypes: CompiledLeadType[] = [];
  data.lead_types.forEach((t, index) => {
    const node = parseCondition(t.when, ['lead_types', index, 'when'], issues);
    if (!node) return;
    leadTypes.push({
      id: t.id,
      index,
      def: t,
      node,
      test: compileCondition(node),
      explainMatch: compileMatchExplainer(node),
      line: locate(doc, lineCounter, ['lead_types', index])?.line,
    });
  });
  for (const [name, words] of Object.entries(data.problems ?? {})) {
    words.forEach((w, i) => {
      if (!/[\p{L}\p{N}]/u.test(w))
        issues.push({
          severity: 'error',
          path: ['problems', name, i],
          message: `keyword "${w}" has no letters or digits`,
        });
    });
  }
  const productLines = compileCatalog(data.product_lines, ['product_lines'], issues);
  const caseStudies = compileCatalog(data.case_studies, ['case_studies'], issues);

  // 4. Static checks (only on what compiled, so one bad condition does not cascade).
  const otherConditions: Array<{ path: ConfigPath; node: CondNode | null }> = [
    ...productLines.map((e, i) => ({ path: ['product_lines', i, 'when'], node: e.node })),
    ...caseStudies.map((e, i) => ({ path: ['case_studies', i, 'when'], node: e.node })),
  ];
  const allCompiled = leadTypes.length === data.lead_types.length;
  const checked = staticChecks({
    data,
    leadTypes: allCompiled ? leadTypes : [],
    otherConditions,
    at: options.at,
  });
  issues.push(...checked);
  issues.push(...checkPeople(data));
  issues.push(...checkTargetSla(data.lead_types));
  issues.push(...checkLeadTypeParts(data));

  const positioned = sortIssues(
    positionIssues(doc, lineCounter, issues.map(inTemplate(doc, lineCounter, text)), atKey),
  );
  if (positioned.some((i) => i.severity === 'error')) return { ok: false, issues: positioned };

  const hash = configHash(data);
  const config: RoutingConfig = {
    fileName,
    hash,
    data,
    leadTypes,
    problems: compileProblems(data.problems),
    productLines,
    caseStudies,
    people: compilePeople(data),
  };
  return { ok: true, config, warnings: positioned, hash };
}

function rawConditionIssues(raw: Record<string, unknown>): KeyedIssue[] {
  const issues: KeyedIssue[] = [];
  for (const section of ['lead_types', 'product_lines', 'case_studies']) {
    const list = raw[section];
    if (!Array.isArray(list)) continue;
    list.forEach((item: unknown, i) => {
      const when = (item as Record<string, unknown> | null)?.when;
      if (when !== undefined && (typeof when === 'object' || when === 'always'))
        parseCondition(when, [section, i, 'when'], issues);
    });
  }
  return issues;
}

/**
 * Lead-type references checked on the raw document when the shape check failed elsewhere, so an
 * unknown handler is reported in the same run as a misspelt key.
 */
function rawReferenceIssues(raw: Record<string, unknown>, already: KeyedIssue[]): KeyedIssue[] {
  const keys = (v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : null;
  const known = {
    handler: keys(raw.handlers),
    pool: keys(raw.pools) ?? [],
    calendar: keys(raw.calendars),
  };
  const taken = new Set(already.map((i) => JSON.stringify(i.path)));
  const issues: KeyedIssue[] = [];
  const types = Array.isArray(raw.lead_types) ? (raw.lead_types as unknown[]) : [];
  types.forEach((t, i) => {
    if (t === null || typeof t !== 'object') return;
    for (const [key, kind] of [
      ['handler', 'handler'],
      ['backup', 'handler'],
      ['pool', 'pool'],
      ['calendar', 'calendar'],
    ] as const) {
      const name = (t as Record<string, unknown>)[key];
      const list = known[kind];
      const path = ['lead_types', i, key];
      if (typeof name !== 'string' || !list || list.includes(name)) continue;
      if (taken.has(JSON.stringify(path))) continue;
      issues.push({
        severity: 'error',
        path,
        message: `unknown ${kind} "${name}"${didYouMean(name, list)}`,
      });
    }
  });
  return issues;
}

/**
 * A template finding carries its line:col inside the template text; turned into a file position
 * for single-line and block (`|`, `>`) scalars, the two ways templates are written.
 */
function inTemplate(doc: Document, lc: LineCounter, text: string) {
  const lines = text.split('\n');
  return (i: KeyedIssue): KeyedIssue => {
    const t = (i as KeyedIssue & { template?: { line: number; col: number } }).template;
    if (!t) return i;
    const node = doc.getIn(i.path, true);
    if (!isScalar(node) || !node.range) return i;
    const start = lc.linePos(node.range[0]);
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
      const line = start.line + t.line;
      const indent = /^ */.exec(lines[line - 1] ?? '')![0].length;
      return { ...i, line, col: indent + t.col };
    }
    if (t.line !== 1) return i;
    const quoted = node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE' ? 1 : 0;
    return { ...i, line: start.line, col: start.col + quoted + t.col - 1 };
  };
}

const atKey = (i: KeyedIssue) => i.atKey === true;

function sortIssues(issues: KeyedIssue[]): ConfigIssue[] {
  const rank = { error: 0, warning: 1, note: 2 } as const;
  return issues
    .map(({ atKey: _atKey, ...rest }) => rest)
    .sort(
      (a, b) =>
        (a.line ?? Infinity) - (b.line ?? Infinity) ||
        (a.col ?? 0) - (b.col ?? 0) ||
        rank[a.severity] - rank[b.severity],
    );
}

// ---------------------------------------------------------------------------------------------
// zod issues → ConfigIssues a human can act on

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function zodIssue(i: z.core.$ZodIssue, raw: unknown, schema: z.ZodType): KeyedIssue[] {
  const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (i.code === 'unrecognized_keys') {
    const known = keysAt(schema, path) ?? [];
    return i.keys.map((k) => ({
      severity: 'error',
      path: [...path, k],
      message: `unknown key "${k}"${didYouMean(k, known)}${known.length && !didYouMean(k, known) ? `; allowed here: ${known.join(', ')}` : ''}`,
      atKey: true,
    }));
  }
  if (i.code === 'invalid_type' && valueAt(raw, path) === undefined) {
    return [
      {
        severity: 'error',
        path,
        message: `missing required key "${String(path[path.length - 1])}"`,
      },
    ];
  }
  if (i.code === 'invalid_key') {
    return [
      {
        severity: 'error',
        path,
        message: `invalid name: ${i.issues[0]?.message ?? i.message}`,
        atKey: true,
      },
    ];
  }
  if (i.code === 'invalid_union' && path[path.length - 1] === 'when') {
    return [
      {
        severity: 'error',
        path,
        message: 'a condition is `always` or a map of field → value (see docs/routing.md)',
      },
    ];
  }
  return [{ severity: 'error', path, message: i.message }];
}

/** The allowed keys of the object schema at `path`, for did-you-mean on unknown keys. */
export function keysAt(schema: z.ZodType, path: ReadonlyArray<string | number>): string[] | null {
  let s: z.ZodType | undefined = schema;
  const unwrap = (x: z.ZodType): z.ZodType => {
    for (;;) {
      if (x instanceof z.ZodOptional || x instanceof z.ZodNullable) x = x.unwrap() as z.ZodType;
      else if (x instanceof z.ZodDefault) x = x.def.innerType as z.ZodType;
      else if (x instanceof z.ZodLazy) x = x.def.getter() as z.ZodType;
      else if (x instanceof z.ZodPipe) x = x.def.in as z.ZodType;
      else return x;
    }
  };
  for (const seg of path) {
    if (!s) return null;
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return null;
  }
  if (!s) return null;
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : null;
}
