/**
 * The "what does the first touch say" decision: Liquid templates rendered from the lead.
 *
 * Exports
 * - `compileTemplate(text, path): { template, paths, issues }` — parse once at load; `issues` are
 *   positioned (`template: { line, col }` inside the template text, `path` = the config path of
 *   the YAML value) for syntax errors, unknown filters and unknown variables (did-you-mean).
 * - `compileFirstTouch(cfg, path): { firstTouch: CompiledFirstTouch | null; issues }` — subject
 *   and body, plus `defaults` keys checked as template paths. `path` is the first_touch node,
 *   e.g. `['lead_types', 0, 'first_touch']`.
 * - `renderFirstTouch(ft, input): { firstTouch: FirstTouch; trace: TraceStep[] }` — never throws:
 *   a missing value renders as its configured default (listed in `defaultsUsed` and the trace) or
 *   as empty; a render failure is a trace step and a placeholder text, not a crash.
 * - `renderTemplate(compiled, context)` for other templates (fallback tasks) with the same rules.
 * - `validateFirstTouch(cfg, path): TemplateIssue[]` — compile, then render against SAMPLE_LEAD
 *   and against an empty lead, so `validate` reports a template that fails at run time.
 * - `SAMPLE_LEAD`, `templateContext(input)`.
 *
 * Template variables (docs/business-time.md "First touch"): `lead.*` (the Lead record, e.g.
 * `lead.first_name`, `lead.company`, `lead.account.name`, `lead.fields.<crm property>`),
 * `problem`, `product_line.{id,title,url,summary}`, `case_study.{id,title,url,summary}`,
 * `handler.{id,name,first_name,title,email}`, `sla.{duration,due_utc,due_local,due_local_iso,
 * timezone,calendar}`, `lead_type.id`.
 *
 * liquidjs runs with strictVariables and strictFilters. strictVariables throws on a *missing*
 * key even under `| default:` (STACK.md pitfall 10), so every path a template reads is pre-filled
 * with null on the render context when the lead lacks it: `{{ lead.first_name | default: "there" }}`
 * then works, and a typo is still caught at load by the static check below.
 */
import { Liquid, type Template } from 'liquidjs';
import type { FirstTouch, SlaDue, TraceStep } from './decision.ts';
import { LeadAccountSchema, LeadSchema, LeadSourceSchema, type Lead } from './lead.ts';
import type { ConfigIssue, ConfigPath } from './config-issue.ts';
import { didYouMean } from './suggest.ts';
import { FIRST_TOUCH_ROOTS, type FirstTouchConfig } from './first-touch-schema.ts';
import type { CompiledCalendar } from './calendar.ts';
import { formatLocal } from './business-time.ts';

export interface TemplateIssue extends ConfigIssue {
  /** 1-based position inside the template text (the YAML position is the value's, via `path`). */
  template?: { line: number; col: number };
}

const engine = new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true });

const CATALOG_KEYS = ['id', 'title', 'url', 'summary'];
/** Known keys below each template root; `null` = any key allowed (free-form maps). */
const KNOWN: Record<string, string[] | null> = {
  lead: Object.keys(LeadSchema.shape),
  'lead.account': Object.keys(LeadAccountSchema.shape),
  'lead.account.owner': ['hubspot', 'salesforce'],
  'lead.source': Object.keys(LeadSourceSchema.shape),
  'lead.source.utm': ['source', 'medium', 'campaign', 'term', 'content'],
  'lead.crm': ['system', 'object', 'id', 'tenant'],
  'lead.fields': null,
  'lead.behaviour': null,
  product_line: CATALOG_KEYS,
  case_study: CATALOG_KEYS,
  handler: ['id', 'name', 'first_name', 'title', 'email'],
  sla: ['duration', 'due_utc', 'due_local', 'due_local_iso', 'timezone', 'calendar'],
  lead_type: ['id'],
  problem: [],
};

