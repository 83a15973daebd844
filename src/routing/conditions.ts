/**
 * Conditions in routing.yaml (`when:` of lead types, product lines and case studies):
 *
 *   always
 *   { all: [c, …] } · { any: [c, …] } · { not: c }
 *   { employees: { gte: 250 }, account.target: true }   (several keys = all of them)
 *
 * A condition is checked and compiled once, at load, into a closure that returns `null` when it
 * holds and a failure (field, actual, expected, plain-words reason) when it does not. Missing
 * values never throw: they fail the condition and the reason says "missing". The parsed tree
 * (`CondNode`) is kept for the static checks (unreachable types, covered ranges).
 */
import { z } from 'zod';
import { LeadSchema, type Lead } from './lead.ts';
import { error, type ConfigIssue, type ConfigPath } from './config-issue.ts';
import { didYouMean } from './suggest.ts';
import { keywordsRegex, normaliseText } from './text-match.ts';

/** What the YAML may hold; the precise checks (operators, fields, values) happen in `parseCondition`. */
export const ConditionSchema = z
  .union([z.literal('always'), z.record(z.string(), z.unknown())])
  .meta({
    id: 'condition',
    description:
      'A condition: `always`, `{ all: [...] }`, `{ any: [...] }`, `{ not: ... }`, or a map of field → value / { operator: value } (all must hold). See docs/routing.md.',
  });
export type ConditionInput = z.infer<typeof ConditionSchema>;

export const OPERATORS = [
  'eq',
  'ne',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'contains',
  'contains_any_word',
  'matches',
  'exists',
] as const;
export type Operator = (typeof OPERATORS)[number];

type Scalar = string | number | boolean;

export type CondNode =
  | { kind: 'always' }
  | { kind: 'all'; items: CondNode[] }
  | { kind: 'any'; items: CondNode[] }
  | { kind: 'not'; item: CondNode }
  | { kind: 'field'; field: string; op: Operator; value: unknown; path?: ConfigPath };

/** What a condition sees: the lead and the stated problem found in its message. */
export interface EvalContext {
  lead: Lead;
  problem: string | null;
}

export interface ConditionFailure {
  /** Dotted field path, when the failure is about one field. */
  field?: string;
  actual?: unknown;
  expected?: unknown;
  missing: boolean;
  /** `employees: 180 < 250`, `account.target: missing`. */
  reason: string;
}

export type CompiledCondition = (ctx: EvalContext) => ConditionFailure | null;

/** An issue that should point at the key (an unknown field or operator) rather than its value. */
export type KeyedIssue = ConfigIssue & { atKey?: boolean };

// ---------------------------------------------------------------------------------------------
// Field paths

const COMBINATORS = new Set(['all', 'any', 'not']);

/** Child field names of a Lead sub-object, or `'any'` for open maps (behaviour.*, fields.*). */
function childFields(schema: z.ZodType): string[] | 'any' | null {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodRecord) return 'any';
  if (s instanceof z.ZodObject) {
    const catchall = s.def.catchall;
    if (catchall && !(catchall instanceof z.ZodNever)) return 'any';
    return Object.keys(s.shape);
  }
  return null;
}

function fieldSchema(schema: z.ZodType, key: string): z.ZodType | undefined {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>)[key] : undefined;
}