export interface CompiledTemplate {
  source: string;
  template: Template[];
  /** Every variable path the template reads (string segments only), for null pre-fill. */
  paths: string[][];
  /**
   * The common shape — text plus `{{ a.b }}` / `{{ a.b | default: "x" }}` and nothing else —
   * rendered without liquidjs's interpreter: same output (a parity test holds them together),
   * about 10× faster. Null when the template uses anything else (tags, other filters).
   */
  fast: FastPart[] | null;
}

type FastPart = string | { path: string[]; fallback: string | null };

const OUTPUT = /\{\{(.*?)\}\}/gs;
const FAST_EXPR =
  /^\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*(?:\|\s*default\s*:\s*(?:'([^']*)'|"([^"]*)")\s*)?$/;
/** Liquid's special properties (`x.size`, `x.first`) mean more than a key lookup. */
const SPECIAL_PROPS = new Set(['size', 'first', 'last']);

/** Splits a template into text and simple outputs, or null when liquidjs must render it. */
function fastParts(text: string): FastPart[] | null {
  if (text.includes('{%')) return null;
  const parts: FastPart[] = [];
  let last = 0;
  for (const m of text.matchAll(OUTPUT)) {
    const expr = m[1]!;
    if (expr.startsWith('-') || expr.endsWith('-')) return null; // whitespace control
    const e = FAST_EXPR.exec(expr);
    if (!e) return null;
    const path = e[1]!.split('.');
    if (path.slice(1).some((seg) => SPECIAL_PROPS.has(seg))) return null;
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ path, fallback: e[2] ?? e[3] ?? null });
    last = m.index + m[0].length;
  }
  if (text.slice(last).includes('{{')) return null;
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

const own = Object.prototype.hasOwnProperty;

/** liquidjs's `stringify` for plain data. */
function liquidString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(liquidString).join('');
  return String(v);
}

function renderFast(parts: FastPart[], ctx: Record<string, unknown>): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    let v: unknown = ctx;
    for (const seg of part.path) {
      v =
        v !== null && typeof v === 'object' && own.call(v, seg)
          ? (v as Record<string, unknown>)[seg]
          : undefined;
      if (v === undefined) break;
    }
    if (part.fallback !== null) {
      // liquidjs `default`: empty strings and arrays, null, undefined and false take the default.
      const empty =
        typeof v === 'string' || Array.isArray(v) ? v.length === 0 : v === false || v == null;
      if (empty) v = part.fallback;
    }
    out += liquidString(v);
  }
  return out;
}

/** Checks one variable path against KNOWN; returns the message for the first unknown segment. */
function unknownSegment(segs: string[]): string | null {
  const root = segs[0]!;
  if (!(FIRST_TOUCH_ROOTS as readonly string[]).includes(root))
    return `unknown variable "${root}"${didYouMean(root, FIRST_TOUCH_ROOTS)}: templates can use ${FIRST_TOUCH_ROOTS.join(', ')}`;
  for (let i = 1; i < segs.length; i++) {
    const parent = segs.slice(0, i).join('.');
    const known = KNOWN[parent];
    if (known === undefined || known === null) return null; // free-form below here
    const seg = segs[i]!;
    if (!known.includes(seg))
      return known.length === 0
        ? `"${parent}" is text and has no fields (found "${segs.join('.')}")`
        : `unknown variable "${segs.slice(0, i + 1).join('.')}"${didYouMean(seg, known)}`;
  }
  return null;
}

interface LiquidToken {
  getPosition?: () => [number, number];
  input?: string;
  begin?: number;
  end?: number;
}

function positionOf(input: string, index: number): { line: number; col: number } {
  const before = input.slice(0, index);
  const line = before.split('\n').length;
  return { line, col: index - before.lastIndexOf('\n') };
}

/** Where liquidjs says the error is; for an unknown filter, the filter name inside the tag. */
function liquidPosition(err: unknown): { line: number; col: number } | undefined {
  const token = (err as { token?: LiquidToken }).token;
  const filter = /undefined filter: ([\w-]+)/.exec(String((err as Error).message ?? ''));
  if (filter && token?.input !== undefined && token.begin !== undefined) {
    const at = token.input.indexOf(filter[1]!, token.begin);
    if (at >= 0 && (token.end === undefined || at < token.end)) return positionOf(token.input, at);
  }
  const pos = token?.getPosition?.();
  return pos ? { line: pos[0], col: pos[1] } : undefined;
}