/** Checks a dotted path against the Lead record; returns a message when it cannot exist. */
export function checkFieldPath(field: string): string | null {
  if (field === 'problem') return null;
  const segments = field.split('.');
  let schema: z.ZodType = LeadSchema;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const children = childFields(schema);
    if (children === 'any') return seg ? null : `empty segment in field "${field}"`;
    if (children === null) {
      return `unknown field "${field}": "${segments.slice(0, i).join('.')}" has no sub-fields`;
    }
    if (!children.includes(seg)) {
      const options = i === 0 ? [...children, 'problem'] : children;
      const prefix = segments.slice(0, i).join('.');
      return `unknown field "${field}"${didYouMean(seg, options).replace(
        /"([^"]+)"/,
        (_, n: string) => `"${prefix ? `${prefix}.` : ''}${n}"`,
      )}`;
    }
    schema = fieldSchema(schema, seg)!;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Parsing YAML values into CondNode, with positioned issues

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses one condition; issues carry config paths below `path`. */
export function parseCondition(
  input: unknown,
  path: ConfigPath,
  issues: KeyedIssue[],
): CondNode | null {
  if (input === 'always' || input === true) return { kind: 'always' };
  if (!isPlainObject(input)) {
    issues.push(
      error(path, `a condition is \`always\` or a map of field → value, not ${describe(input)}`),
    );
    return null;
  }
  const items: CondNode[] = [];
  const keys = Object.keys(input);
  if (keys.length === 0) {
    issues.push(error(path, 'empty condition: write `always` to match every lead'));
    return null;
  }
  let ok = true;
  for (const key of keys) {
    const value = input[key];
    const node = COMBINATORS.has(key)
      ? parseCombinator(key as 'all' | 'any' | 'not', value, [...path, key], issues)
      : parseField(key, value, [...path, key], issues);
    if (node) items.push(node);
    else ok = false;
  }
  if (!ok) return null;
  return items.length === 1 ? items[0]! : { kind: 'all', items };
}

function parseCombinator(
  key: 'all' | 'any' | 'not',
  value: unknown,
  path: ConfigPath,
  issues: KeyedIssue[],
): CondNode | null {
  if (key === 'not') {
    const item = parseCondition(value, path, issues);
    return item ? { kind: 'not', item } : null;
  }
  if (!Array.isArray(value) || value.length === 0) {
    issues.push(error(path, `\`${key}\` takes a non-empty list of conditions`));
    return null;
  }
  const items = value.map((v, i) => parseCondition(v, [...path, i], issues));
  return items.every((n) => n !== null) ? { kind: key, items: items as CondNode[] } : null;
}

function parseField(
  field: string,
  value: unknown,
  path: ConfigPath,
  issues: KeyedIssue[],
): CondNode | null {
  const bad = checkFieldPath(field);
  if (bad) {
    issues.push({ ...error(path, bad), atKey: true });
    return null;
  }
  if (isScalar(value)) return { kind: 'field', field, op: 'eq', value, path };
  if (Array.isArray(value)) return parseOperator(field, 'in', value, path, issues);
  if (!isPlainObject(value)) {
    issues.push(
      error(path, `"${field}" needs a value or a map of operators, not ${describe(value)}`),
    );
    return null;
  }
  const ops = Object.keys(value);
  if (ops.length === 0) {
    issues.push(error(path, `"${field}" has an empty operator map`));
    return null;
  }
  const items: CondNode[] = [];
  let ok = true;
  for (const op of ops) {
    if (!(OPERATORS as readonly string[]).includes(op)) {
      issues.push({
        ...error(
          [...path, op],
          `unknown operator "${op}"${didYouMean(op, OPERATORS)}; operators: ${OPERATORS.join(', ')}`,
        ),
        atKey: true,
      });
      ok = false;
      continue;
    }
    const node = parseOperator(field, op as Operator, value[op], [...path, op], issues);
    if (node) items.push(node);
    else ok = false;
  }
  if (!ok) return null;
  return items.length === 1 ? items[0]! : { kind: 'all', items };
}

function parseOperator(
  field: string,
  op: Operator,
  value: unknown,
  path: ConfigPath,
  issues: KeyedIssue[],
): CondNode | null {
  const fail = (msg: string) => {
    issues.push(error(path, `${field} ${op}: ${msg}`));
    return null;
  };
  const node: CondNode = { kind: 'field', field, op, value, path };
  switch (op) {
    case 'eq':
    case 'ne':
      return isScalar(value)
        ? node
        : fail(`expected a string, number or boolean, got ${describe(value)}`);
    case 'in':
    case 'not_in':
      return Array.isArray(value) && value.length > 0 && value.every(isScalar)
        ? node
        : fail(`expected a non-empty list of strings/numbers, got ${describe(value)}`);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return typeof value === 'number' && Number.isFinite(value)
        ? node
        : fail(`expected a number, got ${describe(value)}`);
    case 'between':
      if (
        !Array.isArray(value) ||
        value.length !== 2 ||
        !value.every((v) => typeof v === 'number' && Number.isFinite(v))
      )
        return fail(`expected [low, high] (two numbers), got ${describe(value)}`);
      return (value[0] as number) <= (value[1] as number)
        ? node
        : fail(`low ${value[0]} is above high ${value[1]}`);
    case 'contains':
      return isScalar(value) ? node : fail(`expected a string, got ${describe(value)}`);
    case 'contains_any_word': {
      const words = typeof value === 'string' ? [value] : value;
      return Array.isArray(words) &&
        words.length > 0 &&
        words.every((w) => typeof w === 'string' && w.trim())
        ? { ...node, value: words }
        : fail(`expected a list of words, got ${describe(value)}`);
    }
    case 'matches': {
      if (typeof value !== 'string')
        return fail(`expected a regular expression string, got ${describe(value)}`);
      try {
        new RegExp(value, 'i');
      } catch (e) {
        return fail(
          `invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`,
        );
      }
      return node;
    }
    case 'exists':
      return typeof value === 'boolean'
        ? node
        : fail(`expected true or false, got ${describe(value)}`);
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return `a list (${JSON.stringify(v)})`;
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

// ---------------------------------------------------------------------------------------------
// Compiling CondNode into closures

/** Value formatting for reasons: strings quoted, lists bracketed. */
export function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

type Getter = (ctx: EvalContext) => unknown;

function getter(field: string): Getter {
  if (field === 'problem') return (ctx) => ctx.problem;
  const segs = field.split('.');
  if (segs.length === 1) {
    const [a] = segs as [string];
    return (ctx) => (ctx.lead as Record<string, unknown>)[a];
  }
  if (segs.length === 2) {
    const [a, b] = segs as [string, string];
    return (ctx) => {
      const o = (ctx.lead as Record<string, unknown>)[a];
      return o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[b] : undefined;
    };
  }
  return (ctx) => {
    let o: unknown = ctx.lead;
    for (const s of segs) {
      if (o === null || typeof o !== 'object') return undefined;
      o = (o as Record<string, unknown>)[s];
    }
    return o;
  };
}

const isMissing = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Equality as revops mean it: strings compare trimmed and case-insensitively; "300" equals 300. */
function equalsFn(expected: Scalar): (actual: unknown) => boolean {
  if (typeof expected === 'string') {
    const e = expected.trim().toLowerCase();
    return (a) =>
      typeof a === 'string' || typeof a === 'number' ? String(a).trim().toLowerCase() === e : false;
  }
  if (typeof expected === 'number') return (a) => toNumber(a) === expected;
  const e = String(expected);
  return (a) => a === expected || (typeof a === 'string' && a.trim().toLowerCase() === e);
}

const anyOf = (fns: Array<(a: unknown) => boolean>) => (a: unknown) => {
  if (Array.isArray(a)) return a.some((x) => fns.some((f) => f(x)));
  for (const f of fns) if (f(a)) return true;
  return false;
};

export function compileCondition(node: CondNode): CompiledCondition {
  switch (node.kind) {
    case 'always':
      return () => null;
    case 'all': {
      const items = node.items.map(compileCondition);
      return (ctx) => {
        for (const c of items) {
          const f = c(ctx);
          if (f) return f;
        }
        return null;
      };
    }
    case 'any': {
      const items = node.items.map(compileCondition);
      return (ctx) => {
        let reason = 'none of: ';
        let allMissing = true;
        for (let i = 0; i < items.length; i++) {
          const f = items[i]!(ctx);
          if (!f) return null;
          reason += i === 0 ? f.reason : `; ${f.reason}`;
          allMissing &&= f.missing;
        }
        return { missing: allMissing, reason };
      };
    }
    case 'not': {
      const item = compileCondition(node.item);
      const text = describeNode(node.item);
      return (ctx) => (item(ctx) ? null : { missing: false, reason: `not (${text}): it holds` });
    }
    case 'field':
      return compileField(node.field, node.op, node.value);
  }
}

function compileField(field: string, op: Operator, value: unknown): CompiledCondition {
  const get = getter(field);
  // Everything about the expected side is formatted once, here: at run time only the lead's
  // value is turned into text, and only for conditions that fail.
  const prefix = `${field}: `;
  const ev = show(value);
  const missingReason = `${field}: missing`;
  const missing = (actual: unknown): ConditionFailure => ({
    field,
    actual,
    expected: value,
    missing: true,
    reason: missingReason,
  });
  const failed = (actual: unknown, detail: string): ConditionFailure => ({
    field,
    actual,
    expected: value,
    missing: false,
    reason: prefix + detail,
  });

  if (op === 'exists') {
    return (ctx) => {
      const a = get(ctx);
      const present = !isMissing(a);
      if (present === value) return null;
      return present ? failed(a, `${show(a)} is present (expected missing)`) : missing(a);
    };
  }

  const numeric =
    (test: (n: number) => boolean, detail: (n: number) => string): CompiledCondition =>
    (ctx) => {
      const a = get(ctx);
      if (isMissing(a)) return missing(a);
      const n = toNumber(a);
      if (n === undefined) return failed(a, `${show(a)} is not a number`);
      return test(n) ? null : failed(a, detail(n));
    };

  switch (op) {
    case 'eq': {
      const eq = anyOf([equalsFn(value as Scalar)]);
      return (ctx) => {
        const a = get(ctx);
        if (isMissing(a)) return missing(a);
        return eq(a) ? null : failed(a, `${show(a)} is not ${ev}`);
      };
    }
    case 'ne': {
      const eq = anyOf([equalsFn(value as Scalar)]);
      return (ctx) => {
        const a = get(ctx);
        if (isMissing(a)) return missing(a);
        return eq(a) ? failed(a, `is ${show(a)} (must not be)`) : null;
      };
    }
    case 'in': {
      const eq = anyOf((value as Scalar[]).map(equalsFn));
      return (ctx) => {
        const a = get(ctx);
        if (isMissing(a)) return missing(a);
        return eq(a) ? null : failed(a, `${show(a)} not in ${ev}`);
      };
    }
    case 'not_in': {
      const eq = anyOf((value as Scalar[]).map(equalsFn));
      return (ctx) => {
        const a = get(ctx);
        if (isMissing(a)) return missing(a);
        return eq(a) ? failed(a, `${show(a)} is in ${ev}`) : null;
      };
    }
    case 'gt': {
      const v = value as number;
      return numeric(
        (n) => n > v,
        (n) => `${n} <= ${v}`,
      );
    }
    case 'gte': {
      const v = value as number;
      return numeric(
        (n) => n >= v,
        (n) => `${n} < ${v}`,
      );
    }
    case 'lt': {
      const v = value as number;
      return numeric(
        (n) => n < v,
        (n) => `${n} >= ${v}`,
      );
    }
    case 'lte': {
      const v = value as number;
      return numeric(
        (n) => n <= v,
        (n) => `${n} > ${v}`,
      );
    }
    case 'between': {
      const [lo, hi] = value as [number, number];
      return numeric(
        (n) => n >= lo && n <= hi,
        (n) => `${n} not between ${lo} and ${hi}`,
      );
    }
    case 'contains': {
      const needle = normaliseText(String(value)).toLowerCase();
      const test = (a: unknown): boolean =>
        Array.isArray(a)
          ? a.some(test)
          : (typeof a === 'string' || typeof a === 'number') &&
            normaliseText(String(a)).toLowerCase().includes(needle);
      return (ctx) => {
        const a = get(ctx);
        if (isMissing(a)) return missing(a);
        return test(a) ? null : failed(a, `does not contain ${ev}`);
      };
    }
    case 'contains_any_word': {
      const re = keywordsRegex(value as string[]);
      return (ctx) => {
        const a = get(ctx);
        if (isMissing(a)) return missing(a);
        const text = Array.isArray(a) ? a.join(' ') : String(a);
        return re.test(normaliseText(text)) ? null : failed(a, `none of the words ${ev}`);
      };
    }
    case 'matches': {
      const re = new RegExp(value as string, 'i');
      return (ctx) => {
        const a = get(ctx);
        if (isMissing(a)) return missing(a);
        return re.test(String(a))
          ? null
          : failed(a, `${show(a)} does not match /${String(value)}/i`);
      };
    }
  }
}

const OP_TEXT: Record<Operator, string> = {
  eq: '=',
  ne: '!=',
  in: 'in',
  not_in: 'not in',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  between: 'between',
  contains: 'contains',
  contains_any_word: 'contains any word of',
  matches: 'matches',
  exists: 'exists:',
};

/** A condition in one line, for traces and `explain`: `employees >= 250 or account.target = true`. */
export function describeNode(node: CondNode): string {
  switch (node.kind) {
    case 'always':
      return 'always';
    case 'all':
      return node.items
        .map((n) => (n.kind === 'any' ? `(${describeNode(n)})` : describeNode(n)))
        .join(' and ');
    case 'any':
      return node.items
        .map((n) => (n.kind === 'all' ? `(${describeNode(n)})` : describeNode(n)))
        .join(' or ');
    case 'not':
      return `not (${describeNode(node.item)})`;
    case 'field':
      return node.op === 'between'
        ? `${node.field} between ${(node.value as number[])[0]} and ${(node.value as number[])[1]}`
        : node.op === 'matches'
          ? `${node.field} matches /${String(node.value)}/i`
          : `${node.field} ${OP_TEXT[node.op]} ${show(node.value)}`;
  }
}

/**
 * For a condition that holds: which parts made it hold, with the lead's values
 * (`employees: 300 >= 250`). Compiled once, like the condition; called only for the match.
 */
export function compileMatchExplainer(node: CondNode): (ctx: EvalContext) => string {
  switch (node.kind) {
    case 'always':
      return () => 'always';
    case 'all': {
      const parts = node.items.map(compileMatchExplainer);
      return (ctx) => parts.map((p) => p(ctx)).join(' and ');
    }
    case 'any': {
      const items = node.items.map((n) => ({
        test: compileCondition(n),
        explain: compileMatchExplainer(n),
      }));
      return (ctx) => {
        const hit = items.find((i) => i.test(ctx) === null);
        return hit ? hit.explain(ctx) : describeNode(node);
      };
    }
    case 'not':
      return () => describeNode(node);
    case 'field': {
      const get = getter(node.field);
      const text = describeNode(node).slice(node.field.length + 1);
      return (ctx) => {
        const a = get(ctx);
        return node.op === 'exists' && node.value === false
          ? `${node.field}: missing`
          : `${node.field}: ${show(a)} ${text}`;
      };
    }
  }
}