/** liquidjs appends `, line:1, col:5` and a code excerpt; the issue carries those separately. */
const cleanMessage = (err: unknown): string =>
  String(err instanceof Error ? err.message : err)
    .split('\n')[0]!
    .replace(/, line:\d+, col:\d+$/, '');

/** ` (did you mean "upcase"?)` for an unknown filter. */
function filterHint(err: unknown): string {
  const m = /undefined filter: ([\w-]+)/.exec(String((err as Error).message ?? ''));
  return m ? didYouMean(m[1]!, Object.keys(engine.filters)) : '';
}

export function compileTemplate(
  text: string,
  path: ConfigPath,
  opts: { fast?: boolean } = {},
): { compiled: CompiledTemplate | null; issues: TemplateIssue[] } {
  let template: Template[];
  try {
    template = engine.parse(text);
  } catch (err) {
    const pos = liquidPosition(err);
    return {
      compiled: null,
      issues: [
        {
          severity: 'error',
          path,
          message: `template${pos ? ` line ${pos.line}, col ${pos.col}` : ''}: ${cleanMessage(err)}${filterHint(err)}`,
          ...(pos ? { template: pos } : {}),
        },
      ],
    };
  }
  const issues: TemplateIssue[] = [];
  const paths: string[][] = [];
  const globals = engine.analyzeSync(template).globals;
  for (const vars of Object.values(globals)) {
    for (const v of vars) {
      const segs: string[] = [];
      for (const s of v.segments) {
        if (typeof s !== 'string') break; // `lead.fields[x]`: dynamic below here
        segs.push(s);
      }
      if (segs.length === 0) continue;
      const bad = unknownSegment(segs);
      if (bad) {
        const pos = { line: v.location.row, col: v.location.col };
        issues.push({
          severity: 'error',
          path,
          message: `template line ${pos.line}, col ${pos.col}: ${bad}`,
          template: pos,
        });
      } else paths.push(segs);
    }
  }
  const fast = opts.fast === false ? null : fastParts(text);
  return { compiled: { source: text, template, paths, fast }, issues };
}

export interface CompiledFirstTouch {
  channel: string;
  priority: 'high' | 'medium' | 'low';
  subject: CompiledTemplate;
  body: CompiledTemplate;
  /** [path segments, configured key, default text]. */
  defaults: Array<[string[], string, string]>;
}

export function compileFirstTouch(
  cfg: FirstTouchConfig,
  path: ConfigPath,
): { firstTouch: CompiledFirstTouch | null; issues: TemplateIssue[] } {
  const s = compileTemplate(cfg.subject, [...path, 'subject']);
  const b = compileTemplate(cfg.body, [...path, 'body']);
  const issues = [...s.issues, ...b.issues];
  const defaults: Array<[string[], string, string]> = [];
  for (const [key, text] of Object.entries(cfg.defaults ?? {})) {
    const segs = key.split('.');
    const bad = segs.some((x) => x === '') ? `"${key}" is not a path` : unknownSegment(segs);
    if (bad) issues.push({ severity: 'error', path: [...path, 'defaults', key], message: bad });
    else defaults.push([segs, key, text]);
  }
  if (!s.compiled || !b.compiled) return { firstTouch: null, issues };
  return {
    firstTouch: {
      channel: cfg.channel ?? 'email',
      priority: cfg.priority ?? 'high',
      subject: s.compiled,
      body: b.compiled,
      defaults,
    },
    issues,
  };
}

export interface CatalogRef {
  id: string;
  title: string;
  url?: string;
  summary?: string;
}

export interface FirstTouchInput {
  lead: Lead;
  leadType: string;
  problem: string | null;
  productLine?: CatalogRef | null;
  caseStudy?: CatalogRef | null;
  handler: { id: string; name: string; title?: string; email?: string };
  sla: SlaDue | null;
  /** The SLA's calendar, to render `sla.due_local` for humans (`Sat 2026-11-28 07:10 PST`). */
  slaCalendar?: CompiledCalendar;
}

const catalogContext = (c: CatalogRef | null | undefined) =>
  c ? { id: c.id, title: c.title, url: c.url ?? null, summary: c.summary ?? null } : null;

/** The render context before defaults and null pre-fill. */
export function templateContext(input: FirstTouchInput): Record<string, unknown> {
  const h = input.handler;
  const sla = input.sla;
  return {
    lead: input.lead,
    problem: input.problem,
    product_line: catalogContext(input.productLine),
    case_study: catalogContext(input.caseStudy),
    handler: {
      id: h.id,
      name: h.name,
      first_name: h.name.trim().split(/\s+/)[0] ?? h.name,
      title: h.title ?? null,
      email: h.email ?? null,
    },
    sla: sla
      ? {
          duration: sla.duration,
          due_utc: sla.dueUtc,
          due_local_iso: sla.dueLocal,
          due_local: input.slaCalendar
            ? formatLocal(input.slaCalendar, new Date(sla.dueUtc))
            : sla.dueLocal,
          timezone: sla.timezone,
          calendar: sla.calendar,
        }
      : null,
    lead_type: { id: input.leadType },
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Sets `path` on a copy-on-write view of `root`: objects along the path are shallow-copied once
 * (tracked in `copied`), so the caller's lead is never mutated. `value` decides what to write
 * given the current value; returning undefined leaves it.
 */
function writePath(
  root: Obj,
  segs: string[],
  copied: Set<Obj>,
  value: (current: unknown) => unknown,
): void {
  let node = root;
  for (let i = 0; i < segs.length - 1; i++) {
    const key = segs[i]!;
    let child = node[key];
    if (child === undefined || child === null) child = {};
    else if (!isObj(child)) return; // a text value where the path wants a map: leave it
    if (!copied.has(child as Obj)) {
      child = { ...(child as Obj) };
      copied.add(child as Obj);
    }
    node[key] = child;
    node = child as Obj;
  }
  const last = segs[segs.length - 1]!;
  const next = value(node[last]);
  if (next !== undefined) node[last] = next;
}

const isMissing = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** Applies defaults, then pre-fills every read path with null. Returns the defaults used. */
function prepare(
  context: Obj,
  paths: string[][],
  defaults: Array<[string[], string, string]>,
): { ctx: Obj; used: Array<[string, string]> } {
  const ctx: Obj = { ...context };
  const copied = new Set<Obj>([ctx]);
  const used: Array<[string, string]> = [];
  for (const [segs, key, text] of defaults) {
    writePath(ctx, segs, copied, (cur) => {
      if (!isMissing(cur)) return undefined;
      used.push([key, text]);
      return text;
    });
  }
  for (const segs of paths)
    writePath(ctx, segs, copied, (cur) => (cur === undefined ? null : undefined));
  return { ctx, used };
}

export function renderTemplate(
  compiled: CompiledTemplate,
  context: Obj,
): { text: string; error: string | null } {
  try {
    if (compiled.fast) return { text: renderFast(compiled.fast, context), error: null };
    return { text: engine.renderSync(compiled.template, context) as string, error: null };
  } catch (err) {
    return { text: '', error: cleanMessage(err) };
  }
}

export function renderFirstTouch(
  ft: CompiledFirstTouch,
  input: FirstTouchInput,
): { firstTouch: FirstTouch; trace: TraceStep[] } {
  const { ctx, used } = prepare(
    templateContext(input),
    [...ft.subject.paths, ...ft.body.paths],
    ft.defaults,
  );
  const trace: TraceStep[] = used.map(([key, text]) => ({
    stage: 'render',
    ruleId: input.leadType,
    outcome: 'missing',
    field: key,
    reason: `${key} missing → default "${text}"`,
  }));
  const subject = renderTemplate(ft.subject, ctx);
  const body = renderTemplate(ft.body, ctx);
  for (const [part, r] of [
    ['subject', subject],
    ['body', body],
  ] as const) {
    if (r.error)
      trace.push({
        stage: 'render',
        ruleId: input.leadType,
        outcome: 'failed',
        reason: `first-touch ${part} could not be rendered (${r.error}); the task carries a placeholder`,
      });
  }
  const placeholder = (part: string) =>
    `[${input.leadType} first touch: ${part} could not be rendered; see the routing note]`;
  trace.push({
    stage: 'render',
    ruleId: input.leadType,
    outcome: 'info',
    reason: `first touch by ${ft.channel}: "${subject.error ? placeholder('subject') : subject.text}"`,
  });
  return {
    firstTouch: {
      channel: ft.channel,
      subject: subject.error ? placeholder('subject') : subject.text,
      body: body.error ? placeholder('body') : body.text,
      ...(input.productLine ? { productLine: input.productLine.id } : {}),
      ...(input.caseStudy ? { caseStudy: input.caseStudy.id } : {}),
      priority: ft.priority,
      defaultsUsed: used.map(([key]) => key),
    },
    trace,
  };
}

/** A lead with every field the templates are likely to read, for `validate`. */
export const SAMPLE_LEAD: Lead = {
  id: 'sample',
  email: 'jordan.lee@example.com',
  first_name: 'Jordan',
  last_name: 'Lee',
  title: 'Director of Operations',
  phone: '+1 206 555 0100',
  company: 'Example Corp',
  domain: 'example.com',
  employees: 300,
  annual_revenue: 60_000_000,
  industry: 'Logistics',
  country: 'US',
  region: 'Pacific Northwest',
  state: 'WA',
  city: 'Seattle',
  behaviour: { pages_viewed: 12, product_usage: 0 },
  source: { channel: 'web', form: 'contact', campaign: 'q4', utm: { source: 'google' } },
  message: "We're thinking through some operational rebuild work. Open to a conversation.",
  account: { id: 'acc-1', name: 'Example Corp', target: true, tier: '1' },
  created_at: '2026-11-28T02:43:00-08:00',
  fields: {},
};

const SAMPLE_INPUT: Omit<FirstTouchInput, 'lead'> = {
  leadType: 'sample',
  problem: 'operational rebuild',
  productLine: { id: 'ops', title: 'Operations platform', url: 'https://example.com/ops' },
  caseStudy: { id: 'northwind', title: 'How Northwind rebuilt operations in 90 days' },
  handler: {
    id: 'dana',
    name: 'Dana Whitfield',
    title: 'Senior Partner',
    email: 'dana@example.com',
  },
  sla: {
    duration: '10m',
    calendar: 'weekend_cover',
    timezone: 'America/Los_Angeles',
    dueUtc: '2026-11-28T15:10:00.000Z',
    dueLocal: '2026-11-28T07:10:00.000-08:00',
  },
};

export function validateFirstTouch(cfg: FirstTouchConfig, path: ConfigPath): TemplateIssue[] {
  const { firstTouch, issues } = compileFirstTouch(cfg, path);
  if (!firstTouch || issues.length > 0) return issues;
  for (const [lead, what] of [
    [SAMPLE_LEAD, 'the sample lead'],
    [{}, 'a lead with no fields'],
  ] as const) {
    const { ctx } = prepare(
      templateContext({
        ...SAMPLE_INPUT,
        lead,
        problem: lead === SAMPLE_LEAD ? SAMPLE_INPUT.problem : null,
      }),
      [...firstTouch.subject.paths, ...firstTouch.body.paths],
      firstTouch.defaults,
    );
    for (const part of ['subject', 'body'] as const) {
      const r = renderTemplate(firstTouch[part], ctx);
      if (r.error)
        issues.push({
          severity: 'error',
          path: [...path, part],
          message: `template fails on ${what}: ${r.error}`,
        });
    }
  }
  return issues;
}
